"""The modular-sum study (paper §5.1, App. B–D): networks whose functions we know.

Data: every pair (a, b), a, b ∈ 0..p-1 (p = 59, 3481 pairs), split 80/20 into train and
validation. ``f_mod``: c = (a + b) mod 59. ``f_mod3``: c1 = (a + b) mod 59,
c2 = (c1 + b) mod 31, c = (c2 + b) mod 17.

Models (:class:`subnetscope.models.transformer.ModularTransformer`, d = 128, 4 heads of 32,
MLP 512):

- ``"0"``: one block, f_mod, c read at position 1.
- ``"E"``: three blocks, f_mod3, trained end to end for c at position 1.
- ``"L"``: three blocks, f_mod3, trained layer-wise. Stage 1 trains the embeddings, block 1 and
  a linear head that reads c1 at position 0 and b at position 1; stage 2 freezes all of that,
  drops the head and trains block 2 with a new head for (c2, b); stage 3 freezes blocks 1–2
  and trains block 3 and the unembedding for c at position 1.

Training is AdamW on minibatches until the validation accuracy has been 100% for
``patience`` consecutive epochs (or ``max_epochs``), each stage's output regressed onto the
one-hot code of its target (``TrainConfig.loss = "mse"``). The paper used full batches, lr
1e-3, weight decay 2 and 26,000 epochs and does not name its loss; with cross-entropy, stages 2
and 3 of Model L level off at 84% and 23% validation accuracy, because stage 1 then writes c1
with a handful of Fourier frequencies from which block 2 cannot read c1 mod 31 linearly.
docs/results/modsum.md gives the measured curves and what was tried.

The pipeline (:func:`run`, ``run(out, ModSumConfig(...))``; every option is a field of the frozen
:class:`ModSumConfig`, ``ModSumConfig.paper()`` the paper's setting; :func:`run_modsum` takes the
same options as keywords) trains or loads a model (checkpoints keyed by the
settings, so a second run skips training), captures its 31 representations per block,
computes all-pairs GW, GW to the known targets (Table 1), probes (Table 4), sub-networks with
bootstrap stability and figures, and writes a run folder with a report.

The study is a package of one concept per module: :mod:`.data`, :mod:`.training`,
:mod:`.checkpoints`, :mod:`.representations`, :mod:`.config` and :mod:`.pipeline`; every public name is
re-exported here.
"""

from __future__ import annotations

from .checkpoints import SHIPPED_CHECKPOINTS, checkpoint_name, load_or_train
from .data import MODEL_KINDS, MODULI, ModelKind, ModSumData, f_mod, f_mod3, modsum_data
from .config import PAPER_SCALE, TARGET_EMBEDDINGS, ModSumConfig
from .pipeline import run, run_modsum, target_table
from .representations import capture_modsum, paper_name, representation_names
from .training import TrainConfig, TrainResult, recipe, stage_accuracies, train_modsum_model

__all__ = [
    "MODULI",
    "ModSumData",
    "TrainConfig",
    "TrainResult",
    "f_mod",
    "f_mod3",
    "modsum_data",
    "train_modsum_model",
    "recipe",
    "stage_accuracies",
    "load_or_train",
    "checkpoint_name",
    "SHIPPED_CHECKPOINTS",
    "capture_modsum",
    "representation_names",
    "paper_name",
    "target_table",
    "ModSumConfig",
    "run",
    "run_modsum",
    "PAPER_SCALE",
    "TARGET_EMBEDDINGS",
]
