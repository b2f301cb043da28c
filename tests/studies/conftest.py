"""A tiny BERT (hidden 32, 2 blocks) and a word-level tokenizer built offline from a vocab file."""

import pytest

from subnetscope.studies.nlp.compositional import vocabulary
from subnetscope.studies.nlp.data import _NEGATIVE, _POSITIVE, _TEMPLATES


@pytest.fixture(scope="session")
def tiny_bert_dir(tmp_path_factory):
    transformers = pytest.importorskip("transformers")
    import torch

    folder = tmp_path_factory.mktemp("tiny_bert")
    words = sorted({w for t in _TEMPLATES for w in t.replace("{w}", "").split()} | set(_POSITIVE) | set(_NEGATIVE)
                   | set(vocabulary()))
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words]
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n")
    # transformers 5 ignores `vocab_file=` here (every word becomes [UNK]); the mapping is passed directly.
    tokenizer = transformers.BertTokenizerFast(vocab={w: i for i, w in enumerate(vocab)})
    if tokenizer.tokenize("the movie") != ["the", "movie"]:
        raise RuntimeError("the tiny tokenizer does not know its own vocabulary")
    config = transformers.BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2,
                                     num_attention_heads=4, intermediate_size=64, max_position_embeddings=64)
    torch.manual_seed(0)
    transformers.BertModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
