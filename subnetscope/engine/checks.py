"""The checks every value the engine stores passes, computed or read back from a cache."""

from __future__ import annotations

import numpy as np

from ..measures.registry import Measure

__all__ = ["cached_pair_ok", "check_value"]


def cached_pair_ok(i: int, j: int, value: float, perm, *, measure: Measure, names, states, n: int) -> bool:
    """Whether a pair read back from a cache passes the checks of a computed one: a valid value
    (:func:`check_value`), a permutation of 0..n-1 if any, and the measure's own check of that
    plan (``Measure.check_plan``; GW: the value of the permutation). A pair that fails is recomputed."""
    try:
        check_value(value, measure, names[i], names[j], "read back")
    except ValueError:
        return False
    if perm is None:
        return True
    if perm.shape != (n,) or not np.array_equal(np.sort(perm), np.arange(n)):
        return False
    if measure.check_plan is not None:
        return bool(measure.check_plan(states[i], states[j], value, perm))
    return True


def check_value(value: float, measure: Measure, a: str, b: str, source: str = "gave") -> None:
    """Every value the engine stores, computed or read back from a cache, passes here: finite,
    and ≥ 0 for a measure that says its values are distances (``Measure.non_negative``)."""
    if not np.isfinite(value):
        raise ValueError(
            f"measure {measure.name!r} {source} {value} for {a!r} and {b!r}: the inputs are degenerate for it "
            "(e.g. a constant layer or values near the float64 limits); nothing was stored"
        )
    if measure.non_negative and value < 0:
        raise ValueError(
            f"measure {measure.name!r} {source} {value:.6g} for {a!r} and {b!r}, but its values are distances "
            "(≥ 0; register it with non_negative=False if negative values are meant); nothing was stored"
        )
