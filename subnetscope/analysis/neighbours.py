"""t-SNE of the samples per layer and how each sample's nearest neighbours change across
layers (paper Fig. 9, Table 5): the computations; :func:`subnetscope.plots.plot_tsne` draws them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from .._validation import as_representation, check_same_samples

__all__ = ["tsne_embeddings", "top_neighbours", "NeighbourOverlap", "neighbour_overlap"]


def tsne_embeddings(reps: Mapping[str, np.ndarray], *, perplexity: float | None = None,
                    seed: int = 0, max_iter: int = 1000) -> dict[str, np.ndarray]:
    """2-D t-SNE (scikit-learn) of every layer's samples.

    Parameters
    ----------
    reps : mapping layer name -> array of shape (n_samples, ...)
    perplexity : float, optional
        Must be below n_samples; default ``min(30, (n_samples - 1) / 3)``.
    seed : int
        ``random_state`` of every TSNE, so a figure can be reproduced.
    max_iter : int
        Optimisation steps of each TSNE (scikit-learn's default 1000; at least 250).

    Returns
    -------
    dict layer name -> array of shape (n_samples, 2)
    """
    from sklearn.manifold import TSNE

    if not isinstance(reps, Mapping) or not reps:
        raise ValueError("`reps` must map layer names to arrays, got an empty or non-mapping value")
    n = check_same_samples({k: np.shape(v) for k, v in reps.items()}, "reps")
    if n < 4:
        raise ValueError(f"t-SNE needs at least 4 samples per layer, got {n}")
    if perplexity is None:
        perplexity = min(30.0, (n - 1) / 3.0)
    if not 0 < perplexity < n:
        raise ValueError(f"`perplexity` must be in (0, n_samples = {n}), got {perplexity}")
    out = {}
    for name, Y in reps.items():
        X = as_representation(Y, f"reps[{name!r}]")
        tsne = TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=seed, max_iter=max_iter)
        out[name] = tsne.fit_transform(X)
    return out


def top_neighbours(X, k: int = 5) -> np.ndarray:
    """Indices of each sample's ``k`` nearest other samples (Euclidean; ties by index).

    Parameters
    ----------
    X : array of shape (n_samples, d)

    Returns
    -------
    idx : int array of shape (n_samples, k)
    """
    X = as_representation(X, "X")
    n = X.shape[0]
    if not isinstance(k, (int, np.integer)) or not 1 <= k < n:
        raise ValueError(f"`k` must be an integer in 1..{n - 1} for {n} samples, got {k!r}")
    sq = np.sum(X * X, axis=1)
    D = np.maximum(sq[:, None] + sq[None, :] - 2.0 * X @ X.T, 0.0)
    np.fill_diagonal(D, np.inf)
    return np.argsort(D, axis=1, kind="stable")[:, :k]


@dataclass
class NeighbourOverlap:
    """Jaccard overlap of selected samples' top-k neighbours between a reference layer and each layer.

    Attributes
    ----------
    names : tuple of str, length L
    samples : int array of shape (S,)
        The selected samples (row indices of the inputs).
    reference : str
        The layer every other layer is compared with.
    k : int
    jaccard : array of shape (S, L)
        ``|N_ref(s) ∩ N_l(s)| / |N_ref(s) ∪ N_l(s)|``; 1 in the reference layer's column.
    """

    names: tuple[str, ...]
    samples: np.ndarray
    reference: str
    k: int
    jaccard: np.ndarray

    def to_table(self) -> dict[str, Any]:
        """A ``tables/<name>.json`` record: one row per sample, one column per layer, and the mean
        over the layers other than the reference."""
        others = [j for j, n in enumerate(self.names) if n != self.reference]
        rows = [[f"sample {int(s)}", *[round(float(v), 3) for v in row],
                 round(float(row[others].mean()), 3) if others else None]
                for s, row in zip(self.samples, self.jaccard)]
        return {
            "title": f"Jaccard overlap of top-{self.k} neighbours, {self.reference} vs each layer",
            "columns": ["sample", *self.names, "mean"],
            "rows": rows,
            "note": "neighbours by Euclidean distance in each layer's embedding; "
                    "the mean leaves out the reference layer",
        }


def neighbour_overlap(embeddings: Mapping[str, np.ndarray], k: int = 5, *, reference: str | None = None,
                      samples: Sequence[int] | None = None) -> NeighbourOverlap:
    """How much each sample's top-k neighbourhood in ``reference`` survives in every layer.

    Parameters
    ----------
    embeddings : mapping layer name -> array of shape (n_samples, d)
        The t-SNE projections (the paper's choice) or the raw representations.
    k : int
        Neighbours per sample (the paper uses 5).
    reference : str, optional
        Layer compared with all others; the first layer by default.
    samples : sequence of int, optional
        Rows to report; all samples by default.

    Returns
    -------
    NeighbourOverlap
    """
    if not isinstance(embeddings, Mapping) or not embeddings:
        raise ValueError("`embeddings` must map layer names to arrays, got an empty or non-mapping value")
    n = check_same_samples({kk: np.shape(v) for kk, v in embeddings.items()}, "embeddings")
    names = tuple(embeddings)
    reference = names[0] if reference is None else reference
    if reference not in embeddings:
        from .._validation import close_matches

        hits = close_matches(reference, names)
        hint = f"; did you mean {' or '.join(map(repr, hits))}?" if hits else ""
        raise KeyError(f"`reference` {reference!r} is not a layer of `embeddings`{hint}")
    rows = np.arange(n) if samples is None else np.asarray(samples)
    if rows.ndim != 1 or rows.size == 0 or not np.issubdtype(rows.dtype, np.integer) \
            or rows.min() < 0 or rows.max() >= n:
        raise ValueError(f"`samples` must be a non-empty list of row indices in 0..{n - 1}, got {samples!r}")
    neighbours = {name: top_neighbours(X, k) for name, X in embeddings.items()}
    ref = neighbours[reference]
    jaccard = np.empty((rows.size, len(names)))
    for j, name in enumerate(names):
        for i, s in enumerate(rows):
            a, b = set(ref[s].tolist()), set(neighbours[name][s].tolist())
            jaccard[i, j] = len(a & b) / len(a | b)
    return NeighbourOverlap(names, rows, reference, int(k), jaccard)
