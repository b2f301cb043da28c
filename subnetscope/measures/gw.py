"""Gromov-Wasserstein distance between two layer representations.

The objective (paper eq. 1, POT's square-loss convention)::

    GW(C1, C2) = min_π  Σ_{i,j,k,l} (C1[i,k] - C2[j,l])² π[i,j] π[k,l]

over couplings π with uniform marginals. It expands to
``mean(C1²) + mean(C2²) - 2 <C1 π C2, π>``, so minimising GW means maximising
the score ``s(π) = <C1 π C2, π>``.

Why a solver of our own rather than POT's: for Euclidean, squared Euclidean and
cosine distance matrices (all conditionally negative definite), ``s`` is convex
along every feasible direction, hence GW is concave on the couplings. Frank-Wolfe
(conditional gradient) then always takes full steps and every iterate is a vertex:
with equal sample counts, a permutation. One iteration is one matrix product
``C1 @ C2[σ]`` and one assignment. The local minimum it reaches depends on the start,
and POT's product start ``p qᵀ`` is often a poor one; we run several starts and keep
the best, one of which is POT's own first step, so the result is never worse than
POT's default. For matrices that are not conditionally negative definite the exact
line search may stop inside the polytope; the solver then continues on dense plans.
"""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass, field
from typing import Literal, Sequence

import numpy as np

from .. import _options as opt
from .._validation import as_representation, check_choice, check_distance_matrix

__all__ = ["GWResult", "gromov_wasserstein", "intra_distances", "START_NAMES", "ASSIGNMENT_SOLVERS"]

Metric = Literal["euclidean", "sqeuclidean", "cosine"]
Normalize = Literal["max", "mean", "none"]
START_NAMES = ("identity", "product", "tlb")
ASSIGNMENT_SOLVERS = ("auto", "sap", "lap", "emd")

#: What each option of ``gw`` (and of :func:`gromov_wasserstein`, :func:`intra_distances`)
#: accepts; the registry entry carries these (see subnetscope._options).
OPTIONS = {
    "metric": opt.choice("euclidean", "sqeuclidean", "cosine"),
    "normalize": opt.choice("max", "mean", "none"),
    "chunk_size": opt.integer(1, optional=True),
    "starts": opt.names(*START_NAMES),
    "max_iter": opt.integer(1),
    "tol": opt.number(0),
    "check_input": opt.flag(),
    "device": opt.device(),
    "assignment": opt.choice(*ASSIGNMENT_SOLVERS),
    "screen_tol": opt.number(0, 1, high_open=True),
    "threads": opt.integer(1),
}
#: Largest matrix entry (2**±100) solved as given; beyond, GW is solved on the matrices
#: divided by a power of two (exact) and the value scaled back, or refused when the value is
#: not representable in float64.
_SCALE_RANGE = (2.0**-100, 2.0**100)

# Network simplex needs more pivots than POT's default cap (1e5) on n = 1000 assignments.
_EMD_MAX_ITER = 10_000_000


