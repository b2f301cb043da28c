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
from ..measures.registry import Measure, PairResult
from .checks import cached_pair_ok, check_value
from .layer_distances import LayerDistances
from .layers import check_dims, layer_shapes, prepare_layers
from .plan import make_plan
from .progress import RunStats, progress_bar
from .runners import run_pairs
from .schedule import CrossSchedule, offset

# Names this module had before the engine was split, kept for callers that import them here.
from .schedule import CrossSchedule as _CrossSchedule  # noqa: E402,F401
from .schedule import cross_init as _cross_init  # noqa: E402,F401

__all__ = ["cross_pairwise"]


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
        For a measure that takes warm starts (GW): pair (i, j) with i, j ≥ 1 also starts from the permutation chain of the
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
    plan = make_plan(measure, options, n_jobs=n_jobs, client=client, progress=progress,
                     warm_start=warm_start, n_samples=n_samples, seed=seed)
    measure = plan.measure
    shapes_a, shapes_b = layer_shapes(reps_a, "reps_a"), layer_shapes(reps_b, "reps_b")
    n_a, n_b = check_same_samples(shapes_a, "reps_a"), check_same_samples(shapes_b, "reps_b")
    if n_a != n_b:
        raise ValueError(f"`reps_a` has {n_a} samples per layer but `reps_b` has {n_b}; both models must "
                         "see the same inputs in the same order")
    check_dims(measure, {**{f"reps_a[{k!r}]": v for k, v in shapes_a.items()},
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
            return cached_pair_ok(i, rows + j, value, perm, measure=measure, names=names_a + names_b,
                                  states=states_a + states_b, n=n_used)

        for (i, j), (value, perm) in cache.load(accept).items():
            matrix[i, j] = value
            perms[(i, j)] = perm
    n_cached = len(perms)
    schedule = CrossSchedule(rows, cols, plan.warm, perms)
    n_pairs = rows * cols
    bar = progress_bar(n_pairs, plan.progress, f"{measure.name} pairs (two models)", initial=n_cached)
    stats = RunStats(plan)

    def on_result(i: int, state_j: int, result: PairResult):
        # the runner sees one list of states, A's layers then B's: column j is state rows + j
        j = state_j - rows
        check_value(result.value, measure, f"reps_a[{names_a[i]!r}]", f"reps_b[{names_b[j]!r}]")
        matrix[i, j] = result.value
        perms[(i, j)] = result.plan
        if cache is not None:
            cache.store(i, j, result.value, result.plan)
        stats.add(result)
        bar.update(1)
        return offset(schedule.after(i, j), rows)

    kind = run_pairs(states_a + states_b, plan, offset(schedule.initial(), rows), on_result, client=client,
                     max_memory=max_memory, bar=bar)
    seconds = time.perf_counter() - t0
    info = stats.info(kind=kind, t_prepare=t_prepare, seconds=seconds, n_pairs=n_pairs, n_cached=n_cached)
    if should_report(plan.progress, seconds):
        print(f"{measure.name}: {rows} × {cols} layers of two models, {n_pairs} pairs ({n_pairs - n_cached} "
              f"computed, {n_cached} from cache) on {n_used} samples in {seconds:.1f} s [{kind}]"
              f"{stats.summary()}", file=sys.stderr)
    return LayerDistances(names=tuple(names_a), matrix=matrix, measure=measure.name, options=resolved,
                          n_samples=n_used, seed=seed if n_samples is not None else None, info=info,
                          columns=tuple(names_b))

