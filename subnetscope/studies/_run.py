"""The skeleton every study runs on: one run folder, stages with timings and log lines, model
checkpoints keyed by a hash of everything that shapes the weights, cached all-pairs distances.

A study makes a :class:`StudyRun` and does its work through it:

- ``run.stage(name)`` times a block (``run.json["timings"]``);
- ``run.checkpoint(name, settings, make, train)`` returns a model trained with ``settings``: read
  back from ``checkpoints/<name>-<hash of settings>.pt`` when it exists, else made, trained and
  saved (atomically). The hash covers every setting given, so a changed option (epochs, data,
  seed, ...) trains anew and never reuses a stale model;
- ``run.pairs(label, reps, measure)`` is :func:`subnetscope.pairwise` with its pair cache in
  ``cache/<label>-<hash of the layer data, measure and options>/``, saved as
  ``distances/<label>.npz``: a killed run, started again, computes only the missing pairs, and
  a run on other data or options gets another cache folder (never one refused for its data);
- ``run.reused`` lists what was read back instead of computed (``run.json["reused"]``).
"""

from __future__ import annotations

import hashlib
import json
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

import numpy as np

__all__ = ["StudyRun", "settings_key", "data_key"]

#: pairwise options that change how, not what, is computed (results are the same either way)
_NOT_SHAPING = ("progress", "n_jobs", "client", "max_memory")


def settings_key(settings: Mapping[str, Any]) -> str:
    """12 hex digits of a SHA-1 over ``settings`` as sorted JSON (what is not JSON: its ``str``)."""
    return hashlib.sha1(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()[:12]


def data_key(*arrays: Any) -> str:
    """12 hex digits of a BLAKE2b over arrays (shape, dtype and bytes) or texts, in order."""
    h = hashlib.blake2b(digest_size=16)
    for a in arrays:
        if isinstance(a, Mapping):
            for name in a:
                h.update(str(name).encode())
                h.update(data_key(a[name]).encode())
            continue
        if hasattr(a, "detach"):  # a torch tensor
            a = a.detach().cpu().numpy()
        if isinstance(a, (list, tuple)) and a and isinstance(a[0], str):
            h.update("\x00".join(a).encode())
            continue
        arr = np.ascontiguousarray(np.asarray(a))
        h.update(f"{arr.shape}{arr.dtype.str}".encode())
        h.update(arr.tobytes())
    return h.hexdigest()[:12]


class StudyRun:
    """One study's run folder (:class:`subnetscope.runs.RunFolder` as ``.folder``) and its bookkeeping.

    ``options`` are written to run.json at once; ``log`` receives every line the study prints.
    """

    def __init__(self, out: str | Path, study: str, options: Mapping[str, Any] | None = None, *,
                 log: Callable[[str], None] = print, **meta: Any):
        from ..runs import RunFolder

        self.folder = RunFolder(out)
        self.path = self.folder.path
        self.log = log
        self.timings: dict[str, float] = {}
        self.reused: list[str] = []
        self.started = time.perf_counter()
        self.folder.update_meta(study=study, reused=[], **({"options": dict(options)} if options else {}), **meta)

    # --- stages ---------------------------------------------------------------------------
    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time the block as ``timings[name]`` (seconds; added to any earlier entry of that name)."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = round(self.timings.get(name, 0.0) + time.perf_counter() - start, 3)

    def finish(self, **meta: Any) -> None:
        """Write the timings (with ``total``), what was reused and ``meta`` to run.json."""
        self.timings["total"] = round(time.perf_counter() - self.started, 3)
        self.folder.update_meta(timings=self.timings, reused=self.reused, **meta)

    def _reuse(self, what: str) -> None:
        self.reused.append(what)
        self.folder.update_meta(reused=self.reused)

    # --- hashed model checkpoints ---------------------------------------------------------
    def checkpoint_path(self, name: str, settings: Mapping[str, Any]) -> Path:
        return self.folder.checkpoints / f"{name}-{settings_key(settings)}.pt"

    def checkpoint(self, name: str, settings: Mapping[str, Any], make: Callable[[], Any],
                   train: Callable[[Any], dict]) -> tuple[Any, dict, bool]:
        """``(model, record, reused)``: the model ``train(make())`` would give for ``settings``.

        ``make()`` builds the untrained model (the same structure as the trained one);
        ``train(model)`` trains it in place and returns a JSON-able record (accuracy, history).
        The weights and the record are saved as ``checkpoints/<name>-<key>.pt`` (read with
        ``weights_only=True``), ``key`` the hash of ``settings``; when that file exists the
        model is loaded from it and ``train`` is not called.
        """
        import torch

        from .._io import atomic_path

        path = self.checkpoint_path(name, settings)
        model = make()
        if path.exists():
            saved = torch.load(path, map_location="cpu", weights_only=True)
            model.load_state_dict(saved["state_dict"])
            model.eval()
            self._reuse(f"checkpoint {path.name}")
            return model, json.loads(saved["record"]), True
        record = train(model)
        with atomic_path(path, suffix=".pt") as tmp:
            torch.save({"state_dict": model.state_dict(), "record": json.dumps(record, default=float),
                        "settings": json.dumps(dict(settings), sort_keys=True, default=str)}, tmp)
        return model, record, False

    # --- cached all-pairs distances -------------------------------------------------------
    def pairs(self, label: str, reps: Mapping[str, Any], measure: str = "gw", *, save: bool = True,
              cache: str | None = None, **options: Any):
        """:func:`subnetscope.pairwise` with its pairs cached in the run folder; saved as ``label``.

        ``cache`` names the cache folder under ``cache/``; by default ``<label>-<key>``, the key a
        hash of the layer data, the measure and ``options``, so other data never meets this cache.
        """
        from ..engine.pairwise import pairwise

        if cache is None:
            shaping = {k: v for k, v in options.items() if k not in _NOT_SHAPING}
            cache = f"{label}-{settings_key({'data': data_key(reps), 'measure': measure, **shaping})}"
        d = pairwise(reps, measure, cache_dir=self.path / "cache" / cache, **options)
        if d.info.get("n_cached"):
            self._reuse(f"{label}: {d.info['n_cached']} pairs from cache/{cache}")
        if save:
            self.folder.save_distances(label, d)
        return d

    # --- records of finished stages -------------------------------------------------------
    def memo(self, name: str, settings: Mapping[str, Any],
             compute: Callable[[], tuple[dict, Mapping[str, Any] | None]]) -> tuple[dict, dict | None, bool]:
        """``(record, arrays, reused)`` of a stage whose model is not needed afterwards.

        ``compute()`` returns a JSON-able record and optionally named arrays (e.g. the layer
        outputs of a model trained and discarded); they are kept as
        ``checkpoints/<name>-<hash of settings>.json`` (and ``.npz``, written first), and read
        back instead of calling ``compute`` when the record exists.
        """
        from .._io import read_json, save_npz, write_json

        base = self.folder.checkpoints / f"{name}-{settings_key(settings)}"
        record_path, arrays_path = Path(f"{base}.json"), Path(f"{base}.npz")
        if record_path.exists():
            record = read_json(record_path, "stage record")
            arrays = None
            if record.get("_arrays") is not None:
                with np.load(arrays_path, allow_pickle=False) as stored:
                    arrays = {k: stored[k] for k in record["_arrays"]}
            self._reuse(f"record {record_path.name}")
            return record, arrays, True
        record, arrays = compute()
        if arrays is not None:
            arrays = dict(arrays)
            save_npz(arrays_path, **arrays)
            record = {**record, "_arrays": list(arrays)}
        write_json(record_path, record)
        return record, arrays, False
