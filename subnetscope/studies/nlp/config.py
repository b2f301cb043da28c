"""The NLP study's options as one frozen, checked value: :class:`NLPConfig`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Sequence

from ... import _options as opt
from ..._options import choice, flag, integer, number
from .._config import StudyConfig, each, instance, path
from .models import HEADS

__all__ = ["NLPConfig", "DEFAULTS", "PAPER_SCALE"]

#: The default plan: every analysis of the paper at a scale that runs in minutes on a 2-core CPU
#: (2000 generated sentences, 1500 train: 94 steps per fine-tune; the word-embedding table fixed,
#: which saves a third of a CPU step; the classifier reads the mean-pooled last block).
DEFAULTS = dict(max_examples=2000, test_fraction=0.2, samples=150, max_length=40, epochs=1, batch_size=16, lr=1e-4,
                seeds=(0, 1),
                sparsity=(0.25, 0.70, 0.95), checkpoint_every=20, threads=1, head="mean",
                train_word_embeddings=False, probe_samples=400)
#: The paper's settings (§5.2: max length 256, 1 epoch, batch 16, lr 2e-5; App. M: 3 seeds) on all the data,
#: BERT's [CLS] classifier and every parameter trained: ``NLPConfig.paper()``.
PAPER_SCALE = dict(max_examples=None, test_fraction=0.3, samples=500, max_length=256, epochs=1, batch_size=16,
                   lr=2e-5,
                   seeds=(0, 1, 2), sparsity=(0.25, 0.70, 0.95), checkpoint_every=50, threads=None, head="cls",
                   train_word_embeddings=True, probe_samples=1000)


@dataclass(frozen=True)
class NLPConfig(StudyConfig):
    """Every option of the NLP study (:func:`subnetscope.studies.nlp.run`); defaults: :data:`DEFAULTS`.

    ``NLPConfig.paper(**changes)`` is the paper's setting (:data:`PAPER_SCALE`), e.g. with ``model=``, ``data=``.

    Parameters
    ----------
    model : local HF encoder folder or hub name (cache only unless ``allow_download``);
        None uses the offline all-MiniLM-L6-v2.
    data : .tsv/.csv/.jsonl file, a `datasets` name, ``"smoke"`` for the one-word smoke set, or
        None for the generated compositional set (:func:`~.compositional.compositional_sentiment`,
        ``max_examples`` sentences), whose known quantities are then probed in every block.
    text_column, label_column : str, optional
        Columns of ``data`` (default: found by name).
    max_examples : int, optional
        Random subset before the split (None: all; the generated set: 4000 sentences).
    test_fraction : float
        Share of the examples held out for testing and the representation analysis.
    samples : int, optional
        Held-out sentences whose block outputs are compared (None or 0: the whole test split); the
        CLI's ``--samples``, as ``ModSumConfig``'s and ``VisionConfig``'s (``run_nlp_study`` still
        takes the old ``n_samples``).
    pooling : {"mean", "cls", "flatten"}
        How a block's tokens become one representation per sentence.
    max_length, epochs, batch_size, lr : tokens per sentence and the fine-tuning recipe.
    seeds : fine-tuning seeds (App. M); the first one drives every later stage.
    sparsity : fractions of MLP neurons and heads removed per block (see ``prune_structured``).
    checkpoint_every : int, optional
        Fine-tuning steps between the training-dynamics checkpoints.
    threads : int, optional
        torch intra-op threads while the study runs (None: torch's default). The default 1 is
        as fast for these small matrices and avoids the large stalls of several threads on a
        shared CPU.
    head : {"cls", "mean"}
        What every classifier reads: the HF pooler on the last block's [CLS] (the paper's BERT),
        or the mean over tokens of the last block (default; what MiniLM was trained with, and what
        a truncated model needs, see :func:`~.models.use_mean_head`).
    train_word_embeddings : bool
        False (default) keeps the word-embedding table fixed in every fine-tuning (on a CPU its
        dense AdamW update is a third of a step); positions, LayerNorm and every block still train.
    probe_samples : int, optional
        Test sentences the quantity probes and the [CLS] diagnostic read (None or 0: the whole split).
    downstream, figures, report : bool
        Tables 6 and 7 (freezing, truncation); figures; report.html.
    allow_download : bool
        Let transformers fetch a hub model.
    """

    model: str | Path | None = None
    data: str | Path | None = None
    text_column: str | None = None
    label_column: str | None = None
    max_examples: int | None = DEFAULTS["max_examples"]
    test_fraction: float = DEFAULTS["test_fraction"]
    samples: int | None = DEFAULTS["samples"]
    pooling: Literal["mean", "cls", "flatten"] = "mean"
    max_length: int = DEFAULTS["max_length"]
    epochs: int = DEFAULTS["epochs"]
    batch_size: int = DEFAULTS["batch_size"]
    lr: float = DEFAULTS["lr"]
    seeds: Sequence[int] = DEFAULTS["seeds"]
    sparsity: Sequence[float] = DEFAULTS["sparsity"]
    checkpoint_every: int | None = DEFAULTS["checkpoint_every"]
    threads: int | None = DEFAULTS["threads"]
    head: Literal["cls", "mean"] = DEFAULTS["head"]
    train_word_embeddings: bool = DEFAULTS["train_word_embeddings"]
    probe_samples: int | None = DEFAULTS["probe_samples"]
    downstream: bool = True
    figures: bool = True
    report: bool = True
    allow_download: bool = False

    _SPECS = {"model": path(optional=True), "data": path(optional=True),
              "text_column": instance(str, "a column name (str)", optional=True),
              "label_column": instance(str, "a column name (str)", optional=True),
              "max_examples": integer(4, optional=True), "test_fraction": number(0, 1, low_open=True, high_open=True),
              "samples": integer(0, optional=True), "pooling": choice("mean", "cls", "flatten"),
              "max_length": integer(1), "epochs": integer(1), "batch_size": integer(1),
              "lr": number(0, low_open=True), "seeds": each(opt.seed(), min_len=1),
              "sparsity": each(number(0, 1, high_open=True)), "checkpoint_every": integer(1, optional=True),
              "threads": integer(1, optional=True), "head": choice(*HEADS), "train_word_embeddings": flag(),
              "probe_samples": integer(0, optional=True), "downstream": flag(), "figures": flag(),
              "report": flag(), "allow_download": flag()}
    _PAPER = PAPER_SCALE
