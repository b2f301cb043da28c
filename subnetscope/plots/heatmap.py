"""Layer × layer heatmaps: one measure, several side by side, and two models crossed."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from ._common import check_boundaries, draw_boundaries, label_layers, pyplot

__all__ = ["plot_distances", "plot_distances_grid", "plot_cross_distances", "save_figure",
           "boundaries_of"]


def boundaries_of(subnetworks: Mapping[str, Any] | Sequence[int] | None) -> list[int]:
    """Group boundaries from a :class:`~subnetscope.Subnetworks`, its ``to_dict()`` record or a plain list."""
    if subnetworks is None:
        return []
    if hasattr(subnetworks, "boundaries") and hasattr(subnetworks, "labels"):  # a Subnetworks
        return [int(b) for b in subnetworks.boundaries]
    if isinstance(subnetworks, Mapping):
        if "boundaries" not in subnetworks:
            raise KeyError(f"sub-network record has no 'boundaries' entry; keys: {sorted(subnetworks)}")
        return [int(b) for b in subnetworks["boundaries"]]
    return [int(b) for b in subnetworks]


def plot_distances(distances, ax=None, boundaries: Sequence[int] | Mapping = (), title: str | None = None,
                   *, cmap: str = "viridis", max_labels: int = 40, colorbar: bool = True):
    """Heatmap of a :class:`LayerDistances`; dark = similar, bright = different.

    Parameters
    ----------
    distances : LayerDistances
        L × L matrix with layer names.
    ax : matplotlib Axes, optional
        Where to draw; a new figure sized for L layers when None.
    boundaries : sequence of int, Subnetworks or sub-network record
        Index ``b`` of the first layer of each new group; a white line is drawn between
        layers ``b - 1`` and ``b`` on both axes. A ``Subnetworks`` (``find_subnetworks(d)``) or
        its ``to_dict()`` record works too.
    title : str, optional
        Defaults to "<measure> between layers (n = ...)".
    max_labels : int
        At most this many layer names per axis (every k-th is shown for 100+ layers).

    Returns
    -------
    ax : matplotlib Axes
    """
    if getattr(distances, "columns", None) is not None:  # two models (cross_pairwise): rows ≠ columns
        if boundaries_of(boundaries):
            raise ValueError("`boundaries` apply to one model's square matrix; this one compares two models")
        return plot_cross_distances(distances, ax=ax, title=title, cmap=cmap, max_labels=max_labels)
    plt = pyplot()
    L = len(distances)
    bounds = check_boundaries(boundaries_of(boundaries), L)
    if ax is None:
        size = min(12.0, 3.5 + 0.08 * L)
        _, ax = plt.subplots(figsize=(size + 1.2, size))
    image = ax.imshow(distances.matrix, cmap=cmap, interpolation="nearest")
    if colorbar:
        ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label=f"{distances.measure} distance")
    label_layers(ax, distances.names, "both", max_labels)
    draw_boundaries(ax, bounds)
    n = f" (n = {distances.n_samples})" if distances.n_samples else ""
    ax.set_title(title if title is not None else f"{distances.measure} between layers{n}", fontsize=10)
    return ax


def plot_distances_grid(distances: Sequence | Mapping[str, Any], boundaries: Sequence[int] | Mapping = (),
                        *, fig=None, ncols: int | None = None, titles: Sequence[str] | None = None,
                        cmap: str = "viridis", max_labels: int = 30):
    """Several measures' heatmaps side by side, each with its own colour scale (paper Fig. 8, 12).

    Parameters
    ----------
    distances : sequence of LayerDistances, or mapping label -> LayerDistances
        One panel each, in order.
    boundaries : sequence of int, sub-network record, or mapping label -> either
        The same boundaries on every panel, or one entry per label (missing labels: none).
    fig : matplotlib Figure, optional
        Drawn into (its existing axes are cleared); a new figure when None.
    ncols : int, optional
        Panels per row (default: all in one row up to 4, then rows of 4).

    Returns
    -------
    fig : matplotlib Figure
        ``fig.axes`` holds the heatmap Axes first (in panel order), then the colour bars.
    """
    plt = pyplot()
    if isinstance(distances, Mapping):
        labels, panels = list(distances), list(distances.values())
    else:
        panels = list(distances)
        labels = [d.measure for d in panels]
    if not panels:
        raise ValueError("`distances` must hold at least one LayerDistances, got none")
    if titles is not None and len(titles) != len(panels):
        raise ValueError(f"`titles` has {len(titles)} entries for {len(panels)} panels")
    per_panel = isinstance(boundaries, Mapping) and "boundaries" not in boundaries and not hasattr(boundaries, "labels")
    ncols = ncols or min(4, len(panels))
    if ncols < 1:
        raise ValueError(f"`ncols` must be at least 1, got {ncols}")
    nrows = int(np.ceil(len(panels) / ncols))
    size = min(7.0, 3.0 + 0.05 * max(len(p) for p in panels))
    if fig is None:
        fig = plt.figure(figsize=(ncols * (size + 1.0), nrows * size))
    else:
        fig.clf()
    axes = [fig.add_subplot(nrows, ncols, k + 1) for k in range(len(panels))]
    for k, (ax, label, panel) in enumerate(zip(axes, labels, panels)):
        bounds = boundaries.get(label, ()) if per_panel else boundaries
        title = titles[k] if titles is not None else label
        plot_distances(panel, ax=ax, boundaries=bounds, title=title, cmap=cmap, max_labels=max_labels)
    fig.tight_layout()
    return fig


def plot_cross_distances(matrix, row_names: Sequence[str] | None = None, col_names: Sequence[str] | None = None,
                         ax=None, *, row_label: str = "model A", col_label: str = "model B", measure: str = "gw",
                         title: str | None = None, cmap: str = "viridis", max_labels: int = 40,
                         nearest: bool = False):
    """Rectangular heatmap between the layers of two models (paper Fig. 14).

    Parameters
    ----------
    matrix : LayerDistances from :func:`subnetscope.cross_pairwise`, or array of shape (L_a, L_b)
        ``matrix[i, j]`` compares layer ``row_names[i]`` of one model with ``col_names[j]`` of the other.
        A LayerDistances brings its own names and measure.
    row_names, col_names : sequence of str of length L_a, L_b
        Needed with an array.
    nearest : bool
        Mark each row's nearest column (which layer of B is most like this layer of A) with a dot.

    Returns
    -------
    ax : matplotlib Axes
    """
    plt = pyplot()
    if hasattr(matrix, "matrix") and hasattr(matrix, "names"):
        if row_names is not None or col_names is not None:
            raise ValueError("give `row_names`/`col_names` only with an array; a LayerDistances has its own")
        measure = matrix.measure
        row_names, col_names = matrix.names, getattr(matrix, "columns", None) or matrix.names
        matrix = matrix.matrix
    if row_names is None or col_names is None:
        raise ValueError("`row_names` and `col_names` are needed when `matrix` is an array")
    M = np.asarray(matrix, dtype=np.float64)
    if M.ndim != 2:
        raise ValueError(f"`matrix` must be 2-D (layers of model A × layers of model B), got shape {M.shape}")
    if M.shape != (len(row_names), len(col_names)):
        raise ValueError(
            f"`matrix` has shape {M.shape} but there are {len(row_names)} row names and "
            f"{len(col_names)} column names"
        )
    if not np.all(np.isfinite(M)):
        raise ValueError("`matrix` contains NaN or Inf")
    if ax is None:
        h = min(10.0, 3.5 + 0.08 * M.shape[0])
        w = min(12.0, 3.5 + 0.08 * M.shape[1])
        _, ax = plt.subplots(figsize=(w + 1.2, h))
    image = ax.imshow(M, cmap=cmap, interpolation="nearest", aspect="auto")
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label=f"{measure} distance")
    label_layers(ax, list(col_names), "x", max_labels)
    label_layers(ax, list(row_names), "y", max_labels)
    if nearest:
        rows = np.arange(M.shape[0])
        ax.scatter(M.argmin(axis=1), rows, s=14, c="white", edgecolors="black", linewidths=0.5,
                   label=f"nearest {col_label} layer")
        ax.legend(fontsize=7, loc="upper right", framealpha=0.8)
    ax.set_xlabel(col_label)
    ax.set_ylabel(row_label)
    ax.set_title(title if title is not None else f"{measure}: {row_label} vs {col_label}", fontsize=10)
    return ax


def save_figure(figure, path: str | Path, dpi: int = 150) -> Path:
    """Save ``figure`` atomically (format from the suffix, PNG when none) and close it."""
    from .._io import atomic_path

    path = Path(path)
    with atomic_path(path, suffix=path.suffix) as tmp:
        figure.savefig(tmp, dpi=dpi, bbox_inches="tight", format=path.suffix.lstrip(".") or "png")
    pyplot().close(figure)
    return path
