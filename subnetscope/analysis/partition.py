"""Partitions of a layer × layer distance matrix into groups: the algorithms behind
:func:`subnetscope.find_subnetworks` (see :mod:`subnetscope.analysis.subnetworks` for the
methods and docs/analysis.md for the reasoning).

* spectral: Ng-Jordan-Weiss spectral clustering with our own k-means (k-means++ starts and
  Hartigan refinement);
* contiguous: the exact dynamic programme over splits of the layer order;
* the scores that choose the number of groups: silhouette and eigengap.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .._deprecation import positional_options_deprecated

__all__ = ["contiguous_partition", "eigengap_scores", "kmeans", "relabel_by_first_appearance", "silhouette", "spectral_partition"]


def relabel_by_first_appearance(labels: np.ndarray) -> np.ndarray:
    """Renumber groups 0, 1, ... in the order they first occur along the layers."""
    labels = np.asarray(labels)
    mapping: dict[Any, int] = {}
    for x in labels.tolist():
        mapping.setdefault(x, len(mapping))
    return np.array([mapping[x] for x in labels.tolist()], dtype=int)


# --- spectral -------------------------------------------------------------------------
def _bandwidth(D: np.ndarray) -> float:
    """Median over layers of the positive distance to the nearest other layer.

    When every layer has an exact twin (all nearest distances are 0), any positive distance
    is many nearest-neighbour steps: the scale is then a quarter of the smallest positive
    distance, so groups of identical layers come apart.
    """
    off = D + np.diag(np.full(len(D), np.inf))
    nearest = off.min(axis=1)
    positive = nearest[nearest > 0]
    if positive.size:
        return float(np.median(positive))
    others = D[~np.eye(len(D), dtype=bool)]
    others = others[others > 0]
    return float(others.min()) / 4.0 if others.size else 1.0


def _affinity(D: np.ndarray) -> np.ndarray:
    # The scale is the typical step to a layer's closest neighbour: layers that differ by
    # about one such step are strongly linked, layers many steps apart are nearly cut.
    # (The median of all distances, the common default, sits at the between-group scale
    # and links everything; see docs/analysis.md.)
    sigma = _bandwidth(D)
    with np.errstate(over="ignore"):  # (D / sigma)² = inf for far-apart layers: W = exp(-inf) = 0, exact
        W = np.exp(-((D / sigma) ** 2) / 2.0)
    np.fill_diagonal(W, 0.0)
    return W


def _spectrum(D: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (ascending) and eigenvectors of I - Deg^-1/2 W Deg^-1/2."""
    W = _affinity(D)
    degree = W.sum(axis=1)
    inv_sqrt = 1.0 / np.sqrt(np.maximum(degree, 1e-300))
    laplacian = np.eye(len(D)) - inv_sqrt[:, None] * W * inv_sqrt[None, :]
    values, vectors = np.linalg.eigh((laplacian + laplacian.T) / 2)
    return np.clip(values, 0.0, None), vectors


@positional_options_deprecated
def spectral_partition(D: np.ndarray, n_groups: int, *, seed: int = 0) -> np.ndarray:
    """Ng-Jordan-Weiss spectral clustering of a distance matrix into ``n_groups``.

    Rows of the first ``n_groups`` eigenvectors of the normalised Laplacian, scaled to
    unit length, are clustered with k-means (50 k-means++ starts, ``seed``; :func:`kmeans`).
    """
    L = len(D)
    if n_groups == 1:
        return np.zeros(L, dtype=int)
    _, vectors = _spectrum(D)
    embedding = vectors[:, :n_groups]
    embedding = embedding / np.maximum(np.linalg.norm(embedding, axis=1, keepdims=True), 1e-12)
    return relabel_by_first_appearance(kmeans(embedding, n_groups, seed=seed))


@positional_options_deprecated
def kmeans(X: np.ndarray, k: int, *, seed: int = 0, n_init: int = 50, max_iter: int = 300) -> np.ndarray:
    """Labels of the lowest-inertia k-means run among ``n_init`` k-means++ starts (Lloyd's steps,
    then Hartigan's single-point moves, which leave fewer poor local minima).

    For the few dozen points of a layer embedding this NumPy version takes milliseconds, where
    importing scikit-learn's clustering took seconds of a `subnetscope subnetworks` call.
    """
    rng = np.random.default_rng(seed)
    X = np.asarray(X, dtype=float)
    n = len(X)
    best, best_inertia = None, np.inf
    for _ in range(n_init):
        centres = [X[rng.integers(n)]]
        for _ in range(1, k):  # k-means++: the next centre drawn by squared distance to the nearest
            d2 = ((X[:, None, :] - np.asarray(centres)[None]) ** 2).sum(-1).min(1)
            total = d2.sum()
            centres.append(X[rng.choice(n, p=d2 / total)] if total > 0 else X[rng.integers(n)])
        C = np.asarray(centres)
        labels = np.full(n, -1)
        for _ in range(max_iter):
            new = ((X[:, None, :] - C[None]) ** 2).sum(-1).argmin(1)
            if np.array_equal(new, labels):
                break
            labels = new
            C = np.asarray([X[labels == j].mean(0) if (labels == j).any() else C[j] for j in range(k)])
        labels, C = _hartigan(X, labels, C)
        inertia = float(((X - C[labels]) ** 2).sum())
        if inertia < best_inertia - 1e-12:
            best, best_inertia = labels, inertia
    return best


