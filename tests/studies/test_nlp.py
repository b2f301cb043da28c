"""The NLP study on a tiny BERT built from a config (hidden 32, 2 blocks) and an offline tokenizer."""

import json
import warnings

import numpy as np
import pytest

from subnetscope.studies.nlp import (block_outputs, boundary_block, cross_distances, evaluate, fine_tune,
                                     freeze_before, load_classifier, load_text_data, prune_structured,
                                     smoke_sentiment, truncate_blocks)
from subnetscope.studies.nlp.models import freeze_word_embeddings, use_mean_head
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
@pytest.fixture(autouse=True)
def one_torch_thread():
    """As the study does by default: on a shared 2-core CPU, 2 threads stall on these tiny matrices."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


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
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        flat = block_outputs(model, tokenizer, texts, pooling="flatten", max_length=16)
    assert flat["block1"].shape == (3, 16 * 32) and flat["block1"].dtype == np.float64
    # flatten pads to max_length by design: the library's padding warning is not the study's to raise
    assert [str(w.message) for w in caught] == []
    padded = tokenizer(texts[:1], padding="max_length", max_length=16, return_tensors="pt")
    with torch.no_grad():
        hidden = model.base_model(**padded, output_hidden_states=True).hidden_states
    np.testing.assert_allclose(flat["block1"][0], hidden[1][0].flatten().numpy(), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="pooling"):
        block_outputs(model, tokenizer, texts, pooling="max")


def test_fine_tune_learns_the_smoke_task_and_records_checkpoints(tiny):
    model, tokenizer = tiny
    data = smoke_sentiment(150, seed=0)
    before = evaluate(model, tokenizer, data.test_texts, data.test_labels)
    # A tiny random BERT needs a large step (1e-2) and a few epochs; at 2e-3 it stays at ln 2.
    result = fine_tune(model, tokenizer, data.train_texts, data.train_labels, epochs=4, lr=1e-2, batch_size=16,
                       checkpoint_every=20, on_checkpoint=lambda step, m: {"probe": step * 2})
    assert result.steps == 4 * int(np.ceil(len(data.train_texts) / 16)) == 56
    assert [c["step"] for c in result.checkpoints] == [0, 20, 40, 56]
    assert all(c["probe"] == 2 * c["step"] for c in result.checkpoints)
    after = evaluate(model, tokenizer, data.test_texts, data.test_labels)
    assert abs(before["loss"] - np.log(2)) < 0.05 and before["accuracy"] < 0.7
    assert after["accuracy"] >= 0.9 and after["loss"] < 0.4 < np.log(2)
    assert np.mean(result.losses[-10:]) < 0.5 * np.mean(result.losses[:10])
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


def test_mean_head_reads_the_token_mean_of_the_last_kept_block(tiny_bert_dir):
    import copy

    model, tokenizer = load_classifier(tiny_bert_dir, 2, seed=0, head="mean")
    texts = ["the movie was great .", "although the plot was dull , the music is not bland ."]
    enc = tokenizer(texts, padding=True, return_tensors="pt")
    assert enc["attention_mask"].min() == 0  # padding present: it must be left out of the mean

    def expected(net, block):
        mean = block_outputs(net, tokenizer, texts, pooling="mean")[block]
        return net.classifier(torch.as_tensor(mean, dtype=torch.float32))

    with torch.no_grad():
        torch.testing.assert_close(model(**enc).logits, expected(model, "block2"))
        copied = copy.deepcopy(model)  # the sparse stage copies the model: the copy keeps its own mask
        torch.testing.assert_close(copied(**tokenizer(texts[:1], return_tensors="pt")).logits,
                                   expected(model, "block2")[:1])
        truncate_blocks(model, 1)
        torch.testing.assert_close(model(**enc).logits, expected(model, "block1"))
    cls_model, _ = load_classifier(tiny_bert_dir, 2, seed=0)
    with torch.no_grad():
        assert not torch.allclose(cls_model(**enc).logits, expected(cls_model, "block2"))
    with pytest.raises(ValueError, match="head"):
        load_classifier(tiny_bert_dir, 2, head="max")
    with pytest.raises(TypeError, match=r"expected a BERT-style classifier with `.pooler`"):
        use_mean_head(torch.nn.Linear(2, 2))


def test_freeze_word_embeddings_keeps_only_the_table_fixed(tiny):
    model, tokenizer = tiny
    table = model.base_model.embeddings.word_embeddings.weight.detach().clone()
    position = model.base_model.embeddings.position_embeddings.weight.detach().clone()
    freeze_word_embeddings(model)
    data = smoke_sentiment(10, seed=0)
    result = fine_tune(model, tokenizer, data.train_texts, data.train_labels, lr=1e-2, batch_size=4)
    assert torch.equal(table, model.base_model.embeddings.word_embeddings.weight)
    assert not torch.equal(position, model.base_model.embeddings.position_embeddings.weight)
    assert result.trainable_parameters == sum(p.numel() for p in model.parameters()) - table.numel()


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


def test_cli_reports_a_missing_data_file(capsys, tmp_path):
    from subnetscope.cli import main

    run = tmp_path / "unused_run"
    assert main(["study", "nlp", str(run), "--data", "nope.tsv", "--no-report"]) == 2
    assert "`data` 'nope.tsv': no such file" in capsys.readouterr().err
    assert not run.exists()  # nothing is written for a run that cannot start


def test_run_nlp_study_refuses_an_unknown_head_before_writing(tmp_path):
    from subnetscope.studies.nlp import run_nlp_study

    with pytest.raises(ValueError, match="head"):
        run_nlp_study(tmp_path / "run", head="pooled")
    assert not (tmp_path / "run").exists()


def test_run_nlp_study_takes_the_old_n_samples_with_a_warning(tmp_path, monkeypatch):
    from subnetscope.studies.nlp import NLPConfig, pipeline

    made = []
    monkeypatch.setattr(pipeline, "run", lambda run_dir, config, log: made.append(config))
    with pytest.warns(DeprecationWarning, match=r"^run_nlp_study: `n_samples` is deprecated \(it still works\); "
                                                r"use `samples`$"):
        pipeline.run_nlp_study(tmp_path / "run", n_samples=40, seeds=(3,))
    assert made == [NLPConfig(samples=40, seeds=(3,))]
    with pytest.raises(ValueError, match="`n_samples` is the old name of `samples`; pass `samples` only"):
        pipeline.run_nlp_study(tmp_path / "run", n_samples=40, samples=40)
    assert len(made) == 1 and not (tmp_path / "run").exists()


# --- the whole pipeline -----------------------------------------------------------------------
def test_run_nlp_study_end_to_end_on_a_tiny_bert(tiny_bert_dir, tmp_path):
    from subnetscope.runs import RunFolder
    from subnetscope.studies.nlp import run_nlp_study

    lines = []
    run = run_nlp_study(tmp_path / "run", model=tiny_bert_dir, data="smoke", max_examples=300, test_fraction=0.3,
                        samples=40, epochs=4,
                        lr=1e-2, seeds=(0, 1), sparsity=(0.5,), checkpoint_every=20, head="cls",
                        train_word_embeddings=True, log=lines.append)
    meta = RunFolder(run.path).read_meta()
    summary = meta["summary"]
    assert meta["study"] == "nlp" and summary["smoke_set"] is True and "NOT SST-2" in summary["data"]
    assert summary["n_blocks"] == 2 and summary["boundary_block"] in (1, 2)
    # the tiny BERT really learns the smoke task; the pre-trained (random) one is at chance
    assert summary["accuracy"]["finetuned"] >= 0.9 and summary["accuracy"]["pretrained"] < 0.75
    assert {p.stem for p in (run.path / "distances").glob("*.npz")} == {
        "pretrained", "finetuned", "finetuned.seed1", "sparse50"}
    assert sorted(p.name for p in (run.path / "training").glob("*.npz")) == [
        "step00000.npz", "step00020.npz", "step00040.npz", "step00056.npz"]
    tables = {p.stem: json.loads(p.read_text()) for p in (run.path / "tables").glob("*.json")}
    assert {"seeds", "training", "sparse", "cross_pretrained_vs_finetuned", "cross_finetuned_vs_seed",
            "table6_freeze", "table7_truncate", "nlp_jaccard"} <= set(tables)
    assert [r[0] for r in tables["seeds"]["rows"]] == [0, 1]
    assert [r[0] for r in tables["training"]["rows"]] == [0, 20, 40, 56]
    assert tables["training"]["rows"][-1][3] < tables["training"]["rows"][0][3]  # test loss fell
    assert len(tables["table6_freeze"]["rows"]) == 2 and len(tables["table7_truncate"]["rows"]) == 2
    assert sum("boundary" in r[-1] for r in tables["table6_freeze"]["rows"]) == 1
    assert tables["sparse"]["rows"][0][1] == 0.5
    assert all(k.startswith("stage: ") or k in ("total", "downstream") or " " in k for k in meta["timings"])
    assert meta["timings"]["total"] > 0 and len(summary["load_average_start"]) == 3
    figures = {p.stem for p in (run.path / "figures").glob("*.png")}
    assert {"nlp_models", "nlp_checkpoints", "nlp_training_curves", "nlp_tsne", "nlp_transport_plan"} <= figures
    html = (run.path / "report.html").read_text()
    assert "NOT SST-2" in html and "Table 6 analogue" in html and "Block-output GW" in html
    assert any("report:" in line for line in lines)
    assert "probes_finetuned" not in tables  # the smoke set has no recorded quantities


def test_run_nlp_study_on_the_compositional_set_probes_the_quantities(tiny_bert_dir, tmp_path):
    from subnetscope.runs import RunFolder
    from subnetscope.studies.nlp import run_nlp_study
    from subnetscope.studies.nlp.readouts import PROBED_QUANTITIES

    run = run_nlp_study(tmp_path / "run", model=tiny_bert_dir, max_examples=240, samples=30, probe_samples=50,
                        lr=1e-2, seeds=(0,), sparsity=(), checkpoint_every=100, downstream=False, figures=False,
                        report=False, log=lambda line: None)
    meta = RunFolder(run.path).read_meta()
    assert meta["summary"]["generated"] is True and "compositional" in meta["summary"]["data"]
    assert meta["options"]["head"] == "mean" and meta["options"]["train_word_embeddings"] is False
    assert meta["options"]["samples"] == 30 and "n_samples" not in meta["options"]  # one name, as the config's
    assert 0.3 < meta["summary"]["accuracy"]["bag of words (1-2 grams)"] < 0.8
    tables = {p.stem: json.loads(p.read_text()) for p in (run.path / "tables").glob("*.json")}
    for label in ("pretrained", "finetuned"):
        probes = tables[f"probes_{label}"]
        assert probes["columns"] == ["quantity", "embeddings", "block1", "block2"]
        assert [r[0] for r in probes["rows"]] == list(PROBED_QUANTITIES)
        assert all(0 <= v <= 1 for r in probes["rows"] for v in r[1:])
        targets = tables[f"targets_{label}"]
        assert {r[1] for r in targets["rows"]} == {"gw", "cka"} and len(targets["rows"]) == 2 * len(PROBED_QUANTITIES)
    diagnostic = tables["cls_diagnostic"]["rows"]
    assert [r[0] for r in diagnostic] == ["block1", "block2"] and all(r[3] is not None for r in diagnostic)


def test_cli_study_nlp_uses_a_tsv_file(tiny_bert_dir, tmp_path):
    from subnetscope.cli import main
    from subnetscope.runs import RunFolder

    rng = np.random.default_rng(0)
    rows = [(f"{rng.choice(['a', 'the'])} {w} film .", int(w in _POSITIVE)) for w in (_POSITIVE + _NEGATIVE) * 2]
    tsv = tmp_path / "mine.tsv"
    tsv.write_text("sentence\tlabel\n" + "".join(f"{t}\t{y}\n" for t, y in rows))
    assert main(["study", "nlp", str(tmp_path / "run"), "--model", str(tiny_bert_dir), "--data", str(tsv),
                 "--seeds", "0", "--sparsity", "--n-samples", "10", "--no-downstream", "--no-figures",
                 "--no-report"]) == 0
    meta = RunFolder(tmp_path / "run").read_meta()
    assert meta["summary"]["smoke_set"] is False and meta["summary"]["data"] == f"file {tsv}"
    assert meta["options"]["data"] == str(tsv) and meta["options"]["max_length"] == 40
    assert meta["options"]["seeds"] == [0] and meta["options"]["sparsity"] == []
    assert not (tmp_path / "run" / "report.html").exists()
    seeds = json.loads((tmp_path / "run" / "tables" / "seeds.json").read_text())
    assert "file " in seeds["note"] and "NOT SST-2" not in seeds["note"]
