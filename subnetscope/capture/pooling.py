"""Pooling over the token axis, and how ``pooling="auto"`` decides.

``flatten`` keeps every position, ``cls`` the first token, ``last`` the last non-padding token,
``mean`` the mean over non-padding tokens (the ``attention_mask``). ``auto`` is ``mean`` for
inputs that carry an attention mask (texts with a tokenizer, a tokenizer's output) and
``flatten`` otherwise; ``flatten`` over padded positions warns (padding would become features).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np

__all__ = ["POOLINGS", "Pooling", "auto_pooling", "warn_if_padding_flattened"]

Pooling = Literal["auto", "flatten", "cls", "last", "mean"]
POOLINGS = ("auto", "flatten", "cls", "last", "mean")


class _HookError(Exception):
    """An error raised inside a hook; re-raised as its cause, not as 'model rejected inputs'."""


def _pool(tensor: Any, pooling: str, mask: Any, seq_len: int, name: str) -> Any:
    """Pool a (B, T, ...) tensor over its token axis; (B, d) tensors pass unchanged."""
    import torch

    if pooling == "flatten" or tensor.ndim == 2:
        return tensor
    if mask is None:
        mask = torch.ones((tensor.shape[0], seq_len), dtype=torch.bool, device=tensor.device)
    if tensor.shape[1] != mask.shape[1]:
        raise _HookError(ValueError(
            f"pooling={pooling!r} pools axis 1 as tokens, but layer {name!r} has shape {tuple(tensor.shape)} "
            f"for sequences of {mask.shape[1]} tokens; use pooling='flatten' for this layer"))
    mask = mask.to(tensor.device).bool()
    if pooling == "cls":
        return tensor[:, 0]
    if pooling == "last":  # last non-padding position (right or left padding)
        T = mask.shape[1]
        last = T - 1 - torch.argmax(mask.flip(1).int(), dim=1)
        return tensor[torch.arange(tensor.shape[0], device=tensor.device), last]
    weights = mask.to(tensor.dtype).reshape(mask.shape + (1,) * (tensor.ndim - 2))
    return (tensor * weights).sum(1) / weights.sum(1).clamp_min(1)


def auto_pooling(inputs: Any, tokenizer: Any) -> str | None:
    """``pooling="auto"`` decided from the inputs: "mean" when they carry an attention mask,
    "flatten" when they cannot, None for an iterable of batches (decided on its first batch)."""
    if tokenizer is not None and (isinstance(inputs, str) or (
            isinstance(inputs, (list, tuple)) and inputs and all(isinstance(x, str) for x in inputs))):
        return "mean"
    if isinstance(inputs, Mapping):
        return "mean" if "attention_mask" in inputs else "flatten"
    if isinstance(inputs, (np.ndarray, Sequence)) or type(inputs).__name__ == "Tensor":
        return "flatten"
    return None


def warn_if_padding_flattened(pooling: str, mask: Any) -> None:
    """Warn when ``flatten`` would keep padded positions (the mask has zeros) as features."""
    if pooling == "flatten" and mask is not None and not bool(mask.all()):
        warnings.warn(
            "pooling='flatten' keeps every token position, and these inputs are padded (the "
            "attention mask has zeros): padding becomes features and changes the distances; "
            "use pooling='mean' (mean over real tokens) or 'cls'", UserWarning, stacklevel=4)
