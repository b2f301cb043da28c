"""The layers of one run: checked, subsampled to shared rows and prepared once each."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .. import _options as opt
from .._validation import as_representation, check_same_samples
from ..measures.registry import Measure
from .plan import OPTIONS

__all__ = ["check_dims", "layer_shapes", "prepare_layers", "subsample_rows"]


def subsample_rows(n: int, n_samples: int | None, seed: int) -> np.ndarray | None:
    """Row indices shared by every layer (sorted), or None to keep all ``n`` rows."""
    opt.check_values({"n_samples": n_samples, "seed": seed}, OPTIONS)
    if n_samples is None or n_samples >= n:
        if n_samples is not None and n_samples > n:
            raise ValueError(f"`n_samples` is {n_samples} but the layers have only {n} samples")
        return None
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n, size=int(n_samples), replace=False))


def check_dims(measure: Measure, shapes: Mapping[str, tuple[int, int]]) -> None:
    if measure.handles_different_dims:
        return
    widths = {name: shape[1] for name, shape in shapes.items()}
    if len(set(widths.values())) > 1:
        (a, da), (b, db) = [next(iter(widths.items()))] + [
            (k, v) for k, v in widths.items() if v != next(iter(widths.values()))
        ][:1]
        from ..measures.registry import list_measures

        raise ValueError(
            f"measure {measure.name!r} needs layers of equal width, but {a!r} has {da} features "
            f"and {b!r} has {db}; measures that handle different widths: "
            f"{list_measures(handles_different_dims=True)}"
        )


def layer_shapes(reps: Mapping[str, Any], arg: str = "reps") -> dict[str, tuple[int, int]]:
    """(n_samples, n_features) of every layer of ``reps``, checked to be a mapping of arrays
    of at least two dimensions (the error names ``arg``)."""
    if not isinstance(reps, Mapping):
        raise TypeError(f"`{arg}` must map layer name -> array (n_samples, ...), got {type(reps).__name__}")
    if len(reps) == 0:
        raise ValueError(f"`{arg}` is empty; give at least one layer")
    shapes = {}
    for name, Y in reps.items():
        shape = getattr(Y, "shape", None)
        if shape is None:
            shape = np.shape(Y)
        if len(shape) < 2:
            as_representation(Y, f"{arg}[{name!r}]")  # raises the precise error
        shapes[str(name)] = (int(shape[0]), int(np.prod(shape[1:])))
    return shapes


def prepare_layers(
    reps: Mapping[str, Any],
    measure: Measure,
    *,
    n_samples: int | None = None,
    seed: int = 0,
    prepare_options: Mapping[str, Any] | None = None,
    hashes: dict[str, str] | None = None,
    arg: str = "reps",
    progress: Any = None,
) -> tuple[list[str], list[Any], int]:
    """Validate ``reps``, subsample rows and run ``measure.prepare`` once per layer.

    Returns (names, states, n_used). When ``hashes`` is a dict, it receives a hash of
    every layer's subsampled float64 data (what a cache is keyed by). ``arg`` is the name
    errors give the mapping. ``progress``, an object with ``update()`` and ``close()`` (see
    :mod:`subnetscope._progress`), is advanced per layer.
    """
    if isinstance(reps, Mapping):  # a nested list: read (and checked) once, as an array
        reps = {name: Y if hasattr(Y, "shape") else as_representation(Y, f"{arg}[{str(name)!r}]", min_samples=0)
                for name, Y in reps.items()}
    shapes = layer_shapes(reps, arg)
    n = check_same_samples(shapes, arg)
    check_dims(measure, shapes)
    rows = subsample_rows(n, n_samples, seed)
    names, states = [], []
    for name, Y in reps.items():
        if rows is not None:
            Y = Y[rows]
        X = as_representation(Y, f"{arg}[{str(name)!r}]")
        names.append(str(name))
        if hashes is not None:
            from .cache import data_hash

            hashes[str(name)] = data_hash(X)
        try:
            states.append(measure.prepare(X, **(prepare_options or {})))
        except ValueError as exc:  # name the layer (a constant layer, too few samples for the measure ...)
            from .._memory import MemoryBudgetError

            kind = MemoryBudgetError if isinstance(exc, MemoryBudgetError) else ValueError
            raise kind(f"`{arg}[{str(name)!r}]`: {exc}") from exc
        _check_states_fit(states, len(shapes), measure.name, n if rows is None else rows.size)
        if progress is not None:
            progress.update(1)
    if progress is not None:
        progress.close()
    return names, states, (n if rows is None else rows.size)


def _check_states_fit(states: list, L: int, measure: str, n: int) -> None:
    # Every layer's state is held until the end (for GW: an n × n matrix per layer). After each
    # layer, refuse if the layers still to prepare (at the largest state seen) would not fit.
    from .._memory import check_memory, nbytes

    sizes = [nbytes(state) for state in states]
    left = L - len(states)
    if not left or not max(sizes):
        return
    square = max(sizes) >= 8 * n * n  # an n × n state per layer (GW, rsm, ...)
    check_memory(left * max(sizes), f"pairwise with measure {measure!r} keeps every layer's prepared state "
                 f"({L} layers × {max(sizes) / 1e6:.3g} MB{', an n × n matrix at n = %d' % n if square else ''})",
                 "compare on fewer samples (n_samples=, CLI --samples"
                 + ("; the states shrink as n², so halving n divides them by 4" if square else "")
                 + ") or fewer layers at a time", held=sum(sizes))
