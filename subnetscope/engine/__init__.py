"""All-pairs scheduling: per-layer preparation once, then every pair of layers."""

from .cross import cross_pairwise
from .layer_distances import LayerDistances
from .pairwise import distance, pairwise

__all__ = ["LayerDistances", "cross_pairwise", "distance", "pairwise"]
