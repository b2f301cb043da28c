"""All-pairs comparison of layers: the layer × layer distance matrix.

The engine's pieces, one concept each: :mod:`.plan` (the checked options of a run),
:mod:`.layers` (checked, subsampled and prepared layers), :mod:`.schedule` (which pairs run
when, with which warm start), :mod:`.runners` (serial, threads, processes, Dask),
:mod:`.checks` (every stored value), :mod:`.progress` (bar and statistics), :mod:`.cache`.
"""

from __future__ import annotations

import functools
import os
import sys
import time
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np

from .._progress import should_report
from .._validation import as_representation
from ..measures.registry import Measure, PairResult, as_number, get_measure
from .checks import cached_pair_ok, check_value
from .layer_distances import LayerDistances
from .layers import check_dims, layer_shapes, prepare_layers, subsample_rows  # noqa: F401
from .plan import make_plan
from .progress import RunStats, progress_bar
from .schedule import Schedule

# Names this module had before the engine was split, kept for callers that import them here.
from .checks import cached_pair_ok as _cached_pair_ok  # noqa: E402,F401
from .checks import check_value as _check_value  # noqa: E402,F401
from .layers import check_dims as _check_dims  # noqa: E402,F401
from .plan import OPTIONS, RunPlan  # noqa: E402,F401
from .plan import check_n_jobs as _check_n_jobs  # noqa: E402,F401
from .plan import make_plan as _plan  # noqa: E402,F401
from .progress import progress_bar as _progress_bar  # noqa: E402,F401
from .runners import run_pairs  # noqa: E402,F401
from .schedule import Schedule as _Schedule  # noqa: E402,F401
from .schedule import warm_init as _warm_init  # noqa: E402,F401

__all__ = ["distance", "pairwise", "prepare_layers", "subsample_rows"]


