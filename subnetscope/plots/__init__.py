"""Figures. Every function takes ``ax=None`` and returns the Axes; matplotlib loads lazily."""

from .heatmap import plot_distances, save_figure

__all__ = ["plot_distances", "save_figure"]
