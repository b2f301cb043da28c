"""Histograms of intra-layer pairwise distances per layer with the KL divergence to the previous
layer (paper Fig. 2, 11). Computed in :mod:`subnetscope.analysis.histograms` (re-exported here)."""

from __future__ import annotations

from typing import Mapping

import numpy as np

from ..analysis.histograms import IntraHistograms, intra_histograms, kl_divergence

__all__ = ["IntraHistograms", "intra_histograms", "kl_divergence", "plot_intra_histograms"]


def plot_intra_histograms(histograms: IntraHistograms | Mapping[str, np.ndarray], fig=None, *,
                          ncols: int = 6, color: str = "tab:blue"):
    """One small histogram per layer, titled with its KL divergence from the previous layer.

    Parameters
    ----------
    histograms : IntraHistograms, or mapping layer name -> array
        Arrays are passed to :func:`intra_histograms` with its defaults.
    fig : matplotlib Figure, optional

    Returns
    -------
    fig : matplotlib Figure
        ``fig.axes[k]`` is layer k's histogram; its title is the layer name and, from the
        second layer on, ``KL = ...`` to the previous layer.
    """
    from ._common import grid_figure

    if not isinstance(histograms, IntraHistograms):
        histograms = intra_histograms(histograms)
    L = len(histograms.names)
    fig, nrows, ncols = grid_figure(L, ncols, (2.3, 1.9), fig)
    edges = histograms.edges
    width = np.diff(edges)
    ymax = float(histograms.probabilities.max())
    for k, name in enumerate(histograms.names):
        ax = fig.add_subplot(nrows, ncols, k + 1)
        ax.bar(edges[:-1], histograms.probabilities[k], width=width, align="edge", color=color, lw=0)
        ax.set_ylim(0, ymax * 1.05)
        title = name if k == 0 else f"{name}\nKL = {histograms.kl[k - 1]:.3f}"
        ax.set_title(title, fontsize=7)
        ax.tick_params(labelsize=6)
        if k % ncols:
            ax.set_yticklabels([])
    fig.suptitle("pairwise distances between samples, per layer (KL to previous layer)", fontsize=9)
    fig.tight_layout()
    return fig
