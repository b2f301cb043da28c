"""Figures. Every function takes ``ax=None`` and returns the Axes; matplotlib loads lazily."""

from .boundaries import plot_layer_changes
from .heatmap import plot_distances, save_figure

__all__ = ["plot_distances", "plot_layer_changes", "save_figure"]
