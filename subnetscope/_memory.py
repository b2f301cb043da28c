"""A memory guard: estimate what a step will allocate and refuse it, with the fix, rather than
be killed by the operating system half-way through.

The budget is, in order: the ``max_memory`` argument of the call, the environment variable
``SUBNETSCOPE_MAX_MEMORY``, or the memory the system reports as available right now
(``MemAvailable`` in /proc/meminfo on Linux; no guard where it cannot be read). Sizes may be
given as bytes or with a unit: ``"16GB"``, ``"512M"``, ``"2.5GiB"``. ``"off"`` (or ``0``)
disables the guard.
"""

from __future__ import annotations

import contextvars
import os
import re
from contextlib import contextmanager
from typing import Any, Iterator

import numpy as np

__all__ = ["MemoryBudgetError", "ENV_VAR", "memory_budget", "memory_limit", "check_memory", "format_bytes",
           "nbytes"]

ENV_VAR = "SUBNETSCOPE_MAX_MEMORY"
_LIMIT: contextvars.ContextVar[Any] = contextvars.ContextVar("subnetscope_max_memory", default=None)

_UNITS = {"": 1, "b": 1, "k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9, "t": 1e12, "tb": 1e12,
          "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


class MemoryBudgetError(ValueError, MemoryError):
    """A step would need more memory than the budget allows (nothing was allocated)."""


def _parse(value: Any, name: str) -> int | None:
    """Bytes from ``value`` (int, float or a string with a unit); None for 'off'."""
    if isinstance(value, bool):
        raise TypeError(f"`{name}` must be a size such as 8e9 or '16GB' (or 'off'), got {value!r}")
    if isinstance(value, (int, float, np.integer, np.floating)):
        if value != value or value < 0:  # NaN, negative
            raise ValueError(f"`{name}` must be a size ≥ 0 (0, inf or 'off': no limit), got {value!r}")
        return None if value == 0 or value == float("inf") else int(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("off", "none", "0", "inf", "unlimited"):
            return None
        match = re.fullmatch(r"([0-9]*\.?[0-9]+(?:e[0-9]+)?)\s*([a-z]*)", text)
        if match and match.group(2) in _UNITS:
            return int(float(match.group(1)) * _UNITS[match.group(2)])
    raise ValueError(f"`{name}` must be a size such as 8e9, '16GB', '512MiB' or 'off', got {value!r}")


def available_bytes() -> int | None:
    """Memory the system can give this process now (Linux MemAvailable), or None if unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


@contextmanager
def memory_limit(max_memory: Any) -> Iterator[None]:
    """Within the block, checks use ``max_memory`` (as a ``max_memory=`` argument) unless None."""
    if max_memory is not None:
        _parse(max_memory, "max_memory")  # refuse a bad value at once
    token = _LIMIT.set(max_memory)
    try:
        yield
    finally:
        _LIMIT.reset(token)


def memory_budget(max_memory: Any = None) -> tuple[int | None, str]:
    """(bytes allowed or None for no limit, where that number comes from)."""
    if max_memory is None:
        max_memory = _LIMIT.get()
    if max_memory is not None:
        return _parse(max_memory, "max_memory"), "max_memory="
    env = os.environ.get(ENV_VAR)
    if env:
        return _parse(env, ENV_VAR), f"${ENV_VAR}"
    return available_bytes(), "the memory available now"


def format_bytes(n: float) -> str:
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{int(n)} B"


def nbytes(obj: Any) -> int:
    """Bytes held by the arrays in ``obj`` (arrays, tensors, and lists/tuples/dicts of them)."""
    if hasattr(obj, "nbytes") and isinstance(getattr(obj, "nbytes"), int):
        return int(obj.nbytes)
    if hasattr(obj, "element_size") and hasattr(obj, "nelement"):  # torch tensor
        return int(obj.element_size() * obj.nelement())
    if isinstance(obj, (list, tuple)):
        return sum(nbytes(x) for x in obj)
    if isinstance(obj, dict):
        return sum(nbytes(x) for x in obj.values())
    return 0


def check_memory(needed: float, what: str, fixes: str, max_memory: Any = None, *, held: float = 0) -> None:
    """Raise :class:`MemoryBudgetError` when ``needed`` more bytes exceed the budget.

    ``held``: bytes this step already holds; they count against an explicit budget
    (``max_memory=``, the environment variable) but not against the memory available now,
    which already excludes them. ``what`` says what would be allocated (with its shape
    arithmetic); ``fixes`` the options that lower it. The message always ends with how to
    raise or lift the budget.
    """
    budget, source = memory_budget(max_memory)
    if budget is None:
        return
    if source != "the memory available now":
        needed = needed + held
    if needed <= budget:
        return
    raise MemoryBudgetError(
        f"{what} needs about {format_bytes(needed)}, more than the {format_bytes(budget)} allowed by "
        f"{source}; {fixes}. To go ahead anyway, raise the limit with max_memory= (CLI: --max-memory) "
        f"or the environment variable {ENV_VAR} (e.g. '64GB', or 'off')"
    )
