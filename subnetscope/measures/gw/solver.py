"""The multi-start GW solver, :func:`gromov_wasserstein`, and its result :class:`GWResult`.

Why several starts, and why the value is never above POT's default: see
:mod:`subnetscope.measures.gw`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from ... import _options as opt
from ..._threads import one_blas_thread
from ..._validation import check_distance_matrix
from .assignment import resolve_assignment
from .frank_wolfe import StartRecord, finish_screened, fresh_duals, run_chain, run_start
from .options import OPTIONS, START_NAMES, Assignment, StartName, check_screen_tol
from .problem import Problem, perm_plan
from .starts import check_init, check_starts

__all__ = ["GWResult", "gromov_wasserstein", "permutation_value"]

#: Largest matrix entry (2**±100) solved as given; beyond, GW is solved on the matrices
#: divided by a power of two (exact) and the value scaled back, or refused when the value is
#: not representable in float64.
_SCALE_RANGE = (2.0**-100, 2.0**100)


@dataclass
class GWResult:
    """Outcome of :func:`gromov_wasserstein`.

    Attributes
    ----------
    value : float
        The GW objective at ``plan`` in POT's convention (as ``ot.gromov.gromov_wasserstein2``).
    plan : array of shape (n, m)
        The coupling; rows sum to 1/n and columns to 1/m.
    start : str
        Name of the start that reached ``value``.
    n_iter : int
        Frank-Wolfe iterations of the winning start.
    total_iter : int
        Frank-Wolfe iterations of all starts.
    values : dict
        Objective reached from each start that was run: where it converged, or for a start
        stopped by screening (see ``screen_tol``) where it stopped.
    permutation : array of shape (n,) or None
        ``plan`` as a permutation (``plan[i, permutation[i]] = 1/n``) when it is one.
    """

    value: float
    plan: np.ndarray
    start: str
    n_iter: int
    values: dict[str, float] = field(default_factory=dict)
    permutation: np.ndarray | None = None
    total_iter: int = 0


def _fingerprint(C: np.ndarray) -> bytes:
    import hashlib

    return hashlib.blake2b(np.ascontiguousarray(C).tobytes(), digest_size=16).digest()


def _solve_transposed(C1: np.ndarray, C2: np.ndarray) -> bool:
    """Canonical orientation of a pair: the smaller matrix first, ties broken by content
    (a hash of every 997th entry, then, only if those agree, of all: 13 ms at n = 1000)."""
    if C1.shape[0] != C2.shape[0]:
        return C1.shape[0] > C2.shape[0]
    s1, s2 = _fingerprint(np.ravel(C1)[::997]), _fingerprint(np.ravel(C2)[::997])
    if s1 != s2:
        return s2 < s1
    return _fingerprint(C2) < _fingerprint(C1)



def gromov_wasserstein(
    C1,
    C2,
    *,
    starts: StartName | Sequence[StartName] = START_NAMES,
    init: np.ndarray | None = None,
    max_iter: int = 1000,
    tol: float = 1e-12,
    check_input: bool = True,
    device: str | None = None,
    assignment: Assignment = "auto",
    screen_tol: float = 0.003,
    threads: int = 1,
) -> GWResult:
    r"""Square-loss Gromov-Wasserstein between two distance matrices, uniform weights.

    .. math::
        \mathrm{GW}(C_1, C_2) = \min_{\pi \in \Pi(\tfrac1n 1, \tfrac1m 1)}
        \sum_{i,j,k,l} (C_1[i,k] - C_2[j,l])^2 \, \pi_{ij} \pi_{kl}

    Multi-start Frank-Wolfe; see the module docstring for why it is exact per step
    and never worse than POT's default start.

    Parameters
    ----------
    C1 : array of shape (n, n)
    C2 : array of shape (m, m)
        Symmetric intra-layer distance matrices (see :func:`intra_distances`).
    starts : {"identity", "product", "tlb"} or a sequence of them
        ``identity`` couples sample i with sample i (needs n == m: every layer saw
        the same inputs); ``product`` is POT's ``p qᵀ``; ``tlb`` is the optimal plan
        of Mémoli's third lower bound. The best final value wins.
    init : array of shape (n,) or (n, m), optional
        An extra warm start: a permutation (``init[i]`` is matched to i) or a plan.
    max_iter : int
        Frank-Wolfe iterations per start.
    tol : float
        Relative improvement of the score below which a start has converged.
    check_input : bool
        Validate ``C1`` and ``C2`` (off only for matrices made by :func:`intra_distances`).
    device : str, optional
        ``None``: NumPy. A torch device (``"cuda"``, ``"cuda:1"``, ``"cpu"``): the matrix
        products (the O(n³) part) run there in float64 with torch; the assignments stay
        exact on the CPU (see :mod:`subnetscope.measures.gw.torch_backend`).
    assignment : {"auto", "sap", "lap", "emd"}
        The exact assignment solver of each Frank-Wolfe step: ``sap`` (our shortest
        augmenting paths, needs numba, warm-started from the previous step's duals and
        permutation: the fastest measured), ``lap`` (Jonker-Volgenant, the ``lap``
        package), ``emd`` (POT's network simplex, the solver inside POT's own GW).
        ``auto`` = ``sap`` when numba is installed; else ``lap`` except on pairs where a
        layer is essentially ≤ 4-dimensional (classical-MDS test), where Jonker-Volgenant
        was measured slower than the network simplex, and ``emd`` without ``lap``. All are
        exact; they can differ only in which of several equally good permutations they
        return.
    screen_tol : float
        With POT's ``product`` start among several: that start runs to convergence; every
        other start stops after the first step that lowers the value by less than this
        fraction of it, and only the best of those is then run to convergence. Frank-Wolfe
        paths on trained layers have long tails of small gains: on 66 pairs of the trained
        Model L (n = 1000) the default cut ~30% of the multi-start time for ~2% of its gain
        over POT (docs/performance.md). ``0`` runs every start to convergence. The result
        is never above POT's start either way.
    threads : int
        With screening, run the starts in up to this many threads at once, POT's start
        first (NumPy and the numba assignment release the GIL; each start has its own
        assignment duals); the result does not depend on it.

    Returns
    -------
    GWResult
        ``value``, ``plan``, the winning ``start``, ``n_iter`` and every start's value.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(20, 3))
    >>> C = intra_distances(X)
    >>> round(gromov_wasserstein(C, C[::-1, ::-1]).value, 12)
    0.0
    """
    opt.check_values({"max_iter": max_iter, "tol": tol, "check_input": check_input, "device": device,
                      "threads": threads}, OPTIONS, "gromov_wasserstein")
    if check_input:
        C1 = check_distance_matrix(C1, "C1")
        C2 = check_distance_matrix(C2, "C2")
    else:  # O(n²) against the solver's O(n³) per step: a NaN would never let it finish
        for name, C in (("C1", C1), ("C2", C2)):
            if not np.isfinite(C).all():
                raise ValueError(f"`{name}` contains {int((~np.isfinite(C)).sum())} NaN or Inf entries "
                                 "(check_input=False skips the other checks of the matrices, never this one)")
    starts = check_starts(starts, init is not None)
    screen_tol = check_screen_tol(screen_tol)
    assignment = resolve_assignment(assignment)
    init = check_init(init, len(C1), len(C2), len(C1) == len(C2))
    top = max(float(np.max(C1, initial=0.0)), float(np.max(C2, initial=0.0)))
    if top > 0 and not _SCALE_RANGE[0] <= top <= _SCALE_RANGE[1]:
        return _solve_rescaled(C1, C2, top, dict(starts=starts, init=init, max_iter=max_iter, tol=tol,
                                                  device=device, assignment=assignment,
                                                  screen_tol=screen_tol, threads=threads))
    if _solve_transposed(C1, C2):
        # GW(C1, C2) = GW(C2, C1) exactly: solve one canonical orientation, transpose back.
        if init is not None:
            init = np.asarray(init)
            init = np.argsort(init) if init.ndim == 1 else init.T
        result = gromov_wasserstein(
            C2, C1, starts=starts, init=init, max_iter=max_iter, tol=tol, check_input=False,
            device=device, assignment=assignment, screen_tol=screen_tol, threads=threads,
        )
        result.plan = result.plan.T
        if result.permutation is not None:
            result.permutation = np.argsort(result.permutation)
        return result
    if device is None:
        problem = Problem(C1, C2, assignment)
    else:
        from .torch_backend import TorchProblem

        problem = TorchProblem(C1, C2, device=device, assignment=assignment)
    candidates: list[tuple[str, tuple | None]] = []  # (name, start or None: made by _start)
    if init is not None:
        if init.ndim == 1:
            candidates.append(("init", (init, None, None)))
        else:
            candidates.append(("init", (None, init, None)))
    candidates += [(name, None) for name in starts if problem.square or name != "identity"]
    if not candidates:
        raise ValueError(f"none of `starts`={starts} applies to an {problem.n}x{problem.m} problem")

    # Screening: POT's start runs alone and to convergence (it carries the guarantee); every
    # other start stops once a step gains less than `screen_tol` of the value, and only the
    # best of those is finished.
    screening = screen_tol > 0 and len(candidates) > 1 and any(c[0] == "product" for c in candidates)
    if screening:
        workers = 1 if device is not None else int(threads)
        records = _run_screened(problem, candidates, max_iter=max_iter, tol=tol, screen_tol=screen_tol,
                                workers=workers)
    else:
        records = run_chain(problem, candidates, max_iter=max_iter, tol=tol)
    return _best(problem, records)


def _run_screened(problem: Problem, candidates: list, *, max_iter: int, tol: float, screen_tol: float,
                  workers: int) -> list[StartRecord]:
    """Every start with screening, POT's first. Each start works on its own copy of the
    problem (its own assignment duals, starting from zero), so the starts are independent
    tasks: with ``workers`` > 1 they run in a pool of threads, with the same result as one by one."""
    # POT's start first: it is the longest, and it carries the guarantee
    candidates = sorted(candidates, key=lambda c: c[0] != "product")
    copies = [problem] + [fresh_duals(problem) for _ in candidates[1:]]
    tasks = [functools.partial(run_start, copies[k], c, max_iter=max_iter, tol=tol,
                               screen_tol=0.0 if c[0] == "product" else screen_tol)
             for k, c in enumerate(candidates)]
    workers = min(workers, len(tasks))
    if workers <= 1:
        records = [task() for task in tasks]
        finish_screened(copies, records, max_iter, tol)
        return records
    from concurrent.futures import ThreadPoolExecutor

    # one BLAS thread per task: two tasks on two cores with multi-threaded BLAS
    # each were measured 20% slower than with one (2-core machine, n = 1000)
    with one_blas_thread(), ThreadPoolExecutor(workers) as pool:
        futures = [pool.submit(task) for task in tasks]
        records = [None] + [f.result() for f in futures[1:]]
        # POT's start may still be running: finish the best screened start meanwhile
        finish_screened(copies, records, max_iter, tol)
        records[0] = futures[0].result()
    return records


def _best(problem: Problem, records: list[StartRecord]) -> GWResult:
    """The result of the best start: every value is that of a real coupling; the first best
    wins ties (POT's start first)."""
    best, best_value = None, None
    values: dict[str, float] = {}
    total_iter = 0
    for record in records:
        total_iter += record.n_iter
        values[record.name] = problem.value(record.score)
        if best is None or values[record.name] < best_value:
            best, best_value = record, values[record.name]
    plan = perm_plan(best.sigma) if best.sigma is not None else best.plan
    return GWResult(
        value=float(best_value),
        plan=plan,
        start=best.name,
        n_iter=best.n_iter,
        values=values,
        permutation=best.sigma,
        total_iter=total_iter,
    )


def permutation_value(C1: np.ndarray, C2: np.ndarray, sigma: np.ndarray) -> float:
    """The GW objective of the coupling that sends sample i of C1 to sample sigma[i] of C2
    (mass 1/n each): mean over (i, k) of (C1[i, k] - C2[sigma[i], sigma[k]])². O(n²)."""
    return float(np.mean((C1 - C2[np.ix_(sigma, sigma)]) ** 2))


def _solve_rescaled(C1, C2, top: float, options: dict) -> GWResult:
    """GW of matrices whose largest entry lies outside ``_SCALE_RANGE``: solved on both divided
    by the power of two nearest their largest entry (exact in float64; GW(aC1, aC2) =
    a² GW(C1, C2)), the value scaled back; refused when it is not representable."""
    shift = int(np.frexp(top)[1])
    result = gromov_wasserstein(np.ldexp(C1, -shift), np.ldexp(C2, -shift), check_input=False, **options)
    with np.errstate(over="ignore", under="ignore"):
        value = float(np.ldexp(result.value, 2 * shift))
    if result.value > 0 and (value == 0.0 or not np.isfinite(value)):
        why = "underflow: it would read 0, as if identical" if value == 0 else "overflow"
        raise ValueError(
            f"the GW value of these matrices (largest entry {top:.3g}) is {result.value:.6g} × 2^{2 * shift}, "
            f"which float64 cannot hold ({why}); "
            "compare normalised matrices (intra_distances(..., normalize='max'), the default) or rescale them"
        )
    result.value = value
    result.values = {k: float(np.ldexp(v, 2 * shift)) for k, v in result.values.items()}
    return result


