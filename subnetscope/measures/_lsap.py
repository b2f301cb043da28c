"""Exact linear assignment by shortest augmenting paths, warm-startable (numba).

Why our own: Frank-Wolfe for GW solves one assignment per step on gradients that are
related from one step to the next, and no packaged solver (scipy, ``lap``, ``ot.emd``)
takes a starting point. This one keeps the column duals ``v`` between calls: each call
sets the row duals to ``u_i = min_j (c_ij - v_j)`` (dual feasible), keeps every previous
pair ``(i, prev[i])`` that is still tight, matches free rows to a free tight column, and
completes the rest with Dijkstra-like shortest augmenting paths on reduced costs (the
method of Crouse 2016, as in scipy's ``linear_sum_assignment``). Every step keeps dual
feasibility and complementary slackness, so the result is an optimal assignment whatever
``v`` was (up to float rounding, as for scipy); a good ``v`` only makes it faster.

When many rows are left to augment (a cold start, or a large move: over 45% of them, or
25% from n = 256 on, where rows bid from lists of their best columns), a forward auction
with eps-scaling (Bertsekas) first computes near-optimal duals from ``v``, starting from a
smaller eps the fewer rows are left, and the exact phase restarts from them: on the nearly
tied gradients of trained layers, shortest paths from poor duals grow trees over most rows.

Measured on Frank-Wolfe gradients of the trained modular transformer at n = 1000
(docs/performance.md): a cold call 0.03-0.1 s (auction + exact phase) against ~1 s for
``lap.lapjv``, scipy or shortest paths from zero duals; 0.03-0.05 s per call along a path
against 0.2-0.4 s for ``ot.emd``.

numba is imported on first use only (``import subnetscope`` stays light); compiled code is
cached on disk (``cache=True``), so only the first process on a machine pays the compile.
"""

from __future__ import annotations

import numpy as np

_KERNEL = None
NEEDS_NUMBA = ("the GW assignment solver 'sap' needs numba on every machine that computes pairs "
               "(pip install numba); or pass assignment='lap', 'emd' or 'auto'")
# above this share of rows to augment, an auction first finds near-optimal duals (with
# candidate lists, whose bids are cheaper, above the lower share); its first eps (relative to
# the cost range) from duals given is _EPS_WARM once _EPS_FULL_SHARE of the rows or more are
# left, and shrinks as (share / _EPS_FULL_SHARE) ** _EPS_POWER below that (fewer rows left:
# better duals). Tuned on Frank-Wolfe calls of trained layers (docs/performance.md): with
# lists 13-20% less assignment time at n = 350-1000 than the auction above 45% from 1e-3;
# without lists 0.45 stays the best share (n = 200-500: 0.25 is 4-11% slower).
_AUCTION_SHARE = 0.45
_AUCTION_SHARE_LISTS = 0.25
_EPS_WARM = 1e-3
_EPS_FULL_SHARE = 0.7
_EPS_POWER = 6.0
_EPS_FINAL = 1e-7  # the auction's last eps, relative to the cost range
_THETA = 6.0  # eps shrinks by this factor per phase
# candidate lists in the auction from this size on (K best columns per row): 4-14% less
# assignment time at n = 275-1000, 5-13% more at n = 200 (docs/performance.md)
_CANDIDATES = 4
_CANDIDATES_FROM = 256


def available() -> bool:
    """Whether numba can be imported (the solver needs it)."""
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


def _kernel():
    global _KERNEL
    if _KERNEL is None:
        try:
            from ._lsap_kernels import kernel
        except ImportError as exc:  # e.g. a Dask worker without numba
            raise ImportError(NEEDS_NUMBA) from exc
        _KERNEL = kernel
    return _KERNEL


def solve(cost: np.ndarray, v: np.ndarray, prev: np.ndarray | None = None) -> np.ndarray:
    """Minimum-cost assignment of the square ``cost``: ``col4row`` with
    ``sum(cost[i, col4row[i]])`` minimal.

    ``v`` (shape (n,), float64) holds column duals to start from and is overwritten with
    the optimal column duals of ``cost`` (zeros are a cold start). ``prev``: an assignment
    whose still-tight pairs are kept (e.g. the previous Frank-Wolfe vertex).
    """
    cost = np.ascontiguousarray(cost, dtype=np.float64)
    n = cost.shape[0] if cost.ndim else 0
    if cost.ndim != 2 or cost.shape[1] != n:
        raise ValueError(f"`cost` must be a square matrix, got shape {cost.shape}")
    if v.shape != (n,) or v.dtype != np.float64:
        raise ValueError(f"`v` must be a float64 array of shape ({n},), got {v.dtype} {v.shape}")
    prev = np.empty(0, np.int64) if prev is None else np.ascontiguousarray(prev, dtype=np.int64)
    K = _CANDIDATES if n >= _CANDIDATES_FROM else 0
    share = _AUCTION_SHARE_LISTS if K else _AUCTION_SHARE
    col4row, ok = _kernel()(cost, v, prev, share, _EPS_WARM, _EPS_FINAL, _THETA, K, _EPS_FULL_SHARE, _EPS_POWER)
    if not ok:
        raise ValueError("`cost` has no finite assignment (non-finite entries?)")
    return col4row
