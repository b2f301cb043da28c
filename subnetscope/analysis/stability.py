"""How stable are the sub-networks when the inputs are re-drawn? (bootstrap over samples)

Each replicate draws the inputs again, recomputes the whole layer × layer matrix with
:func:`subnetscope.pairwise` and clusters it with the same method and the same number of
groups as the reference partition (found on the original inputs). Reported:

* ``coassignment[i, j]`` — the fraction of replicates in which layers i and j share a group;
* ``boundary_support[b]`` — the fraction of replicates with a range starting exactly at b;
* range support — the fraction of replicates that contain exactly that run of layers.

Why re-draw with replacement (``resample="bootstrap"``, the default): it keeps n, so the
distances of a replicate are on the scale of the reference ones. A duplicated input is a
point with twice the weight; GW compares the two layers' empirical distributions, so
duplicates are handled exactly (the zero intra-distance between copies appears in both
layers alike). ``resample="subsample"`` draws ``n_samples`` rows without replacement
(m-out-of-n), for measures that dislike repeated rows (e.g. CCA on rank-deficient data).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np

from .. import _options as opt
from .._validation import check_choice
from .subnetworks import METHODS, Subnetworks, find_subnetworks

__all__ = ["bootstrap_subnetworks"]


def bootstrap_subnetworks(
    reps: Mapping[str, Any],
    B: int = 20,
    n_samples: int | None = None,
    measure: str = "gw",
    method: Literal["spectral", "contiguous"] = "spectral",
    n_groups: int | None = None,
    seed: int = 0,
    *,
    resample: Literal["bootstrap", "subsample"] = "bootstrap",
    max_groups: int = 10,
    progress: bool = False,
    reference: Subnetworks | None = None,
    cache_dir: str | Path | None = None,
    **pairwise_options: Any,
) -> Subnetworks:
    """Sub-networks of ``reps`` with their bootstrap stability.

    Parameters
    ----------
    reps : mapping of str to array of shape (n, ...)
        Layer name -> outputs on the same n inputs, in network order.
    B : int
        Number of replicates (≥ 1).
    n_samples : int, optional
        Rows per computation: the reference uses a subsample of this size (seed ``seed``),
        each replicate draws this many rows (default: all n).
    measure : str
        Measure passed to :func:`subnetscope.pairwise`.
    method, n_groups, seed
        As :func:`find_subnetworks`; replicates use the reference's number of groups.
    resample : {"bootstrap", "subsample"}
        Draw rows with replacement (default) or without.
    max_groups : int
        Largest number of groups considered when ``n_groups`` is None.
    progress : bool
        Print one line per replicate.
    reference : Subnetworks, optional
        The partition whose stability is measured (e.g. found on a larger matrix computed
        before); default: found here on ``reps`` (subsampled to ``n_samples``). Its layer names
        must be those of ``reps``; replicates use its number of groups.
    cache_dir : path, optional
        Each replicate's pairs are cached in ``cache_dir/replicate<b>``, so a killed run
        resumes with the same result.
    **pairwise_options
        Options of the measure.

    Returns
    -------
    Subnetworks
        The reference partition with ``coassignment``, ``boundary_support``,
        ``range_support`` and ``n_bootstrap`` filled in.
    """
    from ..engine.pairwise import pairwise

    check_choice(method, "method", METHODS)
    check_choice(resample, "resample", ("bootstrap", "subsample"))
    opt.check_values({"seed": seed, "progress": progress}, {"seed": opt.seed(), "progress": opt.flag()},
                     "bootstrap_subnetworks")
    if isinstance(B, bool) or not isinstance(B, (int, np.integer)) or B < 1:
        raise ValueError(f"`B` (number of bootstrap replicates) must be an integer ≥ 1, got {B!r}")
    if reference is None:
        reference_distances = pairwise(reps, measure, n_samples=n_samples, seed=seed, **pairwise_options)
        reference = find_subnetworks(reference_distances, n_groups, method, seed, max_groups=max_groups)
    elif not isinstance(reference, Subnetworks):
        raise TypeError(f"`reference` must be a Subnetworks (from find_subnetworks), got {type(reference).__name__}")
    elif list(reference.names) != list(reps):
        raise ValueError(f"`reference` partitions the layers {list(reference.names)[:3]}...; `reps` has "
                         f"{list(reps)[:3]}...; they must be the same layers in the same order")
    k = reference.n_groups
    n = int(np.shape(next(iter(reps.values())))[0])
    m = n if n_samples is None else int(n_samples)
    if resample == "subsample" and m >= n:
        raise ValueError(
            f"`resample='subsample'` needs `n_samples` smaller than the {n} inputs, got {n_samples!r}"
        )
    rng = np.random.default_rng([seed, 1])
    L = len(reference.names)
    together = np.zeros((L, L))
    boundary_hits = {b: 0 for b in reference.boundaries}
    ref_ranges = [(r["start"], r["stop"]) for r in reference.ranges()]
    range_hits = np.zeros(len(ref_ranges))
    for b in range(int(B)):
        rows = np.sort(rng.choice(n, size=m, replace=resample == "bootstrap"))
        replicate_reps = {name: np.asarray(Y)[rows] for name, Y in reps.items()}
        cache = None if cache_dir is None else Path(cache_dir) / f"replicate{b}"
        distances = pairwise(replicate_reps, measure, cache_dir=cache, **pairwise_options)
        replicate = find_subnetworks(distances, k, method, seed)
        together += replicate.labels[:, None] == replicate.labels[None, :]
        bounds = set(replicate.boundaries)
        for boundary in boundary_hits:
            boundary_hits[boundary] += boundary in bounds
        runs = {(r["start"], r["stop"]) for r in replicate.ranges()}
        range_hits += [run in runs for run in ref_ranges]
        if progress:
            print(f"bootstrap {b + 1}/{B}: {replicate.n_groups} groups, boundaries {replicate.boundaries}")
    reference.coassignment = together / B
    reference.boundary_support = {boundary: hits / B for boundary, hits in boundary_hits.items()}
    reference.range_support = [float(h / B) for h in range_hits]
    reference.n_bootstrap = int(B)
    return reference
