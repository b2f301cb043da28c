"""numba kernels of :mod:`subnetscope.measures._lsap` (imported on first use only)."""

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def _augment(c, u, v, row4col, cur, path, spc, SR, SC, remaining):
    # Dijkstra over columns from row `cur` on reduced costs c - u - v; returns the first
    # free column reached (the sink) and its path length.
    n = c.shape[0]
    for it in range(n):
        remaining[it] = n - 1 - it
        SR[it] = False
        SC[it] = False
        spc[it] = np.inf
    min_val = 0.0
    num_rem = n
    sink = -1
    i = cur
    while sink == -1:
        index = -1
        lowest = np.inf
        SR[i] = True
        ui = u[i]
        for it in range(num_rem):
            j = remaining[it]
            r = min_val + c[i, j] - ui - v[j]
            if r < spc[j]:
                path[j] = i
                spc[j] = r
            s = spc[j]
            if s < lowest or (s == lowest and row4col[j] == -1):
                lowest = s
                index = it
        min_val = lowest
        if min_val == np.inf:
            return -1, min_val
        j = remaining[index]
        if row4col[j] == -1:
            sink = j
        else:
            i = row4col[j]
        SC[j] = True
        num_rem -= 1
        remaining[index] = remaining[num_rem]
    return sink, min_val


@numba.njit(cache=True, nogil=True, inline="always")
def _best_two(c, p, i, cols, m):
    """(best, second best, best column) of the benefits -c[i, j] - p[j] over the columns
    ``cols[:m]``, or over j < m when ``cols`` is None (compiled apart: no indirection)."""
    w1 = -np.inf
    w2 = -np.inf
    j1 = -1
    for k in range(m):
        j = k if cols is None else cols[k]
        w = -c[i, j] - p[j]
        if w > w1:
            w2 = w1
            w1 = w
            j1 = j
        elif w > w2:
            w2 = w
    return w1, w2, j1


@numba.njit(cache=True, nogil=True)
def _auction(c, v, col4row, eps_start, eps_final, theta, K):
    """Forward auction (Bertsekas) with eps-scaling on the benefits -c, from prices -v.

    Writes the final prices to ``v`` (as column duals) and to ``col4row`` an assignment
    that is eps-optimal for the last eps (``eps_final`` times the cost range). Returns
    False, writing nothing, when the costs are constant or not finite.

    ``K`` > 0: each row keeps its K best columns from its last full scan and the (K+1)-th
    value as a bound. Prices only rise, so every other column is still worth at most the
    bound: while the best listed column beats it, a bid needs only the list (the bound
    standing in for the second best makes the bid no larger than exact, as eps-scaling
    allows); otherwise the row is scanned again.
    """
    n = c.shape[0]
    lo = np.inf
    hi = -np.inf
    for i in range(n):
        for j in range(n):
            x = c[i, j]
            if x < lo:
                lo = x
            if x > hi:
                hi = x
    span = hi - lo
    if not (span > 0.0 and span < np.inf):
        return False
    p = -v
    owner = np.empty(n, np.int64)
    stack = np.empty(n, np.int64)
    if K > n - 2:
        K = 0
    cand = np.empty((n, max(K, 1)), np.int64)
    bound = np.full(n, np.inf)  # inf: no list yet
    vals = np.empty(K + 1)
    idx = np.empty(K + 1, np.int64)
    eps = span * eps_start
    last = span * eps_final
    while True:
        for i in range(n):
            col4row[i] = -1
            owner[i] = -1
            stack[i] = n - 1 - i
        top = n
        while top > 0:  # Gauss-Seidel: one unassigned row bids at a time
            top -= 1
            i = stack[top]
            j1 = -1
            t = bound[i]
            if t < np.inf:
                w1, w2, j1 = _best_two(c, p, i, cand[i], K)
                if w1 >= t:
                    if t > w2:
                        w2 = t
                else:
                    j1 = -1
            if j1 < 0 and K > 0:  # full scan, keeping the K + 1 best
                for k in range(K + 1):
                    vals[k] = -np.inf
                    idx[k] = -1
                for j in range(n):
                    w = -c[i, j] - p[j]
                    if w > vals[K]:
                        k = K
                        while k > 0 and vals[k - 1] < w:
                            vals[k] = vals[k - 1]
                            idx[k] = idx[k - 1]
                            k -= 1
                        vals[k] = w
                        idx[k] = j
                for k in range(K):
                    cand[i, k] = idx[k]
                bound[i] = vals[K]
                w1 = vals[0]
                j1 = idx[0]
                w2 = vals[1]
            elif j1 < 0:
                w1, w2, j1 = _best_two(c, p, i, None, n)
            p[j1] += w1 - w2 + eps
            k = owner[j1]
            owner[j1] = i
            col4row[i] = j1
            if k >= 0:
                col4row[k] = -1
                stack[top] = k
                top += 1
        if eps <= last:
            break
        eps = max(eps / theta, last)
    for j in range(n):
        v[j] = -p[j]
    return True


