"""Readings of the machine that studies record beside their timings."""

from __future__ import annotations

import os
import resource


def load_average() -> list[float] | None:
    """The 1, 5 and 15-minute load averages, rounded to 2 decimals (None where unavailable)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def peak_rss_mb() -> float:
    """The process's peak resident memory so far, in MiB (``ru_maxrss``; Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
