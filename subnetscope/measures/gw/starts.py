"""Where Frank-Wolfe starts: the named starts (the identity, POT's product coupling, the plan
of Mémoli's third lower bound) and a given warm start (a permutation or a plan), checked."""

from __future__ import annotations

import numpy as np

from ..._validation import check_choice
from .options import START_NAMES
from .problem import Problem

__all__ = ["check_init", "check_starts", "make_start", "sorted_matching", "tlb_cost"]


def check_starts(starts, has_init: bool) -> list[str]:
    """``starts`` as a list of start names (a single name is a list of one), or the error."""
    starts = [starts] if isinstance(starts, str) else list(starts)  # "product" = ("product",)
    for name in starts:
        check_choice(name, "starts", START_NAMES)
    if not starts and not has_init:
        raise ValueError("`starts` is empty and no `init` was given; give at least one start")
    return starts


def tlb_cost(C1: np.ndarray, C2: np.ndarray) -> np.ndarray:
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


def make_start(problem: Problem, name: str):
    """A start as (sigma, T, G) (``identity``: square problems only, see gromov_wasserstein)."""
    if name == "identity":
        return np.arange(problem.n), None, None
    if name == "product":
        # POT's default: Frank-Wolfe from p qᵀ, where C1 p qᵀ C2 = (C1 p)(C2 q)ᵀ.
        T0 = np.outer(problem.p, problem.q)
        a, b = problem.C1 @ problem.p, problem.C2 @ problem.q
        return None, T0, np.outer(a, b)
    if name == "tlb":
        tau, V = problem.direction(-tlb_cost(problem.C1, problem.C2), warm=False)
        return tau, V, None
    raise AssertionError(name)


def sorted_matching(a: np.ndarray, b: np.ndarray) -> np.ndarray | None:
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


def check_init(init, n: int, m: int, square: bool) -> np.ndarray | None:
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