def intra_distances(
    Y, metric: Metric = "euclidean", normalize: Normalize = "max", *, chunk_size: int | None = None
) -> np.ndarray:
    r"""Distances between the samples of one representation.

    Parameters
    ----------
    Y : array of shape (n_samples, ...)
        One layer's outputs for n inputs; axes after the first are flattened.
    metric : {"euclidean", "sqeuclidean", "cosine"}
        ``euclidean`` is :math:`\|y_i - y_k\|_2` (the paper's choice); ``cosine`` is
        :math:`1 - \cos(y_i, y_k)` with zero vectors treated as orthogonal to all others.
    normalize : {"max", "mean", "none"}
        Divide by the largest (``max``, POT's usual convention and our default) or
        the mean off-diagonal distance, or keep raw distances. A constant layer
        (all samples equal) has only zero distances; it is returned unscaled,
        all zeros, rather than divided by zero.
    chunk_size : int, optional
        Rows of the Gram matrix computed at a time (layers up to ``FEATURE_BLOCK`` = 4096
        features). Wider layers are always processed 4096 features at a time, so that
        memory stays at the float64 layer plus an n × 4096 block plus 3 n² (never a second
        n × d copy). Before allocating, the n × n matrix and its temporaries (3 × 8 n²
        bytes) are checked against the memory budget (see :mod:`subnetscope._memory`).

    Returns
    -------
    D : array of shape (n_samples, n_samples)
        Symmetric, non-negative, zero diagonal, float64.

    Examples
    --------
    >>> import numpy as np
    >>> intra_distances(np.eye(3), normalize="none").round(3)
    array([[0.   , 1.414, 1.414],
           [1.414, 0.   , 1.414],
           [1.414, 1.414, 0.   ]])
    """
    opt.check_values({"metric": metric, "normalize": normalize, "chunk_size": chunk_size}, OPTIONS,
                     "intra_distances")
    X = as_representation(Y, "Y")
    n, d = X.shape
    from .._memory import check_memory

    check_memory(8.0 * (3 * n * n + 2 * n * min(d, FEATURE_BLOCK)),
                 f"the {n}×{n} intra-layer distance matrix (with its temporaries, 3 × 8 n² B)",
                 "compare on fewer samples (n_samples=, CLI --samples): memory grows as n²")
    if d > FEATURE_BLOCK:
        D = _wide_squared_distances(X, metric == "cosine")
    else:
        if metric == "cosine":
            norms = np.linalg.norm(X, axis=1, keepdims=True)
            X = np.divide(X, norms, out=np.zeros_like(X), where=norms > 0)
        # Centre first: it leaves distances unchanged and limits cancellation in |x|²+|y|²-2xy.
        X = X - X.mean(axis=0)
        sq_norms = np.einsum("ij,ij->i", X, X)
        step = n if chunk_size is None else max(1, int(chunk_size))
        D = np.empty((n, n))
        for start in range(0, n, step):
            stop = min(n, start + step)
            D[start:stop] = sq_norms[start:stop, None] + sq_norms[None, :] - 2.0 * (X[start:stop] @ X.T)
    np.maximum(D, 0.0, out=D)
    D = 0.5 * (D + D.T)
    np.fill_diagonal(D, 0.0)
    if metric == "euclidean":
        np.sqrt(D, out=D)
    elif metric == "cosine":
        D *= 0.5  # |u - v|² / 2 = 1 - cos for unit vectors
    if normalize != "none":
        scale = D.max() if normalize == "max" else D.sum() / (n * (n - 1))
        if scale > 0:
            D /= scale
    return D


#: Layers wider than this are processed FEATURE_BLOCK columns at a time (see intra_distances).
FEATURE_BLOCK = 4096


def _wide_squared_distances(X: np.ndarray, cosine: bool) -> np.ndarray:
    """Squared distances of a wide layer, accumulating the Gram matrix over column blocks, so
    that only an n × FEATURE_BLOCK centred copy exists at a time (never a second n × d)."""
    n, d = X.shape
    blocks = [slice(a, min(d, a + FEATURE_BLOCK)) for a in range(0, d, FEATURE_BLOCK)]
    scale = None
    if cosine:
        sq = np.zeros(n)
        for b in blocks:
            sq += np.einsum("ij,ij->i", X[:, b], X[:, b])
        norms = np.sqrt(sq)[:, None]
        scale = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    G = np.zeros((n, n))
    for b in blocks:
        Xb = X[:, b] * scale if cosine else X[:, b].copy()
        Xb -= Xb.mean(axis=0)
        G += Xb @ Xb.T
    sq_norms = np.diag(G).copy()
    G *= -2.0
    G += sq_norms[:, None]
    G += sq_norms[None, :]
    return G


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


