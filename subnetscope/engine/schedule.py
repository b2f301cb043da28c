"""Which pairs can run now, and the warm start each is given.

A pair's start is made from the plans (permutations) of pairs already done; a pair is
released as soon as those are done, so every runner and every completion order computes the
same matrix. :class:`Schedule` is the all-pairs order of one model, :class:`CrossSchedule`
the rectangular order of two.
"""

from __future__ import annotations

import numpy as np

__all__ = ["CrossSchedule", "Schedule", "cross_init", "offset", "warm_init"]

Task = tuple[int, int, "np.ndarray | None"]  # (i, j, warm start or None)


class Schedule:
    """Which pairs can run now. Without warm starts, all of them. With warm starts, pair
    (i, j) waits for the two pairs its start is made from, (i, j-1) and (j-1, j)
    (:func:`warm_init`), and is released as soon as both are done: its start, hence its
    result, depends on those two results only, so every scheduler and every completion order
    computes the same thing, and no worker waits for a whole "wave" of equal distance."""

    def __init__(self, L: int, warm: bool, done: dict):
        self.L, self.warm, self.done = L, warm, done  # done: (i, j) -> permutation, filled by the caller
        self.released: set[tuple[int, int]] = set()

    def _ready(self, i: int, j: int) -> bool:
        if (i, j) in self.done or (i, j) in self.released:
            return False
        return not self.warm or j - i < 2 or ((i, j - 1) in self.done and (j - 1, j) in self.done)

    def _release(self, candidates) -> list[Task]:
        out = []
        for i, j in candidates:
            if self._ready(i, j):
                self.released.add((i, j))
                out.append((i, j, warm_init(i, j, self.done) if self.warm else None))
        return out

    def initial(self) -> list[Task]:
        return self._release((i, j) for i in range(self.L) for j in range(i + 1, self.L))

    def after(self, i: int, j: int) -> list[Task]:
        """The pairs that (i, j), just done, releases: (i, j+1), and for a neighbour pair
        (j = i+1) every (a, j) with a < i."""
        if not self.warm:
            return []
        candidates = [(i, j + 1)] if j + 1 < self.L else []
        if j == i + 1:
            candidates += [(a, j) for a in range(i)]
        return self._release(candidates)


def warm_init(i: int, j: int, perms: dict) -> np.ndarray | None:
    # σ(i, j-1) then σ(j-1, j): sample a of layer i -> σ2[σ1[a]] of layer j.
    if j - i < 2:
        return None
    first, second = perms.get((i, j - 1)), perms.get((j - 1, j))
    if first is None or second is None:
        return None
    return second[first]


class CrossSchedule:
    """Which pairs (row i of A, column j of B) can run now. Without warm starts, all. With
    them, a pair with i, j ≥ 1 waits for (i, j-1), (i-1, j-1) and (i-1, j) and also starts
    from the chain a_i → b_{j-1} → a_{i-1} → b_j of their permutations (:func:`cross_init`);
    the first row and column start cold. A pair's start depends only on those three results,
    so the matrix does not depend on the order in which pairs finish."""

    def __init__(self, rows: int, cols: int, warm: bool, done: dict):
        self.rows, self.cols, self.warm, self.done = rows, cols, warm, done
        self.released: set[tuple[int, int]] = set()

    def _ready(self, i: int, j: int) -> bool:
        if (i, j) in self.done or (i, j) in self.released:
            return False
        return not self.warm or i == 0 or j == 0 or all(
            p in self.done for p in ((i, j - 1), (i - 1, j - 1), (i - 1, j)))

    def _release(self, candidates) -> list[Task]:
        out = []
        for i, j in candidates:
            if i < self.rows and j < self.cols and self._ready(i, j):
                self.released.add((i, j))
                out.append((i, j, cross_init(i, j, self.done) if self.warm else None))
        return out

    def initial(self) -> list[Task]:
        return self._release((i, j) for i in range(self.rows) for j in range(self.cols))

    def after(self, i: int, j: int) -> list[Task]:
        """The pairs that (i, j), just done, may release: its right, lower and diagonal neighbours."""
        return self._release([(i, j + 1), (i + 1, j), (i + 1, j + 1)]) if self.warm else []


def cross_init(i: int, j: int, perms: dict) -> np.ndarray | None:
    # sample a of A_i -> σ(i, j-1)[a] of B_{j-1} -> back to A_{i-1} by σ(i-1, j-1)⁻¹ -> σ(i-1, j) of B_j
    if i == 0 or j == 0:
        return None
    first, middle, last = perms.get((i, j - 1)), perms.get((i - 1, j - 1)), perms.get((i - 1, j))
    if first is None or middle is None or last is None:
        return None
    return last[np.argsort(middle)[first]]


def offset(tasks, rows: int) -> list[Task]:
    """Tasks of a cross run as the runner sees them: one list of states, A's layers then B's,
    so column j is state ``rows + j``."""
    return [(i, rows + j, init) for i, j, init in tasks]
