"""A resumable store of finished pairs: one small file per pair, written atomically.

Layout of ``cache_dir``::

    manifest.json          what the pairs were computed from (the fingerprint, field by field)
    pairs/00003-00007.npz  value (and GW permutation) of the pair (layer 3, layer 7)

Each pair file holds ``value`` (float64), ``permutation`` (int64, empty when none),
``pair`` (its two layer indices), ``key`` (a digest of the whole manifest: layer data
hashes, measure, options ...) and ``checksum``, a BLAKE2b digest of all four, checked on
reading. A file that is damaged, made for another pair (copied onto this name) or from
another manifest (other data, with the manifest deleted or replaced) is ignored and its
pair recomputed, never trusted. Values read back then pass the engine's checks for
computed values (``load(accept=...)``: finite, ≥ 0 for distances, a permutation of the
right length; for GW the value must be that of its stored permutation). The checksum finds
damage, not a deliberate forgery of a non-GW value: a cache folder is trusted as far as
whoever can write to it. A pair file appears only once complete (temp file + rename), so a
run killed at any point leaves only whole pairs behind.

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
from typing import Any, Callable, Mapping

import numpy as np

from .._io import _jsonable, atomic_path, read_json, write_json

__all__ = ["PairCache", "data_hash"]

FORMAT = "subnetscope.pair_cache"
VERSION = 2  # 2: pair files carry their pair and the manifest's key


def data_hash(X: np.ndarray) -> str:
    """BLAKE2b of a float64 array's shape and bytes (hex)."""
    X = np.ascontiguousarray(X, dtype=np.float64)
    h = hashlib.blake2b(digest_size=16)
    h.update(repr(X.shape).encode())
    h.update(X.tobytes())
    return h.hexdigest()


def _checksum(value: np.ndarray, permutation: np.ndarray, pair: tuple[int, int], key: str) -> str:
    h = hashlib.blake2b(digest_size=16)
    h.update(np.float64(value).tobytes())
    h.update(np.ascontiguousarray(permutation, dtype=np.int64).tobytes())
    h.update(np.asarray(pair, dtype=np.int64).tobytes())
    h.update(key.encode())
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
        # binds every pair file to this manifest: pairs of other data or options never match
        self.key = hashlib.blake2b(json.dumps(self.fingerprint, sort_keys=True).encode(), digest_size=16).hexdigest()
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

    def load(self, accept: Callable[[int, int, float, np.ndarray | None], bool] | None = None,
             ) -> dict[tuple[int, int], tuple[float, np.ndarray | None]]:
        """Every intact pair of this manifest: ``{(i, j): (value, permutation or None)}``, with
        i < j, or for a cross-model cache (a ``columns`` entry in the fingerprint) any row i and
        column j.

        ``accept(i, j, value, permutation)`` is asked about each; a pair it refuses is left
        out (recomputed), like a damaged one.
        """
        L = len(self.fingerprint.get("names", []))
        columns = self.fingerprint.get("columns")
        found = {}
        for file in sorted((self.path / "pairs").glob("*.npz")):
            try:
                i, j = (int(part) for part in file.stem.split("-"))
                with np.load(file, allow_pickle=False) as archive:
                    raw = archive["value"]
                    value = float(raw)
                    perm = archive["permutation"]
                    if perm.ndim != 1 or perm.dtype.kind not in "iu":
                        continue
                    perm = perm.astype(np.int64)
                    ok = (archive["pair"].tolist() == [i, j] and str(archive["key"]) == self.key
                          and str(archive["checksum"]) == _checksum(raw, perm, (i, j), self.key))
            except (OSError, ValueError, TypeError, KeyError, EOFError, zipfile.BadZipFile):
                continue  # damaged or foreign: recompute
            perm = perm if perm.size else None
            inside = 0 <= i < L and 0 <= j < len(columns) if columns is not None else 0 <= i < j < L
            if ok and inside and (accept is None or accept(i, j, value, perm)):
                found[(i, j)] = (value, perm)
        return found

    def store(self, i: int, j: int, value: float, permutation: np.ndarray | None) -> None:
        """Persist one finished pair atomically."""
        perm = np.zeros(0, np.int64) if permutation is None else np.asarray(permutation, np.int64)
        value = np.float64(value)
        with atomic_path(self._file(i, j), suffix=".npz") as tmp:
            with open(tmp, "wb") as handle:
                np.savez(handle, value=value, permutation=perm, pair=np.array([i, j], np.int64),
                         key=np.array(self.key), checksum=np.array(_checksum(value, perm, (i, j), self.key)))
