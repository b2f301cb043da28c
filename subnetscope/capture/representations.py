"""The result of a capture: a read-only mapping name → array of shape (n_samples, n_features)."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

__all__ = ["Representations"]


class Representations(Mapping):
    """Named layer representations on the same inputs, with the capture settings.

    Behaves as a read-only ``dict`` from layer name to a read-only ``ndarray`` of shape
    (n_samples, n_features), in capture order, so it can be passed to
    :func:`subnetscope.pairwise` directly. A store-backed instance (from :meth:`load`) reads each
    layer from disk when it is accessed and keeps nothing in memory.

    Parameters
    ----------
    arrays : mapping of str to ndarray of shape (n_samples, n_features)
    settings : dict
        How the representations were captured (model, layers, pooling, n_samples, seed ...).

    Attributes
    ----------
    settings : mapping
        Read-only view of the capture settings.
    path : Path or None
        The store folder, for a store-backed instance.

    Examples
    --------
    >>> reps = Representations({"a": np.zeros((3, 2)), "b": np.ones((3, 4))}, {"pooling": "flatten"})
    >>> list(reps), reps.n_samples, reps.shapes["b"]
    (['a', 'b'], 3, (3, 4))
    """

    def __init__(self, arrays: Mapping[str, np.ndarray], settings: Mapping[str, Any] | None = None):
        self._arrays: dict[str, np.ndarray] = {}
        for name, array in arrays.items():
            array = np.asarray(array)
            if array.ndim != 2:
                raise ValueError(f"`arrays[{name!r}]` must have shape (n_samples, n_features), got {array.shape}")
            array = array.view()
            array.flags.writeable = False
            self._arrays[name] = array
        counts = {array.shape[0] for array in self._arrays.values()}
        if len(counts) > 1:
            raise ValueError(f"every layer must have the same number of samples, got {sorted(counts)}")
        self._shapes = {name: tuple(a.shape) for name, a in self._arrays.items()}
        self._settings = dict(settings or {})
        self._manifest: dict[str, Any] | None = None
        self.path: Path | None = None

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Representations":
        """Reopen a store written by ``capture(..., store=path)`` or :meth:`save`, or the store in
        a run folder's ``reps/`` (``subnetscope capture --out RUN_DIR``).

        Layers are read from disk on access (one layer at a time in memory).
        """
        from .store import MANIFEST, REPS_FOLDER, read_manifest

        if not (Path(path) / MANIFEST).is_file() and (Path(path) / REPS_FOLDER / MANIFEST).is_file():
            path = Path(path) / REPS_FOLDER  # a run folder: its capture store
        manifest = read_manifest(path)
        if not manifest.get("complete"):
            raise ValueError(
                f"capture store {str(path)!r} is incomplete (the capture was interrupted); "
                "rerun the same capture with store= to finish it"
            )
        self = cls({}, manifest.get("settings", {}))
        self._manifest = manifest
        self._shapes = {item["name"]: tuple(item["shape"]) for item in manifest["layers"]}
        self.path = Path(path)
        return self

    def save(self, path: str | os.PathLike) -> Path:
        """Write these representations as a one-shard store at ``path`` (refuses a different capture)."""
        from .store import StoreWriter

        identity = {"saved": True, "settings": self._settings, "layers": list(self)}
        writer = StoreWriter(path, identity)
        writer.clear()
        writer.write(0, {name: self[name] for name in self})
        writer.finish(self._layer_entries(), self._settings)
        return Path(path)

    def _layer_entries(self) -> list[dict[str, Any]]:
        return [{"name": n, "shape": list(self._shapes[n]), "dtype": str(self[n].dtype)} for n in self]

    # Mapping interface -------------------------------------------------------------------
    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self._shapes:
            name = self._settings.get("aliases", {}).get(name, name)  # "0" for "0.Linear"
        if name not in self._shapes:
            from .._validation import close_matches

            hint = close_matches(name, [*self._shapes, *self._settings.get("aliases", {})])
            raise KeyError(
                f"no layer {name!r} in these representations"
                + (f"; did you mean {' or '.join(map(repr, hint))}?" if hint else f" ({len(self)} layers)")
            )
        if self._manifest is not None:
            from .store import read_layer

            array = read_layer(self.path, self._manifest, name)
            array.flags.writeable = False
            return array
        return self._arrays[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._shapes)

    def __len__(self) -> int:
        return len(self._shapes)

    @property
    def settings(self) -> Mapping[str, Any]:
        return MappingProxyType(self._settings)

    @property
    def shapes(self) -> dict[str, tuple[int, int]]:
        """Layer name -> (n_samples, n_features), without reading any data."""
        return dict(self._shapes)

    @property
    def n_samples(self) -> int:
        return next(iter(self._shapes.values()))[0] if self._shapes else 0

    def __repr__(self) -> str:
        where = f", store={str(self.path)!r}" if self.path else ""
        return f"Representations({len(self)} layers, n_samples={self.n_samples}{where})"
