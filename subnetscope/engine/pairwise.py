"""All-pairs comparison of layers: the layer × layer distance matrix."""

from __future__ import annotations

import collections
import functools
import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from .. import _options as opt
from .._progress import check_progress, should_report
from .._progress import progress as progress_reporter
from .._validation import as_representation, check_same_samples
from ..measures.registry import Measure, get_measure
from .layer_distances import LayerDistances

__all__ = ["distance", "pairwise", "prepare_layers", "subsample_rows"]

#: What the engine's own arguments accept (the measure's options are checked by its entry).
OPTIONS = {"n_samples": opt.integer(2, optional=True), "seed": opt.seed(), "warm_start": opt.flag()}


def subsample_rows(n: int, n_samples: int | None, seed: int) -> np.ndarray | None:
    """Row indices shared by every layer (sorted), or None to keep all ``n`` rows."""
    opt.check_values({"n_samples": n_samples, "seed": seed}, OPTIONS)
    if n_samples is None or n_samples >= n:
        if n_samples is not None and n_samples > n:
            raise ValueError(f"`n_samples` is {n_samples} but the layers have only {n} samples")
        return None
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n, size=int(n_samples), replace=False))


def _check_dims(measure: Measure, shapes: Mapping[str, tuple[int, int]]) -> None:
    if measure.handles_different_dims:
        return
    widths = {name: shape[1] for name, shape in shapes.items()}
    if len(set(widths.values())) > 1:
        (a, da), (b, db) = [next(iter(widths.items()))] + [
            (k, v) for k, v in widths.items() if v != next(iter(widths.values()))
        ][:1]
        from ..measures.registry import list_measures

        raise ValueError(
            f"measure {measure.name!r} needs layers of equal width, but {a!r} has {da} features "
            f"and {b!r} has {db}; measures that handle different widths: "
            f"{list_measures(handles_different_dims=True)}"
        )


def layer_shapes(reps: Mapping[str, Any], arg: str = "reps") -> dict[str, tuple[int, int]]:
    """(n_samples, n_features) of every layer of ``reps``, checked to be a mapping of arrays
    of at least two dimensions (the error names ``arg``)."""
    if not isinstance(reps, Mapping):
        raise TypeError(f"`{arg}` must map layer name -> array (n_samples, ...), got {type(reps).__name__}")
    if len(reps) == 0:
        raise ValueError(f"`{arg}` is empty; give at least one layer")
    shapes = {}
    for name, Y in reps.items():
        shape = getattr(Y, "shape", None)
        if shape is None:
            shape = np.shape(Y)
        if len(shape) < 2:
            as_representation(Y, f"{arg}[{name!r}]")  # raises the precise error
        shapes[str(name)] = (int(shape[0]), int(np.prod(shape[1:])))
    return shapes


def prepare_layers(
    reps: Mapping[str, Any],
    measure: Measure,
    *,
    n_samples: int | None = None,
    seed: int = 0,
    prepare_options: Mapping[str, Any] | None = None,
    hashes: dict[str, str] | None = None,
    arg: str = "reps",
    progress: Any = None,
) -> tuple[list[str], list[Any], int]:
    """Validate ``reps``, subsample rows and run ``measure.prepare`` once per layer.

    Returns (names, states, n_used). When ``hashes`` is a dict, it receives a hash of
    every layer's subsampled float64 data (what a cache is keyed by). ``arg`` is the name
    errors give the mapping. ``progress``, an object with ``update()`` and ``close()`` (see
    :mod:`subnetscope._progress`), is advanced per layer.
    """
    if isinstance(reps, Mapping):  # a nested list: read (and checked) once, as an array
        reps = {name: Y if hasattr(Y, "shape") else as_representation(Y, f"{arg}[{str(name)!r}]", min_samples=0)
                for name, Y in reps.items()}
    shapes = layer_shapes(reps, arg)
    n = check_same_samples(shapes, arg)
    _check_dims(measure, shapes)
    rows = subsample_rows(n, n_samples, seed)
    names, states = [], []
    for name, Y in reps.items():
        if rows is not None:
            Y = Y[rows]
        X = as_representation(Y, f"{arg}[{str(name)!r}]")
        names.append(str(name))
        if hashes is not None:
            from .cache import data_hash

            hashes[str(name)] = data_hash(X)
        try:
            states.append(measure.prepare(X, **(prepare_options or {})))
        except ValueError as exc:  # name the layer (a constant layer, too few samples for the measure ...)
            from .._memory import MemoryBudgetError

            kind = MemoryBudgetError if isinstance(exc, MemoryBudgetError) else ValueError
            raise kind(f"`{arg}[{str(name)!r}]`: {exc}") from exc
        _check_states_fit(states, len(shapes), measure.name, n if rows is None else rows.size)
        if progress is not None:
            progress.update(1)
    if progress is not None:
        progress.close()
    return names, states, (n if rows is None else rows.size)


