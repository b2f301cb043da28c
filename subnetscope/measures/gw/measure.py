"""The ``gw`` registry entry: what the engine needs to run GW like any other measure.

``gw_prepare`` (the intra-layer distance matrix, once per layer), ``gw_compare_pair`` (a
pair, with an optional warm start and a thread count), the run checks, the cache check and
the solver statistics. A GW variant is registered the same way, e.g. with other defaults::

    register_measure(dataclasses.replace(get_measure("gw"), name="gw-fast",
                                         compare=functools.partial(gw_compare, starts="product"),
                                         compare_pair=functools.partial(gw_compare_pair, starts="product")))

and gets warm starts and the thread runner as ``gw`` does.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from ..geometry import Metric, Normalize, intra_distances
from ..registry import Measure, PairResult, register_measure
from .assignment import resolve_assignment
from .options import OPTIONS, START_NAMES, Assignment, StartName, check_screen_tol
from .solver import gromov_wasserstein, permutation_value
from .starts import check_starts

__all__ = ["GWStats", "gw_check_plan", "gw_check_run", "gw_compare", "gw_compare_pair", "gw_in_threads",
           "gw_prepare"]


def gw_prepare(
    Y: np.ndarray, *, metric: Metric = "euclidean", normalize: Normalize = "max"
) -> np.ndarray:
    """Per-layer state of the ``gw`` measure: the intra-layer distance matrix."""
    return intra_distances(Y, metric=metric, normalize=normalize)


def gw_compare(
    C1: np.ndarray,
    C2: np.ndarray,
    *,
    starts: StartName | Sequence[StartName] = START_NAMES,
    max_iter: int = 1000,
    tol: float = 1e-12,
    device: str | None = None,
    assignment: Assignment = "auto",
    screen_tol: float = 0.003,
) -> float:
    """GW value between two prepared layers (``device``, ``assignment``, ``screen_tol``: see
    :func:`gromov_wasserstein`)."""
    return gromov_wasserstein(
        C1, C2, starts=starts, max_iter=max_iter, tol=tol, check_input=False, device=device,
        assignment=assignment, screen_tol=screen_tol,
    ).value


def gw_compare_pair(
    C1: np.ndarray,
    C2: np.ndarray,
    *,
    init: np.ndarray | None = None,
    threads: int = 1,
    **options: Any,
) -> PairResult:
    """One pair as the engine runs it: GW from the starts in ``options`` and the warm start
    ``init``, the starts in up to ``threads`` threads; the plan is the winning permutation
    and the stats the winning start and the Frank-Wolfe iterations of all starts."""
    result = gromov_wasserstein(C1, C2, init=init, check_input=False, threads=threads, **options)
    stats = {"start": result.start, "iterations": result.total_iter}
    return PairResult(float(result.value), result.permutation, stats)


def gw_in_threads(options: Mapping[str, Any]) -> bool:
    """GW pairs run in threads on the CPU; a torch device runs one pair at a time."""
    return options.get("device") is None


def gw_check_run(options: Mapping[str, Any], *, jobs: int = 1, distributed: bool = False) -> dict[str, Any]:
    """Check GW's compare options once, before any layer is prepared, and resolve the
    assignment solver (so every worker, local or Dask, uses the same exact solver and a cache
    records which one made its pairs)."""
    options = {**options, "assignment": resolve_assignment(options.get("assignment", "auto"))}
    if "screen_tol" in options:
        check_screen_tol(options["screen_tol"])
    if "starts" in options:  # neighbouring pairs have no warm start: a start is needed
        check_starts(options["starts"], has_init=False)
    device = options.get("device")
    if device is not None:
        from .torch_backend import resolve_device

        if resolve_device(device).type == "cuda" and (jobs > 1 or distributed):
            raise ValueError("`device='cuda'` runs the pairs in this process; use n_jobs=1 and no client")
    return options


def gw_check_plan(C1: np.ndarray, C2: np.ndarray, value: float, plan: np.ndarray) -> bool:
    """Whether a cached permutation has the cached value (O(n²), against O(n³) per solver step)."""
    tol = 1e-9 * (value + float(np.mean(C1 * C1) + np.mean(C2 * C2)))
    return abs(permutation_value(C1, C2, plan) - value) <= tol


class GWStats:
    """GW's Frank-Wolfe iterations and which start won, summed over the pairs computed."""

    def __init__(self):
        self.iterations, self.wins = 0, {}

    def add(self, pair_stats: Mapping[str, Any]) -> None:
        if pair_stats:
            self.iterations += pair_stats["iterations"]
            self.wins[pair_stats["start"]] = self.wins.get(pair_stats["start"], 0) + 1

    def info(self, options: Mapping[str, Any], *, warm_start: bool) -> dict[str, Any]:
        return {"gw_iterations": self.iterations, "gw_wins": self.wins, "warm_start": warm_start,
                "gw_assignment": options["assignment"]}

    def summary(self) -> str:
        wins = ", ".join(f"{k} {v}" for k, v in sorted(self.wins.items()))
        return f"; {self.iterations} Frank-Wolfe iterations, best start: {wins or '-'}"


GW = register_measure(
    Measure(
        name="gw",
        prepare=gw_prepare,
        compare=gw_compare,
        definition="Gromov-Wasserstein between intra-layer distance matrices (square loss, uniform weights)",
        handles_different_dims=True,
        kind="distance",
        as_distance="the GW objective (POT's convention)",
        symmetric=True,
        paired=False,
        invariances=("permutation", "rotation", "translation", "scaling"),
        option_specs={k: OPTIONS[k] for k in ("metric", "normalize", "starts", "max_iter", "tol", "device",
                                              "assignment", "screen_tol")},
        compare_pair=gw_compare_pair,
        warm_start=True,
        threads=gw_in_threads,
        check_run=gw_check_run,
        check_plan=gw_check_plan,
        solver_stats=GWStats,
    ),
    overwrite=True,
)
