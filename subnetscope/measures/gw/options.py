"""What each option of the ``gw`` measure and of :func:`gromov_wasserstein` accepts.

The registry entry carries these (see subnetscope._options); they are checked once, at the
boundary, here.
"""

from __future__ import annotations

from typing import Literal

from ... import _options as opt
from ..geometry import OPTIONS as GEOMETRY_OPTIONS

__all__ = ["ASSIGNMENT_SOLVERS", "Assignment", "OPTIONS", "START_NAMES", "StartName", "check_screen_tol"]

StartName = Literal["identity", "product", "tlb"]
Assignment = Literal["auto", "sap", "lap", "emd"]
START_NAMES = ("identity", "product", "tlb")
ASSIGNMENT_SOLVERS = ("auto", "sap", "lap", "emd")

#: What each option of ``gw`` (and of :func:`gromov_wasserstein`, :func:`intra_distances`)
#: accepts; the registry entry carries these (see subnetscope._options).
OPTIONS = {
    **GEOMETRY_OPTIONS,
    "starts": opt.names(*START_NAMES),
    "max_iter": opt.integer(1),
    "tol": opt.number(0),
    "check_input": opt.flag(),
    "device": opt.device(),
    "assignment": opt.choice(*ASSIGNMENT_SOLVERS),
    "screen_tol": opt.number(0, 1, high_open=True),
    "threads": opt.integer(1),
}


def check_screen_tol(screen_tol) -> float:
    """``screen_tol`` as a float in [0, 1), or the option's error."""
    opt.check_value(screen_tol, "screen_tol", OPTIONS["screen_tol"])
    return float(screen_tol)
