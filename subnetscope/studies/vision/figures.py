"""Figures of the vision study (matplotlib is imported inside the functions)."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np


def plot_all_pairs(matrices: Mapping[str, object], *, title: str = "", boundaries: Mapping[str, Sequence[int]] = {}):
    """Fig. 18 analogue: one heatmap per model (``{"random": LayerDistances, "trained": ...}``)."""
    from ...plots._common import pyplot as _pyplot
    from ...plots.heatmap import plot_distances

    plt = _pyplot()
    fig, axes = plt.subplots(1, len(matrices), figsize=(7.6 * len(matrices), 6.6), squeeze=False,
                             layout="constrained")
    for ax, (model, d) in zip(axes[0], matrices.items()):
        plot_distances(d, ax=ax, boundaries=boundaries.get(model, ()),
                       title=f"{model}: {d.measure} (n = {d.n_samples})")
    if title:
        fig.suptitle(title)
    return fig


def plot_boundaries(changes: Mapping[str, Mapping[str, object]], example: Mapping[str, np.ndarray], *,
                    title: str = ""):
    """Fig. 7 analogue: each layer's distance to its predecessor, beside one input's feature maps.

    ``changes[model][measure]`` is a LayerDistances; the curves are the library's
    :func:`subnetscope.plots.plot_distance_to_previous` (values from
    :func:`subnetscope.analysis.distance_to_previous`), each measure scaled to a maximum of 1 so
    that measures of different ranges share an axis. ``example[layer]`` is one input's output at
    that layer; maps show the mean over channels.
    """
    from ...plots._common import pyplot as _pyplot
    from ...plots import plot_distance_to_previous

    plt = _pyplot()
    fig = plt.figure(figsize=(18, 10))
    grid = fig.add_gridspec(len(changes), 2, width_ratios=[1.25, 1], hspace=0.55)
    names = list(example)
    for row, (model, per_measure) in enumerate(changes.items()):
        plot_distance_to_previous(per_measure, ax=fig.add_subplot(grid[row, 0]), scale="max",
                                  title=f"{model} network")
    cols = 7
    rows = int(np.ceil(len(names) / cols))
    sub = grid[:, 1].subgridspec(rows, cols)
    for i, name in enumerate(names):
        ax = fig.add_subplot(sub[i // cols, i % cols])
        out = np.asarray(example[name])
        image = out.mean(axis=0) if out.ndim == 3 and out[0].size > 1 else out.reshape(1, -1)
        ax.imshow(image, cmap="magma", aspect="auto" if image.shape[0] == 1 else "equal", interpolation="nearest")
        ax.set_title(name, fontsize=7)
        ax.set_xticks([])
        ax.set_yticks([])
    if title:
        fig.suptitle(title)
    return fig
