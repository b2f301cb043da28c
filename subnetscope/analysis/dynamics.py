"""Training dynamics as a tool (paper Fig. 5, 6): the layer × layer matrix at checkpoints of
any training loop, and when its blocks separate.

:class:`LayerDynamics` captures chosen layers on fixed probe inputs and compares them
(:func:`subnetscope.pairwise`) whenever it is asked to — from a plain PyTorch loop
(:meth:`LayerDynamics.on_step`) or from a transformers ``Trainer``
(:meth:`LayerDynamics.trainer_callback`) — and keeps the history: step, matrix and metrics
such as loss or accuracy. :meth:`LayerDynamics.separation` follows a partition of the layers
over training: mean distance within and between its groups, the partition's silhouette on
each checkpoint's matrix, and the first step from which the silhouette stays above
:data:`~subnetscope.analysis.subnetworks.SILHOUETTE_MIN` (the blocks have separated).
Figures: :func:`subnetscope.plots.plot_dynamics`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from ..engine.layer_distances import LayerDistances
from .subnetworks import SILHOUETTE_MIN, Subnetworks, _silhouette, find_subnetworks

__all__ = ["Checkpoint", "LayerDynamics", "Separation", "mean_distance"]


def mean_distance(distances) -> float:
    """Mean over the L(L-1)/2 distinct layer pairs (the diagonal's zeros left out; paper Fig. 6)."""
    M = distances.matrix
    if M.shape[0] < 2:
        raise ValueError(f"a mean distance between layers needs at least 2 layers, got {M.shape[0]}")
    return float(M[np.triu_indices_from(M, k=1)].mean())


@dataclass
class Checkpoint:
    """One recorded training step: its layer × layer matrix and the metrics given with it."""

    step: int
    distances: LayerDistances
    metrics: dict[str, float] = field(default_factory=dict)


@dataclass
class Separation:
    """How a partition of the layers shows in the matrices over training.

    Attributes
    ----------
    steps : array of int, shape (T,)
    within, between : arrays of shape (T,)
        Mean distance between two layers of the same group (diagonal blocks, zeros left out)
        and of different groups (off the block diagonal).
    silhouette : array of shape (T,)
        Silhouette of ``groups`` on each step's matrix (NaN with one group).
    groups : Subnetworks
        The partition followed.
    separated_at : int or None
        First step from which the silhouette stays ≥ ``threshold`` to the end; None if it never does.
    threshold : float
    """

    steps: np.ndarray
    within: np.ndarray
    between: np.ndarray
    silhouette: np.ndarray
    groups: Subnetworks
    separated_at: int | None
    threshold: float = SILHOUETTE_MIN


class LayerDynamics:
    """Records the layer × layer matrix of a model at training checkpoints.

    Parameters
    ----------
    inputs : tensor, array, mapping or list of str
        Fixed probe inputs, as :func:`subnetscope.capture` takes them; the same ones at every
        checkpoint so that the matrices are comparable.
    layers : str, sequence of str or callable
        Which layers, as :func:`subnetscope.capture` takes them (a preset or module names).
    every : int
        :meth:`on_step` records at steps 0, ``every``, 2 ``every``, ...
    measure : str
        The measure (default ``"gw"``).
    out_dir : path, optional
        Save every checkpoint's matrix here as it is recorded (``step<k>.npz``, metrics in
        its ``info``); :meth:`load` reads the folder back, so a killed run keeps what it had.
    capture_options : mapping, optional
        Passed to :func:`subnetscope.capture` (``pooling``, ``tokenizer``, ``batch_size``, ``device`` ...).
    **pairwise_options
        Passed to :func:`subnetscope.pairwise` (``n_samples``, ``seed``, ``n_jobs``, measure options ...).

    Examples
    --------
    >>> import torch
    >>> model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2))
    >>> dynamics = LayerDynamics(torch.randn(30, 4), ["0", "1", "2"], every=5)
    >>> for step in range(11):
    ...     dynamics.on_step(model, step, loss=1.0 / (step + 1))  # beside optimizer.step()
    >>> dynamics.steps
    [0, 5, 10]
    """

    def __init__(self, inputs: Any, layers: Any, *, every: int = 100, measure: str = "gw",
                 out_dir: str | os.PathLike | None = None, capture_options: Mapping[str, Any] | None = None,
                 **pairwise_options: Any):
        if isinstance(every, bool) or not isinstance(every, (int, np.integer)) or every < 1:
            raise ValueError(f"`every` must be a positive integer (steps between checkpoints), got {every!r}")
        from ..measures.registry import get_measure

        self.measure = get_measure(measure).name  # a bad name fails here, not at the first checkpoint
        self.inputs, self.layers, self.every = inputs, layers, int(every)
        self.out_dir = None if out_dir is None else Path(out_dir)
        self.capture_options = dict(capture_options or {})
        self.pairwise_options = {"progress": False, **pairwise_options}
        self.history: list[Checkpoint] = []

    # --- recording ------------------------------------------------------------------
    def record(self, model: Any, step: int, **metrics: float) -> LayerDistances:
        """Capture ``layers`` of ``model`` on the probe inputs now and compare them.

        The model runs in eval mode without gradients and gets its training flags back
        (:func:`subnetscope.capture`). ``metrics`` (loss, accuracy, ...) are kept with the step.
        """
        from ..capture import capture
        from ..engine.pairwise import pairwise

        step = int(step)
        if self.history and step <= self.history[-1].step:
            raise ValueError(f"`step` must increase: {step} comes after step {self.history[-1].step}")
        bad = {k: v for k, v in metrics.items() if not isinstance(v, (int, float, np.floating, np.integer))}
        if bad:
            raise TypeError(f"metrics must be numbers, got {', '.join(f'{k}={type(v).__name__}' for k, v in bad.items())}"
                            " (use loss=loss.item())")
        reps = capture(model, self.inputs, self.layers, **self.capture_options)
        distances = pairwise(reps, self.measure, **self.pairwise_options)
        metrics = {k: float(v) for k, v in metrics.items()}
        distances.info["training"] = {"step": step, "metrics": metrics}
        self.history.append(Checkpoint(step, distances, metrics))
        if self.out_dir is not None:
            distances.save(self.out_dir / f"step{step:07d}.npz")
        return distances

    def on_step(self, model: Any, step: int, **metrics: float) -> LayerDistances | None:
        """The plain-loop callback: record at every ``every``-th step (step 0 included)."""
        if int(step) % self.every:
            return None
        return self.record(model, step, **metrics)

    def trainer_callback(self):
        """A ``transformers.TrainerCallback`` recording into this object (transformers imported here)."""
        from .hf_callback import LayerDynamicsCallback

        return LayerDynamicsCallback(self)

    @classmethod
    def load(cls, out_dir: str | os.PathLike) -> "LayerDynamics":
        """The checkpoints saved in ``out_dir`` (no model or inputs: for analysis and figures)."""
        folder = Path(out_dir)
        files = sorted(folder.glob("step*.npz")) if folder.is_dir() else []
        if not files:
            raise FileNotFoundError(f"`out_dir` {str(folder)!r} holds no step<k>.npz checkpoints")
        dynamics = cls.__new__(cls)
        dynamics.inputs = dynamics.layers = None
        dynamics.every, dynamics.out_dir, dynamics.capture_options, dynamics.pairwise_options = 1, folder, {}, {}
        dynamics.history = []
        for file in files:
            distances = LayerDistances.load(file)
            training = distances.info.get("training", {})
            step = training.get("step", int(file.stem.removeprefix("step")))
            dynamics.history.append(Checkpoint(int(step), distances, dict(training.get("metrics", {}))))
        dynamics.history.sort(key=lambda c: c.step)
        dynamics.measure = dynamics.history[0].distances.measure
        return dynamics

    # --- views ----------------------------------------------------------------------
    @property
    def steps(self) -> list[int]:
        return [c.step for c in self.history]

    @property
    def matrices(self) -> dict[int, LayerDistances]:
        """step -> LayerDistances (what :func:`subnetscope.plots.plot_checkpoint_matrices` takes)."""
        return {c.step: c.distances for c in self.history}

    def metric(self, name: str) -> list[float]:
        """The values of one metric over the checkpoints (NaN where it was not given)."""
        known = sorted({k for c in self.history for k in c.metrics})
        if name not in known:
            raise KeyError(f"no metric {name!r} was recorded; recorded: {known}")
        return [c.metrics.get(name, float("nan")) for c in self.history]

    def mean_distances(self) -> list[float]:
        """Mean distance over the distinct layer pairs at each checkpoint (paper Fig. 6)."""
        return [mean_distance(c.distances) for c in self.history]

    def separation(self, groups: Subnetworks | Sequence[int] | None = None, *,
                   threshold: float = SILHOUETTE_MIN, **find_options: Any) -> Separation:
        """Follow a partition of the layers over the checkpoints.

        Parameters
        ----------
        groups : Subnetworks or sequence of int, optional
            The partition (a group label per layer). Default: the sub-networks of the last
            checkpoint's matrix (:func:`subnetscope.find_subnetworks` with ``find_options``,
            contiguous unless ``method`` is given).
        threshold : float
            Silhouette from which the groups count as separated.
        """
        if not self.history:
            raise ValueError("no checkpoint recorded yet; call record() or on_step() during training")
        names = self.history[-1].distances.names
        if groups is None:
            groups = find_subnetworks(self.history[-1].distances, **{"method": "contiguous", **find_options})
        elif not isinstance(groups, Subnetworks):
            groups = Subnetworks(names=names, labels=np.asarray(groups), method="given",
                                 measure=self.measure)
        if tuple(groups.names) != tuple(names):
            raise ValueError(f"`groups` are over layers {list(groups.names)[:4]}... but the checkpoints have "
                             f"{list(names)[:4]}...; give one label per checkpoint layer, in order")
        labels = groups.labels
        same = labels[:, None] == labels[None, :]
        off_diagonal = ~np.eye(len(labels), dtype=bool)
        within, between, silhouette = [], [], []
        for c in self.history:
            M = c.distances.matrix
            within.append(float(M[same & off_diagonal].mean()) if (same & off_diagonal).any() else np.nan)
            between.append(float(M[~same].mean()) if (~same).any() else np.nan)
            silhouette.append(_silhouette(M, labels))
        silhouette = np.asarray(silhouette)
        above = np.nan_to_num(silhouette, nan=-np.inf) >= threshold
        # the first step from which every later checkpoint stays above the threshold
        tail = np.flatnonzero(~above)
        first = 0 if tail.size == 0 else int(tail[-1]) + 1
        separated_at = self.history[first].step if first < len(self.history) else None
        return Separation(np.asarray(self.steps), np.asarray(within), np.asarray(between), silhouette, groups,
                          separated_at, float(threshold))

    def __repr__(self) -> str:
        last = f", last step {self.history[-1].step}" if self.history else ""
        return f"LayerDynamics({self.measure}, {len(self.history)} checkpoints{last}, every {self.every} steps)"
