"""Checkpoints of trained models: keyed by a hash of the settings, shipped ones included."""

from __future__ import annotations

import json
from pathlib import Path

from ..._validation import check_choice
from .data import MODEL_KINDS, ModelKind, ModSumData
from .training import TrainConfig, TrainResult, _new_model, recipe, train_modsum_model

__all__ = ["SHIPPED_CHECKPOINTS", "checkpoint_name", "load_or_train"]

#: Checkpoints that ship with the package (trained with :func:`recipe` ``(K)`` by
#: ``subnetscope study modsum --model K --retrain``; see docs/results/modsum.md), so that the demo can
#: skip the CPU training. Found by the same file name as a cache entry, so only for exactly
#: the settings they were trained with.
SHIPPED_CHECKPOINTS = Path(__file__).resolve().parents[1] / "checkpoints"


def checkpoint_name(kind: str, data: ModSumData, config: TrainConfig) -> str:
    """``model<kind>-<hash of data, split and config>.pt``."""
    return f"model{kind}-{config.key(kind, data)}.pt"


def load_or_train(kind: ModelKind, data: ModSumData, config: TrainConfig | None = None, *,
                  cache_dir: str | Path | None = None, progress: bool = True,
                  shipped: bool = True, retrain: bool = False) -> TrainResult:
    """Load Model ``kind`` trained with the same settings, else train it.

    Looks in ``cache_dir``, then (``shipped=True``) among the checkpoints shipped with the
    package (:data:`SHIPPED_CHECKPOINTS`); a shipped one is copied into ``cache_dir``. The
    checkpoint ``model<kind>-<key>.pt`` holds the weights and the training history; the key
    hashes the data set, split and :class:`TrainConfig`, so changing any of them retrains.
    ``.source`` of the result says which: ``"trained"``, ``"cache"`` or ``"shipped"``.
    ``retrain=True`` trains regardless and overwrites the cache entry. ``config=None`` is
    :func:`recipe` ``(kind)``, the settings of the shipped checkpoint.
    """
    import shutil

    import torch

    from ..._io import atomic_path

    check_choice(kind, "kind", MODEL_KINDS)
    config = recipe(kind) if config is None else config
    name = checkpoint_name(kind, data, config)
    path = None if cache_dir is None else Path(cache_dir) / name
    found, source = None, "trained"
    if not retrain and path is not None and path.exists():
        found, source = path, "cache"
    elif not retrain and shipped and (SHIPPED_CHECKPOINTS / name).exists():
        found, source = SHIPPED_CHECKPOINTS / name, "shipped"
    if found is not None:
        saved = torch.load(found, map_location="cpu", weights_only=True)
        model = _new_model(kind, data, config)
        model.load_state_dict(saved["state_dict"])
        for p in model.parameters():
            p.requires_grad_(False)
        model.eval()
        if source == "shipped" and path is not None:
            with atomic_path(path, suffix=".pt") as tmp:
                shutil.copyfile(found, tmp)
        heads = [saved.get("heads", {}).get(str(i)) for i in range(len(json.loads(saved["stages"])))]
        return TrainResult(model, kind, json.loads(saved["stages"]), from_cache=True, source=source, heads=heads)
    # a killed training resumes from <checkpoint>.partial.pt (every 100 epochs and every finished stage)
    resume = None if path is None else path.with_suffix(".partial.pt")
    result = train_modsum_model(kind, data, config, progress=progress, resume=resume)
    if path is not None:
        with atomic_path(path, suffix=".pt") as tmp:
            torch.save({"state_dict": result.model.state_dict(), "stages": json.dumps(result.stages),
                        "heads": {str(i): h for i, h in enumerate(result.heads) if h is not None}}, tmp)
    return result
