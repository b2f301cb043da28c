"""HF encoders for the NLP study: loading, block outputs, CPU fine-tuning, pruning, freezing, truncation.

torch and transformers are imported inside the functions (``import subnetscope`` stays light).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Literal, Sequence

import numpy as np

from ..._validation import check_choice
from ...models.hf import minilm_path  # the one place that knows where the offline MiniLM lives

__all__ = ["minilm_path", "load_classifier", "encoder_layers", "block_outputs", "evaluate", "fine_tune",
           "FineTuneResult", "prune_structured", "freeze_before", "truncate_blocks", "use_mean_head",
           "freeze_word_embeddings", "HEADS"]

POOLINGS = ("mean", "cls", "flatten")
#: What the classifier reads: "cls" the HF default (pooler = dense + tanh on the last block's [CLS]
#: token), "mean" the mean over non-padding tokens of the last block (see :func:`use_mean_head`).
HEADS = ("cls", "mean")


def load_classifier(model: str | Path | None, n_labels: int, *, seed: int = 0, allow_download: bool = False,
                    head: Literal["cls", "mean"] = "cls"):
    """(model, tokenizer): ``AutoModelForSequenceClassification`` with a fresh ``n_labels`` head.

    ``model`` is a local folder, a hub name (only from the local cache unless
    ``allow_download``), or None for all-MiniLM-L6-v2. ``seed`` seeds the new head.
    ``head="mean"`` makes the classifier read the mean-pooled last block (:func:`use_mean_head`).
    """
    check_choice(head, "head", HEADS)
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    from transformers.utils import logging as hf_logging

    try:
        source = minilm_path() if model is None else model
    except ModuleNotFoundError as exc:
        raise ModuleNotFoundError(f"{exc}; or pass `model=` a local HF encoder folder") from None
    torch.manual_seed(seed)
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # "newly initialized classifier" is expected here
    try:
        net = AutoModelForSequenceClassification.from_pretrained(
            str(source), num_labels=n_labels, local_files_only=not allow_download, attn_implementation="eager")
        tokenizer = AutoTokenizer.from_pretrained(str(source), local_files_only=not allow_download)
    except OSError as exc:
        raise FileNotFoundError(f"`model` {str(source)!r} could not be loaded offline ({exc}); give a local "
                                f"HF encoder folder or allow downloads") from None
    finally:
        hf_logging.set_verbosity(verbosity)
    if head == "mean":
        use_mean_head(net)
    net.eval()
    return net, tokenizer


def _mean_pooler():
    import torch

    class MaskedMeanPooler(torch.nn.Module):
        """Mean over the non-padding tokens; the mask is captured from the encoder's call."""

        def __init__(self):
            super().__init__()
            self.mask = None

        def capture(self, module, args, kwargs):
            mask = kwargs.get("attention_mask", args[1] if len(args) > 1 else None)
            self.mask = None if mask is None else mask.detach()

        def forward(self, hidden):
            mask = self.mask
            if mask is None or mask.shape != hidden.shape[:2]:
                return hidden.mean(1)
            weights = mask.unsqueeze(-1).to(hidden.dtype)
            return (hidden * weights).sum(1) / weights.sum(1).clamp_min(1)

    return MaskedMeanPooler()


def use_mean_head(model) -> None:
    """Make the classifier read the mean over non-padding tokens of the last block (in place).

    The HF default feeds the pooler (dense + tanh, pre-trained on the *last* block's [CLS]) to the
    classifier. Sentence encoders trained with mean pooling, such as all-MiniLM-L6-v2, leave the
    early blocks' [CLS] output nearly the same for every sentence, so a model cut to those blocks
    has nothing to classify (docs/results/nlp.md, "Table 7 explained"). With this head the
    classifier reads the representation the analysis compares, whatever the number of blocks.
    """
    base = getattr(model, "base_model", None)
    if not hasattr(base, "pooler") or not hasattr(model, "classifier"):
        raise TypeError(f"{type(model).__name__}: expected a BERT-style classifier with `.pooler` and `.classifier`")
    pooler = _mean_pooler()
    base.pooler = pooler
    base.register_forward_pre_hook(pooler.capture, with_kwargs=True)


def encoder_layers(model) -> Any:
    """The ``nn.ModuleList`` of transformer blocks of a BERT-style classifier."""
    base = model.base_model
    layers = getattr(getattr(base, "encoder", None), "layer", None)
    if layers is None:
        raise TypeError(f"{type(model).__name__}: expected a BERT-style encoder with `.base_model.encoder.layer`")
    return layers