def _hartigan(X: np.ndarray, labels: np.ndarray, C: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Move single points to the group where the total inertia drops most, until none does."""
    k = len(C)
    labels = labels.copy()
    sizes = np.bincount(labels, minlength=k).astype(float)
    C = np.asarray([X[labels == j].mean(0) if sizes[j] else C[j] for j in range(k)])
    moved = True
    while moved:
        moved = False
        for i in range(len(X)):
            a = labels[i]
            if sizes[a] <= 1:
                continue
            d2 = ((C - X[i]) ** 2).sum(1)
            gain = sizes[a] / (sizes[a] - 1) * d2[a]  # inertia removed by taking i out of a
            cost = sizes / (sizes + 1) * d2  # inertia added by putting i into each group
            cost[a] = np.inf
            b = int(np.argmin(cost))
            if cost[b] < gain - 1e-12:
                C[a] = (C[a] * sizes[a] - X[i]) / (sizes[a] - 1)
                C[b] = (C[b] * sizes[b] + X[i]) / (sizes[b] + 1)
                sizes[a] -= 1
                sizes[b] += 1
                labels[i] = b
                moved = True
    return labels, C


def eigengap_scores(D: np.ndarray, candidates: Sequence[int]) -> dict[int, float]:
    # von Luxburg 2007 §8.3: choose k where lambda_{k+1} - lambda_k is largest.
    values, _ = _spectrum(D)
    return {k: float(values[k] - values[k - 1]) for k in candidates}


# --- contiguous -----------------------------------------------------------------------
def _segment_costs(D: np.ndarray) -> np.ndarray:
    """cost[a, b] = sum_{i,j in a:b} D_ij / (2 (b - a)) for every segment a < b."""
    L = len(D)
    prefix = np.zeros((L + 1, L + 1))
    prefix[1:, 1:] = D.cumsum(axis=0).cumsum(axis=1)
    a = np.arange(L + 1)[:, None]
    b = np.arange(L + 1)[None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        block = prefix[b, b] - prefix[a, b] - prefix[b, a] + prefix[a, a]
        cost = block / (2.0 * (b - a))
    cost[b <= a] = np.inf
    return cost


def contiguous_partition(D: np.ndarray, n_groups: int) -> np.ndarray:
    """Exact best split of the layer order into ``n_groups`` consecutive segments.

    Dynamic programming over (segments, last layer) in O(k L^2).
    """
    L = len(D)
    cost = _segment_costs(D)
    best = np.full((n_groups + 1, L + 1), np.inf)
    back = np.zeros((n_groups + 1, L + 1), dtype=int)
    best[0, 0] = 0.0
    for k in range(1, n_groups + 1):
        for stop in range(k, L + 1):
            options = best[k - 1, :stop] + cost[:stop, stop]
            start = int(np.argmin(options))
            best[k, stop], back[k, stop] = options[start], start
    labels = np.empty(L, dtype=int)
    stop = L
    for k in range(n_groups, 0, -1):
        start = back[k, stop]
        labels[start:stop] = k - 1
        stop = start
    return labels


def silhouette(D: np.ndarray, labels: np.ndarray) -> float:
    """Mean silhouette of ``labels`` on the distance matrix ``D`` (Rousseeuw 1987; a layer alone
    in its group scores 0, as in scikit-learn's ``silhouette_score``)."""
    groups = np.unique(labels)
    if len(groups) < 2 or len(groups) >= len(labels):
        return np.nan
    member = labels[:, None] == groups[None, :]  # (L, k)
    sums = D @ member  # distance of each layer to each group, summed
    sizes = member.sum(0)
    own = member.argmax(1)
    own_size = sizes[own]
    a = np.where(own_size > 1, sums[np.arange(len(D)), own] / np.maximum(own_size - 1, 1), 0.0)
    mean_other = np.where(member, np.inf, sums / sizes[None, :])
    b = mean_other.min(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.where(own_size > 1, (b - a) / np.maximum(a, b), 0.0)
    return float(np.nan_to_num(s).mean())


