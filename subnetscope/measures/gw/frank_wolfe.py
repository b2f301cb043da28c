"""Frank-Wolfe (conditional gradient) on one GW problem, from one start or several.

A start's outcome is a :class:`StartRecord`; screening (see
:func:`~subnetscope.measures.gw.gromov_wasserstein`, ``screen_tol``) stops some starts early
and :func:`finish_screened` finishes the best of them.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np

from .problem import Problem, perm_plan
from .starts import make_start, sorted_matching

__all__ = ["StartRecord", "finish_screened", "frank_wolfe", "fresh_duals", "remember_path", "run_chain",
           "run_start"]


@dataclass
class StartRecord:
    """Where Frank-Wolfe from one start got to.

    Attributes
    ----------
    name : str
        The start (``"identity"``, ``"product"``, ``"tlb"`` or ``"init"``).
    score : float
        The score ``<C1 π C2, π>`` at the end (the GW value is ``Problem.value(score)``).
    sigma : array of shape (n,) or None
        The end as a permutation, when it is one.
    plan : array of shape (n, m) or None
        The end as a dense plan, when it is not a permutation.
    n_iter : int
        Frank-Wolfe iterations run from this start.
    converged : bool
        False for a start that screening stopped early.
    trail : list of bytes
        Keys of the permutations the path visited (see :func:`remember_path`).
    """

    name: str
    score: float
    sigma: np.ndarray | None
    plan: np.ndarray | None
    n_iter: int
    converged: bool
    trail: list[bytes] = field(default_factory=list)


def frank_wolfe(
    problem: Problem,
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
    assignment (POT's product start, see :func:`~.starts.make_start`). ``visited`` maps the key
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
            T = perm_plan(sigma)
        Vd = perm_plan(tau) if tau is not None else V
        T = T + step * (Vd - T)
        G = G + step * (GV - G)
        new_score = score + b * step + a * step * step
        sigma = None
        if new_score - score <= tol * max(abs(score), 1e-300):
            score = new_score
            break
        score = new_score
    return score, sigma, T, n_iter, True


def run_chain(problem: Problem, candidates, *, max_iter: int, tol: float) -> list[StartRecord]:
    """Frank-Wolfe from each start in turn to convergence on ``problem`` (whose assignment
    duals carry from one start to the next); a :class:`StartRecord` per start."""
    # Every permutation on a finished path -> that path's end: a start that reaches one
    # of them (or begins there) would repeat that path, so it stops with its result.
    visited: dict[bytes, tuple] = {}
    return [run_start(problem, candidate, max_iter=max_iter, tol=tol, visited=visited) for candidate in candidates]


def run_start(problem: Problem, candidate, *, max_iter: int, tol: float, screen_tol: float = 0.0,
              visited: dict | None = None) -> StartRecord:
    """Frank-Wolfe from one start ``(name, (sigma, T, G) or None)``; adds the path of a
    converged start to ``visited``."""
    name, start = candidate
    sigma, T, G = make_start(problem, name) if start is None else start
    first_tau = None
    if name == "product" and problem.square and sigma is None:
        first_tau = sorted_matching(problem.C1 @ problem.p, problem.C2 @ problem.q)
    trail: list[bytes] = []
    score, sigma_end, T_end, n_iter, converged = frank_wolfe(
        problem, sigma, T, G, max_iter=max_iter, tol=tol, first_tau=first_tau,
        visited=visited, trail=trail, screen_tol=screen_tol,
    )
    record = StartRecord(name, score, sigma_end, T_end, n_iter, converged, trail)
    if converged and visited is not None:
        remember_path(visited, record)
    return record


def remember_path(visited: dict, record: StartRecord) -> None:
    """Map every permutation on a converged start's path to that path's end."""
    for key in record.trail:
        visited[key] = (record.score, record.sigma, record.plan)


def fresh_duals(problem: Problem) -> Problem:
    """The same problem (its matrices shared) with its own assignment duals, from zero."""
    other = copy.copy(problem)
    other.duals = np.zeros(problem.m)
    return other


def finish_screened(copies: list, records: list[StartRecord | None], max_iter: int, tol: float) -> None:
    """Finish the best start that screening stopped (among ``records[1:]``, POT's start being
    ``records[0]``; ``records[k]`` runs on ``copies[k]`` and is updated in place), unless a
    converged one among them beats it; it stops early if it joins a converged one's path."""
    others = range(1, len(records))
    stopped = [k for k in others if not records[k].converged]
    if not stopped:
        return
    k = max(stopped, key=lambda k: records[k].score)
    r = records[k]
    done = [records[i] for i in others if records[i].converged]
    if all(r.score > d.score for d in done):
        visited: dict[bytes, tuple] = {}
        for d in done:
            remember_path(visited, d)
        score, r.sigma, r.plan, n_iter, _ = frank_wolfe(
            copies[k], r.sigma, r.plan, None, max_iter=max_iter - r.n_iter, tol=tol, visited=visited, trail=r.trail)
        r.score, r.n_iter, r.converged = score, r.n_iter + n_iter, True
