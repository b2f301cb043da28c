"""Inputs of a capture: tensors, sequences, mappings, DataLoaders or texts, cut into batches.

Every kind becomes the same :class:`Batch` (what the model is called with, the attention mask,
whether the inputs are tokens, the first row and the size), so ``core`` has one loop.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["Batch", "fingerprint_inputs", "prepare_inputs", "to_device"]


class Batch:
    """One batch: ``data`` for the model, ``mask`` (B, T) or None, token flag, rows [start, start + size)."""

    __slots__ = ("data", "mask", "tokens", "start", "size", "seq_len")

    def __init__(self, data: Any, mask: Any, tokens: bool, start: int, size: int):
        self.data, self.mask, self.tokens, self.start, self.size = data, mask, tokens, start, size
        ids = data.get("input_ids") if isinstance(data, Mapping) else data
        self.seq_len = ids.shape[1] if tokens and getattr(ids, "ndim", 0) >= 2 else None


def _select(n: int, n_samples: int | None, seed: int) -> np.ndarray | None:
    if n_samples is None:
        return None
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < 2:
        raise ValueError(f"`n_samples` must be an integer >= 2 or None, got {n_samples!r}")
    if n_samples > n:
        raise ValueError(f"`n_samples` ({n_samples}) exceeds the number of inputs ({n})")
    return np.sort(np.random.default_rng(seed).choice(n, size=int(n_samples), replace=False))


def prepare_inputs(inputs: Any, *, batch_size: int, n_samples: int | None, seed: int, tokenizer: Any,
                    max_length: int, pooling: str) -> tuple[Callable[[], Iterator[Batch]], int | None, dict]:
    """A batch iterator factory, the number of samples (None if unknown) and settings to record."""
    import torch

    info: dict[str, Any] = {}
    if isinstance(inputs, np.ndarray):
        inputs = torch.as_tensor(inputs)
    if isinstance(inputs, str):
        if tokenizer is None:
            raise TypeError(f"`inputs` is one string ({inputs[:40]!r}); pass `tokenizer=` to turn it into "
                            "token ids, and a list of strings for several texts")
        inputs = [inputs]  # one text is one sample
    if isinstance(inputs, (list, tuple)) and inputs and all(isinstance(x, str) for x in inputs):
        if tokenizer is None:
            raise TypeError("`inputs` is a list of strings; pass `tokenizer=` to turn them into token ids")
        texts = list(inputs)
        index = _select(len(texts), n_samples, seed)
        texts = texts if index is None else [texts[i] for i in index]
        padding = "max_length" if pooling == "flatten" else "longest"
        info.update(inputs="strings", max_length=max_length, padding=padding, sample_indices=index)

        def batches() -> Iterator[Batch]:
            for start in range(0, len(texts), batch_size):
                chunk = texts[start:start + batch_size]
                encoded = dict(tokenizer(chunk, padding=padding, truncation=True, max_length=max_length,
                                         return_tensors="pt"))
                yield Batch(encoded, encoded.get("attention_mask"), True, start, len(chunk))

        return batches, len(texts), info
    if isinstance(inputs, Mapping):
        data = {k: torch.as_tensor(v) if isinstance(v, np.ndarray) else v for k, v in inputs.items()}
        sizes = {k: v.shape[0] for k, v in data.items() if isinstance(v, torch.Tensor)}
        if not sizes or len(set(sizes.values())) != 1:
            raise ValueError(f"`inputs` mapping must hold tensors with the same first (sample) axis, got shapes "
                             f"{ {k: tuple(getattr(v, 'shape', ())) for k, v in data.items()} }")
        n = next(iter(sizes.values()))
        index = _select(n, n_samples, seed)
        if index is not None:
            data = {k: v[torch.as_tensor(index)] if k in sizes else v for k, v in data.items()}
            n = len(index)
        info.update(inputs="mapping", keys=sorted(data), sample_indices=index)

        def batches() -> Iterator[Batch]:
            for start in range(0, n, batch_size):
                chunk = {k: v[start:start + batch_size] if k in sizes else v for k, v in data.items()}
                yield Batch(chunk, chunk.get("attention_mask"), "input_ids" in chunk, start,
                             min(batch_size, n - start))

        return batches, n, info
    if isinstance(inputs, torch.Tensor):
        if inputs.ndim == 0:
            raise ValueError("`inputs` must have a first (sample) axis, got a 0-d tensor")
        if inputs.ndim == 1:
            n = inputs.shape[0]
            raise ValueError(
                f"`inputs` has shape ({n},): the first axis is the sample axis, so this would be {n} samples "
                f"of one value each. For one sample of {n} values pass inputs[None] (shape (1, {n})); "
                f"for {n} samples of one value pass inputs[:, None] (shape ({n}, 1))")
        index = _select(inputs.shape[0], n_samples, seed)
        data = inputs if index is None else inputs[torch.as_tensor(index)]
        tokens = data.ndim == 2 and not data.is_floating_point()
        info.update(inputs="tensor", input_shape=list(data.shape), sample_indices=index)

        def batches() -> Iterator[Batch]:
            for start in range(0, data.shape[0], batch_size):
                chunk = data[start:start + batch_size]
                yield Batch(chunk, None, tokens, start, chunk.shape[0])

        return batches, data.shape[0], info
    if isinstance(inputs, Sequence) and not isinstance(inputs, (str, bytes)):
        if not len(inputs):
            raise ValueError("`inputs` is empty")
        index = _select(len(inputs), n_samples, seed)
        items = list(inputs) if index is None else [inputs[i] for i in index]
        info.update(inputs="sequence", sample_indices=index)

        def batches() -> Iterator[Batch]:
            for start in range(0, len(items), batch_size):
                chunk = torch.stack([torch.as_tensor(x) for x in items[start:start + batch_size]])
                yield Batch(chunk, None, chunk.ndim == 2 and not chunk.is_floating_point(), start, chunk.shape[0])

        return batches, len(items), info
    if hasattr(inputs, "__iter__"):  # a DataLoader or any iterable of batches
        if n_samples is not None:
            _select(10**18, n_samples, seed)  # type/size check only
        info.update(inputs=type(inputs).__name__, sample_indices=None,
                    note="iterable of batches: the first n_samples samples are taken" if n_samples else None)

        def batches() -> Iterator[Batch]:
            start = 0
            for item in inputs:
                if isinstance(item, (tuple, list)) and not isinstance(item, torch.Tensor):
                    item = item[0]  # (x, y) pairs: the model sees x
                if isinstance(item, Mapping):
                    size = next(v.shape[0] for v in item.values() if isinstance(v, torch.Tensor))
                    mask, tokens = item.get("attention_mask"), "input_ids" in item
                else:
                    item = torch.as_tensor(item)
                    size, mask, tokens = item.shape[0], None, item.ndim == 2 and not item.is_floating_point()
                if n_samples is not None and start + size > n_samples:
                    size = n_samples - start
                    item = ({k: v[:size] if isinstance(v, torch.Tensor) else v for k, v in item.items()}
                            if isinstance(item, Mapping) else item[:size])
                    mask = mask[:size] if mask is not None else None
                if size <= 0:
                    return
                yield Batch(item, mask, tokens, start, size)
                start += size

        return batches, None, info  # a loader may drop its last batch: the count is what comes
    raise TypeError(
        f"`inputs` must be a tensor, an array, a sequence of samples, a mapping of tensors, an iterable "
        f"of batches (DataLoader) or a list of strings with `tokenizer=`, got {type(inputs).__name__}"
    )


def to_device(data: Any, device: Any, dtype: Any = None) -> Any:
    """``data`` on ``device``; floating tensors also cast to ``dtype`` (the model's float type), so
    float64 NumPy inputs run through a float32 model."""
    def move(v: Any) -> Any:
        if not hasattr(v, "to"):
            return v
        if dtype is not None and getattr(v, "is_floating_point", lambda: False)() and v.dtype != dtype:
            return v.to(device=device, dtype=dtype)
        return v.to(device)

    if isinstance(data, Mapping):
        return {k: move(v) for k, v in data.items()}
    return move(data)


def fingerprint_inputs(inputs: Any) -> str:
    """SHA-1 of the inputs (for an iterable of batches only its type and length are known)."""
    import torch

    digest = hashlib.sha1()
    if isinstance(inputs, (torch.Tensor, np.ndarray)):
        array = inputs.detach().cpu().numpy() if isinstance(inputs, torch.Tensor) else inputs
        digest.update(str((array.shape, array.dtype)).encode() + np.ascontiguousarray(array).tobytes())
    elif isinstance(inputs, Mapping):
        for key in sorted(inputs):
            digest.update(key.encode() + fingerprint_inputs(inputs[key]).encode())
    elif isinstance(inputs, Sequence) and inputs and all(isinstance(x, str) for x in inputs):
        digest.update("\x00".join(inputs).encode())
    elif isinstance(inputs, Sequence):
        for item in inputs:
            digest.update(fingerprint_inputs(item).encode())
    else:  # an iterable of batches: only its type and length are known up front
        dataset = getattr(inputs, "dataset", None)
        digest.update(f"{type(inputs).__name__}:{type(dataset).__name__}:{len(dataset) if hasattr(dataset, '__len__') else '?'}".encode())
    return digest.hexdigest()
