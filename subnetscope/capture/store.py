"""Streaming on-disk store of captured representations: safetensors shards + a JSON manifest.

Layout of a store folder::

    manifest.json            format, settings, layers [{name, shape, dtype}], shards [{file, rows}], complete
    shard-00000.safetensors  every layer's rows [start, stop) of one batch (keys = layer names)
    shard-00001.safetensors  ...

Each batch is written as its own shard as soon as it is captured and the manifest is rewritten
atomically after it, so memory holds one batch at a time and a killed capture leaves a
consistent, resumable store: a rerun with the same settings skips the shards already written.
A layer is read back by concatenating its rows from every shard
(:meth:`Representations.load <subnetscope.capture.Representations.load>`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from .._io import atomic_path, read_json, write_json

__all__ = ["FORMAT", "StoreWriter", "read_manifest", "read_layer"]

FORMAT = "subnetscope.capture"
VERSION = 1
MANIFEST = "manifest.json"
#: The sub-folder of a run folder that holds its capture store (``subnetscope capture --out RUN_DIR``).
REPS_FOLDER = "reps"


def read_manifest(path: str | os.PathLike) -> dict[str, Any]:
    """The manifest of the store at ``path``, checked to be one."""
    path = Path(path)
    if not path.is_dir():
        raise FileNotFoundError(f"capture store {str(path)!r} does not exist (or is not a folder)")
    manifest = read_json(path / MANIFEST, what="capture store manifest")
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ValueError(f"{str(path / MANIFEST)!r} is not a subnetscope capture manifest (format {FORMAT!r})")
    return manifest


def read_layer(path: str | os.PathLike, manifest: dict[str, Any], name: str) -> np.ndarray:
    """Rows of layer ``name`` from every shard of the store at ``path``, shape (n, d)."""
    from safetensors import safe_open

    from .._memory import check_memory

    layer = next(item for item in manifest["layers"] if item["name"] == name)
    shape, dtype = tuple(layer["shape"]), np.dtype(layer["dtype"])
    check_memory(float(np.prod(shape)) * dtype.itemsize,
                 f"reading layer {name!r} of the capture store {str(path)!r} (shape {shape}, {dtype})",
                 "capture fewer inputs or a pooled layer (capture --pooling mean/cls), or read fewer layers")
    out = np.empty(shape, dtype=dtype)
    filled = 0
    for shard in manifest["shards"]:
        start, stop = shard["rows"]
        file = Path(path) / shard["file"]
        if not file.is_file():
            raise FileNotFoundError(f"capture store {str(path)!r} lacks its shard {shard['file']!r}; the store is damaged")
        try:
            with safe_open(str(file), framework="numpy") as handle:
                out[start:stop] = handle.get_tensor(name)
        except Exception as exc:  # safetensors raises its own error type on damaged files
            raise ValueError(
                f"capture store {str(path)!r}: shard {shard['file']!r} cannot be read as layer {name!r} "
                f"rows {start}..{stop} (truncated, damaged or another format?): {exc}; capture again "
                "into a new folder"
            ) from exc
        filled += stop - start
    if filled != out.shape[0]:
        raise ValueError(f"capture store {str(path)!r} holds {filled} of {out.shape[0]} rows; it is incomplete")
    return out


class StoreWriter:
    """Writes one capture into ``path``, batch by batch.

    Parameters
    ----------
    path : path-like
        Store folder; created if missing. A folder holding a *different* capture (other
        settings) or unrelated files is refused rather than overwritten.
    identity : dict
        Settings that define the capture (model fingerprint, inputs, layers, pooling ...).
    """

    def __init__(self, path: str | os.PathLike, identity: dict[str, Any]):
        self.path = Path(path)
        self.identity = identity
        self.shards: list[dict[str, Any]] = []
        self.complete = False
        if self.path.exists() and not self.path.is_dir():
            raise FileExistsError(f"`store` {str(self.path)!r} is a file; give a folder path")
        if (self.path / MANIFEST).is_file():
            manifest = read_manifest(self.path)
            old = manifest.get("identity", {})
            differs = sorted(key for key in set(old) | set(identity) if old.get(key) != _plain(identity.get(key)))
            if differs:
                raise FileExistsError(
                    f"`store` {str(self.path)!r} already holds a different capture (differs in: "
                    f"{', '.join(differs)}); choose another folder or delete it"
                )
            self.complete = bool(manifest.get("complete"))
            self.shards = [s for s in manifest["shards"] if (self.path / s["file"]).is_file()]
        elif self.path.is_dir() and any(self.path.iterdir()):
            raise FileExistsError(
                f"`store` {str(self.path)!r} is a non-empty folder without a capture manifest; "
                "choose an empty or new folder"
            )
        self.path.mkdir(parents=True, exist_ok=True)

    def has(self, start: int, stop: int) -> bool:
        """Whether rows [start, stop) were written by an earlier, interrupted run."""
        return any(shard["rows"] == [start, stop] for shard in self.shards)

    def write(self, start: int, arrays: dict[str, np.ndarray]) -> None:
        """Write one batch (every layer's rows from ``start``) as a new shard."""
        from safetensors.numpy import save_file

        stop = start + next(iter(arrays.values())).shape[0]
        file = f"shard-{start:09d}.safetensors"
        with atomic_path(self.path / file) as tmp:
            save_file({name: np.ascontiguousarray(a) for name, a in arrays.items()}, str(tmp))
        self.shards = [s for s in self.shards if s["file"] != file] + [{"file": file, "rows": [start, stop]}]
        self._write_manifest(layers=None, settings=None)

    def finish(self, layers: list[dict[str, Any]], settings: dict[str, Any]) -> None:
        """Record the layer shapes and mark the store complete."""
        self.shards.sort(key=lambda shard: shard["rows"][0])
        self.complete = True
        self._write_manifest(layers, settings)

    def keep_only(self, ranges: list[list[int]]) -> None:
        """Delete shards whose rows are not one of ``ranges`` (this run's batches)."""
        for shard in [s for s in self.shards if s["rows"] not in ranges]:
            (self.path / shard["file"]).unlink(missing_ok=True)
            self.shards.remove(shard)

    def clear(self) -> None:
        """Remove shards from an earlier run whose batches no longer line up."""
        for shard in self.shards:
            (self.path / shard["file"]).unlink(missing_ok=True)
        self.shards = []

    def _write_manifest(self, layers: list[dict[str, Any]] | None, settings: dict[str, Any] | None) -> None:
        write_json(self.path / MANIFEST, {
            "format": FORMAT, "version": VERSION, "complete": self.complete,
            "identity": self.identity, "settings": settings or {}, "layers": layers or [],
            "shards": self.shards,
        })


def _plain(value: Any) -> Any:
    """``value`` as it reads back from JSON (tuples become lists)."""
    import json

    from .._io import _jsonable

    return json.loads(json.dumps(value, default=_jsonable))

