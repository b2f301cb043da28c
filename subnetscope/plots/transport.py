"""The GW transport plan between two layers (paper Fig. 10)."""

from __future__ import annotations

import numpy as np

from ._common import pyplot

__all__ = ["plot_transport_plan"]


def plot_transport_plan(plan, ax=None, *, row_label: str = "layer A samples",
                        col_label: str = "layer B samples", title: str | None = None, cmap: str = "Greys"):
    """Heatmap of a coupling between the samples of two layers.

    Parameters
    ----------
    plan : array of shape (n_a, n_b), or a GWResult
        A coupling (non-negative, sums to 1), e.g. ``gromov_wasserstein(C1, C2).plan``. It is
        drawn multiplied by ``n_a`` so a permutation shows cells of exactly 1 and a dense
        plan shows how each sample's mass is split.
    ax : matplotlib Axes, optional

    Returns
    -------
    ax : matplotlib Axes
        Its image holds ``n_a * plan``.
    """
    value = getattr(plan, "value", None)
    P = np.asarray(getattr(plan, "plan", plan), dtype=np.float64)
    if P.ndim != 2 or min(P.shape) < 1:
        raise ValueError(f"`plan` must be a 2-D coupling (n_a, n_b), got shape {P.shape}")
    if not np.all(np.isfinite(P)) or np.any(P < -1e-12):
        raise ValueError("`plan` must be finite and non-negative (a coupling between samples)")
    total = P.sum()
    if not np.isclose(total, 1.0, rtol=1e-6, atol=1e-9):
        raise ValueError(f"`plan` must sum to 1 (a coupling of two uniform distributions), got {total:.6g}")
    plt = pyplot()
    if ax is None:
        size = min(8.0, 2.5 + 0.05 * max(P.shape))
        _, ax = plt.subplots(figsize=(size + 1.0, size))
    image = ax.imshow(P * P.shape[0], cmap=cmap, vmin=0.0, interpolation="nearest", aspect="auto")
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="mass × n")
    ax.set_xlabel(col_label)
    ax.set_ylabel(row_label)
    if title is None:
        title = "GW transport plan" + (f" (GW = {value:.4g})" if value is not None else "")
    ax.set_title(title, fontsize=10)
    return ax
