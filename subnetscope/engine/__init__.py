"""All-pairs scheduling: per-layer preparation once, then every pair of layers."""

from .layer_distances import LayerDistances
from .pairwise import distance, pairwise

__all__ = ["LayerDistances", "distance", "pairwise"]
