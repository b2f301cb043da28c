"""The paper's ReLU transformer (App. A, eq. 2) with TransformerLens-style hook points.

Every representation of Table 2 passes through an identity module (:class:`HookPoint`) named as
in TransformerLens, so a forward hook on it sees exactly that tensor:

================  ==========================  =====================
paper name        module                      shape
================  ==========================  =====================
Resid-Pre         ``blocks.l.hook_resid_pre``  (B, T, d)
k_h, q_h, v_h     ``blocks.l.attn.hook_k/q/v`` (B, T, H, d_head)
Attn-Pre_h        ``blocks.l.attn.hook_attn_scores``  (B, H, T, T)
Attn_h            ``blocks.l.attn.hook_pattern``      (B, H, T, T)
z_h               ``blocks.l.attn.hook_z``     (B, T, H, d_head)
Attn-Out          ``blocks.l.hook_attn_out``   (B, T, d)
Resid-Mid         ``blocks.l.hook_resid_mid``  (B, T, d)
Pre, Post         ``blocks.l.mlp.hook_pre/post``  (B, T, d_mlp)
MLP-Out           ``blocks.l.hook_mlp_out``    (B, T, d)
Resid-Post        ``blocks.l.hook_resid_post`` (B, T, d)
================  ==========================  =====================

The model reads two tokens (a, b), each with its own embedding (``[E_a, E_b]``), and the
unembedding maps every position's final residual to class logits, so layer-wise training can
ask position 0 for c1 and position 1 for b (Model L) while end-to-end training reads position 1.
"""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["HookPoint", "ModularTransformer"]


class HookPoint(nn.Identity):
    """An identity module that marks a representation for capture."""


class Attention(nn.Module):
    def __init__(self, d_model: int, n_heads: int, d_head: int):
        super().__init__()
        self.n_heads, self.d_head = n_heads, d_head
        self.W_Q = nn.Linear(d_model, n_heads * d_head, bias=False)
        self.W_K = nn.Linear(d_model, n_heads * d_head, bias=False)
        self.W_V = nn.Linear(d_model, n_heads * d_head, bias=False)
        self.W_O = nn.Linear(n_heads * d_head, d_model, bias=False)
        for name in ("hook_q", "hook_k", "hook_v", "hook_attn_scores", "hook_pattern", "hook_z"):
            self.add_module(name, HookPoint())

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        B, T, _ = x.shape
        split = lambda t: t.view(B, T, self.n_heads, self.d_head)  # noqa: E731
        k = self.hook_k(split(self.W_K(x)))
        q = self.hook_q(split(self.W_Q(x)))
        v = self.hook_v(split(self.W_V(x)))
        scores = torch.einsum("bqhd,bkhd->bhqk", q, k) / math.sqrt(self.d_head)
        if mask is not None:  # True where attention is allowed
            scores = scores.masked_fill(~mask, float("-inf"))
        scores = self.hook_attn_scores(scores)
        pattern = self.hook_pattern(torch.softmax(scores, dim=-1))
        z = self.hook_z(torch.einsum("bhqk,bkhd->bqhd", pattern, v))
        return self.W_O(z.reshape(B, T, self.n_heads * self.d_head))


class MLP(nn.Module):
    def __init__(self, d_model: int, d_mlp: int):
        super().__init__()
        self.W_in = nn.Linear(d_model, d_mlp)
        self.W_out = nn.Linear(d_mlp, d_model)
        self.hook_pre = HookPoint()
        self.hook_post = HookPoint()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.W_out(self.hook_post(torch.relu(self.hook_pre(self.W_in(x)))))


class Block(nn.Module):
    """``X̂ = X + MHA(Norm(X))``, ``X_out = X̂ + MLP(Norm(X̂))`` (paper eq. 2, α = β = 1)."""

    def __init__(self, d_model: int, n_heads: int, d_head: int, d_mlp: int, norm: bool = True):
        super().__init__()
        self.ln1 = nn.LayerNorm(d_model) if norm else nn.Identity()
        self.attn = Attention(d_model, n_heads, d_head)
        self.ln2 = nn.LayerNorm(d_model) if norm else nn.Identity()
        self.mlp = MLP(d_model, d_mlp)
        for name in ("hook_resid_pre", "hook_attn_out", "hook_resid_mid", "hook_mlp_out", "hook_resid_post"):
            self.add_module(name, HookPoint())

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        x = self.hook_resid_pre(x)
        x = self.hook_resid_mid(x + self.hook_attn_out(self.attn(self.ln1(x), mask)))
        return self.hook_resid_post(x + self.hook_mlp_out(self.mlp(self.ln2(x))))


class ModularTransformer(nn.Module):
    """ReLU transformer for (a, b) → class tasks: d = 128, 4 heads of 32, MLP 512 by default.

    Parameters
    ----------
    n_inputs : int
        Size of the input alphabet (a, b ∈ 0..n_inputs-1), e.g. p = 59.
    n_classes : int
        Output classes of the unembedding.
    n_blocks : int
        Transformer blocks (1 for Model 0, 3 for Models E and L).

    Examples
    --------
    >>> model = ModularTransformer(59, 59, n_blocks=1)
    >>> model(torch.tensor([[3, 5]])).shape   # logits at both positions
    torch.Size([1, 2, 59])
    """

    def __init__(self, n_inputs: int, n_classes: int, n_blocks: int = 1, d_model: int = 128,
                 n_heads: int = 4, d_head: int = 32, d_mlp: int = 512, norm: bool = True):
        super().__init__()
        self.config = dict(n_inputs=n_inputs, n_classes=n_classes, n_blocks=n_blocks, d_model=d_model,
                           n_heads=n_heads, d_head=d_head, d_mlp=d_mlp, norm=norm)
        self.embed_a = nn.Embedding(n_inputs, d_model)
        self.embed_b = nn.Embedding(n_inputs, d_model)
        self.blocks = nn.ModuleList(Block(d_model, n_heads, d_head, d_mlp, norm) for _ in range(n_blocks))
        self.unembed = nn.Linear(d_model, n_classes)

    def embed(self, tokens: torch.Tensor) -> torch.Tensor:
        if tokens.ndim != 2 or tokens.shape[1] != 2:
            raise ValueError(f"`tokens` must have shape (batch, 2) holding (a, b), got {tuple(tokens.shape)}")
        return torch.stack([self.embed_a(tokens[:, 0]), self.embed_b(tokens[:, 1])], dim=1)

    def residual(self, tokens: torch.Tensor, n_blocks: int | None = None) -> torch.Tensor:
        """Residual stream (B, 2, d) after the first ``n_blocks`` blocks (all by default)."""
        x = self.embed(tokens)
        for block in self.blocks[: len(self.blocks) if n_blocks is None else n_blocks]:
            x = block(x)
        return x

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Class logits at both positions, shape (B, 2, n_classes)."""
        return self.unembed(self.residual(tokens))
