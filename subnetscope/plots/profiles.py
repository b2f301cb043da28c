"""Each layer's distance to the previous one (paper Fig. 7): one measure with its change points
(:func:`plot_layer_changes`) or several measures on one axis (:func:`plot_distance_to_previous`).

Both draw the same way: the step into layer i at x = i, sub-network boundaries (the first layer
of a new group) as dashed lines at x = b, layer names on the x axis. The values come from
:func:`subnetscope.analysis.distance_to_previous` (the one place they are computed; re-exported here).
"""

from __future__ import annotations

from typing import Any, Literal, Mapping, Sequence

import numpy as np

from .._validation import check_choice
from ..analysis.boundaries import distance_to_previous
from ._common import check_boundaries, label_layers, pyplot

__all__ = ["distance_to_previous", "plot_distance_to_previous", "plot_layer_changes"]


def _profile_axes(ax, names: Sequence[str], boundaries: Any, height: float = 3.6):
    """The axes every distance-to-previous figure draws on, and the boundaries checked."""
    from .heatmap import boundaries_of

    bounds = check_boundaries(boundaries_of(boundaries), len(names))
    if ax is None:
        _, ax = pyplot().subplots(figsize=(min(14.0, 4.0 + 0.1 * len(names)), height))
    return ax, bounds


def _finish_profile(ax, names: Sequence[str], bounds: Sequence[int], max_labels: int,
                    legend: str | None = None) -> None:
    """After the curves: a dashed line at each sub-network boundary (gid ``subnetscope-boundary``),
    x = layer index with the names as ticks."""
    for k, b in enumerate(bounds):
        ax.axvline(b, color="0.3", ls="--", lw=1.0, gid="subnetscope-boundary",
                   label=legend if k == 0 else None)
    ax.set_xlim(-0.5, len(names) - 0.5)
    label_layers(ax, names, "x", max_labels)


def plot_layer_changes(changes: Any, ax=None, *, title: str | None = None, max_labels: int = 40,
                       boundaries: Any = ()):
    """Line plot of ``steps[i] = D[i-1, i]`` against the layers; change points in red.

    ``changes`` is a :class:`~subnetscope.analysis.LayerChanges` or a ``LayerDistances``
    (then :func:`~subnetscope.analysis.layer_changes` runs with its defaults). ``boundaries``
    (indices, a ``Subnetworks`` or its record) are drawn as grey dashed lines: where the
    sub-networks found start. Returns the Axes.
    """
    if hasattr(changes, "matrix"):
        from ..analysis.boundaries import layer_changes

        changes = layer_changes(changes)
    x = np.arange(len(changes.names))
    ax, bounds = _profile_axes(ax, changes.names, boundaries, height=3.5)
    ax.plot(x[1:], changes.steps[1:], marker="o", ms=3, lw=1.2, color="tab:blue", label="distance to previous layer")
    _finish_profile(ax, changes.names, bounds, max_labels, legend="sub-network boundary")
    if changes.change_points:
        cp = np.asarray(changes.change_points)
        ax.scatter(cp, changes.steps[cp], color="tab:red", zorder=3, s=30, label="change point")
        for i in cp:
            ax.axvline(i, color="tab:red", lw=0.8, ls=":", alpha=0.6)
    ax.set_ylabel(f"{changes.measure} to previous layer")
    ax.set_title(title or "Distance of each layer to the previous one")
    ax.legend(fontsize=8, loc="best")
    return ax


def plot_distance_to_previous(distances: Mapping[str, Any] | Sequence, ax=None, *,
                              scale: Literal["max", "none"] = "max",
                              boundaries: Sequence[int] = (), max_labels: int = 40,
                              title: str | None = None):
    """One line per measure: the distance from each layer to the previous one.

    Parameters
    ----------
    distances : mapping label -> LayerDistances, or sequence of LayerDistances
        Every entry must list the same layers in the same order.
    scale : {"max", "none"}
        ``max`` divides each measure's curve by its own largest value so measures with
        different units share one axis (peaks stay where they are); ``none`` plots raw values.
    boundaries : sequence of int, Subnetworks or sub-network record
        Group boundaries (first layer of a new group), drawn as dashed vertical lines.

    Returns
    -------
    ax : matplotlib Axes
        One line per measure, labelled with its key; ``line.get_xdata()`` are layer indices 1..L-1.
    """
    check_choice(scale, "scale", ("max", "none"))
    if not isinstance(distances, Mapping):
        distances = {d.measure: d for d in distances}
    if not distances:
        raise ValueError("`distances` must hold at least one LayerDistances, got none")
    items = list(distances.items())
    names = items[0][1].names
    for label, d in items[1:]:
        if tuple(d.names) != tuple(names):
            raise ValueError(
                f"`distances[{label!r}]` lists layers {list(d.names)[:4]}... but "
                f"`distances[{items[0][0]!r}]` lists {list(names)[:4]}...; every measure must "
                "compare the same layers in the same order"
            )
    ax, bounds = _profile_axes(ax, names, boundaries)
    x = np.arange(1, len(names))
    for label, d in items:
        y = distance_to_previous(d)
        if scale == "max" and np.max(np.abs(y)) > 0:
            y = y / np.max(np.abs(y))
        ax.plot(x, y, marker="o", ms=3, lw=1.4, label=str(label))
    _finish_profile(ax, names, bounds, max_labels)
    ax.set_ylabel("distance to previous layer" + (" (÷ max)" if scale == "max" else ""))
    ax.grid(alpha=0.3)
    if len(items) > 1 or title is None:
        ax.legend(fontsize=8, loc="best")
    ax.set_title(title if title is not None else "distance to the previous layer", fontsize=10)
    return ax
