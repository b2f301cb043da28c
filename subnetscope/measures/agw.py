r"""Augmented Gromov-Wasserstein (AGW, Demetci et al. AISTATS 2024).

AGW adds to GW a co-optimal-transport (COOT, Redko et al. 2020) term that also matches
*features* of the two layers through a second coupling ξ (d1 × d2):

.. math::
    \mathrm{AGW}(X, Y) = \min_{\pi, \xi}\;
    \alpha \sum_{i,j,k,l} (C_X[i,k] - C_Y[j,l])^2 \pi_{ij}\pi_{kl}
    + (1 - \alpha) \sum_{i,j,k,l} (X_{ik} - Y_{jl})^2 \pi_{ij}\xi_{kl}

with uniform marginals for π (samples) and ξ (features). C are intra-layer Euclidean
distance matrices divided by their maximum (as ``gw``) and, by default, X and Y are
divided by their largest absolute entry (``scale="max"``) so that the two terms are on
comparable scales and the measure is invariant to scaling a layer. Returns the whole
objective at the plans found, not one term. α = 0.5 by default (equal weight, the
reference's default); α = 1 is GW, α = 0 is COOT.

Solved by block-coordinate descent from two starts, keeping the lower objective: the
multi-start GW plan of :func:`subnetscope.gromov_wasserstein` and POT's COOT plan
(``ot.coot.co_optimal_transport``), so the result is never worse than either. From each, alternately ξ is the exact OT plan
for the feature cost given π (``ot.emd``) and π is updated by POT's fused-GW Frank-Wolfe
(``ot.gromov.fused_gromov_wasserstein``) with the COOT term as its linear cost, warm-started
at the current π. Each step can only lower the objective; it stops when the relative
decrease falls below ``tol``. Computed in a canonical orientation so that
``AGW(X, Y) == AGW(Y, X)`` exactly. Invariant to permutations of samples and of features
and (with ``scale="max"``) to scaling; not to rotations (features are compared one by one).
"""

from __future__ import annotations

import hashlib
from typing import Literal

import numpy as np

from .. import _options as opt
from .._validation import check_choice
from .gw import gromov_wasserstein, intra_distances
from .registry import Measure, register_measure

__all__ = ["AGWResult", "augmented_gw", "agw_prepare", "agw_compare"]

_EMD_MAX_ITER = 10_000_000


class AGWResult(dict):
    """``value`` (the AGW objective), ``gw`` and ``coot`` terms, plans ``plan`` (n × m) and
    ``feature_plan`` (d1 × d2), and ``n_iter`` (block-coordinate rounds)."""

    __getattr__ = dict.__getitem__


#: What the options of ``agw`` accept (see subnetscope._options).
OPTIONS = {"scale": opt.choice("max", "none"), "alpha": opt.number(0, 1), "max_iter": opt.integer(1),
           "tol": opt.number(0)}


def _feature_cost(X: np.ndarray, Y: np.ndarray, pi: np.ndarray) -> np.ndarray:
    # Σ_ij (X_ik - Y_jl)² π_ij, expanded so it costs one (d1 × n)(n × m)(m × d2) product.
    p, q = pi.sum(axis=1), pi.sum(axis=0)
    return (p @ X**2)[:, None] + (q @ Y**2)[None, :] - 2.0 * X.T @ pi @ Y


def _sample_cost(X: np.ndarray, Y: np.ndarray, xi: np.ndarray) -> np.ndarray:
    # Σ_kl (X_ik - Y_jl)² ξ_kl
    a, b = xi.sum(axis=1), xi.sum(axis=0)
    return (X**2 @ a)[:, None] + (Y**2 @ b)[None, :] - 2.0 * X @ xi @ Y.T


def _gw_loss(C1: np.ndarray, C2: np.ndarray, pi: np.ndarray) -> float:
    p, q = pi.sum(axis=1), pi.sum(axis=0)
    return float(p @ C1**2 @ p + q @ C2**2 @ q - 2.0 * np.sum((C1 @ pi @ C2) * pi))