@numba.njit(cache=True, nogil=True)
def _tight_start(c, v, prev, u, col4row, row4col):
    """Row duals u = the largest feasible with v; keep the pairs of ``prev`` that are
    tight, then give free rows their tight column where it is free. Returns the number
    of rows left to augment."""
    n = c.shape[0]
    arg = np.empty(n, np.int64)
    for i in range(n):
        best = np.inf
        bj = -1
        for j in range(n):
            r = c[i, j] - v[j]
            if r < best:
                best = r
                bj = j
        u[i] = best
        arg[i] = bj
        col4row[i] = -1
        row4col[i] = -1
    if prev.size == n:
        for i in range(n):
            j = prev[i]
            if 0 <= j < n and row4col[j] == -1 and c[i, j] - v[j] == u[i]:
                col4row[i] = j
                row4col[j] = i
    free = 0
    for i in range(n):
        if col4row[i] == -1:
            j = arg[i]
            if j >= 0 and row4col[j] == -1:
                col4row[i] = j
                row4col[j] = i
            else:
                free += 1
    return free


@numba.njit(cache=True, nogil=True)
def kernel(c, v, prev, auction_share, eps_warm, eps_final, theta, K, full_share, power):
    n = c.shape[0]
    u = np.empty(n)
    col4row = np.empty(n, np.int64)
    row4col = np.empty(n, np.int64)
    free = _tight_start(c, v, prev, u, col4row, row4col)
    if free > auction_share * n and n > 1:
        # Many rows to augment (a cold start, or a large Frank-Wolfe move): on these
        # degenerate costs shortest paths would grow trees over most rows. An auction with
        # eps-scaling finds near-optimal duals in a few dense sweeps (from scratch on a cold
        # start, from the given duals otherwise); the exact phase then has little left.
        cold = True
        for j in range(n):
            if v[j] != 0.0:
                cold = False
                break
        # from given duals, the fewer rows are left the better the duals: a smaller first eps
        # (eps_warm once `full_share` of the rows or more are left)
        eps = 0.25 if cold else max(eps_warm * min(1.0, free / (full_share * n)) ** power, eps_final)
        guess = np.empty(n, np.int64)
        if _auction(c, v, guess, eps, eps_final, theta, K):
            _tight_start(c, v, guess, u, col4row, row4col)
    path = -np.ones(n, np.int64)
    spc = np.empty(n)
    SR = np.zeros(n, np.bool_)
    SC = np.zeros(n, np.bool_)
    remaining = np.empty(n, np.int64)
    for cur in range(n):
        if col4row[cur] != -1:
            continue
        sink, min_val = _augment(c, u, v, row4col, cur, path, spc, SR, SC, remaining)
        if sink < 0:
            return col4row, False
        u[cur] += min_val  # dual update keeps feasibility and tightness on the tree
        for i in range(n):
            if SR[i] and i != cur:
                u[i] += min_val - spc[col4row[i]]
        for j in range(n):
            if SC[j]:
                v[j] -= min_val - spc[j]
        j = sink  # flip the path
        while True:
            i = path[j]
            row4col[j] = i
            nxt = col4row[i]
            col4row[i] = j
            j = nxt
            if i == cur:
                break
    return col4row, True
