"""The NLP study on a tiny BERT built from a config (hidden 32, 2 blocks) and an offline tokenizer."""

import json

import numpy as np
import pytest

from subnetscope.studies.nlp import (block_outputs, boundary_block, cross_distances, evaluate, fine_tune,
                                     freeze_before, load_classifier, load_text_data, prune_structured,
                                     smoke_sentiment, truncate_blocks)
from subnetscope.studies.nlp.data import _NEGATIVE, _POSITIVE

torch = pytest.importorskip("torch")


# --- data -----------------------------------------------------------------------------------
def test_smoke_set_labels_follow_the_sentiment_word_and_splits_are_disjoint():
    data = smoke_sentiment(50, test_fraction=0.3, seed=3)
    texts = data.train_texts + data.test_texts
    labels = np.concatenate([data.train_labels, data.test_labels])
    assert len(texts) == 100 and np.bincount(labels).tolist() == [50, 50]
    for text, label in zip(texts, labels):
        words = set(text.split())
        assert bool(words & set(_POSITIVE)) == (label == 1) and bool(words & set(_NEGATIVE)) == (label == 0)
    assert not set(data.train_texts) & set(data.test_texts)
    assert "NOT SST-2" in data.source
    assert smoke_sentiment(50, seed=3).train_texts == data.train_texts


def test_sst2_style_tsv_with_quotes_csv_and_jsonl(tmp_path):
    rows = [('it \'s a "gem" , truly', 1), ("dull , dull , dull", 0)] * 5
    tsv = tmp_path / "train.tsv"
    tsv.write_text("sentence\tlabel\n" + "".join(f"{t}\t{y}\n" for t, y in rows))
    data = load_text_data(tsv, test_fraction=0.2, max_examples=None)
    assert sorted(data.train_texts + data.test_texts) == sorted(t for t, _ in rows)
    assert data.classes == ("0", "1") and len(data.test_texts) == 2
    got = dict(zip(data.train_texts + data.test_texts, np.concatenate([data.train_labels, data.test_labels])))
    assert got == {t: y for t, y in rows}

    csv_path = tmp_path / "reviews.csv"
    csv_path.write_text("review,stars\n" + "".join(f'"{t.replace(chr(34), chr(34) * 2)}",{"pos" if y else "neg"}\n'
                                                  for t, y in rows))
    data = load_text_data(csv_path, max_examples=None)
    assert data.classes == ("neg", "pos") and len(data.train_texts) + len(data.test_texts) == 10

    jsonl = tmp_path / "d.jsonl"
    jsonl.write_text("".join(json.dumps({"body": t, "y": y}) + "\n" for t, y in rows))
    with pytest.raises(ValueError, match=r"no text column .*columns: \['body', 'y'\].*text_column"):
        load_text_data(jsonl)
    assert len(load_text_data(jsonl, text_column="body", label_column="y").test_texts) == 3


def test_data_errors_name_the_problem(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"`data` 'missing.tsv': no such file"):
        load_text_data("missing.tsv")
    with pytest.raises(ValueError, match="is a folder"):
        load_text_data(tmp_path)
    one = tmp_path / "one.tsv"
    one.write_text("sentence\tlabel\n" + "a\t1\n" * 6)
    with pytest.raises(ValueError, match=r"at least 2 distinct labels, found \['1'\]"):
        load_text_data(one)
    with pytest.raises(ValueError, match=r"`label_column` 'stars' is not a column"):
        load_text_data(one, label_column="stars")


# --- models ---------------------------------------------------------------------------------
@pytest.fixture()
def tiny(tiny_bert_dir):
    return load_classifier(tiny_bert_dir, 2, seed=0)


def test_block_outputs_match_hidden_states_pooled_independently(tiny):
    model, tokenizer = tiny
    texts = ["the movie was great .", "what a dull film , honestly .", "the food and the view were lovely ."]
    reps = block_outputs(model, tokenizer, texts, pooling="mean", embeddings=True)
    assert list(reps) == ["embeddings", "block1", "block2"]
    with torch.no_grad():
        for i, text in enumerate(texts):  # one sentence at a time: no padding at all
            hidden = model.base_model(**tokenizer([text], return_tensors="pt"), output_hidden_states=True).hidden_states
            np.testing.assert_allclose(reps["block2"][i], hidden[2][0].mean(0).numpy(), rtol=1e-5, atol=1e-5)
            np.testing.assert_allclose(block_outputs(model, tokenizer, texts, pooling="cls")["block1"][i],
                                       hidden[1][0, 0].numpy(), rtol=1e-5, atol=1e-5)
    flat = block_outputs(model, tokenizer, texts, pooling="flatten", max_length=16)
    assert flat["block1"].shape == (3, 16 * 32)
    with pytest.raises(ValueError, match="pooling"):
        block_outputs(model, tokenizer, texts, pooling="max")


