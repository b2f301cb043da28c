"""Layer distances over training checkpoints (paper Fig. 5, 6)."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from ..analysis.dynamics import mean_distance
from ._common import check_boundaries, draw_boundaries, label_layers, pyplot

__all__ = ["mean_distance", "plot_checkpoint_matrices", "plot_dynamics", "plot_separation", "plot_training_curves"]


def plot_checkpoint_matrices(checkpoints: Mapping[int, object], fig=None, *, steps: Sequence[int] | None = None,
                             shared_scale: bool = True, boundaries: Sequence[int] = (),
                             cmap: str = "viridis", max_labels: int = 20):
    """Layer × layer matrices at chosen training steps, side by side (paper Fig. 5).

    Parameters
    ----------
    checkpoints : mapping step -> LayerDistances
    steps : sequence of int, optional
        Which steps to draw, in that order (default: all, sorted).
    shared_scale : bool
        One colour scale for all panels (default), so growth of distances over training shows.

    Returns
    -------
    fig : matplotlib Figure
        ``fig.axes[k]`` is the panel for ``steps[k]`` (titled "step N"), then one colour bar.
    """
    if not checkpoints:
        raise ValueError("`checkpoints` must map at least one training step to a LayerDistances, got none")
    steps = sorted(checkpoints) if steps is None else list(steps)
    missing = [s for s in steps if s not in checkpoints]
    if missing:
        raise KeyError(f"`steps` {missing} are not in `checkpoints` (steps there: {sorted(checkpoints)})")
    panels = [checkpoints[s] for s in steps]
    vmin = min(float(p.matrix.min()) for p in panels) if shared_scale else None
    vmax = max(float(p.matrix.max()) for p in panels) if shared_scale else None
    plt = pyplot()
    if fig is None:
        fig = plt.figure(figsize=(3.2 * len(panels) + 1.0, 3.4))
    else:
        fig.clf()
    axes = [fig.add_subplot(1, len(panels), k + 1) for k in range(len(panels))]
    image = None
    for ax, step, panel in zip(axes, steps, panels):
        image = ax.imshow(panel.matrix, cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
        label_layers(ax, panel.names, "both", max_labels)
        draw_boundaries(ax, check_boundaries(boundaries, len(panel)))
        ax.set_title(f"step {step}", fontsize=9)
        if not shared_scale:
            fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    if shared_scale:
        fig.colorbar(image, ax=axes, fraction=0.02, pad=0.02, label=f"{panels[0].measure} distance")
    return fig


def plot_training_curves(steps: Sequence[float], mean_distances: Sequence[float], ax=None, *,
                         accuracy: Sequence[float] | None = None, loss: Sequence[float] | None = None,
                         measure: str = "gw", title: str | None = None):
    """Mean distance between layers against training step, with accuracy and loss (paper Fig. 6).

    Parameters
    ----------
    steps : sequence of length T
    mean_distances : sequence of length T
        e.g. ``[mean_distance(d) for d in matrices]``; on the left axis.
    accuracy, loss : sequence of length T, optional
        On a second (right) axis, accuracy solid and loss dashed.

    Returns
    -------
    ax : matplotlib Axes
        The left axis; the right one (if any) is ``ax.right_axis_``.
    """
    x = np.asarray(steps, dtype=np.float64)
    series = {"mean distance": mean_distances, "accuracy": accuracy, "loss": loss}
    for name, values in series.items():
        if values is not None and len(values) != len(x):
            raise ValueError(f"`{name.replace(' ', '_')}` has {len(values)} values for {len(x)} steps")
    if len(x) == 0:
        raise ValueError("`steps` is empty; nothing to plot")
    plt = pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(6.0, 3.4))
    ax.plot(x, np.asarray(mean_distances, dtype=np.float64), color="tab:purple", marker="o", ms=3,
            label=f"mean {measure}")
    ax.set_xlabel("training step")
    ax.set_ylabel(f"mean {measure} between layers", color="tab:purple")
    handles, labels = ax.get_legend_handles_labels()
    ax.right_axis_ = None
    if accuracy is not None or loss is not None:
        right = ax.twinx()
        ax.right_axis_ = right
        if accuracy is not None:
            right.plot(x, np.asarray(accuracy, dtype=np.float64), color="tab:green", label="accuracy")
        if loss is not None:
            right.plot(x, np.asarray(loss, dtype=np.float64), color="tab:red", ls="--", label="loss")
        right.set_ylabel("accuracy / loss")
        h2, l2 = right.get_legend_handles_labels()
        handles, labels = handles + h2, labels + l2
    ax.legend(handles, labels, fontsize=8, loc="best")
    ax.grid(alpha=0.3)
    ax.set_title(title if title is not None else f"mean {measure} over training", fontsize=10)
    return ax


def plot_separation(separation, ax=None, *, title: str | None = None):
    """When blocks separate: mean distance within and between groups against training step
    (left axis) and the groups' silhouette (right axis), with the step they separated at.

    Parameters
    ----------
    separation : Separation
        From :meth:`subnetscope.analysis.LayerDynamics.separation`.

    Returns
    -------
    ax : matplotlib Axes
        The left axis; the silhouette's is ``ax.right_axis_``.
    """
    plt = pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(6.0, 3.4))
    steps = np.asarray(separation.steps, dtype=np.float64)
    ax.plot(steps, separation.between, color="tab:purple", marker="o", ms=3, label="between groups (off-block)")
    ax.plot(steps, separation.within, color="tab:blue", marker="o", ms=3, ls="--", label="within groups")
    ax.set_xlabel("training step")
    ax.set_ylabel("mean distance between layers")
    right = ax.twinx()
    ax.right_axis_ = right
    right.plot(steps, separation.silhouette, color="tab:green", lw=1, label="silhouette of the groups")
    right.axhline(separation.threshold, color="tab:green", ls=":", lw=0.8)
    right.set_ylabel("silhouette")
    if separation.separated_at is not None:
        ax.axvline(separation.separated_at, color="black", ls=":", lw=1,
                   label=f"separated from step {separation.separated_at}")
    handles, labels = ax.get_legend_handles_labels()
    h2, l2 = right.get_legend_handles_labels()
    ax.legend(handles + h2, labels + l2, fontsize=7, loc="best")
    ax.grid(alpha=0.3)
    groups = " | ".join(f"{g[0]}..{g[-1]}" if len(g) > 1 else g[0] for g in separation.groups.groups)
    ax.set_title(title if title is not None else f"groups {groups}", fontsize=9)
    return ax


def plot_dynamics(dynamics, *, n_panels: int = 4, groups=None, fig=None):
    """Training dynamics on one figure: the matrices at a few steps (first, the step the
    groups separated at, last, and evenly between) above the separation curves.

    Parameters
    ----------
    dynamics : LayerDynamics
        With at least one checkpoint.
    n_panels : int
        At most this many matrices.
    groups : Subnetworks or sequence of int, optional
        The partition followed (default: the last checkpoint's sub-networks).

    Returns
    -------
    fig : matplotlib Figure
    """
    if isinstance(n_panels, bool) or not isinstance(n_panels, (int, np.integer)) or n_panels < 1:
        raise ValueError(f"`n_panels` must be a positive integer, got {n_panels!r}")
    separation = dynamics.separation(groups)
    steps = list(separation.steps)
    picks = {steps[int(round(k))] for k in np.linspace(0, len(steps) - 1, min(n_panels, len(steps)))}
    if separation.separated_at is not None and len(picks) >= n_panels and separation.separated_at not in picks:
        picks.discard(sorted(picks)[len(picks) // 2])  # keep first and last, show the separation
    if separation.separated_at is not None:
        picks.add(separation.separated_at)
    plt = pyplot()
    if fig is None:
        fig = plt.figure(figsize=(max(6.5, 3.2 * len(picks) + 1.0), 7.0))
    top, bottom = fig.subfigures(2, 1, height_ratios=[1.0, 1.0])
    plot_checkpoint_matrices(dynamics.matrices, fig=top, steps=sorted(picks),
                             boundaries=separation.groups.boundaries)
    plot_separation(separation, ax=bottom.subplots())
    return fig
