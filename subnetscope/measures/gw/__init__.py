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

Modules, one concept each: :mod:`.options` (what each option accepts), :mod:`.problem` (one
problem: gradients, linear sub-problem; :mod:`.torch_backend` the same on a torch device),
:mod:`.assignment` (the exact assignment solvers), :mod:`.starts`, :mod:`.frank_wolfe`,
:mod:`.solver` (:func:`gromov_wasserstein`) and :mod:`.measure` (the ``gw`` registry entry).
"""

from ..geometry import FEATURE_BLOCK, Metric, Normalize, intra_distances
from .assignment import EMD_MAX_ITER as _EMD_MAX_ITER
from .assignment import low_dimensional as _low_dimensional
from .assignment import resolve_assignment
from .assignment import solve_assignment as _assignment
from .frank_wolfe import StartRecord
from .measure import GWStats, gw_check_plan, gw_check_run, gw_compare, gw_compare_pair, gw_prepare
from .options import ASSIGNMENT_SOLVERS, OPTIONS, START_NAMES, Assignment, StartName
from .options import check_screen_tol as _check_screen_tol
from .problem import Problem
from .problem import Problem as _Problem
from .solver import GWResult, gromov_wasserstein, permutation_value
from .starts import check_init as _check_init
from .starts import check_starts as _check_starts
from ..._threads import one_blas_thread as _one_blas_thread

__all__ = [
    "ASSIGNMENT_SOLVERS", "Assignment", "FEATURE_BLOCK", "GWResult", "GWStats", "Metric", "Normalize", "OPTIONS",
    "Problem", "START_NAMES", "StartName", "StartRecord", "gromov_wasserstein", "gw_check_plan", "gw_check_run",
    "gw_compare", "gw_compare_pair", "gw_prepare", "intra_distances", "permutation_value", "resolve_assignment",
]
