"""Where the pairs of a run are computed: one small class per runner.

Every runner takes tasks ``(i, j, init)`` on ``states[i]``, ``states[j]``, hands each
result to ``on_result(i, j, result)`` as it completes and runs the new tasks that returns,
until none are left. A pair's result does not depend on the runner, so all give the same
matrix bit for bit.
"""

from __future__ import annotations

import collections
import os
from typing import Any, Callable, Mapping

from .._threads import one_blas_thread
from ..measures.registry import Measure, PairResult
from . import _tasks
from .plan import RunPlan

__all__ = ["DaskRunner", "ProcessRunner", "Runner", "SerialRunner", "ThreadRunner", "make_runner", "run_pairs"]

OnResult = Callable[[int, int, PairResult], list]

#: Below this many samples a thread-capable measure's pairs run one at a time with one BLAS thread.
SMALL_STATES = 512


class Runner:
    """Runs tasks; ``kind`` names it in ``LayerDistances.info["scheduler"]``."""

    kind = ""

    def __init__(self, states: list, measure: Measure, options: Mapping[str, Any], *, jobs: int = 1,
                 client: Any = None):
        self.states, self.measure, self.options = states, measure, options
        self.jobs, self.client = jobs, client

    def run(self, todo, on_result: OnResult) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Release what the runner holds (workers, scattered data)."""


class SerialRunner(Runner):
    """One pair at a time, in this thread."""

    kind = "serial"

    def run(self, todo, on_result: OnResult) -> None:
        from contextlib import nullcontext

        limit = nullcontext()
        if self.measure.threads and max(len(state) for state in self.states) < SMALL_STATES:
            # Multi-threaded BLAS on products this small costs more in thread hand-offs
            # than it gains (measured at n = 200: 24 ms with 2 OpenBLAS threads, 0.85 ms
            # with 1, on a busy 2-core machine). Results do not change with the count.
            from threadpoolctl import threadpool_limits

            limit = threadpool_limits(limits=1, user_api="blas")
        queue = collections.deque(todo)
        with limit:
            while queue:
                i, j, init = queue.popleft()
                result = _tasks.compute_pair(self.measure, self.states[i], self.states[j], self.options, init)
                queue.extend(on_result(i, j, result))


class ThreadRunner(Runner):
    """One pair per core in threads of this process (the measure's compare releases the GIL:
    GW's numba assignment and NumPy), which keeps every core busy where the starts of one
    pair leave some idle."""

    kind = "threads"

    def run(self, todo, on_result: OnResult) -> None:
        import concurrent.futures as cf

        def submit(tasks):
            # when fewer pairs than cores are left to run (the last pairs wait for their
            # warm starts), a pair also runs its starts in threads
            threads = max(1, slots - len(futures) - len(tasks) + 1)
            for i, j, init in tasks:
                future = pool.submit(_tasks.compute_pair, self.measure, self.states[i], self.states[j],
                                     self.options, init, threads)
                futures[future] = (i, j)

        slots = self.slots()
        # one BLAS thread per pair: the cores are shared out by pairs, not inside products
        pool = cf.ThreadPoolExecutor(max_workers=slots)
        futures: dict = {}
        try:
            with one_blas_thread():
                submit(list(todo))
                while futures:
                    done, _ = cf.wait(futures, return_when=cf.FIRST_COMPLETED)
                    for future in done:
                        i, j = futures.pop(future)
                        submit(on_result(i, j, future.result()))
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def slots(self) -> int:
        """How many pairs (for GW: starts) may run at once in this process: one per core, fewer
        when the memory budget (docs/reliability.md) would not hold their working arrays (~4
        n × n float64 arrays per running GW start, measured with tracemalloc at n = 1000, and
        one more as margin)."""
        from .._memory import memory_budget

        cores = os.cpu_count() or 1
        n = max(len(state) for state in self.states)
        budget, _ = memory_budget()
        if budget is None:
            return cores
        return max(1, min(cores, int(budget // (4 * 8 * n * n + 8 * n * n))))


class ProcessRunner(Runner):
    """``jobs`` local worker processes, each holding every prepared layer once; BLAS threads
    per worker are capped at cores // jobs."""

    kind = "processes"
    pool = None

    def run(self, todo, on_result: OnResult) -> None:
        import concurrent.futures as cf

        if self.pool is None:
            import multiprocessing as mp

            method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
            blas = max(1, (os.cpu_count() or 1) // self.jobs)
            self.pool = cf.ProcessPoolExecutor(
                max_workers=self.jobs, mp_context=mp.get_context(method), initializer=_tasks.init_worker,
                initargs=(self.states, self.measure, self.options, blas),
            )
        futures = {self.pool.submit(_tasks.pair_in_worker, *task): task[:2] for task in todo}
        try:
            while futures:
                done, _ = cf.wait(futures, return_when=cf.FIRST_COMPLETED)
                for future in done:
                    i, j = futures.pop(future)
                    for task in on_result(i, j, future.result()):
                        futures[self.pool.submit(_tasks.pair_in_worker, *task)] = task[:2]
        finally:
            for future in futures:
                future.cancel()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)


class DaskRunner(Runner):
    """The pairs on a Dask cluster; the layers are broadcast once (a copy on every worker).

    Faults: a dying worker loses no data and Dask recomputes its pairs elsewhere. Should every
    copy be lost, the pair's future is cancelled: the layers are scattered again and the pair
    resubmitted (at most 3 times)."""

    kind = "dask"
    remote = None

    def run(self, todo, on_result: OnResult) -> None:
        import asyncio
        import concurrent.futures

        from distributed import as_completed

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
            future = self.client.submit(_tasks.pair_on_dask, self.measure, self.remote[i], self.remote[j],
                                        self.options, init, pure=False)
            futures[future] = task
            pending.add(future)

        retries: dict[tuple[int, int], int] = {}
        try:
            for task in todo:
                submit(task)
            for future in pending:
                i, j, init = futures[future]
                try:
                    result = future.result()
                except lost as exc:
                    retries[(i, j)] = retries.get((i, j), 0) + 1
                    if retries[(i, j)] > 3:
                        raise RuntimeError(f"pair ({i}, {j}) was lost with its Dask workers 3 times; "
                                           "is the cluster healthy?") from exc
                    if any(remote.status != "finished" for remote in self.remote):
                        self.client.wait_for_workers(1, timeout=120)  # a restarted worker may still be starting
                        self.remote = self.client.scatter(list(self.states), broadcast=True)
                    submit((i, j, init))
                    continue
                for task in on_result(i, j, result):
                    submit(task)
        finally:
            for future in futures:
                future.cancel()

    def close(self) -> None:
        if self.remote is not None:
            for future in self.remote:
                future.release()


def make_runner(states: list, measure: Measure, options: Mapping[str, Any], *, jobs: int = 1,
                client: Any = None) -> Runner:
    """The runner a run asks for: Dask with a ``client``, processes with ``jobs`` > 1; else
    threads for a measure whose entry allows them (on more than one core), else serial."""
    if client is not None:
        cls = DaskRunner
    elif jobs > 1:
        cls = ProcessRunner
    elif measure.runs_in_threads(options) and (os.cpu_count() or 1) > 1:
        cls = ThreadRunner
    else:
        cls = SerialRunner
    return cls(states, measure, options, jobs=jobs, client=client)


def run_pairs(states: list, plan: RunPlan, todo, on_result: OnResult, *, client: Any = None, max_memory=None,
              bar=None) -> str:
    """Run the tasks ``(i, j, init)`` with the runner the plan asks for, handing each result
    to ``on_result``; return the runner's kind."""
    from .._memory import memory_limit

    runner = make_runner(states, plan.measure, plan.comp_opts, jobs=plan.jobs, client=client)
    try:
        if todo:
            with memory_limit(max_memory):  # the threads runner sizes itself to the budget
                runner.run(todo, on_result)
    finally:
        runner.close()
        if bar is not None:
            bar.close()
    return runner.kind
