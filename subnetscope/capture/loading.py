"""Reading what the command line is given: models, inputs and captured representations.

``load_model`` and ``load_inputs`` turn the files `subnetscope capture` takes into a model and
its inputs; ``load_representations`` reads named layer arrays from an ``.npz``, a capture store
or a run folder whose ``reps/`` holds one. Safe by default: nothing here unpickles code unless
``trust_pickle=True``.
"""

from __future__ import annotations

import importlib
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from .store import REPS_FOLDER

__all__ = ["REPS_FOLDER", "SAFE_MODULES", "load_inputs", "load_model", "load_representations", "store_folder",
           "record_store_command"]

def store_folder(run_dir: str | Path) -> Path:
    """Where a capture into ``run_dir`` goes: ``run_dir`` itself when it already is a capture store
    (the layout before run folders), else ``run_dir/reps``."""
    from .store import MANIFEST

    run_dir = Path(run_dir)
    return run_dir if (run_dir / MANIFEST).is_file() else run_dir / REPS_FOLDER


def record_store_command(store: Path, command: str) -> None:
    """Keep the command in the store's manifest, so that `pairwise` can list it under Reproduce."""
    from .._io import write_json
    from .store import MANIFEST, read_manifest

    manifest = read_manifest(store)
    manifest.setdefault("settings", {})["command"] = command
    write_json(store / MANIFEST, manifest)


def load_representations(path: str | Path) -> dict[str, np.ndarray]:
    """Named arrays from an ``.npz`` file, a capture store folder or a run folder with ``reps/``."""
    path = Path(path)
    if path.is_dir():
        from .representations import Representations  # a store written by `subnetscope capture`

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


#: Modules whose classes a model file may name without --trust-pickle (this package's own models).
SAFE_MODULES = ("subnetscope.models",)


def load_model(path: str | Path, *, trust_pickle: bool = False) -> tuple[Any, Any]:
    """A model (and tokenizer, for an HF folder with tokenizer files) from ``path``.

    Safe by default: weights are read without unpickling code (``torch.load(weights_only=True)``,
    safetensors), a Hugging Face folder never runs its own code, and a class named by the file
    must live in ``subnetscope.models``. ``trust_pickle=True`` (CLI ``--trust-pickle``) also
    unpickles a whole ``nn.Module`` and imports any class the file names: both run code the
    file chooses, so only for files from someone you trust.
    """
    import torch

    path = Path(path)
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise FileNotFoundError(f"model folder {str(path)!r} has no config.json (not a Hugging Face model)")
        from transformers import AutoModel, AutoTokenizer

        model = AutoModel.from_pretrained(str(path), attn_implementation="eager", trust_remote_code=False)
        has_tokenizer = any((path / f).is_file() for f in ("tokenizer.json", "vocab.txt", "tokenizer_config.json"))
        return model, AutoTokenizer.from_pretrained(str(path), trust_remote_code=False) if has_tokenizer else None
    if not path.is_file():
        hub = len(path.parts) <= 2 and not path.suffix and not str(path).startswith((".", "/"))
        raise FileNotFoundError(
            f"model {str(path)!r} does not exist here"
            + (" and looks like a Hugging Face hub name: subnetscope never downloads (this machine is "
               "offline); pass a local model folder instead, one with config.json and the weights, e.g. "
               "made with `huggingface-cli download NAME --local-dir DIR` on a machine with network, or "
               "subnetscope.models.hf.minilm_path() for all-MiniLM-L6-v2" if hub else
               "; give a Hugging Face model folder, a torch.save'd module or a .pt class/config/state_dict dict"))
    if path.suffix == ".safetensors":
        return _from_safetensors(path, trust_pickle), None
    import pickle

    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        if not trust_pickle:
            raise ValueError(
                f"model {str(path)!r} is not weights-only (a torch.save'd nn.Module or other pickled objects): "
                "loading it runs code stored in the file. Save {'class', 'config', 'state_dict'} or a "
                ".safetensors file instead, or pass --trust-pickle if you trust whoever made this file"
            ) from exc
        obj = torch.load(path, map_location="cpu", weights_only=False)  # the user vouched for the file
    if isinstance(obj, torch.nn.Module):
        return obj, None
    if isinstance(obj, dict) and {"class", "state_dict"} <= set(obj):
        model = _instantiate(path, obj["class"], obj.get("config", {}), trust_pickle)
        model.load_state_dict(obj["state_dict"])
        return model, None
    raise ValueError(
        f"model {str(path)!r} holds {type(obj).__name__}; expected a dict with 'class' "
        "('subnetscope.models:Class'), 'config' and 'state_dict' (or an nn.Module, with --trust-pickle)"
    )


def _instantiate(path: Path, name: Any, config: Any, trust_pickle: bool) -> Any:
    """``Class(**config)`` for ``name`` = 'pkg.module:Class'; outside SAFE_MODULES only when trusted."""
    module_name, _, class_name = str(name).partition(":")
    safe = any(module_name == m or module_name.startswith(m + ".") for m in SAFE_MODULES)
    if not safe and not trust_pickle:
        raise ValueError(
            f"model {str(path)!r} names the class {str(name)!r}, outside {list(SAFE_MODULES)}: importing it runs "
            "that package's code. Pass --trust-pickle if you trust this file and that package"
        )
    if not isinstance(config, dict):
        raise ValueError(f"model {str(path)!r}: 'config' must be a dict of keyword arguments, "
                         f"got {type(config).__name__}")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ValueError(f"model {str(path)!r} names the class {str(name)!r}, which cannot be imported: {exc}") from exc
    return cls(**config)


def _from_safetensors(path: Path, trust_pickle: bool) -> Any:
    import json

    from safetensors import safe_open
    from safetensors.torch import load_file

    with safe_open(str(path), framework="pt") as handle:
        meta = handle.metadata() or {}
    if "class" not in meta:
        raise ValueError(f"model {str(path)!r}: its safetensors metadata has no 'class' (and 'config', JSON) "
                         "naming the architecture, e.g. save_file(sd, path, metadata={'class': "
                         "'subnetscope.models:ResNet9', 'config': json.dumps(config)})")
    try:
        config = json.loads(meta.get("config", "{}"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"model {str(path)!r}: metadata 'config' is not valid JSON: {exc}") from exc
    model = _instantiate(path, meta["class"], config, trust_pickle)
    model.load_state_dict(load_file(str(path)))
    return model


def load_inputs(path: str | Path) -> Any:
    """Inputs from .pt, .npy, .npz or .txt (one text per line)."""
    import torch

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"inputs {str(path)!r} do not exist")
    suffix = path.suffix.lower()
    if suffix == ".txt":
        texts = [line.rstrip("\n") for line in path.read_text().splitlines() if line.strip()]
        if not texts:
            raise ValueError(f"inputs {str(path)!r} hold no text lines")
        return texts
    if suffix == ".npy":
        return torch.as_tensor(np.load(path, allow_pickle=False))
    if suffix == ".npz":
        with np.load(path, allow_pickle=False) as archive:
            arrays = {k: torch.as_tensor(archive[k]) for k in archive.files}
        return next(iter(arrays.values())) if len(arrays) == 1 else arrays
    if suffix in (".pt", ".pth"):
        obj = torch.load(path, map_location="cpu", weights_only=True)
        if isinstance(obj, (torch.Tensor, dict)):
            return obj
        raise ValueError(f"inputs {str(path)!r} hold {type(obj).__name__}; expected a tensor or a dict of tensors")
    raise ValueError(f"inputs {str(path)!r}: unknown extension {suffix!r}; use .pt, .npy, .npz or .txt")
