"""Shared figure helpers: lazy pyplot, readable layer labels, boundary lines."""

from __future__ import annotations

from typing import Sequence

import numpy as np

__all__ = ["pyplot", "label_layers", "draw_boundaries", "check_boundaries", "BOUNDARY_STYLE"]

# Boundary lines carry this gid so tests (and users) can find them among an Axes' lines.
BOUNDARY_GID = "subnetscope-boundary"
BOUNDARY_STYLE = {"color": "white", "lw": 1.4, "ls": "-"}


def pyplot():
    """matplotlib.pyplot, with the non-interactive Agg backend unless one was chosen."""
    import matplotlib

    if matplotlib.get_backend().lower() not in (
        "agg", "pdf", "svg", "module://matplotlib_inline.backend_inline"
    ):
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def grid_figure(n_panels: int, ncols: int, cell: tuple[float, float], fig=None):
    """A figure for ``n_panels`` small multiples in rows of ``ncols``: (fig, nrows, ncols).

    ``fig`` is cleared and reused when given; otherwise a new figure of ``cell`` inches per panel.
    """
    ncols = max(1, min(ncols, n_panels))
    nrows = int(np.ceil(n_panels / ncols))
    if fig is None:
        fig = pyplot().figure(figsize=(cell[0] * ncols, cell[1] * nrows))
    else:
        fig.clf()
    return fig, nrows, ncols


def label_step(n_labels: int, max_labels: int) -> int:
    """Show every ``step``-th label so that at most ``max_labels`` are drawn."""
    if max_labels < 1:
        raise ValueError(f"`max_labels` must be at least 1, got {max_labels}")
    return max(1, int(np.ceil(n_labels / max_labels)))


def label_layers(ax, names: Sequence[str], axis: str = "both", max_labels: int = 40) -> np.ndarray:
    """Put layer names on an image's x and/or y axis, thinned and shrunk for 100+ layers.

    Returns the tick positions used.
    """
    L = len(names)
    ticks = np.arange(0, L, label_step(L, max_labels))
    fontsize = 8 if len(ticks) <= 24 else (7 if len(ticks) <= 40 else 5.5)
    labels = [str(names[i]) for i in ticks]
    if axis in ("both", "x"):
        ax.set_xticks(ticks)
        ax.set_xticklabels(labels, rotation=90, fontsize=fontsize)
    if axis in ("both", "y"):
        ax.set_yticks(ticks)
        ax.set_yticklabels(labels, fontsize=fontsize)
    return ticks


def check_boundaries(boundaries: Sequence[int], n_layers: int, name: str = "boundaries") -> list[int]:
    """Boundaries as sorted ints in 1..L-1 (index of the first layer of a new group)."""
    try:
        values = [int(b) for b in boundaries]
    except (TypeError, ValueError):
        raise TypeError(f"`{name}` must be a sequence of layer indices, got {boundaries!r}") from None
    bad = [b for b in values if not 0 < b < n_layers]
    if bad:
        raise ValueError(
            f"`{name}` are indices of the first layer of a new group, so each must be in "
            f"1..{n_layers - 1} for {n_layers} layers; got {bad}"
        )
    return sorted(set(values))


def draw_boundaries(ax, boundaries: Sequence[int], *, horizontal: bool = True, vertical: bool = True,
                    style: dict | None = None) -> None:
    """Lines between layer ``b - 1`` and ``b`` for every boundary ``b``."""
    style = {**BOUNDARY_STYLE, **(style or {})}
    for b in boundaries:
        if horizontal:
            ax.axhline(b - 0.5, gid=BOUNDARY_GID, **style)
        if vertical:
            ax.axvline(b - 0.5, gid=BOUNDARY_GID, **style)


def boundary_lines(ax) -> list:
    """The boundary lines drawn on ``ax`` by :func:`draw_boundaries`."""
    return [line for line in ax.lines if line.get_gid() == BOUNDARY_GID]