def _batches(texts: Sequence[str], labels, batch_size: int, tokenizer, max_length: int, order=None):
    import torch

    order = np.arange(len(texts)) if order is None else order
    for start in range(0, len(order), batch_size):
        idx = order[start:start + batch_size]
        enc = tokenizer([texts[i] for i in idx], padding=True, truncation=True,
                        max_length=max_length, return_tensors="pt")
        y = None if labels is None else torch.as_tensor(np.asarray(labels)[idx], dtype=torch.long)
        yield enc, y


def block_outputs(model, tokenizer, texts: Sequence[str], *, pooling: Literal["mean", "cls", "flatten"] = "mean",
                  max_length: int = 64, batch_size: int = 64, embeddings: bool = False) -> dict[str, np.ndarray]:
    """Each transformer block's output on ``texts``: ``{"block1": (n, d), ...}`` (1-based, as the paper).

    ``pooling``: mean over non-padding tokens, the [CLS] token, or every token flattened
    (sequences padded to ``max_length`` so all rows have length ``max_length × d``).
    ``embeddings=True`` adds the embedding output as ``"embeddings"`` first. Values are float64.

    The library's :func:`subnetscope.capture.capture` with the ``"hf-blocks"`` (``"hf-all"``)
    preset on ``model.base_model`` does the work; this only fixes the study's choices.
    """
    import warnings

    from ...capture import capture

    check_choice(pooling, "pooling", POOLINGS)
    with warnings.catch_warnings():
        # flatten pads every text to max_length on purpose (equal row widths); the library warns
        # that padding then becomes features, which this study's flatten setting accepts.
        warnings.filterwarnings("ignore", message="pooling='flatten' keeps every token position")
        reps = capture(model.base_model, list(texts), "hf-all" if embeddings else "hf-blocks", pooling=pooling,
                       batch_size=batch_size, tokenizer=tokenizer, max_length=max_length, progress=False)
    return {name: np.asarray(array, dtype=np.float64) for name, array in reps.items()}


def evaluate(model, tokenizer, texts: Sequence[str], labels, *, max_length: int = 64,
             batch_size: int = 64) -> dict[str, float]:
    """Accuracy and mean cross-entropy loss of a classifier on labelled texts."""
    import torch

    was_training = model.training
    model.eval()
    correct, loss_sum = 0, 0.0
    try:
        with torch.no_grad():
            for enc, y in _batches(texts, labels, batch_size, tokenizer, max_length):
                logits = model(**enc).logits
                loss_sum += float(torch.nn.functional.cross_entropy(logits, y, reduction="sum"))
                correct += int((logits.argmax(-1) == y).sum())
    finally:
        model.train(was_training)
    return {"accuracy": correct / len(texts), "loss": loss_sum / len(texts)}


@dataclass
class FineTuneResult:
    """What :func:`fine_tune` did: seconds, steps, training losses and checkpoint records."""

    seconds: float
    steps: int
    losses: list[float]
    checkpoints: list[dict[str, Any]] = field(default_factory=list)
    trainable_parameters: int = 0


