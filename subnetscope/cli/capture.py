"""`subnetscope capture`: capture a model's layer representations into a store folder."""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path
from typing import Any

import numpy as np

from ._common import command_line


def register(sub) -> None:
    parser = sub.add_parser(
        "capture",
        help="capture every layer's representation of a model into a store folder",
        description="Run MODEL on INPUTS with forward hooks and stream each layer's representation "
        "(n_samples, n_features) into the store folder OUT (safetensors shards + manifest.json), "
        "which `subnetscope pairwise OUT` reads. MODEL is a Hugging Face model folder (config.json; "
        "its own code is never run), a .pt dict {'class': 'subnetscope.models:Class', 'config': {...}, "
        "'state_dict': {...}} read weights-only, or a .safetensors file whose metadata holds 'class' and "
        "'config' (JSON). Nothing in MODEL runs code by default: a class outside subnetscope.models, or a "
        "torch.save'd nn.Module (a pickle), needs --trust-pickle. INPUTS is a .pt tensor "
        "or dict of tensors, an .npy array, an .npz (one array, or input_ids/attention_mask), or a "
        ".txt file with one text per line (needs a tokenizer in the HF model folder).",
    )
    parser.add_argument("model", type=Path, help="HF model folder, .pt class/config/state_dict dict or "
                        ".safetensors (a pickled .pt module needs --trust-pickle)")
    parser.add_argument("inputs", type=Path, help="INPUTS.pt | .npy | .npz | .txt")
    parser.add_argument("--layers", required=True,
                        help="preset (transformer, hf-blocks, hf-all, resnet9) or comma-separated module names")
    parser.add_argument("--out", required=True, type=Path, help="store folder to write")
    parser.add_argument("--pooling", default="auto", choices=("auto", "flatten", "cls", "last", "mean"),
                        help="token pooling: auto = mean over non-padding tokens for texts and inputs with an "
                        "attention_mask, flatten otherwise; cls = first token (default: auto)")
    parser.add_argument("--batch-size", type=int, default=256, help="samples per forward pass (default: 256)")
    parser.add_argument("--samples", type=int, default=None, metavar="N",
                        help="capture N inputs drawn with --seed (default: all)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the input subsample (default: 0)")
    parser.add_argument("--max-length", type=int, default=128, help="tokenizer max length (default: 128)")
    parser.add_argument("--device", default=None, help="torch device, e.g. cuda (default: the model's)")
    parser.add_argument("--trust-pickle", action="store_true",
                        help="trust MODEL and whoever made it: unpickle a torch.save'd nn.Module (which runs any "
                        "code stored in the file) and import a class it names outside subnetscope.models "
                        "(which runs that package's code). Off by default: only weights are read")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..capture import capture
    from ..capture.presets import PRESETS

    inputs = load_inputs(args.inputs)  # a missing inputs file is said before the model loads
    model, tokenizer = load_model(args.model, trust_pickle=args.trust_pickle)
    if isinstance(inputs, list) and tokenizer is None:
        raise ValueError(f"inputs {str(args.inputs)!r} are texts, but model {str(args.model)!r} has no tokenizer files")
    layers: Any = args.layers if args.layers in PRESETS else [
        name.strip() for name in args.layers.split(",") if name.strip()]
    reps = capture(model, inputs, layers, pooling=args.pooling, batch_size=args.batch_size,
                   n_samples=args.samples, seed=args.seed, device=args.device, store=args.out,
                   tokenizer=tokenizer, max_length=args.max_length, progress=not args.no_progress)
    _record_command(args.out, command_line(args))
    pooling = reps.settings.get("pooling")
    print(f"{len(reps)} layers x {reps.n_samples} samples, pooling {pooling}"
          + (f" ({reps.settings['pooling_rule']})" if reps.settings.get("pooling_rule") else "") + f" -> {args.out}")
    print(f"next: subnetscope pairwise {args.out} --measure gw --out RUN_DIR")
    return 0


def _record_command(store: Path, command: str) -> None:
    """Keep the command in the store's manifest, so that `pairwise` can list it under Reproduce."""
    from .._io import write_json
    from ..capture.store import MANIFEST, read_manifest

    manifest = read_manifest(store)
    manifest.setdefault("settings", {})["command"] = command
    write_json(store / MANIFEST, manifest)


#: Modules whose classes a model file may name without --trust-pickle (this package's own models).
SAFE_MODULES = ("subnetscope.models",)


def load_model(path: Path, *, trust_pickle: bool = False) -> tuple[Any, Any]:
    """A model (and tokenizer, for an HF folder with tokenizer files) from ``path``.

    Safe by default: weights are read without unpickling code (``torch.load(weights_only=True)``,
    safetensors), a Hugging Face folder never runs its own code, and a class named by the file
    must live in ``subnetscope.models``. ``trust_pickle=True`` (CLI ``--trust-pickle``) also
    unpickles a whole ``nn.Module`` and imports any class the file names: both run code the
    file chooses, so only for files from someone you trust.
    """
    import torch

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


def load_inputs(path: Path) -> Any:
    """Inputs from .pt, .npy, .npz or .txt (one text per line)."""
    import torch

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