def _check_states_fit(states: list, L: int, measure: str, n: int) -> None:
    # Every layer's state is held until the end (for GW: an n × n matrix per layer). After each
    # layer, refuse if the layers still to prepare (at the largest state seen) would not fit.
    from .._memory import check_memory, nbytes

    sizes = [nbytes(state) for state in states]
    left = L - len(states)
    if not left or not max(sizes):
        return
    square = max(sizes) >= 8 * n * n  # an n × n state per layer (GW, rsm, ...)
    check_memory(left * max(sizes), f"pairwise with measure {measure!r} keeps every layer's prepared state "
                 f"({L} layers × {max(sizes) / 1e6:.3g} MB{', an n × n matrix at n = %d' % n if square else ''})",
                 "compare on fewer samples (n_samples=, CLI --samples"
                 + ("; the states shrink as n², so halving n divides them by 4" if square else "")
                 + ") or fewer layers at a time", held=sum(sizes))


def _check_n_jobs(n_jobs: Any) -> int:
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, (int, np.integer)) or n_jobs == 0 or n_jobs < -1:
        raise ValueError(f"`n_jobs` must be a positive integer or -1 (all cores), got {n_jobs!r}")
    return (os.cpu_count() or 1) if n_jobs == -1 else int(n_jobs)


class _Schedule:
    """Which pairs can run now. Without warm starts, all of them. With warm starts, pair
    (i, j) waits for the two pairs its start is made from, (i, j-1) and (j-1, j)
    (:func:`_warm_init`), and is released as soon as both are done: its start, hence its
    result, depends on those two results only, so every scheduler and every completion order
    computes the same thing, and no worker waits for a whole "wave" of equal distance."""

    def __init__(self, L: int, warm: bool, done: dict):
        self.L, self.warm, self.done = L, warm, done  # done: (i, j) -> permutation, filled by the caller
        self.released: set[tuple[int, int]] = set()

    def _ready(self, i: int, j: int) -> bool:
        if (i, j) in self.done or (i, j) in self.released:
            return False
        return not self.warm or j - i < 2 or ((i, j - 1) in self.done and (j - 1, j) in self.done)

    def _release(self, candidates) -> list[tuple[int, int, np.ndarray | None]]:
        out = []
        for i, j in candidates:
            if self._ready(i, j):
                self.released.add((i, j))
                out.append((i, j, _warm_init(i, j, self.done) if self.warm else None))
        return out

    def initial(self) -> list[tuple[int, int, np.ndarray | None]]:
        return self._release((i, j) for i in range(self.L) for j in range(i + 1, self.L))

    def after(self, i: int, j: int) -> list[tuple[int, int, np.ndarray | None]]:
        """The pairs that (i, j), just done, releases: (i, j+1), and for a neighbour pair
        (j = i+1) every (a, j) with a < i."""
        if not self.warm:
            return []
        candidates = [(i, j + 1)] if j + 1 < self.L else []
        if j == i + 1:
            candidates += [(a, j) for a in range(i)]
        return self._release(candidates)


