"""The vision study's analyses: layers of a ResNet9, all-pairs matrices, boundaries, groups."""

from __future__ import annotations

import resource
import time
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

from .features import RESNET9_LAYERS, channel_means, sample_space, stream_layers

__all__ = ["LayerSet", "capture_layers", "changes_along", "find_groups", "group_stability", "peak_rss_mb"]


def peak_rss_mb() -> float:
    """The process's peak resident memory so far, in MiB (``ru_maxrss``; Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


@dataclass
class LayerSet:
    """Every layer of one model on the same n inputs, in two memory-light forms.

    Attributes
    ----------
    exact : dict of str to array (n, min(n, d))
        Isometric sample-space coordinates (:func:`sample_space`): exact for rotation-invariant measures.
    pooled : dict of str to array (n, channels)
        Spatial mean per channel, for measures that are not rotation invariant.
    dims : dict of str to int
        Each layer's true width d (channels × height × width).
    example : dict of str to array
        One input's output at each layer (for the feature-map grid).
    info : dict
        ``seconds``, ``peak_rss_mb`` after capture, ``full_float32_mb`` (what holding all layers would take).
    """

    exact: dict[str, np.ndarray]
    pooled: dict[str, np.ndarray]
    dims: dict[str, int]
    example: dict[str, np.ndarray] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)


def capture_layers(model, images, *, batch_size: int = 100, example_index: int = 0,
                   chunk_features: int = 16384) -> LayerSet:
    """Run ``model`` over ``images`` (n, 3, 32, 32) one layer at a time and keep light forms of each layer."""
    t0 = time.perf_counter()
    exact, pooled, dims, example = {}, {}, {}, {}
    n = len(images)
    if not 0 <= example_index < n:
        raise ValueError(f"`example_index` must be in 0..{n - 1}, got {example_index}")
    for name, output in stream_layers(model, images, batch_size=batch_size):
        dims[name] = int(np.prod(output.shape[1:]))
        example[name] = output[example_index].numpy().copy()
        exact[name] = sample_space(output, chunk_features=chunk_features)
        pooled[name] = channel_means(output)
        del output
    full_bytes = 4 * n * sum(dims.values())
    return LayerSet(exact, pooled, dims, example, {
        "seconds": time.perf_counter() - t0, "n": n, "peak_rss_mb": peak_rss_mb(),
        "full_float32_mb": full_bytes / 2**20, "largest_layer_mb": 4 * n * max(dims.values()) / 2**20,
    })


def changes_along(distances) -> np.ndarray:
    """Each layer's distance to the layer before it: array of shape (L,), ``nan`` for the first."""
    M = np.asarray(distances.matrix)
    return np.concatenate([[np.nan], np.diag(M, -1)])


def find_groups(distances, n_groups: int | None = None, *, seed: int = 0) -> dict[str, Any]:
    """Sub-networks of a layer × layer matrix.

    Uses :func:`subnetscope.analysis.find_subnetworks` (spectral) when the analysis package is
    installed; otherwise spectral clustering of the paper's reverse matrix ``1 - D / max(D)``,
    with the number of groups from the largest eigengap of the normalised Laplacian (2 to 6).
    Returns ``{"labels", "groups", "names", "method"}``; labels are numbered in order of first
    appearance along the network.
    """
    try:
        from ...analysis import find_subnetworks
    except ImportError:
        find_subnetworks = None
    if find_subnetworks is not None:
        found = find_subnetworks(distances, n_groups=n_groups, method="spectral", seed=seed)
        labels = np.asarray(found.labels)
        method = "subnetscope.analysis.find_subnetworks(spectral)"
    else:
        labels = _spectral_labels(np.asarray(distances.matrix), n_groups, seed)
        method = "spectral clustering (study fallback)"
    labels = _relabel(labels)
    names = list(distances.names)
    groups = [[names[i] for i in np.flatnonzero(labels == g)] for g in range(labels.max() + 1)]
    return {"labels": labels.tolist(), "groups": groups, "names": names, "method": method}


def _affinity(D: np.ndarray) -> np.ndarray:
    # The paper's "reverse" distance matrix: similar layers get values near 1, the farthest pair 0
    # (a small floor keeps the graph connected for the eigensolver).
    top = float(D.max())
    return np.clip(1.0 - D / top, 1e-6, None) if top > 0 else np.ones_like(D)


def _spectral_labels(D: np.ndarray, n_groups: int | None, seed: int) -> np.ndarray:
    from sklearn.cluster import SpectralClustering

    L = len(D)
    if L < 3:
        return np.zeros(L, dtype=int)
    A = _affinity(D)
    if n_groups is None:
        degree = A.sum(1)
        lap = np.eye(L) - A / np.sqrt(np.outer(degree, degree))
        eig = np.sort(np.linalg.eigvalsh(lap))
        candidates = range(2, min(6, L - 1) + 1)
        n_groups = max(candidates, key=lambda k: eig[k] - eig[k - 1])
    if not isinstance(n_groups, (int, np.integer)) or not 1 <= n_groups <= L:
        raise ValueError(f"`n_groups` must be an integer in 1..{L} or None, got {n_groups!r}")
    if n_groups == 1:
        return np.zeros(L, dtype=int)
    return SpectralClustering(n_clusters=int(n_groups), affinity="precomputed", random_state=seed).fit_predict(A)


def _relabel(labels: np.ndarray) -> np.ndarray:
    order = {}
    for label in labels:
        order.setdefault(int(label), len(order))
    return np.array([order[int(label)] for label in labels])


def group_stability(reps: Mapping[str, np.ndarray], reference: Sequence[int], *, measure: str = "gw",
                    n_boot: int = 3, n_samples: int = 250, seed: int = 0, n_groups: int | None = None,
                    **options: Any) -> dict[str, Any]:
    """How stable the groups are when the inputs are resampled.

    Draws ``n_boot`` subsets of ``n_samples`` inputs (seeds ``seed + 1 …``), recomputes the
    all-pairs matrix and the groups (with the reference's number of groups unless ``n_groups``)
    and compares each grouping with ``reference`` by the adjusted Rand index (1 = identical).
    ``co_assignment[i, j]`` is the fraction of resamples that put layers i and j together.
    """
    from sklearn.metrics import adjusted_rand_score

    from ...engine.pairwise import pairwise

    reference = np.asarray(reference)
    k = int(reference.max() + 1) if n_groups is None else n_groups
    scores, co = [], np.zeros((len(reference), len(reference)))
    for b in range(n_boot):
        d = pairwise(dict(reps), measure, n_samples=n_samples, seed=seed + 1 + b, **options)
        labels = np.asarray(find_groups(d, k, seed=seed)["labels"])
        scores.append(float(adjusted_rand_score(reference, labels)))
        co += labels[:, None] == labels[None, :]
    return {"ari": scores, "mean_ari": float(np.mean(scores)) if scores else float("nan"),
            "co_assignment": (co / max(1, n_boot)).tolist(), "n_boot": n_boot, "n_samples": n_samples}


def layer_order() -> tuple[str, ...]:
    return RESNET9_LAYERS
