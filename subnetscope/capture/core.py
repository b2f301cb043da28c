"""``capture``: every layer's representation of a model on the same inputs, in memory or in a store.

The hooks, the batching and what happens to each hooked output (unwrapping, extraction,
masked scores, pooling, a detached CPU copy) are in :mod:`subnetscope.capture.forward`.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .._validation import check_choice
from .forward import hooks, run_batches, unwrap_output  # noqa: F401  (hooks, unwrap_output: re-exported)
from .inputs import fingerprint_inputs, prepare_inputs
from .pooling import POOLINGS, Pooling, auto_pooling
from .presets import resolve_layers
from .representations import Representations

__all__ = ["Pooling", "capture", "hooks", "unwrap_output"]


# ------------------------------------------------------------------------------ capture
def capture(
    model: Any,
    inputs: Any,
    layers: str | Sequence[str] | Callable[..., bool] = "leaves",
    *,
    pooling: Pooling = "auto",
    batch_size: int = 256,
    n_samples: int | None = None,
    seed: int = 0,
    device: Any = None,
    store: str | os.PathLike | None = None,
    tokenizer: Any = None,
    max_length: int = 128,
    masked_score: float = 0.0,
    progress: bool | str = "auto",
) -> Representations:
    """Capture the named layers' representations of ``model`` on ``inputs``.

    The model runs in ``eval()`` mode under ``torch.no_grad()``; each sub-module's training
    flag is restored afterwards, and the hooks are removed even if the forward pass fails.

    Parameters
    ----------
    model : torch.nn.Module
    inputs : tensor, ndarray, sequence, mapping, DataLoader or list of str
        Samples along the first axis: a tensor/array of shape (n, ...) passed as ``model(x)``;
        a sequence of per-sample tensors (stacked per batch); a mapping of tensors such as a
        tokenizer's output (``model(**batch)``); an iterable of batches (a ``DataLoader``;
        ``(x, y)`` items give ``x``); or a list of strings with ``tokenizer=``.
    layers : str, sequence of str or callable
        A preset (``"leaves"``, the default: every module without children; ``"transformer"``,
        ``"hf-blocks"``, ``"hf-all"``, ``"resnet9"``; see
        :mod:`subnetscope.capture.presets`), module names as ``model.named_modules()`` spells
        them, or a filter ``layers(name, module) -> bool``.
    pooling : {"auto", "flatten", "cls", "last", "mean"}
        For token inputs (integer ids or ``input_ids``), how a (B, T, ...) output becomes one
        row per sample: all positions, the first token ([CLS] for BERT-family models), the last
        non-padding token, or the mean over non-padding tokens (``attention_mask``). Outputs of
        shape (B, d) pass unchanged. ``"auto"`` (default): ``"mean"`` when the inputs carry an
        attention mask (texts with ``tokenizer=``, a tokenizer's output, batches with
        ``attention_mask``), else ``"flatten"`` (images, fixed-length token ids without padding,
        features). The pooling used is in ``settings["pooling"]``; ``"flatten"`` over padded
        positions warns (padding would become features).
    batch_size : int
        Samples per forward pass.
    n_samples : int, optional
        Capture a random subset of this many inputs (chosen with ``seed``, kept in input order;
        the indices are in ``settings["sample_indices"]``). For an iterable of batches the
        first ``n_samples`` are taken.
    seed : int
    device : str or torch.device, optional
        Run on this device (the model is moved there and back); default: the model's device.
    store : path-like, optional
        Stream every batch to this folder (safetensors shards + ``manifest.json``) instead of
        memory and return a store-backed :class:`Representations`. Rerunning an identical
        capture reuses a complete store or resumes an interrupted one; a folder holding a
        different capture is refused.
    tokenizer : callable, optional
        Hugging Face tokenizer for string inputs (``padding="max_length"`` for ``flatten`` so
        every batch has ``max_length`` positions, ``"longest"`` otherwise; truncation at ``max_length``).
    max_length : int
    masked_score : float
        Finite value that replaces ``-inf`` entries (masked attention scores, Attn-Pre); the
        softmax pattern is already 0 there. The count per layer is in ``settings["masked_entries"]``.
    progress : bool or "auto"
        Samples done / total on stderr (a bar on a terminal, plain lines in a script; see
        :mod:`subnetscope._progress`).

    Returns
    -------
    Representations
        Read-only mapping name -> ndarray of shape (n_samples, n_features) (the model's float
        dtype; half precision becomes float32) with ``.settings``.

    Examples
    --------
    >>> import torch
    >>> from subnetscope.models import ModularTransformer
    >>> model = ModularTransformer(7, 7, n_blocks=1)
    >>> reps = capture(model, torch.randint(0, 7, (20, 2)), "transformer")
    >>> len(reps), reps["block1.head1.attn"].shape
    (31, (20, 4))
    """
    import torch

    from .._progress import check_progress
    from .._progress import progress as progress_reporter

    check_choice(pooling, "pooling", POOLINGS)

    check_progress(progress)
    for value, arg in ((batch_size, "batch_size"), (max_length, "max_length")):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"`{arg}` must be a positive integer, got {value!r}")
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"`model` must be a torch.nn.Module, got {type(model).__name__}")
    if not np.isfinite(masked_score):
        raise ValueError(f"`masked_score` must be a finite number, got {masked_score!r}")
    plan = resolve_layers(model, layers)
    requested = pooling
    if pooling == "auto":
        pooling = auto_pooling(inputs, tokenizer) or "auto"  # "auto" left: decided on the first batch
    batches, n_total, info = prepare_inputs(inputs, batch_size=int(batch_size), n_samples=n_samples, seed=seed,
                                             tokenizer=tokenizer, max_length=int(max_length), pooling=pooling)
    index = info.pop("sample_indices", None)
    settings: dict[str, Any] = {
        "model": type(model).__name__,
        "layers": plan.preset or list(plan.order),
        "pooling": pooling, "n_samples": n_samples, "seed": seed, "masked_score": float(masked_score),
        **{k: v for k, v in info.items() if v is not None},
        "sample_indices": None if index is None else index.tolist(),
    }
    if plan.aliases:
        settings["aliases"] = dict(plan.aliases)
    writer = None
    if store is not None:
        from .store import StoreWriter

        identity = {**settings, "layers": list(plan.order), "model_fingerprint": _fingerprint_model(model),
                    "inputs_fingerprint": fingerprint_inputs(inputs)}
        writer = StoreWriter(store, identity)
        if writer.complete:
            return Representations.load(store)

    params = next(model.parameters(), None)
    home = params.device if params is not None else torch.device("cpu")
    dtype = next((p.dtype for p in model.parameters() if p.is_floating_point()), None)
    target = torch.device(device) if device is not None else home
    modes = {module: module.training for module in model.modules()}
    model.eval()
    if target != home:
        model.to(target)
    try:
        with torch.no_grad():
            bar = progress_reporter(n_total or 0, "capture", "sample", progress)
            try:
                names, shapes, chunks, masked, pooling = run_batches(model, plan, batches, pooling, masked_score,
                                                              target, writer, dtype, bar)
            finally:
                bar.close()
    finally:
        if target != home:
            model.to(home)
        for module, mode in modes.items():
            module.train(mode)

    if requested == "auto":
        settings["pooling_rule"] = ("auto: mean over non-padding tokens (the inputs carry an attention mask)"
                                    if pooling == "mean" else "auto: flatten (no attention mask in the inputs)")
    settings.update(names=names, masked_entries=masked, device=str(target), pooling=pooling,
                    n_samples=next(iter(shapes.values()))[0] if shapes else 0)
    if n_total is not None and settings["n_samples"] != n_total:
        raise RuntimeError(f"captured {settings['n_samples']} samples but expected {n_total}")
    if writer is not None:
        writer.finish([{"name": k, "shape": list(shapes[k]), "dtype": dtype} for k, dtype in chunks.items()], settings)
        return Representations.load(store)
    return Representations({k: np.concatenate(v) for k, v in chunks.items()}, settings)





def _fingerprint_model(model: Any) -> str:
    """SHA-1 of the model's class, parameter names and bytes (a store records which weights it holds)."""
    import torch

    digest = hashlib.sha1(type(model).__name__.encode())
    for name, tensor in model.state_dict().items():
        digest.update(name.encode() + str(tuple(tensor.shape)).encode())
        if tensor.numel():
            digest.update(tensor.detach().cpu().contiguous().view(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()
