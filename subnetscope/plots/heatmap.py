"""Layer × layer heatmaps."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np


def _pyplot():
    import matplotlib

    if matplotlib.get_backend().lower() not in ("agg", "pdf", "svg", "module://matplotlib_inline.backend_inline"):
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def plot_distances(distances, ax=None, *, boundaries: Sequence[int] = (), title: str | None = None,
                   cmap: str = "viridis", max_labels: int = 40):
    """Heatmap of a :class:`LayerDistances`; dark = similar, bright = different.

    ``boundaries`` are indices i where a new group starts (drawn as lines before layer i).
    """
    plt = _pyplot()
    if ax is None:
        size = min(12.0, 3.0 + 0.09 * len(distances))
        _, ax = plt.subplots(figsize=(size + 1.2, size))
    image = ax.imshow(distances.matrix, cmap=cmap, interpolation="nearest")
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label=f"{distances.measure} distance")
    L = len(distances)
    step = max(1, int(np.ceil(L / max_labels)))
    ticks = np.arange(0, L, step)
    ax.set_xticks(ticks)
    ax.set_yticks(ticks)
    fontsize = 8 if L <= 40 else 6
    ax.set_xticklabels([distances.names[i] for i in ticks], rotation=90, fontsize=fontsize)
    ax.set_yticklabels([distances.names[i] for i in ticks], fontsize=fontsize)
    for b in boundaries:
        ax.axhline(b - 0.5, color="white", lw=1.2)
        ax.axvline(b - 0.5, color="white", lw=1.2)
    ax.set_title(title or f"{distances.measure} between layers (n = {distances.n_samples})")
    return ax


def save_figure(figure, path: str | Path, dpi: int = 150) -> Path:
    """Save ``figure`` atomically and close it."""
    from .._io import atomic_path

    path = Path(path)
    with atomic_path(path, suffix=path.suffix) as tmp:
        figure.savefig(tmp, dpi=dpi, bbox_inches="tight", format=path.suffix.lstrip(".") or "png")
    _pyplot().close(figure)
    return path
