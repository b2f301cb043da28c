"""A benchmark case (layer representations with the true partition) and the synthetic families.

A :class:`Case` is what every generator returns: ``reps`` (layer name -> (n, d) array, in
network order), ``truth`` (the true sub-network of each layer, in the same order) and
``meta`` (how it was made: seeds, widths, accuracies). A generator that cannot make a valid
case (a network that missed its target accuracy) raises :class:`CaseDropped`; the benchmark
counts those instead of scoring them.

Users add cases by writing a function that returns a :class:`Case` (see docs/benchmark.md).

The synthetic families here need only NumPy:

* :func:`planted_chain` — groups of layers that share one geometry (each layer a random
  rotation into its own width, a random scaling, a translation and small noise of the
  group's base point cloud); a new non-linear map of the base starts the next group.
* :func:`null_chain` — the same with a single group: a negative control with nothing to find.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

__all__ = ["Case", "CaseDropped", "planted_chain", "null_chain", "chain_targets"]


class CaseDropped(RuntimeError):
    """A generator could not make its case (e.g. a network missed its target accuracy)."""

    def __init__(self, reason: str, meta: dict | None = None):
        super().__init__(reason)
        self.reason = reason
        self.meta = dict(meta or {})


@dataclass
class Case:
    """Layer representations whose true partition into sub-networks is known.

    Attributes
    ----------
    name : str
        Unique within a benchmark run (used as a file name).
    family : str
        ``"stagewise-mlp"``, ``"stagewise-transformer"``, ``"stitched"``, ``"frozen-prefix"``,
        ``"planted"``, ``"control"`` or ``"model-l"`` (or a user's own).
    reps : dict of str to ndarray of shape (n, d_layer)
        Outputs of every layer on the same n inputs, in network order.
    truth : ndarray of int, shape (L,)
        True sub-network of each layer (same order as ``reps``).
    meta : dict
        How the case was made (JSON-serialisable).
    """

    name: str
    family: str
    reps: dict
    truth: np.ndarray
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        if not self.name or any(c in self.name for c in "/\\ ") or self.name.startswith("."):
            raise ValueError(f"case `name` must be a non-empty file-name-safe word, got {self.name!r}")
        self.reps = {str(k): np.asarray(v, dtype=float).reshape(len(v), -1) for k, v in self.reps.items()}
        self.truth = np.asarray(self.truth)
        if self.truth.ndim != 1 or not np.issubdtype(self.truth.dtype, np.integer):
            raise ValueError(f"case {self.name!r}: `truth` must be a 1-D array of integer labels")
        if self.truth.shape != (len(self.reps),):
            raise ValueError(f"case {self.name!r}: `truth` has {self.truth.size} labels for {len(self.reps)} layers")
        rows = {v.shape[0] for v in self.reps.values()}
        if len(rows) != 1:
            raise ValueError(f"case {self.name!r}: every layer must have the same inputs, got row counts {sorted(rows)}")

    @property
    def control(self) -> bool:
        """A negative control: one true group, nothing to find."""
        return len(np.unique(self.truth)) == 1

    @property
    def n_groups(self) -> int:
        return int(len(np.unique(self.truth)))

    @property
    def widths(self) -> list[int]:
        return [int(v.shape[1]) for v in self.reps.values()]

    @property
    def n_samples(self) -> int:
        return int(next(iter(self.reps.values())).shape[0])

    def save(self, path) -> None:
        """``path`` (.npz): the layers, ``__truth__`` and ``__meta__`` (JSON text); atomic."""
        import json

        from ..._io import save_npz

        arrays = {f"rep{i}": v for i, v in enumerate(self.reps.values())}
        record = {"name": self.name, "family": self.family, "layers": list(self.reps), "meta": self.meta}
        save_npz(path, __truth__=self.truth, __record__=np.array(json.dumps(record)), **arrays)

    @classmethod
    def load(cls, path) -> "Case":
        import json

        with np.load(path, allow_pickle=False) as archive:
            record = json.loads(str(archive["__record__"]))
            reps = {name: archive[f"rep{i}"] for i, name in enumerate(record["layers"])}
            return cls(record["name"], record["family"], reps, archive["__truth__"], record["meta"])


def _rotation(d: int, rng: np.random.Generator) -> np.ndarray:
    q, r = np.linalg.qr(rng.normal(size=(d, d)))
    return q * np.sign(np.diag(r))


def _layer_from(base: np.ndarray, width: int, noise: float, rng: np.random.Generator) -> np.ndarray:
    """A near-isometric copy of ``base`` in ``width`` dims: rotate, scale, translate, add noise."""
    n, d = base.shape
    Q = _rotation(width, rng)[:, :d].T  # d x width, orthonormal rows
    scale = float(np.exp(rng.normal(0.0, 0.5)))
    return scale * (base @ Q + noise * rng.normal(size=(n, width))) + rng.normal(size=width)


def _next_base(base: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A strong non-linear map of the base (a new function: neighbourhoods are not kept)."""
    d = base.shape[1]
    W = rng.normal(size=(d, d)) * 2.5
    out = np.sin(base @ W) + 0.5 * np.abs(base[:, ::-1]) ** 1.5
    return (out - out.mean(0)) / out.std()


def planted_chain(sizes: Sequence[int] = (3, 3, 3), n: int = 200, dim: int = 8, widths: Sequence[int] = (8, 64),
                  noise: float = 0.05, seed: int = 0, name: str | None = None) -> Case:
    """Groups of ``sizes`` layers sharing a geometry; a non-linear map starts each new group.

    Every layer is the group's base point cloud (n points in ``dim`` dims) rotated into a
    random width in ``widths`` (inclusive range, ≥ ``dim``), scaled by a random factor
    (log-normal, σ = 0.5), translated, with Gaussian noise of relative size ``noise``. Layers
    of one group are therefore isometric up to scale and noise; truth: the groups.
    """
    sizes = [int(s) for s in sizes]
    if not sizes or min(sizes) < 1:
        raise ValueError(f"`sizes` must list at least one group size ≥ 1, got {sizes!r}")
    lo, hi = int(widths[0]), int(widths[1])
    if lo < dim or hi < lo:
        raise ValueError(f"`widths` must be a range (low, high) with low ≥ dim = {dim}, got {tuple(widths)!r}")
    rng = np.random.default_rng([seed, 4])
    base = rng.normal(size=(n, dim))
    reps, truth, used = {}, [], []
    for g, size in enumerate(sizes):
        if g > 0:
            base = _next_base(base, rng)
        for j in range(size):
            width = int(rng.integers(lo, hi + 1))
            reps[f"g{g}.l{j}"] = _layer_from(base, width, noise, rng)
            truth.append(g)
            used.append(width)
    family = "planted" if len(sizes) > 1 else "control"
    label = name or (f"planted-{'-'.join(map(str, sizes))}-s{seed}" if len(sizes) > 1 else f"null-chain{sizes[0]}-s{seed}")
    meta = {"generator": "planted_chain" if len(sizes) > 1 else "null_chain", "sizes": sizes, "n": n, "dim": dim,
            "widths": used, "noise": noise, "seed": seed}
    return Case(label, family, reps, np.array(truth), meta)


def null_chain(n_layers: int = 8, n: int = 200, dim: int = 8, widths: Sequence[int] = (8, 64),
               noise: float = 0.05, seed: int = 0) -> Case:
    """A negative control: ``n_layers`` near-isometric copies of one point cloud (one group)."""
    return planted_chain((n_layers,), n=n, dim=dim, widths=widths, noise=noise, seed=seed)


# --- the known functions the trained families compute ---------------------------------------
#: Maps from the previous stage's target (relabelled 0..K-1) to the next one.
_NEXT = {
    "square": lambda t, K: (t * t) % K,
    "half": lambda t, K: t // 2,
    "mod3": lambda t, K: t % 3,
    "mod4": lambda t, K: t % 4,
    "fold": lambda t, K: np.abs(2 * t - (K - 1)),
    "parity": lambda t, K: t % 2,
}
_FIRST = {
    "sum": lambda a, b, p: (a + b) % p,
    "diff": lambda a, b, p: (a - b) % p,
    "prod": lambda a, b, p: (a * b) % p,
}


def chain_targets(a: np.ndarray, b: np.ndarray, p: int, n_stages: int, rng: np.random.Generator,
                  first: str | None = None) -> tuple[list[str], list[np.ndarray]]:
    """Names and targets of a chain of ``n_stages`` functions, each of the previous target.

    Stage 1 computes ``first`` (or a random one of sum/diff/prod mod p) of the input (a, b);
    stage k > 1 applies a map of the previous target that merges some of its classes (the
    number of classes strictly drops), so every stage computes a new partition of the inputs
    that is a function of the previous stage's alone. Targets are relabelled 0..K-1.
    """
    name = first or str(rng.choice(sorted(_FIRST)))
    t = np.unique(_FIRST[name](a, b, p), return_inverse=True)[1]
    names, targets = [name], [t]
    for stage in range(2, n_stages + 1):
        K = int(t.max()) + 1
        later = n_stages - stage  # stages still to come, each must merge classes again
        options = [f for f in rng.permutation(sorted(_NEXT))
                   if later + 2 <= len(np.unique(_NEXT[f](np.arange(K), K))) < K]
        if not options:
            raise ValueError(f"no map merges the {K} classes of stage {len(names)} further; use fewer stages "
                             f"or a larger p (got n_stages={n_stages}, p={p})")
        f = str(options[0])
        t = np.unique(_NEXT[f](t, K), return_inverse=True)[1]
        names.append(f)
        targets.append(t)
    return names, targets
