"""Small transformers with known sub-networks, and Model L.

All use the paper's :class:`~subnetscope.models.transformer.ModularTransformer` (two tokens
(a, b), residual stream, ReLU MLP) at a size that trains in seconds, on every pair of
``0..p-1``, captured with :func:`subnetscope.capture` (preset ``"transformer"``) on ``n``
pairs. Each block contributes the representations in :data:`BLOCK_LAYERS` (flattened over
both positions).

* :func:`stagewise_transformer` — block k is stage k: trained (with a new head read at
  position 1) on its own function of stage k − 1's target, then frozen. Truth: the block.
* :func:`frozen_prefix` — pre-trained on one task with every block, then fine-tuned on
  another task with the embeddings and the first ``k`` blocks frozen. Truth: frozen blocks
  against tuned ones.
* :func:`random_transformer` — random initialisation (negative control, one group).
* :func:`model_l` — the shipped Model L checkpoint (three stage-wise trained blocks; truth:
  the block). Never trains: without the checkpoint the case is dropped.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .cases import Case, CaseDropped, chain_targets
from .mlps import fit_until, modular_inputs

__all__ = ["stagewise_transformer", "frozen_prefix", "random_transformer", "model_l", "BLOCK_LAYERS"]

#: Representations taken from every block (names of the capture preset ``"transformer"``).
BLOCK_LAYERS = ("resid_mid", "post", "resid_post")


def _model(p: int, n_blocks: int, d_model: int, seed: int):
    import torch

    from ...models.transformer import ModularTransformer

    torch.manual_seed(seed)
    return ModularTransformer(p, p, n_blocks=n_blocks, d_model=d_model, n_heads=2, d_head=d_model // 2,
                              d_mlp=2 * d_model)


def _capture(model, tokens: np.ndarray, n_blocks: int, truth_of_block, layers: Sequence[str] = BLOCK_LAYERS):
    import torch

    from ...capture import capture

    model.eval()
    reps = capture(model, torch.as_tensor(tokens, dtype=torch.long), "transformer", batch_size=1024)
    out, truth = {}, []
    for blk in range(1, n_blocks + 1):
        for kind in layers:
            name = f"block{blk}.{kind}"
            out[name] = np.asarray(reps[name], dtype=float).reshape(len(tokens), -1)
            truth.append(truth_of_block(blk - 1))
    return out, np.array(truth)


def _train_blocks(model, blocks: Sequence[int], train_embed: bool, tokens, y, *, target_accuracy: float,
                  max_epochs: int) -> tuple[float, int]:
    """Train ``blocks`` (and the embeddings) with a new head at position 1; the rest frozen."""
    import torch
    from torch import nn

    for p in model.parameters():
        p.requires_grad_(False)
    head = nn.Linear(model.config["d_model"], int(y.max()) + 1)
    parts = [model.blocks[i] for i in blocks] + ([model.embed_a, model.embed_b] if train_embed else []) + [head]
    params = [p for m in parts for p in m.parameters()]
    for p in params:
        p.requires_grad_(True)
    n_used = max(blocks) + 1
    model.train()
    acc, epochs = fit_until(params, lambda t: head(model.residual(t, n_used)[:, 1]), torch.as_tensor(tokens), y,
                            target_accuracy=target_accuracy, max_epochs=max_epochs)
    for p in model.parameters():
        p.requires_grad_(False)
    return acc, epochs


def _tokens(p: int, n: int, seed: int):
    a, b, _, rows = modular_inputs(p, n, seed)
    return a, b, np.stack([a, b], axis=1), rows


def stagewise_transformer(n_stages: int = 3, *, p: int = 17, n: int = 250, d_model: int = 32,
                          target_accuracy: float = 1.0, max_epochs: int = 1500, seed: int = 0) -> Case:
    """A transformer whose block k is trained on its own function of block k − 1's target, then frozen."""
    if not 1 <= n_stages <= 6:
        raise ValueError(f"`n_stages` must be between 1 and 6, got {n_stages!r}")
    rng = np.random.default_rng([seed, 19])
    a, b, tokens, rows = _tokens(p, n, seed)
    funcs, targets = chain_targets(a, b, p, n_stages, rng)
    model = _model(p, n_stages, d_model, seed)
    stages = []
    for k, (fname, y) in enumerate(zip(funcs, targets)):
        acc, epochs = _train_blocks(model, [k], k == 0, tokens, y, target_accuracy=target_accuracy,
                                    max_epochs=max_epochs)
        stages.append({"function": fname, "classes": int(y.max()) + 1, "accuracy": acc, "epochs": epochs})
        if acc < target_accuracy:
            raise CaseDropped(f"stage {k + 1} ({fname}) reached accuracy {acc:.3f} < {target_accuracy}",
                              {"stages": stages})
    reps, truth = _capture(model, tokens[rows], n_stages, lambda blk: blk)
    meta = {"generator": "stagewise_transformer", "p": p, "n": len(rows), "d_model": d_model, "seed": seed,
            "stages": stages, "layers_per_block": list(BLOCK_LAYERS), "target_accuracy": target_accuracy}
    return Case(f"transformer-{n_stages}stages-s{seed}", "stagewise-transformer", reps, truth, meta)


