"""Histograms of intra-layer pairwise distances and the KL divergence between consecutive
layers (paper Fig. 2, 11): the computations; :func:`subnetscope.plots.plot_intra_histograms` draws them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Mapping

import numpy as np

from .._validation import check_same_samples

__all__ = ["IntraHistograms", "intra_histograms", "kl_divergence"]


@dataclass
class IntraHistograms:
    """Per-layer histograms of the pairwise distances between samples, on shared bins.

    Attributes
    ----------
    names : tuple of str, length L
    edges : array of shape (bins + 1,)
        Bin edges shared by every layer.
    probabilities : array of shape (L, bins)
        Fraction of the n(n-1)/2 sample pairs in each bin (rows sum to 1).
    kl : array of shape (L - 1,)
        ``kl[k] = KL(P_{k+1} || P_k)``: how far layer k + 1's histogram is from the previous one's.
    eps : float
        The smoothing added to every bin before the KL (see :func:`kl_divergence`).
    """

    names: tuple[str, ...]
    edges: np.ndarray
    probabilities: np.ndarray
    kl: np.ndarray
    eps: float


def kl_divergence(p, q, eps: float = 1e-6) -> float:
    r"""KL divergence between two histograms on the same bins, smoothed so empty bins are finite.

    .. math:: \mathrm{KL}(p \| q) = \sum_b \tilde p_b \log(\tilde p_b / \tilde q_b),\quad
              \tilde p = (p + \epsilon) / \sum (p + \epsilon)

    Parameters
    ----------
    p, q : array of shape (bins,)
        Non-negative counts or probabilities (each is normalised to sum to 1 first).
    eps : float
        Added to every normalised bin before renormalising; without it a bin empty in ``q``
        but not in ``p`` gives an infinite KL.

    Returns
    -------
    kl : float, in nats, >= 0
    """
    p = np.asarray(p, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    if p.shape != q.shape or p.ndim != 1:
        raise ValueError(f"`p` and `q` must be 1-D histograms on the same bins, got shapes {p.shape} and {q.shape}")
    if eps <= 0:
        raise ValueError(f"`eps` must be positive, got {eps}")
    for name, h in (("p", p), ("q", q)):
        if np.any(h < 0) or not np.all(np.isfinite(h)) or h.sum() <= 0:
            raise ValueError(f"`{name}` must be finite, non-negative and not all zero")
    p = p / p.sum() + eps
    q = q / q.sum() + eps
    p, q = p / p.sum(), q / q.sum()
    return float(np.sum(p * np.log(p / q)))


def intra_histograms(reps: Mapping[str, np.ndarray], bins: int = 30, *,
                     metric: Literal["euclidean", "sqeuclidean", "cosine"] = "euclidean",
                     normalize: Literal["max", "mean", "none"] = "max",
                     eps: float = 1e-6) -> IntraHistograms:
    """Histogram every layer's pairwise sample distances on shared bins and compare neighbours.

    Parameters
    ----------
    reps : mapping layer name -> array of shape (n_samples, ...)
        Every layer on the same n inputs, in network order.
    bins : int
        Number of bins, spread evenly over the range of all layers' distances together
        (``[0, 1]`` with ``normalize="max"``) so histograms are comparable.
    metric, normalize
        As in :func:`subnetscope.intra_distances` (defaults: the GW measure's).
    eps : float
        Smoothing of :func:`kl_divergence`.

    Returns
    -------
    IntraHistograms
    """
    from ..measures.gw import intra_distances

    if not isinstance(bins, (int, np.integer)) or bins < 2:
        raise ValueError(f"`bins` must be an integer of at least 2, got {bins!r}")
    if not isinstance(reps, Mapping) or len(reps) < 2:
        raise ValueError("`reps` must map at least 2 layer names to arrays (histograms are compared between layers)")
    check_same_samples({k: np.shape(v) for k, v in reps.items()}, "reps")
    values = {}
    for name, Y in reps.items():
        D = intra_distances(Y, metric=metric, normalize=normalize)
        values[name] = D[np.triu_indices_from(D, k=1)]
    hi = max(float(v.max()) for v in values.values())
    edges = np.linspace(0.0, hi if hi > 0 else 1.0, bins + 1)
    counts = np.array([np.histogram(v, bins=edges)[0] for v in values.values()], dtype=np.float64)
    probabilities = counts / counts.sum(axis=1, keepdims=True)
    kl = np.array([kl_divergence(probabilities[k + 1], probabilities[k], eps) for k in range(len(counts) - 1)])
    return IntraHistograms(tuple(values), edges, probabilities, kl, eps)
