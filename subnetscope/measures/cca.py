r"""SVCCA (Raghu et al. 2017) as a distance ``1 - mean canonical correlation``.

Each layer is centred and reduced by SVD to its top ``k`` directions, where ``k`` is the
smallest number whose *squared* singular values (the variances) reach ``threshold`` of the
total (default 0.99) — the variance, not the singular values themselves. Canonical
correlations between two reduced layers are the singular values of ``U1ᵀ U2``, where
``U`` holds each layer's top-k left singular vectors (orthonormal bases of the reduced
column spaces), so no matrix inversion or regularisation is needed. The distance is
``1 - mean(ρ_1..ρ_min(k1,k2))`` in [0, 1].

Fewer samples than dimensions: the SVD step already reduces each layer to at most n - 1
directions. If ``k1 + k2 > n - 1`` the two subspaces of the (n-1)-dimensional centred
sample space must intersect, so ``k1 + k2 - (n-1)`` correlations equal 1 whatever the data;
this is refused with a ValueError rather than returned as a misleadingly small distance.
Invariant to rotations, translations, isotropic scaling and feature permutations.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_paired_samples
from .. import _options as opt
from .registry import INVARIANCES, Measure, register_measure

__all__ = ["svcca_prepare", "svcca_compare", "canonical_correlations"]


def svcca_prepare(Y: np.ndarray, *, threshold: float = 0.99, n_components: int | None = None) -> np.ndarray:
    """Per-layer state of ``cca``: orthonormal basis ``U_k`` of shape (n, k) of the reduced layer.

    Parameters
    ----------
    Y : array of shape (n, d)
    threshold : float in (0, 1]
        Fraction of the variance (sum of squared singular values) to keep.
    n_components : int, optional
        Keep exactly this many directions instead (overrides ``threshold``).
    """
    if not isinstance(threshold, (int, float)) or not 0 < threshold <= 1:
        raise ValueError(f"`threshold` must be a number in (0, 1], got {threshold!r}")
    n, d = Y.shape
    X = Y - Y.mean(axis=0)
    U, s, _ = np.linalg.svd(X, full_matrices=False)
    # Directions with no variance (up to round-off) carry no signal and would make CCA arbitrary.
    rank = int(np.sum(s > s[0] * max(n, d) * np.finfo(float).eps)) if s.size and s[0] > 0 else 0
    if rank == 0:
        raise ValueError(
            f"measure 'cca': the layer has no variance across its {n} samples (all rows equal), "
            "so canonical correlations are undefined; drop this layer or use 'gw'"
        )
    if n_components is not None:
        if not isinstance(n_components, (int, np.integer)) or n_components < 1:
            raise ValueError(f"`n_components` must be a positive integer or None, got {n_components!r}")
        if n_components > rank:
            raise ValueError(
                f"`n_components` is {n_components} but the layer has only {rank} directions with "
                f"variance (n={n} samples, d={d} features)"
            )
        k = int(n_components)
    else:
        var = s[:rank] ** 2
        k = int(np.searchsorted(np.cumsum(var) / var.sum(), threshold - 1e-12) + 1)
        k = min(k, rank)
    return np.ascontiguousarray(U[:, :k])


def canonical_correlations(U1: np.ndarray, U2: np.ndarray) -> np.ndarray:
    """Canonical correlations (descending) between two prepared layers."""
    n = U1.shape[0]
    check_paired_samples(n, U2.shape[0], "cca")
    k1, k2 = U1.shape[1], U2.shape[1]
    if k1 + k2 > n - 1:
        raise ValueError(
            f"measure 'cca': the layers keep {k1} and {k2} SVD directions but have only n={n} samples; "
            f"with k1 + k2 > n - 1 = {n - 1}, {k1 + k2 - (n - 1)} canonical correlations are 1 whatever "
            "the data. Use more samples, a lower `threshold`, or `n_components`"
        )
    rho = np.linalg.svd(U1.T @ U2, compute_uv=False)[: min(k1, k2)]
    return np.clip(rho, 0.0, 1.0)


def svcca_compare(U1: np.ndarray, U2: np.ndarray) -> float:
    """``1 - mean canonical correlation`` between two prepared layers, in [0, 1]."""
    return float(max(0.0, 1.0 - canonical_correlations(U1, U2).mean()))


register_measure(
    Measure(
        name="cca",
        prepare=svcca_prepare,
        compare=svcca_compare,
        definition="SVCCA: 1 − mean canonical correlation after keeping 99% of each layer's variance by SVD",
        handles_different_dims=True,
        kind="similarity",
        as_distance="1 − mean canonical correlation",
        invariances=INVARIANCES,
        option_specs={"threshold": opt.number(0, 1, low_open=True), "n_components": opt.integer(1, optional=True)},
    ),
    overwrite=True,
)
