"""Representational similarity analysis (RSA) and representational-similarity-matrix norm (RSM).

Both start from each layer's representational dissimilarity matrix (RDM): the n × n
matrix of distances between the samples (:func:`subnetscope.intra_distances`).

- ``rsa``: ``1 - corr(upper(RDM1), upper(RDM2))`` over the n(n-1)/2 pairs of samples,
  Spearman (default, rank-based, as in Kriegeskorte et al. 2008) or Pearson. Euclidean RDM
  by default. Range [0, 2]; invariant to any positive scaling of either RDM.
- ``rsm``: ``||RDM1 - RDM2||_F / n`` (the Frobenius norm divided by n, i.e. the root mean
  square difference of the entries, so values are comparable across n). RDMs are divided
  by their largest entry first by default (``normalize="max"``, as for ``gw``), so layer scale
  alone does not count as a difference.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from .. import _options as opt
from .geometry import Metric, Normalize, intra_distances
from .registry import INVARIANCES, Measure, register_measure

__all__ = ["rsa_prepare", "rsa_compare", "rsm_prepare", "rsm_compare"]

#: What the options of ``rsa`` and ``rsm`` accept (see subnetscope._options).
RSA_OPTIONS = {"rdm": opt.choice("euclidean", "sqeuclidean", "cosine"),
               "correlation": opt.choice("spearman", "pearson")}
RSM_OPTIONS = {"rdm": RSA_OPTIONS["rdm"], "normalize": opt.choice("max", "mean", "none")}


def rsa_prepare(
    Y: np.ndarray,
    *,
    rdm: Metric = "euclidean",
    correlation: Literal["spearman", "pearson"] = "spearman",
) -> np.ndarray:
    """Per-layer state of ``rsa``: the RDM's upper triangle, ranked if Spearman, then standardised.

    Returns
    -------
    z : array of shape (n (n - 1) / 2,)
        Zero mean, unit (population) standard deviation, so the correlation of two
        layers is ``mean(z1 * z2)``.
    """
    opt.check_values({"rdm": rdm, "correlation": correlation}, RSA_OPTIONS, "measure 'rsa'")
    D = intra_distances(Y, metric=rdm, normalize="none")
    values = D[np.triu_indices(D.shape[0], k=1)]
    if correlation == "spearman":
        from scipy.stats import rankdata

        values = rankdata(values)  # average ranks for ties, as scipy.stats.spearmanr
    values = values - values.mean()
    sd = float(np.sqrt(np.mean(values * values)))
    if sd <= 1e-12 * max(1.0, float(np.abs(values).max(initial=0.0))) or values.size < 2:
        raise ValueError(
            f"measure 'rsa': the layer's RDM is constant ({Y.shape[0]} samples, every pair at the same "
            "distance), so its correlation with another RDM is undefined; drop this layer or use 'gw'"
        )
    return values / sd


def rsa_compare(z1: np.ndarray, z2: np.ndarray) -> float:
    """``1 - correlation`` of two prepared RDMs, in [0, 2]."""
    if z1.shape != z2.shape:
        raise ValueError(
            f"measure 'rsa' compares RDMs of the same inputs, but got {z1.shape[0]} and {z2.shape[0]} "
            "sample pairs; both layers must see the same inputs"
        )
    r = float(np.dot(z1, z2) / z1.size)
    return float(np.clip(1.0 - r, 0.0, 2.0))


def rsm_prepare(Y: np.ndarray, *, rdm: Metric = "euclidean", normalize: Normalize = "max") -> np.ndarray:
    """Per-layer state of ``rsm``: the RDM, shape (n, n) (see :func:`intra_distances`)."""
    opt.check_values({"rdm": rdm, "normalize": normalize}, RSM_OPTIONS, "measure 'rsm'")
    return intra_distances(Y, metric=rdm, normalize=normalize)


def rsm_compare(D1: np.ndarray, D2: np.ndarray) -> float:
    r"""Frobenius norm of the RDM difference divided by n.

    .. math:: d = \frac{1}{n} \Bigl(\sum_{i,k} (D_1[i,k] - D_2[i,k])^2\Bigr)^{1/2}
    """
    if D1.shape != D2.shape:
        raise ValueError(
            f"measure 'rsm' compares RDMs of the same inputs, but got {D1.shape[0]} and {D2.shape[0]} "
            "samples; both layers must see the same inputs"
        )
    return float(np.linalg.norm(D1 - D2) / D1.shape[0])


register_measure(
    Measure(
        name="rsa",
        prepare=rsa_prepare,
        compare=rsa_compare,
        definition="1 − Spearman (or Pearson) correlation of the upper triangles of the Euclidean RDMs",
        handles_different_dims=True,
        kind="similarity",
        as_distance="1 − correlation (range [0, 2])",
        invariances=INVARIANCES,
        option_specs=RSA_OPTIONS,
    ),
    overwrite=True,
)


register_measure(
    Measure(
        name="rsm",
        prepare=rsm_prepare,
        compare=rsm_compare,
        definition="‖D1 − D2‖_F / n between max-normalised Euclidean RDMs",
        handles_different_dims=True,
        as_distance="the scaled Frobenius norm itself",
        invariances=INVARIANCES,
        option_specs=RSM_OPTIONS,
    ),
    overwrite=True,
)
