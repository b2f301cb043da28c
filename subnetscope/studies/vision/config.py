"""The vision study's options as one frozen, checked value: :class:`VisionConfig`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from ... import _options as opt
from ..._options import choice, flag, integer, number
from .._config import StudyConfig, measure_names, path

__all__ = ["VisionConfig", "PAPER_SCALE"]

#: ``VisionConfig.paper()``: what the paper states of its vision study (§5.4, App. N) and this
#: package records: ResNet9 trained on CIFAR-10 for 300 epochs (91.63% test accuracy). ``data`` is
#: the CIFAR-10 archive's usual name; pass ``data=`` where yours is. Every other option keeps
#: the study's default (the paper does not give them).
PAPER_SCALE: dict[str, Any] = {"data": "cifar-10-python.tar.gz", "epochs": 300}


@dataclass(frozen=True)
class VisionConfig(StudyConfig):
    """Every option of the vision study (:func:`subnetscope.studies.vision.run`).

    ``VisionConfig.paper(**changes)`` is the paper's setting (:data:`PAPER_SCALE`: CIFAR-10, 300 epochs).

    Parameters
    ----------
    data : "digits" or path
        ``"digits"``: scikit-learn's digits upscaled to 3×32×32 (offline default, labelled
        "digits (upscaled), not CIFAR-10" everywhere); otherwise a CIFAR-10 archive or folder.
    samples : int
        Inputs whose layer outputs are captured (test images first, then training images).
    pair_samples : int
        Inputs, drawn once from those (seed ``seed``), on which every pair of layers is compared
        (at most ``samples``).
    epochs, batch_size, optimizer, max_lr : training settings (see :func:`train_resnet9`).
    measures : list of str, optional
        Default: every registered measure that handles different widths.
    agw_samples : int
        Inputs AGW compares on (at most ``pair_samples``): AGW runs up to 20 fused-GW solves per
        pair, so at 300 inputs it alone took 53% of a 31-minute default run (measured).
    n_groups : int, optional
        Number of sub-networks (default: the best silhouette).
    bootstrap, bootstrap_samples : resamples and their size for the stability of the GW groups (0: skip),
        as ``ModSumConfig``'s (``run_vision_study`` still takes the old ``n_boot``, ``boot_samples``).
    seed : int
    train_limit, test_limit : int, optional
        Train on / measure accuracy on only the first so many training / test images (tests).
    progress, report : bool
        Print progress; write report.html.
    """

    data: str | Path = "digits"
    samples: int = 300
    pair_samples: int = 300
    epochs: int = 2
    batch_size: int = 32
    optimizer: str = "adam"
    max_lr: float | None = None
    measures: Sequence[str] | None = None
    agw_samples: int = 100
    n_groups: int | None = None
    bootstrap: int = 2
    bootstrap_samples: int = 150
    seed: int = 0
    train_limit: int | None = None
    test_limit: int | None = None
    progress: bool = True
    report: bool = True

    _SPECS = {"data": path(), "samples": integer(2), "pair_samples": integer(2), "epochs": integer(1),
              "batch_size": integer(1), "optimizer": choice("adam", "sgd"),
              "max_lr": number(0, low_open=True, optional=True), "measures": measure_names(min_len=1, optional=True),
              "agw_samples": integer(2), "n_groups": integer(1, optional=True), "bootstrap": integer(0),
              "bootstrap_samples": integer(2), "seed": opt.seed(), "train_limit": integer(1, optional=True),
              "test_limit": integer(1, optional=True), "progress": flag(), "report": flag()}
    _PAPER = PAPER_SCALE

    def __post_init__(self) -> None:
        from .study import measures_for_study

        super().__post_init__()
        self._refuse_unless("measures", measures_for_study)  # ResNet9's layers differ in width
