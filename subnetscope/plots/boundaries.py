"""Each layer's distance to its predecessor (the paper's Fig. 7) with change points marked."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._common import pyplot as _pyplot


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
    plt = _pyplot()
    L = len(changes.names)
    if ax is None:
        _, ax = plt.subplots(figsize=(min(14.0, 4.0 + 0.1 * L), 3.5))
    x = np.arange(L)
    ax.plot(x[1:], changes.steps[1:], marker="o", ms=3, lw=1.2, color="tab:blue", label="distance to previous layer")
    from ._common import check_boundaries
    from .heatmap import boundaries_of

    for k, b in enumerate(check_boundaries(boundaries_of(boundaries), L)):
        ax.axvline(b - 0.5, color="0.35", ls=":", lw=1.2, gid="subnetscope-boundary",
                   label="sub-network boundary" if k == 0 else None)
    if changes.change_points:
        cp = np.asarray(changes.change_points)
        ax.scatter(cp, changes.steps[cp], color="tab:red", zorder=3, s=30, label="change point")
        for i in cp:
            ax.axvline(i, color="tab:red", lw=0.8, ls="--", alpha=0.6)
    step = max(1, int(np.ceil(L / max_labels)))
    ticks = x[::step]
    ax.set_xticks(ticks)
    ax.set_xticklabels([changes.names[i] for i in ticks], rotation=90, fontsize=8 if L <= 40 else 6)
    ax.set_xlim(-0.5, L - 0.5)
    ax.set_ylabel(f"{changes.measure} to previous layer")
    ax.set_title(title or "Distance of each layer to the previous one")
    ax.legend(fontsize=8, loc="best")
    return ax
