"""t-SNE scatter of the samples per layer (paper Fig. 9). The embeddings and the neighbour
overlap are computed in :mod:`subnetscope.analysis.neighbours` (re-exported here)."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from .._validation import check_same_samples
from ..analysis.neighbours import NeighbourOverlap, neighbour_overlap, top_neighbours, tsne_embeddings

__all__ = ["tsne_embeddings", "top_neighbours", "NeighbourOverlap", "neighbour_overlap", "plot_tsne"]


def plot_tsne(embeddings: Mapping[str, np.ndarray], fig=None, *, labels=None,
              highlight: Sequence[int] = (), ncols: int = 6):
    """Scatter of every layer's 2-D embedding, one panel per layer.

    Parameters
    ----------
    embeddings : mapping layer name -> array of shape (n_samples, 2)
    labels : array of shape (n_samples,), optional
        Colours the points (e.g. the class of each input).
    highlight : sequence of int
        Samples drawn larger with a black edge in every panel, to follow them across layers.

    Returns
    -------
    fig : matplotlib Figure
        ``fig.axes[k]`` is layer k's scatter, titled with its name.
    """
    from ._common import grid_figure

    if not isinstance(embeddings, Mapping) or not embeddings:
        raise ValueError("`embeddings` must map layer names to arrays, got an empty or non-mapping value")
    n = check_same_samples({k: np.shape(v) for k, v in embeddings.items()}, "embeddings")
    for name, X in embeddings.items():
        if np.ndim(X) != 2 or np.shape(X)[1] != 2:
            raise ValueError(f"`embeddings[{name!r}]` must have shape (n_samples, 2), got {np.shape(X)}")
    if labels is not None and len(labels) != n:
        raise ValueError(f"`labels` has {len(labels)} entries for {n} samples")
    highlight = [int(h) for h in highlight]
    if any(not 0 <= h < n for h in highlight):
        raise ValueError(f"`highlight` must hold row indices in 0..{n - 1}, got {highlight}")
    L = len(embeddings)
    fig, nrows, ncols = grid_figure(L, ncols, (2.2, 2.2), fig)
    for k, (name, X) in enumerate(embeddings.items()):
        X = np.asarray(X)
        ax = fig.add_subplot(nrows, ncols, k + 1)
        ax.scatter(X[:, 0], X[:, 1], c=labels if labels is not None else "tab:blue", s=6,
                   cmap="tab10" if labels is not None else None, lw=0)
        if highlight:
            ax.scatter(X[highlight, 0], X[highlight, 1], s=30, facecolors="none", edgecolors="black", lw=1.0)
        ax.set_title(name, fontsize=7)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle("t-SNE of the samples per layer", fontsize=9)
    fig.tight_layout()
    return fig
