"""A resumable store of finished pairs: one small file per pair, written atomically.

Layout of ``cache_dir``::

    manifest.json          what the pairs were computed from (the fingerprint, field by field)
    pairs/00003-00007.npz  value (and GW permutation) of the pair (layer 3, layer 7)

Each pair file holds ``value`` (float64), ``permutation`` (int64, empty when none) and
``checksum``, a BLAKE2b digest of both, checked on reading: a damaged file is recomputed,
never trusted. A pair file appears only once complete (temp file + rename), so a run killed
at any point leaves only whole pairs behind.

The manifest records the layer names, a hash of every layer's (subsampled, float64) data,
the measure, every option, the sample count and seed, and the engine settings that change
results (warm starts). Opening a cache made with anything different is refused with the
list of what differs; results are never mixed.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from .._io import _jsonable, atomic_path, read_json, write_json

__all__ = ["PairCache", "data_hash"]

FORMAT = "subnetscope.pair_cache"
VERSION = 1


def data_hash(X: np.ndarray) -> str:
    """BLAKE2b of a float64 array's shape and bytes (hex)."""
    X = np.ascontiguousarray(X, dtype=np.float64)
    h = hashlib.blake2b(digest_size=16)
    h.update(repr(X.shape).encode())
    h.update(X.tobytes())
    return h.hexdigest()


def _checksum(value: np.ndarray, permutation: np.ndarray) -> str:
    h = hashlib.blake2b(digest_size=16)
    h.update(np.float64(value).tobytes())
    h.update(np.ascontiguousarray(permutation, dtype=np.int64).tobytes())
    return h.hexdigest()


def _normalise(obj: Any) -> Any:
    # What the manifest holds after a JSON round trip (tuples become lists, numpy scalars numbers).
    return json.loads(json.dumps(obj, default=_jsonable, sort_keys=True))


class PairCache:
    """Finished pairs of one all-pairs run, in ``path``.

    Parameters
    ----------
    path : str or Path
        The cache folder (created if missing).
    fingerprint : mapping
        Everything the results depend on (see the module docstring). If ``path`` already
        holds a manifest, it must match field by field.

    Raises
    ------
    ValueError
        The folder holds a cache made from different inputs or options (the message
        names each field that differs), or a manifest that is not a subnetscope one.
    """

    def __init__(self, path: str | Path, fingerprint: Mapping[str, Any]):
        self.path = Path(path)
        if self.path.exists() and not self.path.is_dir():
            raise ValueError(f"`cache_dir` must be a folder, got the file {str(self.path)!r}")
        self.fingerprint = _normalise({"format": FORMAT, "version": VERSION, **fingerprint})
        manifest = self.path / "manifest.json"
        if manifest.exists():
            self._check(read_json(manifest, "cache manifest"))
        else:
            self.path.mkdir(parents=True, exist_ok=True)
            write_json(manifest, self.fingerprint)
        (self.path / "pairs").mkdir(exist_ok=True)

    def _check(self, cached: Any) -> None:
        where = f"`cache_dir` {str(self.path)!r}"
        if not isinstance(cached, dict) or cached.get("format") != FORMAT:
            raise ValueError(f"{where} holds a manifest.json that is not a subnetscope pair cache")
        diffs = []
        for key in sorted(set(cached) | set(self.fingerprint)):
            old, new = cached.get(key), self.fingerprint.get(key)
            if old == new:
                continue
            if key in ("layer_hashes", "column_hashes") and isinstance(old, dict) and isinstance(new, dict):
                changed = [n for n in new if n in old and old[n] != new[n]]
                extra = [n for n in new if n not in old]
                gone = [n for n in old if n not in new]
                parts = [f"data of {changed} changed" if changed else "",
                         f"new layers {extra}" if extra else "",
                         f"missing layers {gone}" if gone else ""]
                what = "column layer data" if key == "column_hashes" else "layer data"
                diffs.append(what + " (" + "; ".join(p for p in parts if p) + ")")
            elif key == "options" and isinstance(old, dict) and isinstance(new, dict):
                for opt in sorted(set(old) | set(new)):
                    if old.get(opt) != new.get(opt):
                        diffs.append(f"option {opt!r} (cache: {old.get(opt)!r}, now: {new.get(opt)!r})")
            elif key == "names":
                diffs.append("layer names or order")
            elif key == "columns":  # a cross-model cache (cross_pairwise): the second model's layers
                kind = {True: "two models", False: "one model"}
                diffs.append("column layer names or order" if old and new else
                             f"kind (cache: {kind[bool(old)]}, now: {kind[bool(new)]})")
            else:
                diffs.append(f"{key} (cache: {old!r}, now: {new!r})")
        if diffs:
            raise ValueError(
                f"{where} was made from different inputs: {'; '.join(diffs)}. Its pairs cannot be "
                "reused; pass another cache_dir or delete this one"
            )

    def _file(self, i: int, j: int) -> Path:
        return self.path / "pairs" / f"{i:05d}-{j:05d}.npz"

    def load(self) -> dict[tuple[int, int], tuple[float, np.ndarray | None]]:
        """Every intact pair: ``{(i, j): (value, permutation or None)}``, with i < j, or for a
        cross-model cache (a ``columns`` entry in the fingerprint) any row i and column j."""
        L = len(self.fingerprint.get("names", []))
        columns = self.fingerprint.get("columns")
        found = {}
        for file in sorted((self.path / "pairs").glob("*.npz")):
            try:
                i, j = (int(part) for part in file.stem.split("-"))
                with np.load(file, allow_pickle=False) as archive:
                    value = float(archive["value"])
                    perm = archive["permutation"].astype(np.int64)
                    ok = str(archive["checksum"]) == _checksum(archive["value"], perm)
            except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
                continue  # damaged or foreign: recompute
            inside = 0 <= i < L and 0 <= j < len(columns) if columns is not None else 0 <= i < j < L
            if ok and inside:
                found[(i, j)] = (value, perm if perm.size else None)
        return found

    def store(self, i: int, j: int, value: float, permutation: np.ndarray | None) -> None:
        """Persist one finished pair atomically."""
        perm = np.zeros(0, np.int64) if permutation is None else np.asarray(permutation, np.int64)
        value = np.float64(value)
        with atomic_path(self._file(i, j), suffix=".npz") as tmp:
            with open(tmp, "wb") as handle:
                np.savez(handle, value=value, permutation=perm, checksum=np.array(_checksum(value, perm)))
