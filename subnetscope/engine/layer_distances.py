"""`LayerDistances`: a layer × layer distance matrix with the record of how it was made.

File format (open, documented in docs/formats.md):

* ``.npz`` — NumPy archive with ``matrix`` (float64, L × L), ``names`` (unicode, L) and
  ``metadata`` (a 0-d unicode array holding JSON: measure, options, n_samples, seed, info).
* ``.json`` — one object ``{"format": "subnetscope.layer_distances", "version": 1,
  "names": [...], "matrix": [[...]], "measure": ..., "options": {...}, ...}``.

A matrix between the layers of two models (:func:`subnetscope.cross_pairwise`) is
L_a × L_b and adds ``columns`` (the second model's layer names; an array in the ``.npz``, a
list in the ``.json``); ``names`` are then its rows. Files without ``columns`` are square.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .._io import atomic_path, read_json, write_json

__all__ = ["LayerDistances"]

FORMAT = "subnetscope.layer_distances"
VERSION = 1


@dataclass
class LayerDistances:
    """Distances between every pair of layers, in the order the layers were given.

    Attributes
    ----------
    names : tuple of str
        Layer names, in input order.
    matrix : array of shape (L, L)
        Symmetric, zero diagonal; ``matrix[i, j]`` compares ``names[i]`` with ``names[j]``.
    measure : str
        The registered measure used.
    options : dict
        Every option of the measure, defaults included.
    n_samples : int
        Number of inputs (rows) the layers were compared on.
    seed : int or None
        Seed of the row subsample (None: all rows were used).
    info : dict
        Timings, solver statistics and anything else worth keeping.
    columns : tuple of str or None
        None for the usual square matrix. For a matrix between two models
        (:func:`subnetscope.cross_pairwise`): the second model's layer names, the columns;
        ``names`` are then the rows (the first model's layers) and ``matrix`` is
        (len(names), len(columns)), neither symmetric nor zero on its diagonal.

    In a notebook a LayerDistances shows itself as a small heat map; :meth:`to_frame` gives
    a pandas DataFrame indexed by layer names.
    """

    names: tuple[str, ...]
    matrix: np.ndarray
    measure: str = "gw"
    options: dict[str, Any] = field(default_factory=dict)
    n_samples: int | None = None
    seed: int | None = None
    info: dict[str, Any] = field(default_factory=dict)
    columns: tuple[str, ...] | None = None

    def __post_init__(self):
        self.names = tuple(str(n) for n in self.names)
        self.matrix = np.asarray(self.matrix, dtype=np.float64)
        L = len(self.names)
        if self.columns is not None:
            self.columns = tuple(str(n) for n in self.columns)
            _check_unique(self.columns, "columns")
            if self.matrix.shape != (L, len(self.columns)):
                raise ValueError(f"`matrix` must have shape ({L}, {len(self.columns)}) for {L} names (rows) and "
                                 f"{len(self.columns)} columns, got {self.matrix.shape}")
        elif self.matrix.shape != (L, L):
            raise ValueError(f"`matrix` must have shape ({L}, {L}) for {L} names, got {self.matrix.shape}")
        _check_unique(self.names, "names")

    def __len__(self) -> int:
        return len(self.names)

    @property
    def is_cross(self) -> bool:
        """True for a matrix between the layers of two models (rows ≠ columns)."""
        return self.columns is not None

    @property
    def row_names(self) -> tuple[str, ...]:
        """Names of the rows (``names``)."""
        return self.names

    @property
    def column_names(self) -> tuple[str, ...]:
        """Names of the columns: ``columns`` for two models, else ``names``."""
        return self.names if self.columns is None else self.columns

    @property
    def shape(self) -> tuple[int, int]:
        return self.matrix.shape

    def __repr__(self) -> str:
        from .._display import distances_repr

        return distances_repr(self)

    def _repr_html_(self) -> str:
        from .._display import distances_html

        return distances_html(self)

    def to_frame(self):
        """The matrix as a pandas DataFrame, rows and columns indexed by layer name.

        Needs pandas (``pip install pandas``), imported only here.

        Examples
        --------
        >>> import numpy as np
        >>> d = LayerDistances(("a", "b"), np.array([[0.0, 1.0], [1.0, 0.0]]))
        >>> d.to_frame().loc["a", "b"]  # doctest: +SKIP
        1.0
        """
        try:
            import pandas as pd
        except ImportError as exc:
            raise ImportError("`LayerDistances.to_frame` needs pandas: pip install pandas") from exc
        frame = pd.DataFrame(self.matrix.copy(), index=pd.Index(self.row_names, name="layer"),
                             columns=pd.Index(self.column_names, name="layer"))
        frame.attrs.update(measure=self.measure, n_samples=self.n_samples)
        return frame

    def index(self, name: str) -> int:
        """Position of layer ``name``."""
        return _position(self.names, name, "layer")

    def column_index(self, name: str) -> int:
        """Position of column ``name`` (for a square matrix the same as :meth:`index`)."""
        if self.columns is None:
            return self.index(name)
        return _position(self.columns, name, "column layer")

    def __getitem__(self, pair: tuple[str, str]) -> float:
        a, b = pair
        return float(self.matrix[self.index(a), self.column_index(b)])

    def subset(self, names: Sequence[str], columns: Sequence[str] | None = None) -> "LayerDistances":
        """The matrix restricted to ``names`` (in that order); for two models, rows ``names``
        and columns ``columns`` (default: all)."""
        idx = [self.index(n) for n in names]
        if self.columns is None:
            if columns is not None:
                raise ValueError("`columns` applies to a matrix between two models (cross_pairwise); "
                                 "this one is square: give only `names`")
            cols, col_names = idx, None
        else:
            col_names = tuple(self.columns if columns is None else columns)
            cols = [self.column_index(n) for n in col_names]
        return LayerDistances(
            tuple(names), self.matrix[np.ix_(idx, cols)], self.measure, dict(self.options),
            self.n_samples, self.seed, dict(self.info), col_names,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "names": list(self.names),
            "matrix": self.matrix.tolist(),
            "measure": self.measure,
            "options": self.options,
            "n_samples": self.n_samples,
            "seed": self.seed,
            "info": self.info,
            **({} if self.columns is None else {"columns": list(self.columns)}),
        }

    def save(self, path: str | Path) -> Path:
        """Write to ``path`` (``.npz`` or ``.json``), atomically."""
        path = Path(path)
        if path.suffix == ".json":
            return write_json(path, self.to_dict())
        if path.suffix != ".npz":
            raise ValueError(f"`path` must end in .npz or .json, got {str(path)!r}")
        meta = {k: v for k, v in self.to_dict().items() if k not in ("names", "matrix", "columns")}
        columns = {} if self.columns is None else {"columns": np.array(self.columns, dtype=str)}
        from .._io import _jsonable

        with atomic_path(path, suffix=".npz") as tmp:
            with open(tmp, "wb") as handle:
                np.savez(
                    handle,
                    matrix=self.matrix,
                    names=np.array(self.names, dtype=str),
                    metadata=np.array(json.dumps(meta, default=_jsonable)),
                    **columns,
                )
        return path

    @classmethod
    def load(cls, path: str | Path) -> "LayerDistances":
        """Read a file written by :meth:`save`.

        What is read back passes the checks of a computed result, else a ``ValueError``
        names the file and what is wrong: names a 1-D list of strings, the matrix L × L,
        finite, symmetric, non-negative with a zero diagonal; options and info objects.
        """
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"distances file {str(path)!r} does not exist")
        where = f"distances file {str(path)!r}"
        if path.suffix == ".json":
            data = read_json(path, "distances file")
        else:
            try:
                archive = np.load(path, allow_pickle=False)
                if not isinstance(archive, np.lib.npyio.NpzFile):
                    raise ValueError(f"it holds a single {type(archive).__name__} (a .npy file?), not a .npz archive")
                with archive:
                    data = json.loads(str(archive["metadata"]))
                    if isinstance(data, dict):
                        data["names"] = archive["names"]
                        data["matrix"] = archive["matrix"]
                        if "columns" in archive.files:  # a matrix between two models (main's cross_pairwise)
                            data["columns"] = archive["columns"]
            except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
                raise ValueError(
                    f"{where} is not a subnetscope .npz (truncated or another format?): {exc}"
                ) from exc
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            found = data.get("format") if isinstance(data, dict) else type(data).__name__
            raise ValueError(
                f"distances file {str(path)!r} has format {found!r}, expected {FORMAT!r}"
            )
        missing = [key for key in ("names", "matrix") if key not in data]
        if missing:
            raise ValueError(f"distances file {str(path)!r} lacks {missing}; it is damaged")
        try:
            matrix = np.asarray(data["matrix"], dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"distances file {str(path)!r}: `matrix` is not a numeric L × L array ({exc})") from exc
        _check_loaded(data, matrix, where)
        return cls(
            names=tuple(np.asarray(data["names"]).tolist()),
            matrix=matrix,
            measure=data.get("measure", "gw"),
            options=data.get("options", {}),
            n_samples=data.get("n_samples"),
            seed=data.get("seed"),
            info=data.get("info", {}),
            columns=None if data.get("columns") is None else tuple(np.asarray(data["columns"]).tolist()),
        )


def _position(names: tuple[str, ...], name: str, what: str) -> int:
    try:
        return names.index(name)
    except ValueError:
        from .._validation import close_matches

        hits = close_matches(name, names)
        hint = f"; did you mean {' or '.join(map(repr, hits))}?" if hits else ""
        raise KeyError(f"no {what} named {name!r}{hint}") from None


def _check_unique(names: tuple[str, ...], arg: str) -> None:
    if len(set(names)) != len(names):
        dupes = sorted({n for n in names if names.count(n) > 1})
        raise ValueError(f"`{arg}` must be unique, got repeats: {dupes}")


def _check_loaded(data: dict, matrix: np.ndarray, where: str) -> None:
    """Refuse a file whose content a computed LayerDistances could not have."""
    from .._validation import check_distance_matrix

    for key in ("names", "columns"):
        if data.get(key) is None:
            continue
        labels = np.asarray(data[key], dtype=object)
        if labels.ndim != 1 or not all(isinstance(n, str) for n in labels.tolist()):
            raise ValueError(f"{where}: `{key}` must be a flat list of strings, got shape {labels.shape} "
                             f"of {sorted({type(n).__name__ for n in labels.ravel().tolist()})}; it is damaged")
    if not np.isfinite(matrix).all():
        raise ValueError(f"{where}: `matrix` contains {int((~np.isfinite(matrix)).sum())} NaN or Inf entries; "
                         "it is damaged")
    if (matrix < 0).any():
        raise ValueError(f"{where}: `matrix` has negative entries (down to {matrix.min():.3g}); it is damaged")
    if data.get("columns") is None and matrix.size > 1:  # square: symmetric with a zero diagonal
        try:
            check_distance_matrix(matrix, "matrix", what="layers")
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{where}: {exc}; it is damaged") from None
        if np.diag(matrix).any():
            raise ValueError(f"{where}: `matrix` must have a zero diagonal; it is damaged")
    for key in ("options", "info"):
        if not isinstance(data.get(key, {}), dict):
            raise ValueError(f"{where}: `{key}` must be an object, got {type(data[key]).__name__}; it is damaged")
