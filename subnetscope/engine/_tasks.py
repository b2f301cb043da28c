"""What one worker does for one pair. Top-level functions of picklable arguments only,
so the same code runs in this process, in local worker processes and on Dask workers."""

from __future__ import annotations

from typing import Any, Callable, Mapping

import numpy as np

_WORKER: dict[str, Any] = {}


def compute_pair(
    compare: Callable[..., float],
    state1: Any,
    state2: Any,
    options: Mapping[str, Any],
    symmetric: bool,
    is_gw: bool,
    init: np.ndarray | None,
    threads: int = 1,
) -> tuple[float, np.ndarray | None, dict[str, Any]]:
    """(value, GW permutation or None, solver stats) of one pair; ``threads``: cores this
    pair may use (GW runs that many of its starts at once; same result)."""
    if is_gw:
        from ..measures.gw import gromov_wasserstein

        result = gromov_wasserstein(state1, state2, init=init, check_input=False, threads=threads, **options)
        stats = {"start": result.start, "iterations": result.total_iter}
        return float(result.value), result.permutation, stats
    value = as_number(compare(state1, state2, **options))
    if not symmetric:
        value = 0.5 * (value + as_number(compare(state2, state1, **options)))
    return value, None, {}


def as_number(value: Any) -> float:
    """A measure's value as a float, or a TypeError that says what the measure returned."""
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(f"a measure's compare must return a number, it returned {type(value).__name__} "
                        f"{value!r:.80}") from None


def init_worker(states, compare, options, symmetric, is_gw, blas_threads) -> None:
    """Process-pool initializer: keep the prepared layers once per worker, cap BLAS threads
    (a GW pair then uses as many threads, see compute_pair)."""
    _WORKER.update(states=states, compare=compare, options=options, symmetric=symmetric, is_gw=is_gw,
                   threads=blas_threads or 1)
    if blas_threads:
        from threadpoolctl import threadpool_limits

        _WORKER["limits"] = threadpool_limits(limits=blas_threads)


def pair_in_worker(i: int, j: int, init: np.ndarray | None):
    w = _WORKER
    return (i, j, *compute_pair(w["compare"], w["states"][i], w["states"][j], w["options"],
                                w["symmetric"], w["is_gw"], init, w["threads"]))


def pair_on_dask(i, j, compare, state1, state2, options, symmetric, is_gw, init):
    return (i, j, *compute_pair(compare, state1, state2, options, symmetric, is_gw, init))
