"""Each layer's distance to its predecessor with change points: drawn by
:func:`subnetscope.plots.profiles.plot_layer_changes` (kept importable from here)."""

from __future__ import annotations

from .profiles import plot_layer_changes

__all__ = ["plot_layer_changes"]
