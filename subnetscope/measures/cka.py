r"""Centred kernel alignment (CKA) with a linear kernel, as a distance ``1 - CKA``.

Linear CKA (Kornblith et al. 2019) between column-centred representations X (n × d1) and
Y (n × d2):

.. math::
    \mathrm{CKA}(X, Y) = \frac{\mathrm{HSIC}(K, L)}{\sqrt{\mathrm{HSIC}(K, K)\,\mathrm{HSIC}(L, L)}}
    = \frac{\|Y^\top X\|_F^2}{\|X^\top X\|_F\,\|Y^\top Y\|_F},
    \qquad K = X X^\top,\; L = Y Y^\top

with the biased HSIC estimator ``tr(K H L H) / (n-1)²`` (the constants cancel). The
``debiased`` estimator replaces HSIC by the unbiased estimator of Song et al. (2012),
computed as the inner product of U-centred Gram matrices (Székely & Rizzo 2014); it
needs n ≥ 4, and debiased CKA lies in [-1, 1], so the distance lies in [0, 2].
Invariant to rotations, translations, isotropic scaling and feature permutations.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from .._validation import check_choice, check_paired_samples
from .. import _options as opt
from .registry import INVARIANCES, Measure, register_measure

__all__ = ["cka", "cka_prepare", "cka_compare", "u_centre"]

Estimator = Literal["biased", "debiased"]


def u_centre(K: np.ndarray) -> np.ndarray:
    """U-centred Gram matrix: zero diagonal; ``<U(K), U(L)> / (n(n-3))`` is unbiased HSIC."""
    n = K.shape[0]
    K = K.copy()
    np.fill_diagonal(K, 0.0)
    row = K.sum(axis=1)
    total = row.sum()
    U = K - row[:, None] / (n - 2) - row[None, :] / (n - 2) + total / ((n - 1) * (n - 2))
    np.fill_diagonal(U, 0.0)
    return U


def _degenerate(n: int) -> ValueError:
    return ValueError(
        f"measure 'cka': the layer has no variance across its {n} samples (all rows equal after "
        "centring), so CKA is 0/0; drop this layer or use 'gw'"
    )


def cka_prepare(Y: np.ndarray, *, estimator: Estimator = "biased") -> dict:
    """Per-layer state of ``cka``.

    ``biased``: the centred features scaled to ``||XᵀX||_F = 1`` when d ≤ n (a pair then costs
    O(n d1 d2)), else the centred Gram matrix scaled to unit Frobenius norm.
    ``debiased``: the U-centred Gram matrix scaled to unit Frobenius norm.
    """
    check_choice(estimator, "estimator", ("biased", "debiased"))
    n, d = Y.shape
    X = Y - Y.mean(axis=0)
    largest = max(abs(float(X.max())), abs(float(X.min())))
    if largest > 0:
        # CKA is scale-invariant, and its norms are 4th powers of the values: scale by a power
        # of two (exact, so ordinary layers give bit-identical results) to keep them in range.
        X = np.ldexp(X, -int(np.frexp(largest)[1]))
    if estimator == "debiased":
        if n < 4:
            raise ValueError(f"measure 'cka' with estimator='debiased' needs at least 4 samples, got {n}")
        U = u_centre(X @ X.T)
        norm = float(np.linalg.norm(U))
        if norm <= 0:
            raise _degenerate(n)
        return {"kind": "gram", "data": U / norm, "estimator": "debiased"}
    if d <= n:
        norm = float(np.linalg.norm(X.T @ X))
        if norm <= 0:
            raise _degenerate(n)
        return {"kind": "features", "data": X / np.sqrt(norm), "estimator": "biased"}
    K = X @ X.T
    norm = float(np.linalg.norm(K))
    if norm <= 0:
        raise _degenerate(n)
    return {"kind": "gram", "data": K / norm, "estimator": "biased"}


def _gram(state: dict) -> np.ndarray:
    X = state["data"]
    return X if state["kind"] == "gram" else X @ X.T


def cka(state1: dict, state2: dict) -> float:
    """CKA between two prepared layers (biased in [0, 1], debiased in [-1, 1])."""
    A, B = state1["data"], state2["data"]
    if state1["estimator"] != state2["estimator"]:
        raise ValueError(
            f"measure 'cka': both layers must be prepared with the same estimator, got "
            f"{state1['estimator']!r} and {state2['estimator']!r}"
        )
    check_paired_samples(A.shape[0], B.shape[0], "cka")
    if state1["kind"] == "features" and state2["kind"] == "features":
        return float(np.sum((A.T @ B) ** 2))
    return float(np.sum(_gram(state1) * _gram(state2)))


def cka_compare(state1: dict, state2: dict) -> float:
    """``1 - CKA``: 0 for identical layers up to rotation/translation/scale."""
    return float(np.clip(1.0 - cka(state1, state2), 0.0, 2.0))


register_measure(
    Measure(
        name="cka",
        prepare=cka_prepare,
        compare=cka_compare,
        definition="1 − linear CKA (HSIC of centred linear Gram matrices; biased or debiased estimator)",
        handles_different_dims=True,
        kind="similarity",
        as_distance="1 − CKA",
        invariances=INVARIANCES,
        option_specs={"estimator": opt.choice("biased", "debiased")},
    ),
    overwrite=True,
)