def fine_tune(model, tokenizer, texts: Sequence[str], labels, *, epochs: int = 1, batch_size: int = 16,
              lr: float = 5e-5, max_length: int = 64, seed: int = 0, checkpoint_every: int | None = None,
              on_checkpoint: Callable[[int, Any], dict] | None = None) -> FineTuneResult:
    """Fine-tune ``model`` in place with AdamW (linear decay), the paper's recipe scaled to a CPU.

    Parameters that have ``requires_grad=False`` (see :func:`freeze_before`) stay fixed.
    ``on_checkpoint(step, model)`` runs at step 0, every ``checkpoint_every`` steps and at the
    end; what it returns is stored in ``.checkpoints`` (with ``"step"`` added).
    """
    import torch

    for name, value in (("epochs", epochs), ("batch_size", batch_size), ("max_length", max_length)):
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"`{name}` must be a positive integer, got {value!r}")
    if not lr > 0:
        raise ValueError(f"`lr` must be positive, got {lr!r}")
    if checkpoint_every is not None and (not isinstance(checkpoint_every, (int, np.integer)) or checkpoint_every < 1):
        raise ValueError(f"`checkpoint_every` must be a positive integer or None, got {checkpoint_every!r}")
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("every parameter is frozen; nothing to fine-tune")
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    steps_total = epochs * int(np.ceil(len(texts) / batch_size))
    optimizer = torch.optim.AdamW(params, lr=lr)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: max(0.0, 1 - s / steps_total))
    result = FineTuneResult(0.0, 0, [], trainable_parameters=sum(p.numel() for p in params))

    def checkpoint(step: int) -> None:
        if on_checkpoint is not None:
            result.checkpoints.append({"step": step, **on_checkpoint(step, model)})

    start = time.perf_counter()
    checkpoint(0)
    model.train()
    step = 0
    for _ in range(epochs):
        for enc, y in _batches(texts, labels, batch_size, tokenizer, max_length, order=rng.permutation(len(texts))):
            loss = torch.nn.functional.cross_entropy(model(**enc).logits, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            step += 1
            result.losses.append(float(loss.detach()))
            if checkpoint_every and step % checkpoint_every == 0 and step < steps_total:
                checkpoint(step)
    model.eval()
    checkpoint(step)
    result.seconds = time.perf_counter() - start - sum(c.get("seconds", 0.0) for c in result.checkpoints)
    result.steps = step
    return result


def prune_structured(model, amount: float) -> dict[str, float]:
    """Zero the weakest ``amount`` of MLP neurons and of attention heads in every block (in place).

    A neuron's score is ‖W_in[j, :]‖·‖W_out[:, j]‖ (its input row times its output column);
    a head's is the same product over its value rows and output-projection columns. Removed
    units get zero in-weights, bias and out-weights through ``torch.nn.utils.prune.custom_from_mask``,
    so they stay removed during further fine-tuning. Returns the realised fractions.
    """
    import torch
    from torch.nn.utils import prune

    if not 0 <= amount < 1:
        raise ValueError(f"`amount` must be in [0, 1), got {amount!r}")
    heads = model.config.num_attention_heads
    removed_neurons = removed_heads = total_neurons = total_heads = 0
    for block in encoder_layers(model):
        w_in, w_out = block.intermediate.dense, block.output.dense
        score = w_in.weight.norm(dim=1) * w_out.weight.norm(dim=0)
        k = int(round(amount * score.numel()))
        keep = torch.ones_like(score)
        keep[torch.argsort(score)[:k]] = 0
        prune.custom_from_mask(w_in, "weight", keep[:, None].expand_as(w_in.weight))
        prune.custom_from_mask(w_in, "bias", keep)
        prune.custom_from_mask(w_out, "weight", keep[None, :].expand_as(w_out.weight))
        removed_neurons += k
        total_neurons += score.numel()

        value, proj = block.attention.self.value, block.attention.output.dense
        size = value.weight.shape[0] // heads
        v_norm = value.weight.reshape(heads, size, -1).pow(2).sum((1, 2)).sqrt()
        o_norm = proj.weight.reshape(proj.weight.shape[0], heads, size).pow(2).sum((0, 2)).sqrt()
        h = int(round(amount * heads))
        keep_head = torch.ones(heads)
        keep_head[torch.argsort(v_norm * o_norm)[:h]] = 0
        rows = keep_head.repeat_interleave(size)
        prune.custom_from_mask(value, "weight", rows[:, None].expand_as(value.weight))
        prune.custom_from_mask(value, "bias", rows)
        prune.custom_from_mask(proj, "weight", rows[None, :].expand_as(proj.weight))
        removed_heads += h
        total_heads += heads
    return {"neurons_removed": removed_neurons / total_neurons, "heads_removed": removed_heads / total_heads,
            "encoder_weights_zero": _zero_fraction(model)}


def _zero_fraction(model) -> float:
    import torch

    zeros = total = 0
    for module in encoder_layers(model).modules():
        if isinstance(module, torch.nn.Linear):
            zeros += int((module.weight == 0).sum())
            total += module.weight.numel()
    return zeros / total


def freeze_before(model, first_trained: int) -> None:
    """Freeze the embeddings and blocks ``1 .. first_trained - 1`` (1-based); the rest and the head train."""
    layers = encoder_layers(model)
    if not 1 <= first_trained <= len(layers):
        raise ValueError(f"`first_trained` must be a block in 1..{len(layers)}, got {first_trained!r}")
    for p in model.base_model.embeddings.parameters():
        p.requires_grad = first_trained == 1
    for index, block in enumerate(layers, 1):
        for p in block.parameters():
            p.requires_grad = index >= first_trained


def freeze_word_embeddings(model) -> None:
    """Keep the word-embedding table fixed (in place); positions, LayerNorm and blocks are untouched.

    On a CPU the dense AdamW update of MiniLM's 11.7 M-entry table is about a third of a step.
    """
    table = getattr(model.base_model.embeddings, "word_embeddings", None)
    if table is None:
        raise TypeError(f"{type(model).__name__}: expected `.base_model.embeddings.word_embeddings`")
    table.weight.requires_grad = False


def truncate_blocks(model, n_blocks: int) -> None:
    """Keep only the first ``n_blocks`` transformer blocks (in place); the head reads block n's output."""
    import torch

    layers = encoder_layers(model)
    if not 1 <= n_blocks <= len(layers):
        raise ValueError(f"`n_blocks` must be in 1..{len(layers)}, got {n_blocks!r}")
    model.base_model.encoder.layer = torch.nn.ModuleList(list(layers)[:n_blocks])
    model.config.num_hidden_layers = n_blocks