def pairwise(
    reps: Mapping[str, Any],
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
    """Compare every pair of layers with ``measure``.

    Each layer is prepared once (for GW: its intra-layer distance matrix), then every pair
    is compared, serially, over ``n_jobs`` local processes or on a Dask cluster; all three
    give bit-identical matrices.

    Parameters
    ----------
    reps : mapping of str to array of shape (n, ...)
        Layer name -> that layer's outputs on the same n inputs (row i = input i).
    measure : str or Measure
        A name from :func:`subnetscope.list_measures` (default ``"gw"``).
    n_samples : int, optional
        Compare on this many rows, drawn once (with ``seed``) and shared by every layer.
    seed : int
        Seed of the row subsample.
    progress : bool or "auto"
        Progress (layers prepared, then pairs done / total) and a summary line on stderr. On a
        terminal a bar; in a script or log (stderr not a terminal) plain lines every 10 s
        instead, from the start with True, and with ``"auto"`` only once a step runs 10 s.
    n_jobs : int
        Local worker processes (-1: one per core). BLAS threads per worker are capped at
        cores // n_jobs so that workers do not oversubscribe the machine, and a GW pair runs
        its starts in as many threads. With the default 1, a measure whose entry allows
        threads (``Measure.threads``; GW: the assignment solver and NumPy release the GIL)
        runs one pair per core in threads of this process; other measures run serially.
        Results do not depend on any of this.
    client : distributed.Client, optional
        Run the pairs on this Dask cluster instead (layers are scattered once). Give
        either ``client`` or ``n_jobs``, not both.
    cache_dir : str or path, optional
        Persist every finished pair here as it completes; a later call with the same
        inputs recomputes only the missing pairs. A cache made from other inputs or
        options is refused with what differs (see :class:`subnetscope.engine.cache.PairCache`).
    warm_start : bool
        For a measure that takes warm starts (GW; ``Measure.warm_start``): start pair (i, j)
        also from the permutation of (i, j-1) composed with that of (j-1, j). An extra start can only lower the value; a pair then runs as
        soon as those two are done (the result does not depend on the order).
    max_memory : int or str, optional
        Memory budget in bytes (or ``"16GB"``; ``"off"``: none) for the guard that refuses,
        before allocating, layers and intra-layer matrices that would not fit (every layer's
        state is held: for GW L × 8 n² bytes). Default: ``$SUBNETSCOPE_MAX_MEMORY``, else the
        memory available now. See docs/reliability.md.
    **options
        Options of the measure (see ``subnetscope measures``), e.g. ``normalize="mean"``;
        for GW also ``device="cuda"`` (matrix products on a torch device).

    Returns
    -------
    LayerDistances
        ``.names`` in input order, ``.matrix`` (L × L, symmetric, zero diagonal);
        ``.info`` holds timings, pairs computed / read from the cache and solver stats.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(50, 4))
    >>> d = pairwise({"a": X, "b": 2 * X + 1, "c": np.tanh(3 * X)})
    >>> round(d["a", "b"], 9), d["a", "c"] > 0
    (0.0, True)
    """
    plan = make_plan(measure, options, n_jobs=n_jobs, client=client, progress=progress,
                     warm_start=warm_start, n_samples=n_samples, seed=seed)
    measure, options, warm = plan.measure, plan.options, plan.warm
    t0 = time.perf_counter()
    hashes: dict[str, str] | None = {} if cache_dir is not None else None
    from .._memory import memory_limit

    with memory_limit(max_memory):
        names, states, n_used = prepare_layers(
            reps, measure, n_samples=n_samples, seed=seed, prepare_options=plan.prep_opts, hashes=hashes,
            progress=progress_bar(len(reps), plan.progress, f"{measure.name}: preparing layers", unit="layer"),
        )
    t_prepare = time.perf_counter() - t0
    resolved = measure.resolved_options(options)
    L = len(names)
    matrix = np.zeros((L, L))
    perms: dict[tuple[int, int], np.ndarray | None] = {}
    cache = None
    if cache_dir is not None:
        from .cache import PairCache

        cache = PairCache(cache_dir, {
            "names": names, "layer_hashes": hashes, "measure": measure.name, "options": resolved,
            "n_samples": n_used, "seed": seed if n_samples is not None else None,
            "warm_start": warm,
        })
        accept = functools.partial(cached_pair_ok, measure=measure, names=names, states=states, n=n_used)
        for (i, j), (value, perm) in cache.load(accept).items():
            matrix[i, j] = matrix[j, i] = value
            perms[(i, j)] = perm
    n_cached = len(perms)
    schedule = Schedule(L, warm, perms)
    n_pairs = L * (L - 1) // 2
    bar = progress_bar(n_pairs, plan.progress, f"{measure.name} pairs", initial=n_cached)
    stats = RunStats(plan)

    def on_result(i: int, j: int, result: PairResult):
        check_value(result.value, measure, names[i], names[j])
        matrix[i, j] = matrix[j, i] = result.value
        perms[(i, j)] = result.plan
        if cache is not None:
            cache.store(i, j, result.value, result.plan)
        stats.add(result)
        bar.update(1)
        return schedule.after(i, j)

    kind = run_pairs(states, plan, schedule.initial(), on_result, client=client, max_memory=max_memory, bar=bar)
    seconds = time.perf_counter() - t0
    info = stats.info(kind=kind, t_prepare=t_prepare, seconds=seconds, n_pairs=n_pairs, n_cached=n_cached)
    captured = getattr(reps, "settings", None)  # a Representations: how the layers were made
    if isinstance(captured, Mapping):
        info["capture"] = {k: captured[k] for k in _CAPTURE_KEYS if captured.get(k) is not None}
    if should_report(plan.progress, seconds):
        print(f"{measure.name}: {L} layers, {n_pairs} pairs ({n_pairs - n_cached} computed, {n_cached} "
              f"from cache) on {n_used} samples in {seconds:.1f} s [{kind}]{stats.summary()}", file=sys.stderr)
    return LayerDistances(
        names=tuple(names),
        matrix=matrix,
        measure=measure.name,
        options=resolved,
        n_samples=n_used,
        seed=seed if n_samples is not None else None,
        info=info,
    )


def distance(Y1: Any, Y2: Any, measure: str | Measure = "gw", **options: Any) -> float:
    """Distance between two representations of the same inputs.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(40, 3))
    >>> round(distance(X, X @ np.linalg.qr(np.ones((3, 3)) + np.eye(3))[0]), 9)
    0.0
    """
    measure = get_measure(measure)
    prep_opts, comp_opts = measure.split_options(options)
    A = as_representation(Y1, "Y1")
    B = as_representation(Y2, "Y2")
    if measure.paired and A.shape[0] != B.shape[0]:
        raise ValueError(
            f"`Y1` has {A.shape[0]} samples but `Y2` has {B.shape[0]}; measure {measure.name!r} "
            "compares sample i with sample i, so both must see the same inputs"
        )
    if not measure.handles_different_dims and A.shape[1] != B.shape[1]:
        check_dims(measure, {"Y1": A.shape, "Y2": B.shape})
    state_a, state_b = measure.prepare(A, **prep_opts), measure.prepare(B, **prep_opts)
    value = as_number(measure.compare(state_a, state_b, **comp_opts))
    if not measure.symmetric:  # each state prepared again, as before (prepare may be stochastic)
        value = 0.5 * (value + as_number(measure.compare(measure.prepare(B, **prep_opts),
                                                         measure.prepare(A, **prep_opts), **comp_opts)))
    check_value(value, measure, "Y1", "Y2")
    return value


# capture settings a LayerDistances keeps (what the report and `write_report` show and reproduce)
_CAPTURE_KEYS = ("model", "layers", "pooling", "pooling_rule", "n_samples", "seed", "inputs", "input_shape",
                 "max_length", "padding", "command")