class _Problem:
    """Precomputed pieces of one GW problem with uniform weights."""

    def __init__(self, C1: np.ndarray, C2: np.ndarray, assignment: str = "emd"):
        self.C1, self.C2 = C1, C2
        if assignment == "auto":
            # Jonker-Volgenant is 10-50x faster than the network simplex on most GW gradients
            # but 2-5x slower when one layer is (almost) ≤ 4-dimensional (measured: the
            # attention patterns/scores of the modular transformer); pick per pair.
            low = _low_dimensional(C1) or _low_dimensional(C2)
            assignment = "emd" if low else "lap"
        self.assignment = assignment
        self.n, self.m = C1.shape[0], C2.shape[0]
        # column duals of the last assignment: "sap" starts the next one from them (the
        # gradients of one pair are related from step to step and from start to start)
        self.duals = np.zeros(self.m)
        self.p = np.full(self.n, 1.0 / self.n)
        self.q = np.full(self.m, 1.0 / self.m)
        self.const = float(np.mean(C1 * C1) + np.mean(C2 * C2))
        self.square = self.n == self.m

    def value(self, score: float) -> float:
        return max(self.const - 2.0 * score, 0.0)

    # --- gradients G = C1 π C2 of the score, in both plan representations ---
    def grad_perm(self, sigma: np.ndarray) -> np.ndarray:
        # π = P_σ / n  =>  C1 π C2 = C1 @ C2[σ, :] / n  (one matrix product)
        return (self.C1 @ self.C2[sigma, :]) / self.n

    def grad_step(self, sigma: np.ndarray, G: np.ndarray, tau: np.ndarray) -> np.ndarray:
        """Gradient at τ from the gradient ``G`` at σ: only the k rows where τ and σ differ
        change ``C2[σ, :]``, so ``G + C1[:, d] (C2[τ[d]] - C2[σ[d]]) / n`` costs O(k n²).
        (Measured at n = 1000, one BLAS thread: cheaper than the full product up to k ≈ 0.8 n.)"""
        d = np.flatnonzero(sigma != tau)
        if 4 * d.size > 3 * self.n:
            return self.grad_perm(tau)
        diff = self.C2[tau[d]]
        diff -= self.C2[sigma[d]]
        diff *= 1.0 / self.n
        # C1 is symmetric: its rows d are its columns d, and rows are contiguous
        out = self.C1[d].T @ diff
        out += G
        return out

    def grad_dense(self, T: np.ndarray) -> np.ndarray:
        rows, cols = np.nonzero(T)
        if rows.size <= (self.n + self.m):  # an LP vertex: sparse product
            left = self.C1[:, rows] * T[rows, cols]
            return left @ self.C2[cols, :]
        return self.C1 @ T @ self.C2

    # --- the linear sub-problem: maximise <G, V> over couplings ---
    def direction(self, G: np.ndarray, prev: np.ndarray | None = None, warm: bool = True):
        """The best vertex for the linear score ``<G, ·>``: a permutation (square problems)
        or a plan. ``prev`` (the current vertex) and, with ``warm``, the duals of the last
        call start the ``"sap"`` solver; the other solvers ignore them."""
        if self.square:
            duals = self.duals if warm else np.zeros(self.m)
            return _assignment(G, self.assignment, duals=duals, prev=prev), None
        import ot

        V = ot.emd(self.p, self.q, -G, numItermax=_EMD_MAX_ITER)
        return None, np.asarray(V)


def _low_dimensional(C: np.ndarray, k: int = 4, share: float = 0.95) -> bool:
    """Whether the points behind the distance matrix ``C`` lie (almost) in ≤ ``k`` dimensions.

    Classical MDS: ``B = -½ J C² J`` is the Gram matrix of the centred points; the share of
    its trace on its top-``k`` eigenspace, estimated by a fixed number of subspace iterations
    from a fixed start (deterministic, O(k n²) per iteration), is near 1 exactly when the
    layer is essentially ≤ k-dimensional (e.g. one head's attention pattern on two tokens).
    """
    n = C.shape[0]
    if n <= 2 * k:
        return True
    B = C * C
    B = B - B.mean(axis=0) - B.mean(axis=1)[:, None] + B.mean()
    B *= -0.5
    trace = float(np.trace(B))
    if trace <= 0:
        return True
    Q = np.random.default_rng(0).standard_normal((n, k))
    for _ in range(6):
        Q, _r = np.linalg.qr(B @ Q)
    return float(np.einsum("ij,ij->", Q, B @ Q)) >= share * trace


