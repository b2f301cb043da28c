"""Layer-comparison measures: Gromov-Wasserstein and the paper's baselines, in one registry.

Each family module registers its own entries; :mod:`.builtin` imports them in the registry's
order.
"""

from .geometry import intra_distances
from .gw import GWResult, gromov_wasserstein
from .registry import Measure, PairResult, get_measure, list_measures, measure_table, register_measure
from . import builtin  # noqa: E402,F401  (registers the built-in measures, in order)

__all__ = [
    "GWResult",
    "Measure",
    "PairResult",
    "get_measure",
    "gromov_wasserstein",
    "intra_distances",
    "list_measures",
    "measure_table",
    "register_measure",
]
