"""The exact assignment solved at every Frank-Wolfe step, and the choice of its solver."""

from __future__ import annotations

import numpy as np

from ..._validation import check_choice
from .options import ASSIGNMENT_SOLVERS

__all__ = ["EMD_MAX_ITER", "low_dimensional", "resolve_assignment", "solve_assignment"]

# Network simplex needs more pivots than POT's default cap (1e5) on n = 1000 assignments.
EMD_MAX_ITER = 10_000_000


def low_dimensional(C: np.ndarray, k: int = 4, share: float = 0.95) -> bool:
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
    :class:`~subnetscope.measures.gw.problem.Problem`) when the ``lap`` package is installed, else becomes ``"emd"``."""
    check_choice(assignment, "assignment", ASSIGNMENT_SOLVERS)
    if assignment == "emd":
        return assignment
    from .. import _lsap

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


def solve_assignment(
    G: np.ndarray, solver: str = "emd", *, duals: np.ndarray | None = None, prev: np.ndarray | None = None
) -> np.ndarray:
    """Permutation σ maximising Σ_i G[i, σ(i)] (an exact vertex of the Birkhoff polytope).

    ``solver``: ``"sap"`` is our warm-started shortest augmenting path solver
    (:mod:`subnetscope.measures._lsap`; ``duals``, overwritten, and ``prev`` are its starting point);
    ``"lap"`` is Jonker-Volgenant (the ``lap`` package, C, float64), ``"emd"`` POT's
    network simplex. All return an optimal assignment (tested: equal sums).
    """
    n = G.shape[0]
    if solver == "sap":
        from .. import _lsap

        return _lsap.solve(-G, np.zeros(n) if duals is None else duals, prev)
    if solver == "lap":
        import lap

        sigma = np.asarray(lap.lapjv(-G, extend_cost=False, return_cost=False)[0])
        if sigma.size == n and sigma.min() >= 0 and np.unique(sigma).size == n:
            return sigma.astype(np.int64)
        solver = "emd"  # cannot happen for a finite square cost; stay exact regardless
    import ot

    u = np.full(n, 1.0 / n)
    plan = np.asarray(ot.emd(u, u, -G, numItermax=EMD_MAX_ITER))
    sigma = plan.argmax(axis=1)
    if np.unique(sigma).size != n or not np.allclose(plan[np.arange(n), sigma], 1.0 / n):
        from scipy.optimize import linear_sum_assignment  # emd hit its cap: exact fallback

        sigma = linear_sum_assignment(G, maximize=True)[1]
    return sigma.astype(np.int64)

