"""Intra-layer geometry: the distances between the samples of one representation.

The state GW (and the RDM-based baselines) compare: one n × n matrix per layer, made once.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from .. import _options as opt
from .._deprecation import positional_options_deprecated
from .._validation import as_representation

__all__ = ["FEATURE_BLOCK", "Metric", "Normalize", "OPTIONS", "intra_distances"]

Metric = Literal["euclidean", "sqeuclidean", "cosine"]
Normalize = Literal["max", "mean", "none"]

#: What the options of :func:`intra_distances` accept (see subnetscope._options).
OPTIONS = {
    "metric": opt.choice("euclidean", "sqeuclidean", "cosine"),
    "normalize": opt.choice("max", "mean", "none"),
    "chunk_size": opt.integer(1, optional=True),
}


@positional_options_deprecated
def intra_distances(
    Y, *, metric: Metric = "euclidean", normalize: Normalize = "max", chunk_size: int | None = None
) -> np.ndarray:
    r"""Distances between the samples of one representation.

    Parameters
    ----------
    Y : array of shape (n_samples, ...)
        One layer's outputs for n inputs; axes after the first are flattened.
    metric : {"euclidean", "sqeuclidean", "cosine"}
        (Keyword-only, as every option; by position it still works, with a FutureWarning.)
        ``euclidean`` is :math:`\|y_i - y_k\|_2` (the paper's choice); ``cosine`` is
        :math:`1 - \cos(y_i, y_k)` with zero vectors treated as orthogonal to all others.
    normalize : {"max", "mean", "none"}
        Divide by the largest (``max``, POT's usual convention and our default) or
        the mean off-diagonal distance, or keep raw distances. A constant layer
        (all samples equal) has only zero distances; it is returned unscaled,
        all zeros, rather than divided by zero.
    chunk_size : int, optional
        Rows of the Gram matrix computed at a time (layers up to ``FEATURE_BLOCK`` = 4096
        features). Wider layers are always processed 4096 features at a time, so that
        memory stays at the float64 layer plus an n × 4096 block plus 3 n² (never a second
        n × d copy). Before allocating, the n × n matrix and its temporaries (3 × 8 n²
        bytes) are checked against the memory budget (see :mod:`subnetscope._memory`).

    Returns
    -------
    D : array of shape (n_samples, n_samples)
        Symmetric, non-negative, zero diagonal, float64.

    Examples
    --------
    >>> import numpy as np
    >>> intra_distances(np.eye(3), normalize="none").round(3)
    array([[0.   , 1.414, 1.414],
           [1.414, 0.   , 1.414],
           [1.414, 1.414, 0.   ]])
    """
    opt.check_values({"metric": metric, "normalize": normalize, "chunk_size": chunk_size}, OPTIONS,
                     "intra_distances")
    X = as_representation(Y, "Y")
    n, d = X.shape
    from .._memory import check_memory

    check_memory(8.0 * (3 * n * n + 2 * n * min(d, FEATURE_BLOCK)),
                 f"the {n}×{n} intra-layer distance matrix (with its temporaries, 3 × 8 n² B)",
                 "compare on fewer samples (n_samples=, CLI --samples): memory grows as n²")
    if d > FEATURE_BLOCK:
        D = _wide_squared_distances(X, metric == "cosine")
    else:
        if metric == "cosine":
            norms = np.linalg.norm(X, axis=1, keepdims=True)
            X = np.divide(X, norms, out=np.zeros_like(X), where=norms > 0)
        # Centre first: it leaves distances unchanged and limits cancellation in |x|²+|y|²-2xy.
        X = X - X.mean(axis=0)
        sq_norms = np.einsum("ij,ij->i", X, X)
        step = n if chunk_size is None else max(1, int(chunk_size))
        D = np.empty((n, n))
        for start in range(0, n, step):
            stop = min(n, start + step)
            D[start:stop] = sq_norms[start:stop, None] + sq_norms[None, :] - 2.0 * (X[start:stop] @ X.T)
    np.maximum(D, 0.0, out=D)
    D = 0.5 * (D + D.T)
    np.fill_diagonal(D, 0.0)
    if metric == "euclidean":
        np.sqrt(D, out=D)
    elif metric == "cosine":
        D *= 0.5  # |u - v|² / 2 = 1 - cos for unit vectors
    if normalize != "none":
        scale = D.max() if normalize == "max" else D.sum() / (n * (n - 1))
        if scale > 0:
            D /= scale
    return D


#: Layers wider than this are processed FEATURE_BLOCK columns at a time (see intra_distances).
FEATURE_BLOCK = 4096


def _wide_squared_distances(X: np.ndarray, cosine: bool) -> np.ndarray:
    """Squared distances of a wide layer, accumulating the Gram matrix over column blocks, so
    that only an n × FEATURE_BLOCK centred copy exists at a time (never a second n × d)."""
    n, d = X.shape
    blocks = [slice(a, min(d, a + FEATURE_BLOCK)) for a in range(0, d, FEATURE_BLOCK)]
    scale = None
    if cosine:
        sq = np.zeros(n)
        for b in blocks:
            sq += np.einsum("ij,ij->i", X[:, b], X[:, b])
        norms = np.sqrt(sq)[:, None]
        scale = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    G = np.zeros((n, n))
    for b in blocks:
        Xb = X[:, b] * scale if cosine else X[:, b].copy()
        Xb -= Xb.mean(axis=0)
        G += Xb @ Xb.T
    sq_norms = np.diag(G).copy()
    G *= -2.0
    G += sq_norms[:, None]
    G += sq_norms[None, :]
    return G