def test_fine_tune_lowers_the_loss_and_records_checkpoints(tiny):
    model, tokenizer = tiny
    data = smoke_sentiment(40, seed=0)
    head = model.classifier.weight.detach().clone()
    result = fine_tune(model, tokenizer, data.train_texts, data.train_labels, epochs=3, lr=2e-3, batch_size=8,
                       checkpoint_every=5, on_checkpoint=lambda step, m: {"probe": step * 2})
    assert result.steps == 3 * int(np.ceil(len(data.train_texts) / 8)) == 21
    assert [c["step"] for c in result.checkpoints] == [0, 5, 10, 15, 20, 21]
    assert all(c["probe"] == 2 * c["step"] for c in result.checkpoints)
    # The tiny random BERT does not learn this task in 21 steps (open issue, see the report); MiniLM does.
    assert not torch.equal(head, model.classifier.weight) and len(result.losses) == 21
    with pytest.raises(ValueError, match="`lr` must be positive"):
        fine_tune(model, tokenizer, data.train_texts, data.train_labels, lr=0)


def test_structured_pruning_removes_the_weakest_units_and_they_stay_removed(tiny):
    model, tokenizer = tiny
    block = model.base_model.encoder.layer[0]
    score = (block.intermediate.dense.weight.norm(dim=1) * block.output.dense.weight.norm(dim=0)).detach().numpy()
    realised = prune_structured(model, 0.5)
    assert realised["neurons_removed"] == 0.5 and realised["heads_removed"] == 0.5
    removed = np.flatnonzero(np.all(block.intermediate.dense.weight.detach().numpy() == 0, axis=1))
    np.testing.assert_array_equal(np.sort(removed), np.sort(np.argsort(score)[:32]))
    assert np.all(block.intermediate.dense.bias[removed].detach().numpy() == 0)
    assert np.all(block.output.dense.weight[:, removed].detach().numpy() == 0)
    value = block.attention.self.value.weight.detach().numpy().reshape(4, 8, 32)
    assert sorted(h for h in range(4) if np.all(value[h] == 0)) != [] and np.sum(np.all(value == 0, axis=(1, 2))) == 2
    data = smoke_sentiment(10, seed=0)
    fine_tune(model, tokenizer, data.train_texts, data.train_labels, lr=1e-2, batch_size=4)
    assert np.all(block.output.dense.weight[:, removed].detach().numpy() == 0)
    with pytest.raises(ValueError, match=r"`amount` must be in \[0, 1\), got 1.2"):
        prune_structured(model, 1.2)


def test_freezing_keeps_early_blocks_fixed_and_truncation_keeps_first_blocks(tiny):
    model, tokenizer = tiny
    frozen = [p.detach().clone() for p in model.base_model.encoder.layer[0].parameters()]
    trained = [p.detach().clone() for p in model.base_model.encoder.layer[1].parameters()]
    freeze_before(model, 2)
    data = smoke_sentiment(10, seed=0)
    fine_tune(model, tokenizer, data.train_texts, data.train_labels, lr=1e-2, batch_size=4)
    assert all(torch.equal(a, b) for a, b in zip(frozen, model.base_model.encoder.layer[0].parameters()))
    assert not all(torch.equal(a, b) for a, b in zip(trained, model.base_model.encoder.layer[1].parameters()))
    with pytest.raises(ValueError, match=r"`first_trained` must be a block in 1..2, got 3"):
        freeze_before(model, 3)
    truncate_blocks(model, 1)
    assert list(block_outputs(model, tokenizer, data.test_texts)) == ["block1"]
    assert model(**tokenizer(["a great film ."], return_tensors="pt")).logits.shape == (1, 2)


def test_load_classifier_refuses_to_download_a_missing_model(tmp_path):
    with pytest.raises((FileNotFoundError, OSError), match="could not be loaded offline"):
        load_classifier("no-such-org/no-such-model-xyz", 2)


# --- analysis helpers ---------------------------------------------------------------------------
def test_cross_distances_match_gw_and_vanish_for_rotated_copies():
    from subnetscope.measures.gw import gromov_wasserstein, intra_distances

    rng = np.random.default_rng(0)
    a = {"block1": rng.normal(size=(20, 5)), "block2": rng.normal(size=(20, 3))}
    q, _ = np.linalg.qr(rng.normal(size=(5, 5)))
    b = {"x": a["block1"] @ q + 2.0, "y": rng.normal(size=(20, 7)), "z": a["block2"][::-1] * 3}
    values = cross_distances(a, b)
    assert values.shape == (2, 3)
    assert values[0, 0] < 1e-9 and values[1, 2] < 1e-9 and values[0, 1] > 1e-3
    np.testing.assert_allclose(values[1, 1], gromov_wasserstein(intra_distances(a["block2"]),
                                                                intra_distances(b["y"])).value)
    with pytest.raises(ValueError, match="same inputs"):
        cross_distances(a, {"x": rng.normal(size=(10, 5))})


def test_boundary_block_is_the_first_block_of_the_last_group():
    from subnetscope.analysis.subnetworks import Subnetworks

    names = tuple(f"block{i}" for i in range(1, 7))
    assert boundary_block(Subnetworks(names=names, labels=np.array([0, 0, 0, 0, 1, 1]), method="contiguous")) == 5
    assert boundary_block(Subnetworks(names=names, labels=np.zeros(6, int), method="contiguous")) is None


def test_cli_reports_a_missing_data_file(capsys):
    from subnetscope.cli import main

    assert main(["study", "nlp", "unused_run", "--data", "nope.tsv", "--no-report"]) == 2
    assert "`data` 'nope.tsv': no such file" in capsys.readouterr().err
