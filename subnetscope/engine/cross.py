"""Two models compared layer by layer: the rectangular (layers of A) × (layers of B) matrix.

The same engine as :func:`~subnetscope.engine.pairwise.pairwise` — one preparation per layer,
the same runners (serial, threads, processes, Dask, a torch device), the same resumable pair
cache and the same checks — on the pairs (layer i of A, layer j of B).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np

from .._progress import should_report
from .._validation import check_same_samples
from .layer_distances import LayerDistances
from ..measures.registry import Measure
from .pairwise import (_cached_pair_ok, _check_dims, _check_value, _plan, _progress_bar, _SolverStats, layer_shapes,
                       prepare_layers,
                       run_pairs)

__all__ = ["cross_pairwise"]


class _CrossSchedule:
    """Which pairs (row i of A, column j of B) can run now. Without warm starts, all. With
    them, a pair with i, j ≥ 1 waits for (i, j-1), (i-1, j-1) and (i-1, j) and also starts
    from the chain a_i → b_{j-1} → a_{i-1} → b_j of their permutations (:func:`_cross_init`);
    the first row and column start cold. A pair's start depends only on those three results,
    so the matrix does not depend on the order in which pairs finish."""

    def __init__(self, rows: int, cols: int, warm: bool, done: dict):
        self.rows, self.cols, self.warm, self.done = rows, cols, warm, done
        self.released: set[tuple[int, int]] = set()

    def _ready(self, i: int, j: int) -> bool:
        if (i, j) in self.done or (i, j) in self.released:
            return False
        return not self.warm or i == 0 or j == 0 or all(
            p in self.done for p in ((i, j - 1), (i - 1, j - 1), (i - 1, j)))

    def _release(self, candidates) -> list[tuple[int, int, np.ndarray | None]]:
        out = []
        for i, j in candidates:
            if i < self.rows and j < self.cols and self._ready(i, j):
                self.released.add((i, j))
                out.append((i, j, _cross_init(i, j, self.done) if self.warm else None))
        return out

    def initial(self) -> list[tuple[int, int, np.ndarray | None]]:
        return self._release((i, j) for i in range(self.rows) for j in range(self.cols))

    def after(self, i: int, j: int) -> list[tuple[int, int, np.ndarray | None]]:
        """The pairs that (i, j), just done, may release: its right, lower and diagonal neighbours."""
        return self._release([(i, j + 1), (i + 1, j), (i + 1, j + 1)]) if self.warm else []


def _cross_init(i: int, j: int, perms: dict) -> np.ndarray | None:
    # sample a of A_i -> σ(i, j-1)[a] of B_{j-1} -> back to A_{i-1} by σ(i-1, j-1)⁻¹ -> σ(i-1, j) of B_j
    if i == 0 or j == 0:
        return None
    first, middle, last = perms.get((i, j - 1)), perms.get((i - 1, j - 1)), perms.get((i - 1, j))
    if first is None or middle is None or last is None:
        return None
    return last[np.argsort(middle)[first]]


def cross_pairwise(
    reps_a: Mapping[str, Any],
    reps_b: Mapping[str, Any],
    measure: str | Measure = "gw",
    *,
    n_samples: int | None = None,
    seed: int = 0,
    progress: bool | Literal["auto"] = "auto",
    n_jobs: int = 1,
    client: Any = None,
    cache_dir: str | os.PathLike | None = None,
    warm_start: bool = True,
    max_memory: int | str | None = None,
    **options: Any,
) -> LayerDistances:
    """Compare every layer of one model with every layer of another (paper App. J).

    Both models must have seen the same n inputs in the same order (checkpoints, seeds,
    pre-trained vs fine-tuned, two architectures). Every argument works as in
    :func:`subnetscope.pairwise`: the same runners, cache, memory guard and measure options.

    Parameters
    ----------
    reps_a, reps_b : mapping of str to array of shape (n, ...)
        Layer name -> outputs of the first (rows) and second (columns) model. Names may
        repeat between the two models.
    measure : str or Measure
        A name from :func:`subnetscope.list_measures` (default ``"gw"``).
    n_samples, seed : int, optional
        Compare on ``n_samples`` rows drawn once with ``seed``, the same rows for both models.
    warm_start : bool
        GW only: pair (i, j) with i, j ≥ 1 also starts from the permutation chain of the
        pairs (i, j-1), (i-1, j-1), (i-1, j) (an extra start can only lower the value).
    progress, n_jobs, client, cache_dir, max_memory, **options
        As in :func:`subnetscope.pairwise`. A ``cache_dir`` made by ``pairwise`` (one model)
        is refused, and the other way round.

    Returns
    -------
    LayerDistances
        ``.matrix`` of shape (len(reps_a), len(reps_b)); ``.names`` the rows (layers of
        A), ``.columns`` the columns (layers of B); ``d["a_layer", "b_layer"]`` reads one pair.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(40, 3))
    >>> d = cross_pairwise({"x": X, "tanh": np.tanh(X)}, {"x": 2 * X, "sq": X ** 2})
    >>> d.matrix.shape, round(d["x", "x"], 9)
    ((2, 2), 0.0)
    """
    plan = _plan(measure, options, n_jobs, client, progress, warm_start, n_samples=n_samples, seed=seed)
    measure = plan.measure
    shapes_a, shapes_b = layer_shapes(reps_a, "reps_a"), layer_shapes(reps_b, "reps_b")
    n_a, n_b = check_same_samples(shapes_a, "reps_a"), check_same_samples(shapes_b, "reps_b")
    if n_a != n_b:
        raise ValueError(f"`reps_a` has {n_a} samples per layer but `reps_b` has {n_b}; both models must "
                         "see the same inputs in the same order")
    _check_dims(measure, {**{f"reps_a[{k!r}]": v for k, v in shapes_a.items()},
                          **{f"reps_b[{k!r}]": v for k, v in shapes_b.items()}})
    t0 = time.perf_counter()
    hashes = ({}, {}) if cache_dir is not None else (None, None)
    from .._memory import memory_limit

    prepared = []
    with memory_limit(max_memory):
        for reps, arg, layer_hashes in ((reps_a, "reps_a", hashes[0]), (reps_b, "reps_b", hashes[1])):
            prepared.append(prepare_layers(reps, measure, n_samples=n_samples, seed=seed,
                                           prepare_options=plan.prep_opts, hashes=layer_hashes, arg=arg))
    (names_a, states_a, n_used), (names_b, states_b, _) = prepared
    t_prepare = time.perf_counter() - t0
    resolved = measure.resolved_options(plan.options)
    rows, cols = len(names_a), len(names_b)
    matrix = np.zeros((rows, cols))
    perms: dict[tuple[int, int], np.ndarray | None] = {}
    cache = None
    if cache_dir is not None:
        from .cache import PairCache

        cache = PairCache(cache_dir, {
            "names": names_a, "columns": names_b, "layer_hashes": hashes[0], "column_hashes": hashes[1],
            "measure": measure.name, "options": resolved, "n_samples": n_used,
            "seed": seed if n_samples is not None else None, "warm_start": plan.warm,
        })
        def accept(i, j, value, perm):  # the checks of a computed pair; column j is state rows + j
            return _cached_pair_ok(i, rows + j, value, perm, measure=measure, names=names_a + names_b,
                                   states=states_a + states_b, n=n_used, is_gw=plan.is_gw)

        for (i, j), (value, perm) in cache.load(accept).items():
            matrix[i, j] = value
            perms[(i, j)] = perm
    n_cached = len(perms)
    schedule = _CrossSchedule(rows, cols, plan.warm, perms)
    n_pairs = rows * cols
    bar = _progress_bar(n_pairs, plan.progress, f"{measure.name} pairs (two models)", initial=n_cached)
    stats = _SolverStats()

    def on_result(result):
        # the runner sees one list of states, A's layers then B's: column j is state rows + j
        i, j, value, perm, pair_stats = result[0], result[1] - rows, *result[2:]
        _check_value(value, measure, f"reps_a[{names_a[i]!r}]", f"reps_b[{names_b[j]!r}]")
        matrix[i, j] = value
        perms[(i, j)] = perm
        if cache is not None:
            cache.store(i, j, value, perm)
        stats.add(pair_stats)
        bar.update(1)
        return _offset(schedule.after(i, j), rows)

    kind = run_pairs(states_a + states_b, plan, client, _offset(schedule.initial(), rows), on_result,
                     max_memory, bar)
    seconds = time.perf_counter() - t0
    info = stats.info(plan, kind, t_prepare, seconds, n_pairs, n_cached)
    if should_report(plan.progress, seconds):
        print(f"{measure.name}: {rows} × {cols} layers of two models, {n_pairs} pairs ({n_pairs - n_cached} "
              f"computed, {n_cached} from cache) on {n_used} samples in {seconds:.1f} s [{kind}]"
              f"{stats.summary(plan)}", file=sys.stderr)
    return LayerDistances(names=tuple(names_a), matrix=matrix, measure=measure.name, options=resolved,
                          n_samples=n_used, seed=seed if n_samples is not None else None, info=info,
                          columns=tuple(names_b))


def _offset(tasks, rows: int) -> list[tuple[int, int, np.ndarray | None]]:
    return [(i, rows + j, init) for i, j, init in tasks]
