"""What one worker does for one pair. Top-level functions of picklable arguments only,
so the same code runs in this process, in local worker processes and on Dask workers."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from ..measures.registry import Measure, PairResult, as_number

__all__ = ["as_number", "compute_pair", "init_worker", "pair_in_worker", "pair_on_dask"]

_WORKER: dict[str, Any] = {}


def compute_pair(measure: Measure, state1: Any, state2: Any, options: Mapping[str, Any],
                 init: np.ndarray | None, threads: int = 1) -> PairResult:
    """One pair (``threads``: cores this pair may use; the result does not depend on it)."""
    return measure.compare_states(state1, state2, options, init=init, threads=threads)


def init_worker(states, measure: Measure, options, blas_threads) -> None:
    """Process-pool initializer: keep the prepared layers once per worker, cap BLAS threads
    (a pair then uses as many threads, see compute_pair)."""
    _WORKER.update(states=states, measure=measure, options=options, threads=blas_threads or 1)
    if blas_threads:
        from threadpoolctl import threadpool_limits

        _WORKER["limits"] = threadpool_limits(limits=blas_threads)


def pair_in_worker(i: int, j: int, init: np.ndarray | None) -> PairResult:
    w = _WORKER
    return compute_pair(w["measure"], w["states"][i], w["states"][j], w["options"], init, w["threads"])


def pair_on_dask(measure: Measure, state1, state2, options, init) -> PairResult:
    return compute_pair(measure, state1, state2, options, init)
