"""The 31 representations per block in the paper's order, their names, and capturing them."""

from __future__ import annotations

import numpy as np

__all__ = ["representation_names", "paper_name", "capture_modsum"]

# the 31 representations of one block, in the paper's order (Table 2, indices 0..30)
_HEAD_KINDS = ("k", "q", "v", "attn_pre", "attn", "z")
_BLOCK_TAIL = ("attn_out", "resid_mid", "pre", "post", "mlp_out", "resid_post")
_PAPER_NAMES = {"resid_pre": "Resid-Pre", "attn_pre": "Attn-Pre", "attn": "Attn", "attn_out": "Attn-Out",
                "resid_mid": "Resid-Mid", "pre": "Pre", "post": "Post", "mlp_out": "MLP-Out",
                "resid_post": "Resid-Post", "k": "k", "q": "q", "v": "v", "z": "z"}


def representation_names(n_blocks: int, n_heads: int = 4) -> list[str]:
    """Names of the 31 (for 4 heads) representations per block, in the paper's order.

    ``block{l}.resid_pre``, ``block{l}.head{h}.k`` (h = 1..H), then q, v, attn_pre, attn, z,
    then ``attn_out, resid_mid, pre, post, mlp_out, resid_post`` — the names of the capture
    preset ``"transformer"``.
    """
    names = []
    for l in range(1, n_blocks + 1):
        names.append(f"block{l}.resid_pre")
        names += [f"block{l}.head{h}.{k}" for k in _HEAD_KINDS for h in range(1, n_heads + 1)]
        names += [f"block{l}.{k}" for k in _BLOCK_TAIL]
    return names


def paper_name(name: str) -> str:
    """``block2.resid_post`` -> ``Resid-Post2``; ``block1.head3.attn_pre`` -> ``Attn-Pre1 (head 3)``."""
    parts = name.split(".")
    block = parts[0].removeprefix("block")
    if len(parts) == 3:
        return f"{_PAPER_NAMES[parts[2]]}{block} (head {parts[1].removeprefix('head')})"
    return f"{_PAPER_NAMES[parts[1]]}{block}"


def capture_modsum(model, tokens: np.ndarray, *, batch_size: int = 1024) -> dict[str, np.ndarray]:
    """Every representation of ``model`` on ``tokens``, flattened per input, in paper order.

    The library's :func:`subnetscope.capture` with the ``"transformer"`` preset (one capture
    path for studies and users).

    Parameters
    ----------
    model : ModularTransformer
    tokens : array of shape (n, 2)
        (a, b) pairs.

    Returns
    -------
    dict of str to ndarray of shape (n, d)
        31 entries per block (:func:`representation_names`), float32 as the model computes
        them. Per-head tensors are split by head (k/q/v/z: (n, 2·d_head); attn_pre/attn: (n, 2·2)).
    """
    import torch

    from ...capture import capture

    tokens = np.asarray(tokens)
    if tokens.ndim != 2 or tokens.shape[1] != 2:
        raise ValueError(f"`tokens` must have shape (n, 2) holding (a, b), got {tokens.shape}")
    reps = capture(model, torch.as_tensor(tokens, dtype=torch.long), "transformer", batch_size=batch_size)
    return {name: reps[name] for name in reps}