def augmented_gw(
    C1: np.ndarray,
    X: np.ndarray,
    C2: np.ndarray,
    Y: np.ndarray,
    *,
    alpha: float = 0.5,
    max_iter: int = 20,
    tol: float = 1e-9,
) -> AGWResult:
    """AGW between layers given their distance matrices ``C`` (n × n, m × m) and features
    ``X`` (n × d1), ``Y`` (m × d2); see the module docstring for the objective."""
    import ot  # imports torch; keep `import subnetscope` light

    opt.check_values({"alpha": alpha, "max_iter": max_iter, "tol": tol}, OPTIONS, "augmented_gw")
    n, m = X.shape[0], Y.shape[0]
    p, q = np.full(n, 1.0 / n), np.full(m, 1.0 / m)
    u, v = np.full(X.shape[1], 1.0 / X.shape[1]), np.full(Y.shape[1], 1.0 / Y.shape[1])
    gw_plan = gromov_wasserstein(C1, C2, starts=("identity", "product", "tlb") if n == m else ("product", "tlb"),
                                 check_input=False).plan
    from ot.coot import co_optimal_transport

    coot_plan, _ = co_optimal_transport(X, Y, nits_ot=100_000)  # POT's own COOT optimum: a second start
    best = None
    for pi in (gw_plan, coot_plan):
        previous = np.inf
        for it in range(1, max_iter + 1):
            xi = ot.emd(u, v, _feature_cost(X, Y, pi), numItermax=_EMD_MAX_ITER)
            M = _sample_cost(X, Y, xi)
            if alpha < 1.0:
                pi = ot.gromov.fused_gromov_wasserstein(M, C1, C2, p, q, loss_fun="square_loss", alpha=alpha,
                                                        G0=pi, symmetric=True)
            gw_term = _gw_loss(C1, C2, pi)
            coot_term = float(np.sum(M * pi))
            value = alpha * gw_term + (1.0 - alpha) * coot_term
            if best is None or value < best["value"]:
                best = AGWResult(value=value, gw=gw_term, coot=coot_term, plan=pi, feature_plan=xi, n_iter=it)
            if previous - value <= tol * max(abs(previous), 1e-12) or alpha == 1.0:
                break
            previous = value
    best["value"] = max(best["value"], 0.0)
    return best


def agw_prepare(Y: np.ndarray, *, scale: Literal["max", "none"] = "max") -> dict:
    """Per-layer state of ``agw``: max-normalised distance matrix ``C`` and the features ``X``."""
    check_choice(scale, "scale", ("max", "none"))
    X = Y
    if scale == "max":
        top = float(np.abs(Y).max())
        X = Y / top if top > 0 else Y
    key = hashlib.sha1(np.ascontiguousarray(X).tobytes()).hexdigest()
    return {"C": intra_distances(Y, normalize="max"), "X": np.ascontiguousarray(X), "key": key}


def agw_compare(state1: dict, state2: dict, *, alpha: float = 0.5, max_iter: int = 20, tol: float = 1e-9) -> float:
    """The AGW objective between two prepared layers (symmetric by a canonical orientation)."""
    a, b = (state1, state2)
    if (a["X"].shape, a["key"]) > (b["X"].shape, b["key"]):
        a, b = b, a
    return augmented_gw(a["C"], a["X"], b["C"], b["X"], alpha=alpha, max_iter=max_iter, tol=tol).value


register_measure(
    Measure(
        name="agw",
        prepare=agw_prepare,
        compare=agw_compare,
        definition="augmented GW: α·GW + (1 − α)·COOT feature-alignment term, block-coordinate descent",
        handles_different_dims=True,
        as_distance="the AGW objective itself",
        paired=False,
        invariances=("permutation", "scaling"),
        option_specs=OPTIONS,
    ),
    overwrite=True,
)