def resolve_assignment(assignment: str) -> str:
    """The exact assignment solver ``assignment`` names. ``"auto"`` becomes ``"sap"`` when
    numba is installed; else it stays ``"auto"`` (``lap`` or ``emd`` per pair, see
    :class:`_Problem`) when the ``lap`` package is installed, else becomes ``"emd"``."""
    check_choice(assignment, "assignment", ASSIGNMENT_SOLVERS)
    if assignment == "emd":
        return assignment
    from . import _lsap

    if assignment == "auto" and _lsap.available():
        return "sap"
    if assignment == "sap":
        if not _lsap.available():
            raise ImportError(_lsap.NEEDS_NUMBA)
        return assignment
    try:
        import lap  # noqa: F401
    except ImportError as exc:
        if assignment == "auto":
            return "emd"
        raise ImportError(
            "`assignment='lap'` needs the `lap` package (pip install lap); "
            "use assignment='emd' (POT's network simplex) or 'auto'"
        ) from exc
    return assignment


def _assignment(
    G: np.ndarray, solver: str = "emd", *, duals: np.ndarray | None = None, prev: np.ndarray | None = None
) -> np.ndarray:
    """Permutation σ maximising Σ_i G[i, σ(i)] (an exact vertex of the Birkhoff polytope).

    ``solver``: ``"sap"`` is our warm-started shortest augmenting path solver
    (:mod:`._lsap`; ``duals``, overwritten, and ``prev`` are its starting point);
    ``"lap"`` is Jonker-Volgenant (the ``lap`` package, C, float64), ``"emd"`` POT's
    network simplex. All return an optimal assignment (tested: equal sums).
    """
    n = G.shape[0]
    if solver == "sap":
        from . import _lsap

        return _lsap.solve(-G, np.zeros(n) if duals is None else duals, prev)
    if solver == "lap":
        import lap

        sigma = np.asarray(lap.lapjv(-G, extend_cost=False, return_cost=False)[0])
        if sigma.size == n and sigma.min() >= 0 and np.unique(sigma).size == n:
            return sigma.astype(np.int64)
        solver = "emd"  # cannot happen for a finite square cost; stay exact regardless
    import ot

    u = np.full(n, 1.0 / n)
    plan = np.asarray(ot.emd(u, u, -G, numItermax=_EMD_MAX_ITER))
    sigma = plan.argmax(axis=1)
    if np.unique(sigma).size != n or not np.allclose(plan[np.arange(n), sigma], 1.0 / n):
        from scipy.optimize import linear_sum_assignment  # emd hit its cap: exact fallback

        sigma = linear_sum_assignment(G, maximize=True)[1]
    return sigma.astype(np.int64)


_BLAS = None


def _one_blas_thread():
    """Context that limits BLAS to one thread (the controller is made once: 0.02 ms a call)."""
    global _BLAS
    if _BLAS is None:
        from threadpoolctl import ThreadpoolController

        _BLAS = ThreadpoolController()
    return _BLAS.limit(limits=1, user_api="blas")


def _check_starts(starts, has_init: bool) -> list[str]:
    starts = [starts] if isinstance(starts, str) else list(starts)  # "product" = ("product",)
    for name in starts:
        check_choice(name, "starts", START_NAMES)
    if not starts and not has_init:
        raise ValueError("`starts` is empty and no `init` was given; give at least one start")
    return starts


def _check_screen_tol(screen_tol) -> float:
    opt.check_value(screen_tol, "screen_tol", OPTIONS["screen_tol"])
    return float(screen_tol)


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