def _warm_init(i: int, j: int, perms: dict) -> np.ndarray | None:
    # σ(i, j-1) then σ(j-1, j): sample a of layer i -> σ2[σ1[a]] of layer j.
    if j - i < 2:
        return None
    first, second = perms.get((i, j - 1)), perms.get((j - 1, j))
    if first is None or second is None:
        return None
    return second[first]


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
        its starts in as many threads. With the default 1, GW runs one pair per core in
        threads of this process (the assignment solver and NumPy release the GIL); other
        measures run serially. Results do not depend on any of this.
    client : distributed.Client, optional
        Run the pairs on this Dask cluster instead (layers are scattered once). Give
        either ``client`` or ``n_jobs``, not both.
    cache_dir : str or path, optional
        Persist every finished pair here as it completes; a later call with the same
        inputs recomputes only the missing pairs. A cache made from other inputs or
        options is refused with what differs (see :class:`subnetscope.engine.cache.PairCache`).
    warm_start : bool
        GW only: start pair (i, j) also from the permutation of (i, j-1) composed with
        that of (j-1, j). An extra start can only lower the value; a pair then runs as
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
    plan = _plan(measure, options, n_jobs, client, progress, warm_start, n_samples=n_samples, seed=seed)
    measure, options, warm = plan.measure, plan.options, plan.warm
    t0 = time.perf_counter()
    hashes: dict[str, str] | None = {} if cache_dir is not None else None
    from .._memory import memory_limit

    with memory_limit(max_memory):
        names, states, n_used = prepare_layers(
            reps, measure, n_samples=n_samples, seed=seed, prepare_options=plan.prep_opts, hashes=hashes,
            progress=_progress_bar(len(reps), plan.progress, f"{measure.name}: preparing layers", unit="layer"),
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
        accept = functools.partial(_cached_pair_ok, measure=measure, names=names, states=states, n=n_used,
                                   is_gw=plan.is_gw)
        for (i, j), (value, perm) in cache.load(accept).items():
            matrix[i, j] = matrix[j, i] = value
            perms[(i, j)] = perm
    n_cached = len(perms)
    schedule = _Schedule(L, warm, perms)
    n_pairs = L * (L - 1) // 2
    bar = _progress_bar(n_pairs, plan.progress, f"{measure.name} pairs", initial=n_cached)
    stats = _SolverStats()

    def finish(i, j, value, perm, pair_stats):
        _check_value(value, measure, names[i], names[j])
        matrix[i, j] = matrix[j, i] = value
        perms[(i, j)] = perm
        if cache is not None:
            cache.store(i, j, value, perm)
        stats.add(pair_stats)
        bar.update(1)

    def on_result(result):
        finish(*result)
        return schedule.after(result[0], result[1])

    kind = run_pairs(states, plan, client, schedule.initial(), on_result, max_memory, bar)
    seconds = time.perf_counter() - t0
    info = stats.info(plan, kind, t_prepare, seconds, n_pairs, n_cached)
    captured = getattr(reps, "settings", None)  # a Representations: how the layers were made
    if isinstance(captured, Mapping):
        info["capture"] = {k: captured[k] for k in _CAPTURE_KEYS if captured.get(k) is not None}
    if should_report(plan.progress, seconds):
        print(f"{measure.name}: {L} layers, {n_pairs} pairs ({n_pairs - n_cached} computed, {n_cached} "
              f"from cache) on {n_used} samples in {seconds:.1f} s [{kind}]{stats.summary(plan)}", file=sys.stderr)
    return LayerDistances(
        names=tuple(names),
        matrix=matrix,
        measure=measure.name,
        options=resolved,
        n_samples=n_used,
        seed=seed if n_samples is not None else None,
        info=info,
    )


@dataclass
class RunPlan:
    """The checked options of one all-pairs run (:func:`pairwise` and :func:`cross_pairwise` share it)."""

    measure: Measure
    prep_opts: dict[str, Any]
    comp_opts: dict[str, Any]
    options: dict[str, Any]  # as given, with GW's assignment solver resolved
    jobs: int
    progress: bool | str  # True, False or "auto" (see subnetscope._progress)
    is_gw: bool
    warm: bool


def _plan(measure, options, n_jobs, client, progress, warm_start, *, n_samples=None, seed=0) -> RunPlan:
    """Check the engine's options once, before any layer is prepared."""
    from ..measures.gw import _check_screen_tol, _check_starts, gw_compare, resolve_assignment

    measure = get_measure(measure)
    prep_opts, comp_opts = measure.split_options(options)
    opt.check_values({"n_samples": n_samples, "seed": seed, "warm_start": warm_start}, OPTIONS, "pairwise")
    jobs = _check_n_jobs(n_jobs)
    if client is not None and jobs != 1:
        raise ValueError(f"give `n_jobs` (got {n_jobs!r}) or `client`, not both")
    if client is not None and not (hasattr(client, "submit") and hasattr(client, "scatter")):
        raise TypeError(f"`client` must be a distributed.Client, got {type(client).__name__}")
    progress = check_progress(progress)
    is_gw = measure.compare is gw_compare
    device = comp_opts.get("device") if is_gw else None
    if is_gw:
        # Resolve "auto" here, once: every worker (local or Dask) then uses the same exact
        # solver, and the cache manifest records which one made its pairs.
        comp_opts = {**comp_opts, "assignment": resolve_assignment(comp_opts.get("assignment", "auto"))}
        # bad solver options are refused before the layers are prepared, not at the first pair
        if "screen_tol" in comp_opts:
            _check_screen_tol(comp_opts["screen_tol"])
        if "starts" in comp_opts:  # neighbouring pairs have no warm start: a start is needed
            _check_starts(comp_opts["starts"], has_init=False)
        options = {**options, "assignment": comp_opts["assignment"]}
    if device is not None:
        from .torch_gw import resolve_device

        if resolve_device(device).type == "cuda" and (jobs > 1 or client is not None):
            raise ValueError("`device='cuda'` runs the pairs in this process; use n_jobs=1 and no client")
    return RunPlan(measure, prep_opts, comp_opts, dict(options), jobs, progress, is_gw,
                   bool(warm_start) and is_gw)


class _SolverStats:
    """GW's Frank-Wolfe iterations and which start won, summed over the pairs computed."""

    def __init__(self):
        self.iterations, self.wins = 0, {}

    def add(self, pair_stats: Mapping[str, Any]) -> None:
        if pair_stats:
            self.iterations += pair_stats["iterations"]
            self.wins[pair_stats["start"]] = self.wins.get(pair_stats["start"], 0) + 1

    def info(self, plan: RunPlan, kind: str, t_prepare: float, seconds: float, n_pairs: int,
             n_cached: int) -> dict[str, Any]:
        info = {"seconds_prepare": t_prepare, "seconds_total": seconds, "n_pairs": n_pairs,
                "n_computed": n_pairs - n_cached, "n_cached": n_cached, "scheduler": kind, "n_jobs": plan.jobs}
        if plan.is_gw:
            info.update(gw_iterations=self.iterations, gw_wins=self.wins, warm_start=plan.warm,
                        gw_assignment=plan.comp_opts["assignment"])
        return info

    def summary(self, plan: RunPlan) -> str:
        if not plan.is_gw:
            return ""
        wins = ", ".join(f"{k} {v}" for k, v in sorted(self.wins.items()))
        return f"; {self.iterations} Frank-Wolfe iterations, best start: {wins or '-'}"


def run_pairs(states: list, plan: RunPlan, client: Any, todo, on_result, max_memory, bar) -> str:
    """Run the tasks ``(i, j, init)`` on ``states[i]``, ``states[j]`` with the runner the plan
    asks for, handing each result to ``on_result``; return the runner's kind."""
    from .._memory import memory_limit

    runner = _Runner(states, plan.measure.compare, plan.comp_opts, plan.measure.symmetric, plan.is_gw,
                     plan.jobs, client)
    try:
        with memory_limit(max_memory):  # the threads runner sizes itself to the budget
            runner.run(todo, on_result)
    finally:
        runner.close()
        bar.close()
    return runner.kind


_SMALL_GW = 512  # below this many samples the serial GW runner uses one BLAS thread


class _Runner:
    """Runs tasks (i, j, init) in this process (serially, or GW in one thread per core), a
    process pool or on Dask. ``run(todo, on_result)`` hands each result to ``on_result`` as
    it completes and runs the new tasks that returns, until none are left."""

    def __init__(self, states, compare, options, symmetric, is_gw, jobs, client):
        self.args = (compare, options, symmetric, is_gw)
        self.states, self.jobs, self.client = states, jobs, client
        self.pool = None
        self.remote = None
        self.cores = os.cpu_count() or 1
        if client is not None:
            self.kind = "dask"
        elif jobs > 1:
            self.kind = "processes"
        else:
            # GW in this process: one pair per core in threads (the numba assignment and
            # NumPy release the GIL), which keeps both cores busy where the starts of one
            # pair leave one idle; a pair's result does not depend on its thread.
            on_cpu = options.get("device") is None  # a GPU runs one pair at a time
            self.kind = "threads" if is_gw and on_cpu and self.cores > 1 else "serial"

    def run(self, todo, on_result):
        from . import _tasks

        compare, options, symmetric, is_gw = self.args
        if not todo:
            return
        if self.kind == "serial":
            from contextlib import nullcontext

            limit = nullcontext()
            if is_gw and max(len(state) for state in self.states) < _SMALL_GW:
                # Multi-threaded BLAS on products this small costs more in thread hand-offs
                # than it gains (measured at n = 200: 24 ms with 2 OpenBLAS threads, 0.85 ms
                # with 1, on a busy 2-core machine). Results do not change with the count.
                from threadpoolctl import threadpool_limits

                limit = threadpool_limits(limits=1, user_api="blas")
            queue = collections.deque(todo)
            with limit:
                while queue:
                    i, j, init = queue.popleft()
                    queue.extend(on_result((i, j, *_tasks.compute_pair(
                        compare, self.states[i], self.states[j], options, symmetric, is_gw, init))))
            return
        if self.kind == "threads":
            import concurrent.futures as cf

            from ..measures.gw import _one_blas_thread

            def submit(tasks):
                # when fewer pairs than cores are left to run (the last pairs wait for their
                # warm starts), a pair also runs its starts in threads
                threads = max(1, slots - len(futures) - len(tasks) + 1)
                for i, j, init in tasks:
                    future = pool.submit(_tasks.compute_pair, compare, self.states[i], self.states[j],
                                         options, symmetric, is_gw, init, threads)
                    futures[future] = (i, j)

            slots = self._gw_slots()
            # one BLAS thread per pair: the cores are shared out by pairs, not inside products
            pool = cf.ThreadPoolExecutor(max_workers=slots)
            futures: dict = {}
            try:
                with _one_blas_thread():
                    submit(list(todo))
                    while futures:
                        done, _ = cf.wait(futures, return_when=cf.FIRST_COMPLETED)
                        for future in done:
                            i, j = futures.pop(future)
                            submit(on_result((i, j, *future.result())))
            finally:
                pool.shutdown(wait=True, cancel_futures=True)
            return
        if self.kind == "processes":
            import concurrent.futures as cf

            if self.pool is None:
                import multiprocessing as mp

                method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
                blas = max(1, self.cores // self.jobs)
                self.pool = cf.ProcessPoolExecutor(
                    max_workers=self.jobs, mp_context=mp.get_context(method),
                    initializer=_tasks.init_worker,
                    initargs=(self.states, compare, options, symmetric, is_gw, blas),
                )
            futures = {self.pool.submit(_tasks.pair_in_worker, *task) for task in todo}
            try:
                while futures:
                    done, futures = cf.wait(futures, return_when=cf.FIRST_COMPLETED)
                    for future in done:
                        for task in on_result(future.result()):
                            futures.add(self.pool.submit(_tasks.pair_in_worker, *task))
            finally:
                for future in futures:
                    future.cancel()
            return
        import asyncio
        import concurrent.futures

        from distributed import as_completed

        # Faults: layers are broadcast (a copy on every worker), so a dying worker loses no
        # data and Dask recomputes its pairs elsewhere. Should every copy be lost, the pair's
        # future is cancelled: the layers are scattered again and the pair resubmitted.
        try:
            from distributed import KilledWorker
        except ImportError:  # older distributed
            from distributed.scheduler import KilledWorker
        lost = (concurrent.futures.CancelledError, asyncio.CancelledError, KilledWorker)
        if self.remote is None:
            self.remote = self.client.scatter(list(self.states), broadcast=True)

        futures: dict = {}
        pending = as_completed()

        def submit(task):
            i, j, init = task
            future = self.client.submit(_tasks.pair_on_dask, i, j, compare, self.remote[i], self.remote[j],
                                        options, symmetric, is_gw, init, pure=False)
            futures[future] = task
            pending.add(future)

        retries: dict[tuple[int, int], int] = {}
        try:
            for task in todo:
                submit(task)
            for future in pending:
                try:
                    result = future.result()
                except lost as exc:
                    i, j, init = futures[future]
                    retries[(i, j)] = retries.get((i, j), 0) + 1
                    if retries[(i, j)] > 3:
                        raise RuntimeError(f"pair ({i}, {j}) was lost with its Dask workers 3 times; "
                                           "is the cluster healthy?") from exc
                    if any(remote.status != "finished" for remote in self.remote):
                        self.client.wait_for_workers(1, timeout=120)  # a restarted worker may still be starting
                        self.remote = self.client.scatter(list(self.states), broadcast=True)
                    submit((i, j, init))
                    continue
                for task in on_result(result):
                    submit(task)
        finally:
            for future in futures:
                future.cancel()

    def _gw_slots(self) -> int:
        """How many GW starts may run at once in this process: one per core, fewer when the
        memory budget (docs/reliability.md) would not hold their working arrays (~4 n × n
        float64 arrays per running start, measured with tracemalloc at n = 1000, and one
        more as margin)."""
        from .._memory import memory_budget

        n = max(len(state) for state in self.states)
        budget, _ = memory_budget()
        if budget is None:
            return self.cores
        return max(1, min(self.cores, int(budget // (4 * 8 * n * n + 8 * n * n))))

    def close(self):
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
        if self.remote is not None:
            for future in self.remote:
                future.release()


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
        _check_dims(measure, {"Y1": A.shape, "Y2": B.shape})
    from ._tasks import as_number

    state_a, state_b = measure.prepare(A, **prep_opts), measure.prepare(B, **prep_opts)
    value = as_number(measure.compare(state_a, state_b, **comp_opts))
    if not measure.symmetric:  # each state prepared again, as before (prepare may be stochastic)
        value = 0.5 * (value + as_number(measure.compare(measure.prepare(B, **prep_opts),
                                                         measure.prepare(A, **prep_opts), **comp_opts)))
    _check_value(value, measure, "Y1", "Y2")
    return value


def _cached_pair_ok(i: int, j: int, value: float, perm, *, measure: Measure, names, states, n: int,
                    is_gw: bool) -> bool:
    """Whether a pair read back from a cache passes the checks of a computed one: a valid value
    (:func:`_check_value`), a permutation of 0..n-1 if any, and for GW the value of that
    permutation (O(n²), against O(n³) per solver step). A pair that fails is recomputed."""
    try:
        _check_value(value, measure, names[i], names[j], "read back")
    except ValueError:
        return False
    if perm is None:
        return True
    if perm.shape != (n,) or not np.array_equal(np.sort(perm), np.arange(n)):
        return False
    if is_gw:
        from ..measures.gw import permutation_value

        C1, C2 = states[i], states[j]
        tol = 1e-9 * (value + float(np.mean(C1 * C1) + np.mean(C2 * C2)))
        return abs(permutation_value(C1, C2, perm) - value) <= tol
    return True


def _check_value(value: float, measure: Measure, a: str, b: str, source: str = "gave") -> None:
    """Every value the engine stores, computed or read back from a cache, passes here: finite,
    and ≥ 0 for a measure that says its values are distances (``Measure.non_negative``)."""
    if not np.isfinite(value):
        raise ValueError(
            f"measure {measure.name!r} {source} {value} for {a!r} and {b!r}: the inputs are degenerate for it "
            "(e.g. a constant layer or values near the float64 limits); nothing was stored"
        )
    if measure.non_negative and value < 0:
        raise ValueError(
            f"measure {measure.name!r} {source} {value:.6g} for {a!r} and {b!r}, but its values are distances "
            "(≥ 0; register it with non_negative=False if negative values are meant); nothing was stored"
        )


def _progress_bar(total: int, enabled: bool | str, desc: str, initial: int = 0, unit: str = "pair"):
    """A progress reporter (a bar on a terminal, plain lines in a script): :mod:`subnetscope._progress`."""
    return progress_reporter(total, desc, unit, enabled, initial=initial)


# capture settings a LayerDistances keeps (what the report and `write_report` show and reproduce)
_CAPTURE_KEYS = ("model", "layers", "pooling", "pooling_rule", "n_samples", "seed", "inputs", "input_shape",
                 "max_length", "padding", "command")
