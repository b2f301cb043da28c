"""The NLP study (paper §5.2, App. E–G, I–M): HF encoders, fine-tuning, sparsity, freezing, truncation.

Entry point: ``run(run_dir, NLPConfig(...))`` (every option a field of the frozen :class:`NLPConfig`;
``NLPConfig.paper()`` the paper's setting); :func:`run_nlp_study` takes the same options as keywords.
"""

from .config import NLPConfig
from .compositional import CompositionalSentiment, compositional_sentiment
from .data import TextData, load_text_data, smoke_sentiment
from .models import (block_outputs, evaluate, fine_tune, freeze_before, freeze_word_embeddings, load_classifier,
                     minilm_path, prune_structured, truncate_blocks, use_mean_head)
from .readouts import bow_baseline
from .pipeline import boundary_block, cross_distances, run, run_nlp_study

__all__ = ["CompositionalSentiment", "compositional_sentiment", "TextData", "load_text_data",
           "smoke_sentiment", "block_outputs", "evaluate", "fine_tune",
           "freeze_before", "freeze_word_embeddings", "load_classifier", "minilm_path", "prune_structured",
           "truncate_blocks", "use_mean_head", "bow_baseline",
           "boundary_block", "cross_distances", "NLPConfig", "run", "run_nlp_study"]
