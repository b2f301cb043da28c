"""The checked options of one all-pairs run, made once before any layer is prepared."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import _options as opt
from .._progress import check_progress
from ..measures.registry import Measure, get_measure

__all__ = ["OPTIONS", "RunPlan", "check_n_jobs", "make_plan"]

#: What the engine's own arguments accept (the measure's options are checked by its entry).
OPTIONS = {"n_samples": opt.integer(2, optional=True), "seed": opt.seed(), "warm_start": opt.flag()}


@dataclass
class RunPlan:
    """The checked options of one all-pairs run (:func:`pairwise` and :func:`cross_pairwise` share it)."""

    measure: Measure
    prep_opts: dict[str, Any]
    comp_opts: dict[str, Any]  # as the measure's ``check_run`` resolved them
    options: dict[str, Any]  # as given, updated with what ``check_run`` resolved
    jobs: int
    progress: bool | str  # True, False or "auto" (see subnetscope._progress)
    warm: bool  # pairs start from their neighbours' plans (the measure takes warm starts)


def check_n_jobs(n_jobs: Any) -> int:
    """``n_jobs`` as a number of worker processes (-1: one per core), or the error."""
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, (int, np.integer)) or n_jobs == 0 or n_jobs < -1:
        raise ValueError(f"`n_jobs` must be a positive integer or -1 (all cores), got {n_jobs!r}")
    return (os.cpu_count() or 1) if n_jobs == -1 else int(n_jobs)


def make_plan(measure, options, *, n_jobs=1, client=None, progress="auto", warm_start=True, n_samples=None,
              seed=0) -> RunPlan:
    """Check the engine's options and the measure's once, before any layer is prepared."""
    measure = get_measure(measure)
    prep_opts, comp_opts = measure.split_options(options)
    opt.check_values({"n_samples": n_samples, "seed": seed, "warm_start": warm_start}, OPTIONS, "pairwise")
    jobs = check_n_jobs(n_jobs)
    if client is not None and jobs != 1:
        raise ValueError(f"give `n_jobs` (got {n_jobs!r}) or `client`, not both")
    if client is not None and not (hasattr(client, "submit") and hasattr(client, "scatter")):
        raise TypeError(f"`client` must be a distributed.Client, got {type(client).__name__}")
    progress = check_progress(progress)
    if measure.check_run is not None:
        comp_opts = dict(measure.check_run(comp_opts, jobs=jobs, distributed=client is not None))
        options = {**options, **comp_opts}
    return RunPlan(measure, prep_opts, comp_opts, dict(options), jobs, progress,
                   bool(warm_start) and measure.warm_start)