def _perm_plan(sigma: np.ndarray) -> np.ndarray:
    n = sigma.size
    T = np.zeros((n, n))
    T[np.arange(n), sigma] = 1.0 / n
    return T


def _frank_wolfe(
    problem: _Problem,
    sigma=None,
    T=None,
    G=None,
    max_iter: int = 1000,
    tol: float = 1e-12,
    *,
    first_tau: np.ndarray | None = None,
    visited: dict | None = None,
    trail: list | None = None,
    screen_tol: float = 0.0,
):
    """Maximise the score from a start given as a permutation or a dense plan.

    Returns (score, sigma or None, T or None, n_iter, converged). One matrix product per
    iteration.

    ``screen_tol`` > 0: stop early, with ``converged`` False, after the first full step that
    lowers the GW value by less than this fraction of it (the path is then left to be
    finished by a second call from where it stopped).

    ``first_tau``: the first linear-step direction when it is known without an
    assignment (POT's product start, see :func:`_start`). ``visited`` maps the key
    of every permutation on an already finished path to that path's end
    ``(score, sigma, T)``: Frank-Wolfe from a permutation is deterministic (its next
    step depends on that permutation only, up to the choice among exactly tied optimal
    assignments, which a warm-started solver may make differently), so a path that
    reaches one of them ends where that path ended, and stops there. ``trail``
    collects the keys of the permutations this path visits.
    """
    if sigma is not None:
        key = sigma.tobytes()
        if visited is not None and key in visited:
            return (*visited[key], 0, True)
        if trail is not None:
            trail.append(key)
        G = problem.grad_perm(sigma)
        score = float(G[np.arange(problem.n), sigma].sum()) / problem.n
    else:
        G = problem.grad_dense(T) if G is None else G
        score = float(np.vdot(G, T))
    n_iter = 0
    while n_iter < max_iter:
        n_iter += 1
        if first_tau is not None:
            tau, V, first_tau = first_tau, None, None
        else:
            tau, V = problem.direction(G, prev=sigma)
        if tau is not None:
            linear = float(G[np.arange(problem.n), tau].sum()) / problem.n
        else:
            linear = float(np.vdot(G, V))
        if linear - score <= tol * max(abs(score), 1e-300):
            break  # Frank-Wolfe gap closed: a stationary point
        if tau is None:
            GV = problem.grad_dense(V)
        elif sigma is not None:
            GV = problem.grad_step(sigma, G, tau)
        else:
            GV = problem.grad_perm(tau)
        if tau is not None:
            score_v = float(GV[np.arange(problem.n), tau].sum()) / problem.n
        else:
            score_v = float(np.vdot(GV, V))
        # s(t) = score + b t + a t² along the segment to the vertex
        b = 2.0 * (linear - score)
        a = score_v - 2.0 * linear + score
        step = 1.0 if a >= 0 else min(1.0, -b / (2.0 * a))
        if step >= 1.0:
            new_score = score_v
            if new_score - score <= tol * max(abs(score), 1e-300):
                break
            gain = 2.0 * (new_score - score)  # the GW value drops by twice the score's rise
            sigma, T, G, score = tau, (None if tau is not None else V), GV, new_score
            if tau is not None and (visited is not None or trail is not None):
                key = tau.tobytes()
                if visited is not None and key in visited:  # joined a finished path
                    return (*visited[key], n_iter, True)
                if trail is not None:
                    trail.append(key)
            if gain < screen_tol * problem.value(score):
                return score, sigma, T, n_iter, False
            continue
        # interior step (matrices not conditionally negative definite): go dense
        if T is None:
            T = _perm_plan(sigma)
        Vd = _perm_plan(tau) if tau is not None else V
        T = T + step * (Vd - T)
        G = G + step * (GV - G)
        new_score = score + b * step + a * step * step
        sigma = None
        if new_score - score <= tol * max(abs(score), 1e-300):
            score = new_score
            break
        score = new_score
    return score, sigma, T, n_iter, True


