"""Option specs: one template that checks every option where it enters.

Each option of a measure (and of the entry points: ``pairwise``, ``distance``,
``to_target``, ``gromov_wasserstein`` ...) is declared once with :class:`Option` (its kind,
range or choices); :func:`check_values` checks given values against those declarations
and raises an :class:`OptionError` (both a ``ValueError`` and a ``TypeError``, so code
that catches either keeps working) whose message names the option, what was expected and what came. A measure's registry
entry carries the specs of its options (``Measure(option_specs=...)``), so ``pairwise``,
``distance`` and ``to_target`` refuse a bad option before any layer is prepared.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._validation import check_choice

__all__ = ["OptionError", "Option", "integer", "number", "choice", "names", "flag", "seed", "device", "check_value",
           "check_values"]


class OptionError(ValueError, TypeError):
    """An option's value has the wrong type or lies outside what it accepts."""


@dataclass(frozen=True)
class Option:
    """What one option accepts.

    kind : "int", "number", "choice", "names" (one name or a sequence of names), "bool",
        "device" (a torch device name) or "any" (not checked)
    low, high : inclusive bounds of "int" and "number" (``low_open`` / ``high_open``: exclusive)
    choices : the names of "choice" and "names"
    optional : None is accepted too
    """

    kind: str
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: tuple = ()
    optional: bool = False

    def describe(self) -> str:
        """What the option accepts, as a message fragment ("an integer ≥ 1", ...)."""
        if self.kind in ("int", "number"):
            what = "an integer" if self.kind == "int" else "a number"
            if self.low is not None and self.high is not None:
                what += (f" in {'(' if self.low_open else '['}{_num(self.low)}, "
                         f"{_num(self.high)}{')' if self.high_open else ']'}")
            elif self.low is not None:
                what += f" {'>' if self.low_open else '≥'} {_num(self.low)}"
            elif self.high is not None:
                what += f" {'<' if self.high_open else '≤'} {_num(self.high)}"
            elif self.kind == "number":
                what = "a finite number"
        elif self.kind == "bool":
            what = "True or False"
        elif self.kind == "device":
            what = "a torch device name such as 'cuda' or 'cpu'"
        elif self.kind == "names":
            what = f"one of {list(self.choices)} or a non-empty sequence of them"
        else:
            what = f"one of {list(self.choices)}"
        return what + (" or None" if self.optional else "")


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else f"{x:g}"


def integer(low: int | None = None, high: int | None = None, *, optional: bool = False) -> Option:
    return Option("int", low, high, optional=optional)


def number(low: float | None = None, high: float | None = None, *, low_open: bool = False,
           high_open: bool = False, optional: bool = False) -> Option:
    return Option("number", low, high, low_open, high_open, optional=optional)


def choice(*choices: str, optional: bool = False) -> Option:
    return Option("choice", choices=tuple(choices), optional=optional)


def names(*choices: str) -> Option:
    return Option("names", choices=tuple(choices))


def flag() -> Option:
    return Option("bool")


def seed() -> Option:
    """A random seed: NumPy's generators take integers ≥ 0."""
    return integer(0)


def device() -> Option:
    return Option("device", optional=True)


def _got(value: Any) -> str:
    return f"{value!r} ({type(value).__name__})" if isinstance(value, (str, bool)) else repr(value)


def check_value(value: Any, name: str, spec: Option, where: str = "") -> Any:
    """Return ``value`` if ``spec`` accepts it, else raise naming ``name`` (and ``where``)."""
    prefix = f"{where}: " if where else ""
    if value is None and spec.optional or spec.kind == "any":
        return value

    def fail(*_):  # one error class, both a ValueError and a TypeError (the message says which)
        raise OptionError(f"{prefix}`{name}` must be {spec.describe()}, got {_got(value)}")

    if spec.kind in ("int", "number"):
        if isinstance(value, (bool, np.bool_)):
            fail(TypeError)
        if spec.kind == "int" and not isinstance(value, (int, np.integer)):
            fail(TypeError)
        if not isinstance(value, (int, float, np.integer, np.floating)):
            fail(TypeError)
        x = float(value)
        if not math.isfinite(x):
            fail()
        if spec.low is not None and (x < spec.low or spec.low_open and x == spec.low):
            fail()
        if spec.high is not None and (x > spec.high or spec.high_open and x == spec.high):
            fail()
        return value
    if spec.kind == "bool":
        if not isinstance(value, (bool, np.bool_)):
            fail(TypeError)
        return value
    if spec.kind == "device":
        if not (isinstance(value, str) or type(value).__name__ == "device"):
            fail(TypeError)
        return value
    if spec.kind == "names":
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, (list, tuple)):
            fail(TypeError)
        if not items:
            raise OptionError(f"{prefix}`{name}` is empty; give at least one of {list(spec.choices)}")
        for item in items:
            try:
                check_choice(item, name, spec.choices)
            except ValueError as exc:
                raise OptionError(f"{prefix}{exc}") from None
        return value
    if spec.kind == "choice":
        try:
            return check_choice(value, name, spec.choices)
        except ValueError as exc:
            raise OptionError(f"{prefix}{exc}") from None
    raise AssertionError(spec.kind)


def check_values(values: Mapping[str, Any], specs: Mapping[str, Option], where: str = "") -> None:
    """Check every value of ``values`` that ``specs`` declares (the others pass unchecked)."""
    for key, value in values.items():
        spec = specs.get(key)
        if spec is not None:
            check_value(value, key, spec, where)
