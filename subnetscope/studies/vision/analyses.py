"""The vision study's analyses: layers of a ResNet9, all-pairs matrices, boundaries, groups."""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

from ..._system import peak_rss_mb
from .features import channel_means, sample_space, stream_layers

__all__ = ["LayerSet", "capture_layers", "changes_along", "find_groups", "group_stability", "peak_rss_mb"]


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
    """Each layer's distance to the layer before it: array of shape (L,), ``nan`` for the first
    (``subnetscope.layer_changes(distances).steps``)."""
    from ...analysis.boundaries import layer_changes

    return layer_changes(distances).steps


def find_groups(distances, n_groups: int | None = None, *, seed: int = 0) -> dict[str, Any]:
    """Sub-networks of a layer × layer matrix, by :func:`subnetscope.analysis.find_subnetworks`
    (spectral; the number of groups by the silhouette when ``n_groups`` is None).

    Deprecated (a DeprecationWarning): use ``subnetscope.find_subnetworks(distances, n_groups,
    method="spectral", seed=seed)``, whose result holds the same ``labels`` and ``groups`` (the
    study calls it itself).

    Returns ``{"labels", "groups", "names", "method"}``; labels are numbered in order of first
    appearance along the network.
    """
    warnings.warn("find_groups is deprecated; use subnetscope.find_subnetworks(distances, n_groups, "
                  "method='spectral', seed=seed), whose .labels and .groups are the same", DeprecationWarning,
                  stacklevel=2)
    return _find_groups(distances, n_groups, seed=seed)


def _find_groups(distances, n_groups: int | None, *, seed: int) -> dict[str, Any]:
    from ...analysis import find_subnetworks

    found = find_subnetworks(distances, n_groups=n_groups, method="spectral", seed=seed)
    return {"labels": found.labels.tolist(), "groups": found.groups, "names": list(found.names),
            "method": "subnetscope.analysis.find_subnetworks(spectral)"}


def group_stability(reps: Mapping[str, np.ndarray], reference: Sequence[int], *, measure: str = "gw",
                    n_boot: int = 3, n_samples: int = 250, seed: int = 0, n_groups: int | None = None,
                    **options: Any) -> dict[str, Any]:
    """How stable the groups are when the inputs are resampled.

    Deprecated (a DeprecationWarning): use :func:`subnetscope.bootstrap_subnetworks`, what the
    study uses (cached in the run folder, so a killed run resumes; the support of each group
    rather than an ARI).

    Draws ``n_boot`` subsets of ``n_samples`` inputs (seeds ``seed + 1 …``), recomputes the
    all-pairs matrix and the groups (with the reference's number of groups unless ``n_groups``)
    and compares each grouping with ``reference`` by the adjusted Rand index (1 = identical).
    ``co_assignment[i, j]`` is the fraction of resamples that put layers i and j together.
    """
    warnings.warn("group_stability is deprecated; use subnetscope.bootstrap_subnetworks (support of each group "
                  "over resampled inputs)", DeprecationWarning, stacklevel=2)
    from sklearn.metrics import adjusted_rand_score

    from ...engine.pairwise import pairwise

    reference = np.asarray(reference)
    k = int(reference.max() + 1) if n_groups is None else n_groups
    scores, co = [], np.zeros((len(reference), len(reference)))
    for b in range(n_boot):
        d = pairwise(dict(reps), measure, n_samples=n_samples, seed=seed + 1 + b, **options)
        labels = np.asarray(_find_groups(d, k, seed=seed)["labels"])
        scores.append(float(adjusted_rand_score(reference, labels)))
        co += labels[:, None] == labels[None, :]
    return {"ari": scores, "mean_ari": float(np.mean(scores)) if scores else float("nan"),
            "co_assignment": (co / max(1, n_boot)).tolist(), "n_boot": n_boot, "n_samples": n_samples}