def _tlb_cost(C1: np.ndarray, C2: np.ndarray) -> np.ndarray:
    """Mémoli's third lower bound cost: W2² between the distance profiles of i and j."""
    k = min(C1.shape[0], C2.shape[0])
    s1 = np.sort(C1, axis=1)
    s2 = np.sort(C2, axis=1)
    if s1.shape[1] != k:
        s1 = np.quantile(C1, np.linspace(0, 1, k), axis=1).T
    if s2.shape[1] != k:
        s2 = np.quantile(C2, np.linspace(0, 1, k), axis=1).T
    cost = (s1**2).sum(1)[:, None] + (s2**2).sum(1)[None, :] - 2.0 * s1 @ s2.T
    return cost / k


def _start(problem: _Problem, name: str):
    """A start as (sigma, T, G) (``identity``: square problems only, see gromov_wasserstein)."""
    if name == "identity":
        return np.arange(problem.n), None, None
    if name == "product":
        # POT's default: Frank-Wolfe from p qᵀ, where C1 p qᵀ C2 = (C1 p)(C2 q)ᵀ.
        T0 = np.outer(problem.p, problem.q)
        a, b = problem.C1 @ problem.p, problem.C2 @ problem.q
        return None, T0, np.outer(a, b)
    if name == "tlb":
        tau, V = problem.direction(-_tlb_cost(problem.C1, problem.C2), warm=False)
        return tau, V, None
    raise AssertionError(name)


def _run_chain(problem: _Problem, candidates, *, max_iter: int, tol: float) -> list:
    """Frank-Wolfe from each start in turn to convergence on ``problem`` (whose assignment
    duals carry from one start to the next); [name, score, sigma, T, n_iter, converged,
    trail] per start."""
    # Every permutation on a finished path -> that path's end: a start that reaches one
    # of them (or begins there) would repeat that path, so it stops with its result.
    visited: dict[bytes, tuple] = {}
    return [_run_start(problem, candidate, max_iter=max_iter, tol=tol, visited=visited) for candidate in candidates]


def _run_start(problem: _Problem, candidate, *, max_iter: int, tol: float, screen_tol: float = 0.0,
               visited: dict | None = None) -> list:
    """Frank-Wolfe from one start; returns [name, score, sigma, T, n_iter, converged, trail]
    and adds the path of a converged start to ``visited``."""
    name, start = candidate
    sigma, T, G = _start(problem, name) if start is None else start
    first_tau = None
    if name == "product" and problem.square and sigma is None:
        first_tau = _sorted_matching(problem.C1 @ problem.p, problem.C2 @ problem.q)
    trail: list[bytes] = []
    score, sigma_end, T_end, n_iter, converged = _frank_wolfe(
        problem, sigma, T, G, max_iter=max_iter, tol=tol, first_tau=first_tau,
        visited=visited, trail=trail, screen_tol=screen_tol,
    )
    record = [name, score, sigma_end, T_end, n_iter, converged, trail]
    if converged and visited is not None:
        _remember_path(visited, record)
    return record


def _remember_path(visited: dict, record: list) -> None:
    """Map every permutation on a converged start's path to that path's end."""
    for key in record[6]:
        visited[key] = (record[1], record[2], record[3])


def _fresh_duals(problem: _Problem) -> _Problem:
    """The same problem (its matrices shared) with its own assignment duals, from zero."""
    other = copy.copy(problem)
    other.duals = np.zeros(problem.m)
    return other


