"""Progress for long steps: a tqdm bar on a terminal, plain lines in a script or a log file.

``progress(total, desc, unit, enabled)`` gives an object with ``update(k)`` and ``close()``.
``enabled`` is True, False or "auto". On a terminal (stderr is a tty) a tqdm bar is drawn;
otherwise (a script whose stderr goes to a file or a pipe, a notebook cell's captured stream)
plain lines are printed instead of a bar, so a log shows the run is alive without
carriage-return clutter: with True one at the start, then at most one every ``every`` seconds,
and one at the end; with "auto" the same, but only once the step has run ``every`` seconds
(a long run in a script is never silent, many short calls do not flood the log).
"""

from __future__ import annotations

import sys
import time

__all__ = ["check_progress", "progress", "should_report"]

EVERY = 10.0  # seconds between two plain progress lines


def check_progress(value: object, name: str = "progress") -> bool | str:
    """``value`` itself when it is True, False or "auto"; anything else is refused."""
    if not isinstance(value, (bool, str)) or value not in (True, False, "auto"):
        raise ValueError(f"`{name}` must be True, False or 'auto', got {value!r}")
    return value


def should_report(enabled: bool | str, seconds: float) -> bool:
    """Whether a closing summary line is due: always with True, with "auto" on a terminal or
    after a step of at least ``EVERY`` seconds."""
    return enabled is True or (enabled == "auto" and (sys.stderr.isatty() or seconds >= EVERY))


class _Quiet:
    def update(self, k: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


class _Lines:
    """One line per ``every`` seconds to stderr: ``desc: done/total (pct%) elapsed``."""

    def __init__(self, total: int, desc: str, unit: str, initial: int, every: float, now: bool):
        self.total, self.desc, self.unit, self.done, self.every = total, desc, unit, initial, every
        self.t0 = self.last = time.perf_counter()
        self.shown = now
        if now:
            self._print()

    def _print(self) -> None:
        pct = 100.0 * self.done / self.total if self.total else 100.0
        elapsed = time.perf_counter() - self.t0
        print(f"{self.desc}: {self.done}/{self.total} {self.unit}s ({pct:.0f}%) {elapsed:.1f} s",
              file=sys.stderr, flush=True)

    def update(self, k: int = 1) -> None:
        self.done += k
        now = time.perf_counter()
        if now - self.last >= self.every and self.done < self.total:
            self.last, self.shown = now, True
            self._print()

    def close(self) -> None:
        if self.total is not None and self.shown:
            self._print()
        self.total = None  # a second close prints nothing


def progress(total: int, desc: str, unit: str, enabled: bool | str = "auto", initial: int = 0,
             every: float = EVERY):
    """A progress reporter for ``total`` steps (see the module docstring)."""
    if check_progress(enabled) is False or not total:
        return _Quiet()
    if sys.stderr.isatty():
        from tqdm.auto import tqdm

        return tqdm(total=total, initial=initial, desc=desc, unit=unit, dynamic_ncols=True)
    return _Lines(total, desc, unit, initial, every, now=enabled is True)
