"""The run folder: where every study, `demo` and the CLI put their results.

Layout (documented in docs/formats.md; the report reads only this)::

    RUN_DIR/
      run.json                      what ran: study, command(s), options, versions, timings, summary
      distances/<label>.npz         LayerDistances (one per matrix: "gw", "cka", "model0.gw", ...)
      subnetworks/<label>.json      Subnetworks.to_dict() for the matrix of the same label
      tables/<name>.json            {"title", "columns", "rows", "note"}: Table 1/4 analogues, probes ...
      figures/<name>.png            figures, with an optional figures/<name>.json caption record
      checkpoints/                  model weights a study can reuse (skipped training on re-run)
      reps/                         the capture store of `subnetscope capture --out RUN_DIR`
      report.html                   written by `subnetscope report --out RUN_DIR`

Every file is written atomically, so an interrupted run never leaves a half-written result
that a resumed run or the report would read as valid.
"""

from __future__ import annotations

import platform
import shlex
import sys
import time
from pathlib import Path
from typing import Any, Mapping, Sequence

from ._io import read_json, write_json

__all__ = ["RunFolder"]


def versions() -> dict[str, str]:
    """Versions of Python and the libraries that shape results."""
    import importlib.metadata as md

    out = {"python": platform.python_version(), "platform": platform.platform()}
    for dist in ("subnetscope", "numpy", "scipy", "scikit-learn", "POT", "torch", "transformers", "matplotlib"):
        try:
            out[dist] = md.version(dist)
        except md.PackageNotFoundError:
            pass
    return out


class RunFolder:
    """Read and write one run folder. Creating it makes the folder and its sub-folders."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        for sub in ("distances", "subnetworks", "tables", "figures"):
            (self.path / sub).mkdir(parents=True, exist_ok=True)

    # --- run metadata -------------------------------------------------------------
    @property
    def meta_path(self) -> Path:
        return self.path / "run.json"

    def read_meta(self) -> dict[str, Any]:
        meta = read_json(self.meta_path, "run record") if self.meta_path.exists() else {}
        if not isinstance(meta, dict):
            raise ValueError(f"run record {str(self.meta_path)!r} must hold a JSON object, got a "
                             f"{type(meta).__name__}; it is damaged (move it away to start a new record)")
        return meta

    def update_meta(self, **fields: Any) -> dict[str, Any]:
        """Merge ``fields`` into run.json (nested dicts are merged one level deep)."""
        meta = self.read_meta()
        meta.setdefault("created", time.strftime("%Y-%m-%d %H:%M:%S"))
        meta.setdefault("command", " ".join(shlex.quote(a) for a in ["subnetscope", *sys.argv[1:]]))
        meta.setdefault("versions", versions())
        for key, value in fields.items():
            if isinstance(value, Mapping) and isinstance(meta.get(key), Mapping):
                meta[key] = {**meta[key], **value}
            else:
                meta[key] = value
        write_json(self.meta_path, meta)
        return meta

    def record_command(self, step: str, command: str, label: str = "", first: bool = False) -> None:
        """Add ``command`` to run.json's ``commands`` (the chain the report lists under Reproduce).

        One entry per (step, label): running the same step again replaces its entry in place, so
        ``pairwise --measure gw`` then ``--measure cka`` keeps both, and a rerun does not repeat.
        ``first`` puts a new entry at the front (the capture that made the representations).
        """
        meta = self.read_meta()
        entries = [e for e in meta.get("commands", []) if isinstance(e, Mapping)]
        entry = {"step": step, "label": label, "command": command}
        same = [k for k, e in enumerate(entries) if e.get("step") == step and e.get("label", "") == label]
        if same:
            entries[same[0]] = entry
        elif first:
            entries.insert(0, entry)
        else:
            entries.append(entry)
        self.update_meta(commands=entries)

    # --- results -------------------------------------------------------------------
    def distances_path(self, label: str) -> Path:
        return self.path / "distances" / f"{label}.npz"

    def save_distances(self, label: str, distances) -> Path:
        return distances.save(self.distances_path(label))

    def load_distances(self, label: str):
        from .engine.layer_distances import LayerDistances

        return LayerDistances.load(self.distances_path(label))

    def distance_labels(self) -> list[str]:
        return sorted(p.stem for p in (self.path / "distances").glob("*.npz"))

    def save_subnetworks(self, label: str, subnetworks) -> Path:
        data = subnetworks.to_dict() if hasattr(subnetworks, "to_dict") else subnetworks
        return write_json(self.path / "subnetworks" / f"{label}.json", data)

    def load_subnetworks(self) -> dict[str, dict]:
        return {
            p.stem: read_json(p, "sub-network record")
            for p in sorted((self.path / "subnetworks").glob("*.json"))
        }

    def save_table(self, name: str, title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]],
                   note: str = "") -> Path:
        """A small result table (e.g. the Table 1 analogue): rows of cells under ``columns``."""
        rows = [list(r) for r in rows]
        for r in rows:
            if len(r) != len(columns):
                raise ValueError(f"table {name!r}: a row has {len(r)} cells but there are {len(columns)} columns")
        return write_json(self.path / "tables" / f"{name}.json",
                          {"title": title, "columns": list(columns), "rows": rows, "note": note})

    def load_tables(self) -> dict[str, dict]:
        return {p.stem: read_json(p, "table") for p in sorted((self.path / "tables").glob("*.json"))}

    def save_figure(self, name: str, figure, caption: str = "") -> Path:
        """Save a matplotlib figure as figures/<name>.png (and its caption), then close it."""
        from .plots import save_figure

        path = save_figure(figure, self.path / "figures" / f"{name}.png")
        if caption:
            write_json(self.path / "figures" / f"{name}.json", {"caption": caption})
        return path

    def figures(self) -> list[tuple[Path, str]]:
        out = []
        for png in sorted((self.path / "figures").glob("*.png")):
            meta = png.with_suffix(".json")
            out.append((png, read_json(meta, "caption").get("caption", "") if meta.exists() else ""))
        return out

    @property
    def checkpoints(self) -> Path:
        path = self.path / "checkpoints"
        path.mkdir(exist_ok=True)
        return path