def _finish_screened(copies: list, records: list, max_iter: int, tol: float) -> None:
    """Finish the best start that screening stopped (among ``records[1:]``, POT's start being
    ``records[0]``; ``records[k]`` runs on ``copies[k]`` and is updated in place), unless a
    converged one among them beats it; it stops early if it joins a converged one's path."""
    others = range(1, len(records))
    stopped = [k for k in others if not records[k][5]]
    if not stopped:
        return
    k = max(stopped, key=lambda k: records[k][1])
    r = records[k]
    done = [records[i] for i in others if records[i][5]]
    if all(r[1] > d[1] for d in done):
        visited: dict[bytes, tuple] = {}
        for d in done:
            _remember_path(visited, d)
        score, r[2], r[3], n_iter, _ = _frank_wolfe(
            copies[k], r[2], r[3], None, max_iter=max_iter - r[4], tol=tol, visited=visited, trail=r[6])
        r[1], r[4], r[5] = score, r[4] + n_iter, True


def _sorted_matching(a: np.ndarray, b: np.ndarray) -> np.ndarray | None:
    """The unique σ maximising Σ a_i b_σ(i) (rearrangement inequality), or None on ties.

    This is the assignment of the rank-one gradient ``a bᵀ`` at POT's start ``p qᵀ``:
    found by sorting instead of a network simplex. With ties the maximiser is not
    unique, and we leave the choice to the same solver POT uses.
    """
    oa, ob = np.argsort(a, kind="stable"), np.argsort(b, kind="stable")
    if np.any(np.diff(a[oa]) <= 0) or np.any(np.diff(b[ob]) <= 0):
        return None
    sigma = np.empty(a.size, dtype=np.int64)
    sigma[oa] = ob
    return sigma


