"""Helpers shared by the sub-commands."""

from __future__ import annotations

import argparse
import zipfile
from pathlib import Path
from typing import Any

import numpy as np


def measure_choices() -> list[str]:
    from ..measures.registry import list_measures

    return list_measures()


def parse_option(text: str) -> tuple[str, Any]:
    """``key=value`` with value parsed as int, float, bool, None, comma list or string."""
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"options are key=value, got {text!r}")
    key, raw = text.split("=", 1)
    return key.strip().replace("-", "_"), _parse_value(raw.strip())


def _parse_value(raw: str) -> Any:
    lowered = raw.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "none":
        return None
    if "," in raw:
        return tuple(_parse_value(part) for part in raw.split(",") if part)
    for cast in (int, float):
        try:
            return cast(raw)
        except ValueError:
            pass
    return raw


def load_reps(path: str | Path) -> dict[str, np.ndarray]:
    """Named arrays from an ``.npz`` file (or a capture store folder)."""
    path = Path(path)
    if path.is_dir():
        from ..capture import Representations  # a store written by `subnetscope capture`

        return dict(Representations.load(path).items())
    if not path.is_file():
        raise FileNotFoundError(f"representations file {str(path)!r} does not exist")
    try:
        archive = np.load(path, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise ValueError(f"it holds one {archive.shape} array (a .npy file?); save the layers as named "
                             "arrays with np.savez(path, layer1=Y1, layer2=Y2, ...)")
        with archive:
            return {name: archive[name] for name in archive.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise ValueError(
            f"representations file {str(path)!r} is not a readable .npz of named arrays "
            f"(truncated or another format?): {exc}"
        ) from exc
