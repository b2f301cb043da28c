"""From a layer × layer distance matrix to sub-networks (groups of layers).

Two methods (see docs/analysis.md for the reasoning):

* ``"spectral"`` — normalised spectral clustering (Ng, Jordan & Weiss 2001; von Luxburg
  2007), the paper's §5.2 method, on the similarity
  :math:`W_{ij} = \\exp(-D_{ij}^2 / (2\\sigma^2))`, :math:`\\sigma` = median over layers
  of the distance to the nearest other layer, :math:`W_{ii} = 0`. Groups need not be consecutive layers.
* ``"contiguous"`` — the best split of the layer order into k consecutive segments
  (exact dynamic programming), minimising
  :math:`\\sum_{S} \\frac{1}{2|S|}\\sum_{i, j \\in S} D_{ij}`, the k-means objective written
  with distances. This is what "blocks of layers" means for a feed-forward stack.

The number of groups, when not given, is chosen by the silhouette of the partition made
(or, on request, the eigengap of the normalised Laplacian), and the scores of every
candidate are kept as evidence. The algorithms live in :mod:`subnetscope.analysis.partition`;
this module holds the result (:class:`Subnetworks`) and the entry point.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Mapping, Sequence

import numpy as np

from .. import _options as opt
from .._validation import check_choice, check_distance_matrix
from .partition import contiguous_partition, eigengap_scores, kmeans, relabel_by_first_appearance  # noqa: F401
from .partition import silhouette as _silhouette
from .partition import spectral_partition

__all__ = ["Subnetworks", "find_subnetworks", "spectral_partition", "contiguous_partition",
           "relabel_by_first_appearance", "METHODS", "SELECTIONS", "SILHOUETTE_MIN"]

METHODS = ("spectral", "contiguous")
SELECTIONS = ("silhouette", "eigengap")  # how the number of groups is chosen
#: Below this best silhouette the contiguous method answers "one group" (Kaufman &
#: Rousseeuw 1990: an average silhouette under 0.25 means no substantial structure).
SILHOUETTE_MIN = 0.25


@dataclass
class Subnetworks:
    """Layers assigned to sub-networks, with the evidence for the partition.

    Attributes
    ----------
    names : tuple of str
        Layer names, in the order of the distance matrix.
    labels : array of int, shape (L,)
        Group of each layer; groups are numbered 0, 1, ... in order of first appearance.
    method : str
        ``"spectral"`` or ``"contiguous"``.
    measure : str
        The measure the distances were made with.
    selection : dict
        ``{"criterion": str, "scores": {k: score}, "chosen": int}``; ``criterion`` is
        ``"given"`` when ``n_groups`` was fixed by the caller.
    coassignment : array of shape (L, L) or None
        Fraction of bootstrap replicates in which layers i and j share a group.
    boundary_support : dict of int to float or None
        For each boundary (index of the first layer of a new range), the fraction of
        replicates with a boundary at exactly that index.
    range_support : list of float or None
        For each range of :meth:`ranges`, the fraction of replicates that contain
        exactly that run of layers as a range.
    n_bootstrap : int
        Number of bootstrap replicates behind the support figures (0: none).
    """

    names: tuple[str, ...]
    labels: np.ndarray
    method: str
    measure: str = "gw"
    selection: dict[str, Any] = field(default_factory=dict)
    coassignment: np.ndarray | None = None
    boundary_support: dict[int, float] | None = None
    range_support: list[float] | None = None
    n_bootstrap: int = 0

    def __post_init__(self):
        self.names = tuple(str(n) for n in self.names)
        self.labels = relabel_by_first_appearance(np.asarray(self.labels, dtype=int))
        if self.labels.shape != (len(self.names),):
            raise ValueError(
                f"`labels` must have one entry per layer ({len(self.names)}), got shape {self.labels.shape}"
            )
        if self.coassignment is not None:
            self.coassignment = np.asarray(self.coassignment, dtype=float)

    # --- views -------------------------------------------------------------------
    @property
    def n_groups(self) -> int:
        return int(self.labels.max()) + 1 if self.labels.size else 0

    @property
    def groups(self) -> list[list[str]]:
        """Layer names of each group, groups in label order, layers in matrix order."""
        return [[n for n, g in zip(self.names, self.labels) if g == k] for k in range(self.n_groups)]

    @property
    def score(self) -> dict[str, Any]:
        """Alias of :attr:`selection`: criterion, score per candidate k, chosen k."""
        return self.selection

    @property
    def boundaries(self) -> list[int]:
        """Indices where a new range of consecutive same-group layers starts (never 0)."""
        return [int(i) for i in np.flatnonzero(self.labels[1:] != self.labels[:-1]) + 1]

    def ranges(self) -> list[dict[str, Any]]:
        """Maximal runs of consecutive layers with the same label.

        Each run is ``{"group", "first", "last", "start", "stop", "size", "support"}``:
        names of the first and last layer, index range ``start:stop`` (stop exclusive)
        and the bootstrap support (None without bootstrap).
        """
        starts = [0] + self.boundaries
        stops = self.boundaries + [len(self.names)]
        out = []
        for r, (a, b) in enumerate(zip(starts, stops)):
            support = None if self.range_support is None else float(self.range_support[r])
            out.append({"group": int(self.labels[a]), "first": self.names[a], "last": self.names[b - 1],
                        "start": a, "stop": b, "size": b - a, "support": support})
        return out

    def __repr__(self) -> str:
        from .._display import subnetworks_repr

        return subnetworks_repr(self)

    def _repr_html_(self) -> str:
        """In a notebook: a strip of layers coloured by group and the table of ranges."""
        from .._display import subnetworks_html

        return subnetworks_html(self)

    def table(self) -> str:
        """The ranges as a plain-text table (what the CLI prints)."""
        rows = [("group", "layers", "indices", "size", "support")]
        for r in self.ranges():
            layers = r["first"] if r["size"] == 1 else f"{r['first']} .. {r['last']}"
            support = "-" if r["support"] is None else f"{r['support']:.2f}"
            rows.append((str(r["group"]), layers, f"{r['start']}-{r['stop'] - 1}", str(r["size"]), support))
        widths = [max(len(row[c]) for row in rows) for c in range(5)]
        return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows)

    # --- serialisation -------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The JSON record the report renders (schema in docs/analysis.md)."""
        return {
            "method": self.method,
            "measure": self.measure,
            "n_groups": self.n_groups,
            "names": list(self.names),
            "labels": [int(x) for x in self.labels],
            "groups": self.groups,
            "ranges": self.ranges(),
            "selection": {
                "criterion": self.selection.get("criterion"),
                "scores": {str(k): _finite_or_none(v) for k, v in self.selection.get("scores", {}).items()},
                "chosen": self.selection.get("chosen"),
            },
            "boundaries": self.boundaries,
            "boundary_support": None if self.boundary_support is None
            else {str(k): float(v) for k, v in self.boundary_support.items()},
            "coassignment": None if self.coassignment is None else self.coassignment.tolist(),
            "n_bootstrap": int(self.n_bootstrap),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Subnetworks":
        """Inverse of :meth:`to_dict`."""
        missing = [k for k in ("method", "names", "labels") if k not in data]
        if missing:
            raise ValueError(f"sub-network record lacks the keys {missing}; is it a Subnetworks.to_dict()?")
        selection = dict(data.get("selection") or {})
        selection["scores"] = {int(k): (np.nan if v is None else float(v))
                               for k, v in (selection.get("scores") or {}).items()}
        ranges = data.get("ranges") or []
        supports = [r.get("support") for r in ranges]
        return cls(
            names=tuple(data["names"]),
            labels=np.asarray(data["labels"], dtype=int),
            method=data["method"],
            measure=data.get("measure", "gw"),
            selection=selection,
            coassignment=None if data.get("coassignment") is None else np.asarray(data["coassignment"]),
            boundary_support=None if data.get("boundary_support") is None
            else {int(k): float(v) for k, v in data["boundary_support"].items()},
            range_support=None if not supports or any(s is None for s in supports) else [float(s) for s in supports],
            n_bootstrap=int(data.get("n_bootstrap", 0)),
        )




def _finite_or_none(value: Any) -> float | None:
    value = float(value)
    return value if np.isfinite(value) else None


def find_subnetworks(
    distances: Any,
    n_groups: int | None = None,
    method: Literal["spectral", "contiguous"] = "spectral",
    seed: int = 0,
    *,
    max_groups: int = 10,
    select: Literal["silhouette", "eigengap"] = "silhouette",
) -> Subnetworks:
    """Group the layers of a distance matrix into sub-networks.

    Parameters
    ----------
    distances : LayerDistances
        The layer × layer matrix (``.names``, ``.matrix`` of shape (L, L), ``.measure``).
    n_groups : int, optional
        Number of groups. When None it is chosen among 1 .. ``max_groups`` by ``select``.
        Scores of every candidate are kept in ``.selection``.
    method : {"spectral", "contiguous"}
        Spectral clustering (groups may be any set of layers) or the best split of the
        layer order into consecutive segments.
    seed : int
        Seed of k-means in the spectral embedding.
    max_groups : int
        Largest number of groups considered when ``n_groups`` is None (capped at L - 1).
    select : {"silhouette", "eigengap"}
        How ``n_groups`` is chosen when None. ``"silhouette"`` (default): the partition with
        the largest silhouette (on the distances themselves) among k ≥ 2, or 1 group when that
        best silhouette is below ``SILHOUETTE_MIN`` (0.25). ``"eigengap"`` (spectral only): the
        largest gap of the normalised Laplacian's spectrum; it depends on the affinity's
        bandwidth and over-splits chains of near-identical layers (measured on ResNet9: 8–9
        groups where the silhouette finds 2 and 4; docs/analysis.md).

    Returns
    -------
    Subnetworks
        ``.labels`` (one per layer, groups numbered by first appearance), ``.groups``,
        ``.ranges()``, ``.selection``.

    Examples
    --------
    >>> import numpy as np
    >>> from subnetscope import LayerDistances
    >>> D = np.array([[0, .1, 5, 5], [.1, 0, 5, 5], [5, 5, 0, .1], [5, 5, .1, 0]])
    >>> find_subnetworks(LayerDistances(("a", "b", "c", "d"), D), method="contiguous").groups
    [['a', 'b'], ['c', 'd']]
    """
    names, D, measure = _unpack(distances)
    check_choice(method, "method", METHODS)
    L = len(names)
    opt.check_value(seed, "seed", opt.seed(), "find_subnetworks")
    if n_groups is not None:
        if isinstance(n_groups, bool) or not isinstance(n_groups, (int, np.integer)):
            raise TypeError(f"`n_groups` must be an integer or None, got {n_groups!r}")
        if not 1 <= n_groups <= L:
            raise ValueError(f"`n_groups` must be between 1 and the number of layers ({L}), got {n_groups}")
        selection = {"criterion": "given", "scores": {}, "chosen": int(n_groups)}
    else:
        if isinstance(max_groups, bool) or not isinstance(max_groups, (int, np.integer)) or max_groups < 1:
            raise ValueError(f"`max_groups` must be an integer ≥ 1, got {max_groups!r}")
        check_choice(select, "select", SELECTIONS)
        if select == "eigengap" and method != "spectral":
            raise ValueError(f"`select='eigengap'` needs method='spectral', got method={method!r}")
        selection = _choose_n_groups(D, method, min(int(max_groups), max(L - 1, 1)), seed, select)
    k = selection["chosen"]
    labels = spectral_partition(D, k, seed=seed) if method == "spectral" else contiguous_partition(D, k)
    return Subnetworks(names=names, labels=labels, method=method, measure=measure, selection=selection)


def _unpack(distances: Any) -> tuple[tuple[str, ...], np.ndarray, str]:
    if not (hasattr(distances, "names") and hasattr(distances, "matrix")):
        raise TypeError(
            "`distances` must be a LayerDistances (from subnetscope.pairwise or LayerDistances.load), "
            f"got {type(distances).__name__}"
        )
    if getattr(distances, "columns", None) is not None:
        raise ValueError(
            "`distances` compares the layers of two models (from cross_pairwise: rows "
            f"{len(distances.names)}, columns {len(distances.columns)}); sub-networks are found in one "
            "model's square matrix: run pairwise on one model's layers"
        )
    D = check_distance_matrix(distances.matrix, "distances.matrix", what="layers")
    if (D < 0).any():
        raise ValueError(f"`distances.matrix` must be non-negative, its smallest entry is {D.min():.3g}")
    if np.diag(D).any():
        i = int(np.flatnonzero(np.diag(D))[0])
        raise ValueError(f"`distances.matrix` must have a zero diagonal (a layer's distance to itself), "
                         f"but entry [{i}, {i}] is {D[i, i]:.3g}")
    top = float(D.max())
    if top > 0 and not 2.0**-100 <= top <= 2.0**100:
        # Grouping depends only on ratios of distances: a matrix near the float64 limits (up to
        # 1e308, down to subnormals) is divided by a power of two (exact) so that affinities,
        # eigenvectors and silhouettes neither overflow nor underflow. Others are used as given.
        D = np.ldexp(D, -int(np.frexp(top)[1]))
    return tuple(distances.names), D, str(getattr(distances, "measure", "unknown"))


def _choose_n_groups(D: np.ndarray, method: str, max_groups: int, seed: int,
                     select: str = "silhouette") -> dict[str, Any]:
    L = len(D)
    if L < 3 or not (D > 0).any():
        # two layers, or all layers identical: nothing to choose between
        return {"criterion": "too few distinct layers", "scores": {}, "chosen": 1}
    if select == "eigengap":
        scores = eigengap_scores(D, range(1, max_groups + 1))
        chosen = max(scores, key=lambda k: (scores[k], -k))
        return {"criterion": "eigengap", "scores": scores, "chosen": int(chosen)}
    partition = (lambda k: spectral_partition(D, k, seed=seed)) if method == "spectral" else (
        lambda k: contiguous_partition(D, k))
    scores = {k: _silhouette(D, partition(k)) for k in range(2, max_groups + 1)}
    finite = {k: v for k, v in scores.items() if np.isfinite(v)}
    if not finite or max(finite.values()) < SILHOUETTE_MIN:
        chosen = 1
    else:
        chosen = max(finite, key=lambda k: (finite[k], -k))
    return {"criterion": f"silhouette (1 group if best < {SILHOUETTE_MIN})", "scores": scores, "chosen": int(chosen)}