def gromov_wasserstein(
    C1,
    C2,
    *,
    starts: Sequence[str] = START_NAMES,
    init: np.ndarray | None = None,
    max_iter: int = 1000,
    tol: float = 1e-12,
    check_input: bool = True,
    device: str | None = None,
    assignment: str = "auto",
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
        exact on the CPU (see :mod:`subnetscope.engine.torch_gw`).
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
    starts = _check_starts(starts, init is not None)
    screen_tol = _check_screen_tol(screen_tol)
    assignment = resolve_assignment(assignment)
    init = _check_init(init, len(C1), len(C2), len(C1) == len(C2))
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
        problem = _Problem(C1, C2, assignment)
    else:
        from ..engine.torch_gw import TorchProblem

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
    # best of those is finished. Each start works on its own copy of the problem (its own
    # assignment duals, starting from zero), so the starts are independent tasks: with
    # `threads` > 1 they run in a pool of threads, with the same result as one by one.
    screening = screen_tol > 0 and len(candidates) > 1 and any(c[0] == "product" for c in candidates)
    if screening:
        # POT's start first: it is the longest, and it carries the guarantee
        candidates.sort(key=lambda c: c[0] != "product")
        copies = [problem] + [_fresh_duals(problem) for _ in candidates[1:]]
        tasks = [functools.partial(_run_start, copies[k], c, max_iter=max_iter, tol=tol,
                                   screen_tol=0.0 if c[0] == "product" else screen_tol)
                 for k, c in enumerate(candidates)]
        workers = min(int(threads), len(tasks)) if device is None else 1
        if workers > 1:
            from concurrent.futures import ThreadPoolExecutor

            # one BLAS thread per task: two tasks on two cores with multi-threaded BLAS
            # each were measured 20% slower than with one (2-core machine, n = 1000)
            with _one_blas_thread(), ThreadPoolExecutor(workers) as pool:
                futures = [pool.submit(task) for task in tasks]
                records = [None] + [f.result() for f in futures[1:]]
                # POT's start may still be running: finish the best screened start meanwhile
                _finish_screened(copies, records, max_iter, tol)
                records[0] = futures[0].result()
        else:
            records = [task() for task in tasks]
            _finish_screened(copies, records, max_iter, tol)
    else:
        records = _run_chain(problem, candidates, max_iter=max_iter, tol=tol)

    # every value is that of a real coupling; the first best wins ties (POT's start first)
    best = None
    values: dict[str, float] = {}
    total_iter = 0
    for name, score, sigma_end, T_end, n_iter, _converged, _trail in records:
        total_iter += n_iter
        values[name] = problem.value(score)
        if best is None or values[name] < best[0]:
            best = (values[name], name, sigma_end, T_end, n_iter)
    value, name, sigma_end, T_end, n_iter = best
    plan = _perm_plan(sigma_end) if sigma_end is not None else T_end
    return GWResult(
        value=float(value),
        plan=plan,
        start=name,
        n_iter=n_iter,
        values=values,
        permutation=sigma_end,
        total_iter=total_iter,
    )


def permutation_value(C1: np.ndarray, C2: np.ndarray, sigma: np.ndarray) -> float:
    """The GW objective of the coupling that sends sample i of C1 to sample sigma[i] of C2
    (mass 1/n each): mean over (i, k) of (C1[i, k] - C2[sigma[i], sigma[k]])². O(n²)."""
    return float(np.mean((C1 - C2[np.ix_(sigma, sigma)]) ** 2))


def _check_init(init, n: int, m: int, square: bool) -> np.ndarray | None:
    """``init`` as an int64 permutation of 0..n-1 or a float64 (n, m) coupling, or raise."""
    if init is None:
        return None
    init = np.asarray(init)
    if init.dtype == object or init.dtype.kind not in "biuf":
        raise TypeError(f"`init` must be a numeric array, got dtype {init.dtype}")
    if init.shape == (n,) and square:
        if init.dtype.kind == "f" and not (np.isfinite(init).all() and (init == np.round(init)).all()):
            raise ValueError("`init` as a permutation must hold integers")
        perm = init.astype(np.int64)
        if not np.array_equal(np.sort(perm), np.arange(n)):
            bad = perm[(perm < 0) | (perm >= n)]
            what = f"entries out of 0..{n - 1} (e.g. {int(bad[0])})" if bad.size else "repeated entries"
            raise ValueError(f"`init` must be a permutation of 0..{n - 1}, but it has {what}")
        return perm
    if init.shape == (n, m):
        plan = init.astype(np.float64)
        if not np.isfinite(plan).all() or (plan < 0).any():
            raise ValueError("`init` as a plan must be finite and non-negative; it has "
                             f"{int((~np.isfinite(plan)).sum())} NaN or Inf and {int((plan < 0).sum())} "
                             "negative entries")
        rows, cols = plan.sum(axis=1), plan.sum(axis=0)
        if not (np.allclose(rows, 1.0 / n, rtol=1e-6, atol=1e-9 / n)
                and np.allclose(cols, 1.0 / m, rtol=1e-6, atol=1e-9 / m)):
            raise ValueError(f"`init` as a plan must have uniform marginals (rows sum to 1/{n}, columns to 1/{m}); "
                             f"its row sums span {rows.min():.3g}..{rows.max():.3g}, "
                             f"column sums {cols.min():.3g}..{cols.max():.3g}")
        return plan
    raise ValueError(
        f"`init` must be a permutation of shape ({n},) or a plan of shape ({n}, {m}), got shape {init.shape}"
    )


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


# --- registry entry points (see measures/builtin.py) ---
def gw_prepare(
    Y: np.ndarray, *, metric: Metric = "euclidean", normalize: Normalize = "max"
) -> np.ndarray:
    """Per-layer state of the ``gw`` measure: the intra-layer distance matrix."""
    return intra_distances(Y, metric=metric, normalize=normalize)


def gw_compare(
    C1: np.ndarray,
    C2: np.ndarray,
    *,
    starts: Sequence[str] = START_NAMES,
    max_iter: int = 1000,
    tol: float = 1e-12,
    device: str | None = None,
    assignment: str = "auto",
    screen_tol: float = 0.003,
) -> float:
    """GW value between two prepared layers (``device``, ``assignment``, ``screen_tol``: see
    :func:`gromov_wasserstein`)."""
    return gromov_wasserstein(
        C1, C2, starts=starts, max_iter=max_iter, tol=tol, check_input=False, device=device,
        assignment=assignment, screen_tol=screen_tol,
    ).value
