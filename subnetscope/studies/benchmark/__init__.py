"""Ground truth: score every measure on networks whose sub-networks are known by construction.

Public generators (each returns a :class:`Case`: layer representations and the true
partition of the layers), the scores, and the runner (``subnetscope benchmark``). See
docs/benchmark.md. Modules load torch lazily, so importing this package stays light.
"""

from __future__ import annotations

from .cases import Case, CaseDropped, chain_targets, null_chain, planted_chain
from .encoders import encoder_frozen_prefix
from .mlps import random_mlp, stagewise_mlp, stitched_mlp
from .runner import BenchmarkResult, evaluate, run_benchmark
from .scores import (adjusted_rand, boundaries, boundary_scores, boundary_step_auc, coassignment_agreement,
                     mean_interval, score_partition)
from .suite import PRESETS, CaseSpec, measure_settings, preset_cases
from .transformers import frozen_prefix, model_l, random_transformer, stagewise_transformer

__all__ = ["Case", "CaseDropped", "CaseSpec", "PRESETS", "BenchmarkResult", "run_benchmark", "evaluate",
           "planted_chain", "null_chain", "chain_targets", "stagewise_mlp", "stitched_mlp", "random_mlp",
           "stagewise_transformer", "frozen_prefix", "encoder_frozen_prefix", "random_transformer", "model_l", "adjusted_rand",
           "boundaries", "boundary_scores", "boundary_step_auc", "coassignment_agreement", "mean_interval", "score_partition",
           "measure_settings", "preset_cases"]
