"""The NLP study (paper §5.2, App. E–G, I–M): HF encoders, fine-tuning, sparsity, freezing, truncation."""

from .compositional import CompositionalSentiment, compositional_sentiment
from .data import TextData, load_text_data, smoke_sentiment
from .models import (block_outputs, evaluate, fine_tune, freeze_before, freeze_word_embeddings, load_classifier,
                     minilm_path, prune_structured, truncate_blocks, use_mean_head)
from .readouts import bow_baseline
from .pipeline import boundary_block, cross_distances, run_nlp_study

__all__ = ["CompositionalSentiment", "compositional_sentiment", "TextData", "load_text_data",
           "smoke_sentiment", "block_outputs", "evaluate", "fine_tune",
           "freeze_before", "freeze_word_embeddings", "load_classifier", "minilm_path", "prune_structured",
           "truncate_blocks", "use_mean_head", "bow_baseline",
           "boundary_block", "cross_distances", "run_nlp_study"]
