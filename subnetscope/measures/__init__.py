"""Layer-comparison measures: Gromov-Wasserstein and the paper's baselines, in one registry."""

from .gw import GWResult, gromov_wasserstein, intra_distances
from .registry import Measure, get_measure, list_measures, measure_table, register_measure

__all__ = [
    "GWResult",
    "Measure",
    "get_measure",
    "gromov_wasserstein",
    "intra_distances",
    "list_measures",
    "measure_table",
    "register_measure",
]