def frozen_prefix(n_blocks: int = 4, k_frozen: int = 2, *, p: int = 17, n: int = 250, d_model: int = 32,
                  pretrain: str = "sum", finetune: str = "prod", target_accuracy: float = 1.0,
                  max_epochs: int = 1500, seed: int = 0) -> Case:
    """Pre-train every block on ``pretrain``, fine-tune blocks ``k_frozen..`` on ``finetune``."""
    from .cases import _FIRST

    if not 1 <= k_frozen < n_blocks:
        raise ValueError(f"`k_frozen` must be between 1 and n_blocks - 1 = {n_blocks - 1}, got {k_frozen!r}")
    for name, task in (("pretrain", pretrain), ("finetune", finetune)):
        if task not in _FIRST:
            raise ValueError(f"`{name}` must be one of {sorted(_FIRST)}, got {task!r}")
    a, b, tokens, rows = _tokens(p, n, seed)
    model = _model(p, n_blocks, d_model, seed)
    history = []
    for phase, task, blocks in (("pretrain", pretrain, range(n_blocks)), ("finetune", finetune,
                                                                          range(k_frozen, n_blocks))):
        y = np.unique(_FIRST[task](a, b, p), return_inverse=True)[1]
        acc, epochs = _train_blocks(model, list(blocks), phase == "pretrain", tokens, y,
                                    target_accuracy=target_accuracy, max_epochs=max_epochs)
        history.append({"phase": phase, "task": task, "blocks": list(blocks), "accuracy": acc, "epochs": epochs})
        if acc < target_accuracy:
            raise CaseDropped(f"{phase} on {task} reached accuracy {acc:.3f} < {target_accuracy}",
                              {"phases": history})
    reps, truth = _capture(model, tokens[rows], n_blocks, lambda blk: int(blk >= k_frozen))
    meta = {"generator": "frozen_prefix", "p": p, "n": len(rows), "d_model": d_model, "seed": seed,
            "k_frozen": k_frozen, "phases": history, "layers_per_block": list(BLOCK_LAYERS),
            "target_accuracy": target_accuracy}
    return Case(f"frozen{k_frozen}of{n_blocks}-s{seed}", "frozen-prefix", reps, truth, meta)


def random_transformer(n_blocks: int = 3, *, p: int = 17, n: int = 250, d_model: int = 32, seed: int = 0) -> Case:
    """A randomly initialised transformer: one group (negative control)."""
    _, _, tokens, rows = _tokens(p, n, seed)
    model = _model(p, n_blocks, d_model, seed)
    reps, truth = _capture(model, tokens[rows], n_blocks, lambda blk: 0)
    meta = {"generator": "random_transformer", "p": p, "n": len(rows), "d_model": d_model, "seed": seed,
            "layers_per_block": list(BLOCK_LAYERS)}
    return Case(f"random-transformer{n_blocks}-s{seed}", "control", reps, truth, meta)


#: Model L representations used per block: the residual path and what attention and the MLP add
#: to it (all 128 wide per position). The MLP's 512-wide hidden layers (``pre``, ``post``) are
#: left out: AGW's feature coupling on 1024 x 1024 flattened features made one case take longer
#: than the whole rest of the quick benchmark.
MODEL_L_LAYERS = ("resid_pre", "attn_out", "resid_mid", "mlp_out", "resid_post")


def model_l(n: int = 250, seed: int = 0, layers: Sequence[str] = MODEL_L_LAYERS) -> Case:
    """Model L from the checkpoint shipped with subnetscope; truth = its three blocks.

    Uses ``load_or_train("L", modsum_data("mod3"), TrainConfig(), shipped=True)`` only when the
    shipped checkpoint for those settings exists (this never trains); the stage accuracies
    of the checkpoint are kept in ``meta["stages"]``.
    """
    from ..modsum import SHIPPED_CHECKPOINTS, TrainConfig, capture_modsum, checkpoint_name, load_or_train, modsum_data

    data, config = modsum_data("mod3"), TrainConfig()
    name = checkpoint_name("L", data, config)
    if not (SHIPPED_CHECKPOINTS / name).exists():
        raise CaseDropped(f"no shipped Model L checkpoint {name} (the benchmark does not train Model L)")
    result = load_or_train("L", data, config, shipped=True, progress=False)
    rng = np.random.default_rng([seed, 23])
    rows = np.sort(rng.choice(len(data.tokens), size=min(n, len(data.tokens)), replace=False))
    captured = capture_modsum(result.model, data.tokens[rows])
    reps, truth = {}, []
    for blk in range(1, 4):
        for kind in layers:
            reps[f"block{blk}.{kind}"] = np.asarray(captured[f"block{blk}.{kind}"], dtype=float)
            truth.append(blk - 1)
    stages = [{k: s.get(k) for k in ("name", "val_accuracy", "train_accuracy", "epochs") if k in s}
              for s in result.stages]
    meta = {"generator": "model_l", "checkpoint": name, "source": result.source, "n": len(rows), "seed": seed,
            "stages": stages, "layers_per_block": list(layers)}
    return Case(f"model-l-s{seed}", "model-l", reps, np.array(truth), meta)
