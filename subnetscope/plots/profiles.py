"""Distance of each layer to the previous one, for several measures (paper Fig. 7)."""

from __future__ import annotations

from typing import Any, Literal, Mapping, Sequence

import numpy as np

from .._validation import check_choice
from ._common import check_boundaries, label_layers, pyplot

__all__ = ["distance_to_previous", "plot_distance_to_previous"]


def distance_to_previous(distances) -> np.ndarray:
    """``d[i] = matrix[i, i - 1]`` for layers 1..L-1.

    Parameters
    ----------
    distances : LayerDistances

    Returns
    -------
    d : array of shape (L - 1,)
        ``d[k]`` is the distance from layer ``k + 1`` to layer ``k``.
    """
    M = distances.matrix
    if M.shape[0] < 2:
        raise ValueError(f"distance to the previous layer needs at least 2 layers, got {M.shape[0]}")
    return np.diag(M, k=-1).copy()


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
    from .heatmap import boundaries_of

    bounds = check_boundaries(boundaries_of(boundaries), len(names))
    plt = pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(min(14.0, 4.0 + 0.1 * len(names)), 3.6))
    x = np.arange(1, len(names))
    for label, d in items:
        y = distance_to_previous(d)
        if scale == "max" and np.max(np.abs(y)) > 0:
            y = y / np.max(np.abs(y))
        ax.plot(x, y, marker="o", ms=3, lw=1.4, label=str(label))
    for b in bounds:
        ax.axvline(b, color="0.3", ls="--", lw=1.0, gid="subnetscope-boundary")
    ax.set_xlim(-0.5, len(names) - 0.5)
    label_layers(ax, names, "x", max_labels)
    ax.set_ylabel("distance to previous layer" + (" (÷ max)" if scale == "max" else ""))
    ax.grid(alpha=0.3)
    if len(items) > 1 or title is None:
        ax.legend(fontsize=8, loc="best")
    ax.set_title(title if title is not None else "distance to the previous layer", fontsize=10)
    return ax
