"""The modular-sum study's options as one frozen, checked value: :class:`ModSumConfig`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from ... import _options as opt
from ..._options import choice, flag, integer, names
from .._config import StudyConfig, each, instance, measure_names, path
from .data import MODEL_KINDS, ModelKind
from .training import TrainConfig, recipe

__all__ = ["ModSumConfig", "PAPER_SCALE", "TARGET_EMBEDDINGS"]

TARGET_EMBEDDINGS = ("value", "onehot", "circular", "stage")

#: ``ModSumConfig.paper()``: the paper's setting (§5.1, App. B–D): GW over all
#: representations at n = 1000, Table 1 under every target embedding, Table 4 with linear and
#: MLP probes on every input (80/20), POT's start against ours on 31 evenly spaced layers, and
#: bootstrap stability of the sub-networks from 5 re-drawn input sets of 200.
PAPER_SCALE: dict[str, Any] = {"samples": 1000, "embedding": TARGET_EMBEDDINGS, "probes": ("linear", "mlp"),
                               "probe_samples": 3481, "compare_starts": 31, "bootstrap": 5,
                               "bootstrap_samples": 200}


@dataclass(frozen=True)
class ModSumConfig(StudyConfig):
    """Every option of the modular-sum study (:func:`subnetscope.studies.modsum.run`).

    ``ModSumConfig.paper(**changes)`` is the paper's setting (:data:`PAPER_SCALE`, on Model L).

    Parameters
    ----------
    model : {"0", "E", "L"}
    samples : int
        Inputs (of the 3481) compared by GW, drawn with ``seed`` (the paper: 1000).
    train_config : TrainConfig, optional
        How the model is trained; default :func:`recipe` ``(model)``, the settings of the
        shipped checkpoint (then nothing is trained). :attr:`training` is the one in use.
    cache_dir : path, optional
        Where checkpoints live (default ``out/checkpoints``).
    targets : bool
        GW from every layer to the known targets (Table 1 analogue).
    embedding : str or sequence of {"value", "onehot", "circular", "stage"}
        How a target becomes a representation (:func:`subnetscope.to_target`); several give
        one Table 1 row per target and embedding. ``"stage"`` is the target as its stage was
        trained to output it: (c1, b), (c2, b) and c for Model L, one-hot per column.
        Kept as a tuple.
    probes : sequence of {"linear", "mlp"}
        Probe kinds for the Table 4 analogue (empty: none).
    probe_samples : int
        Inputs used by the probes (80/20 held-out split inside).
    baselines : sequence of str
        Other measures computed all-pairs (Fig. 8), e.g. ``("cka", "rsa")``.
    bootstrap : int
        Bootstrap replicates of the sub-network search (0: none; each costs one all-pairs GW,
        cached in the run folder).
    bootstrap_samples : int, optional
        Inputs drawn (with replacement) per replicate (default ``samples``); the stability
        is that of the partition found on all ``samples`` inputs.
    n_groups : int, optional
        Number of sub-networks (default: chosen by the silhouette, see find_subnetworks).
    compare_starts : int
        If > 0, recompute GW on this many evenly spaced layers with POT's default start only
        (``starts=("product",), warm_start=False``) and compare with our multi-start values.
    retrain : bool
        Train even when a checkpoint with these settings exists (cached or shipped).
    n_jobs : int
        Processes for the all-pairs GW (-1: every core); the matrix is the same as serial.
    report, progress : bool
        Write report.html; show progress bars.
    """

    model: ModelKind = "L"
    samples: int = 200
    seed: int = 0
    train_config: TrainConfig | None = None
    cache_dir: str | Path | None = None
    targets: bool = True
    embedding: str | Sequence[str] = ("value",)
    probes: Sequence[str] = ("linear", "mlp")
    probe_samples: int = 1000
    baselines: Sequence[str] = ()
    bootstrap: int = 0
    bootstrap_samples: int | None = None
    n_groups: int | None = None
    compare_starts: int = 0
    retrain: bool = False
    n_jobs: int = 1
    report: bool = True
    progress: bool = True

    _SPECS = {"model": choice(*MODEL_KINDS), "samples": integer(2, 3481), "seed": opt.seed(),
              "train_config": instance(TrainConfig, "a TrainConfig", optional=True), "cache_dir": path(optional=True),
              "targets": flag(), "embedding": names(*TARGET_EMBEDDINGS), "probes": each(choice("linear", "mlp")),
              "probe_samples": integer(10, 3481), "baselines": measure_names(),
              "bootstrap": integer(0), "bootstrap_samples": integer(2, optional=True),
              "n_groups": integer(1, optional=True), "compare_starts": integer(0), "retrain": flag(),
              "report": flag(), "progress": flag()}
    _RECORDED_AS = {"train_config": "train"}
    _PAPER = PAPER_SCALE

    @property
    def training(self) -> TrainConfig:
        """The :class:`TrainConfig` in use: ``train_config``, else the model's :func:`recipe`."""
        return recipe(self.model) if self.train_config is None else self.train_config

    def options(self) -> dict[str, Any]:
        """As recorded in run.json: ``train`` is the training in use (:attr:`training`)."""
        from .._config import _recorded

        return {**super().options(), "train": _recorded(self.training)}

    def __post_init__(self) -> None:
        from ...engine.plan import check_n_jobs

        super().__post_init__()
        if isinstance(self.embedding, str):
            object.__setattr__(self, "embedding", (self.embedding,))
        else:
            object.__setattr__(self, "embedding", tuple(self.embedding))
        self._refuse_unless("n_jobs", check_n_jobs)
