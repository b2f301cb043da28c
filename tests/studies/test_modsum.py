"""The modular-sum study: data, the three training modes, capture and the pipeline."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from subnetscope.studies import modsum as M
from subnetscope.studies.modsum import checkpoints, training

TINY = M.TrainConfig(d_model=16, n_heads=4, d_head=4, d_mlp=32, max_epochs=3, patience=2, lr=1e-2)


# --- data ------------------------------------------------------------------------------
def test_f_mod_and_f_mod3_values_by_hand():
    assert M.f_mod(58, 3) == 2
    assert M.f_mod(np.array([1, 30]), np.array([2, 30])).tolist() == [3, 1]
    out = M.f_mod3(np.array([50]), np.array([40]))
    c1 = (50 + 40) % 59            # 31
    c2 = (c1 + 40) % 31            # 9
    assert (out["c1"][0], out["c2"][0], out["c"][0]) == (c1, c2, (c2 + 40) % 17)


def test_dataset_covers_every_pair_with_an_80_20_split():
    data = M.modsum_data("mod3")
    assert data.tokens.shape == (59 * 59, 2)
    assert len({tuple(t) for t in data.tokens}) == 59 * 59
    assert len(data.train) == round(0.8 * 3481) and len(data.val) == 3481 - len(data.train)
    assert len(np.intersect1d(data.train, data.val)) == 0
    a, b = data.tokens.T
    np.testing.assert_array_equal(data.targets["c"], ((((a + b) % 59) + b) % 31 + b) % 17)
    assert data.n_classes == {"c1": 59, "c2": 31, "c": 17, "a": 59, "b": 59}
    mod = M.modsum_data("mod", p=7)
    np.testing.assert_array_equal(mod.targets["c"], (mod.tokens[:, 0] + mod.tokens[:, 1]) % 7)


def test_split_depends_on_seed_only():
    a, b, c = M.modsum_data("mod", seed=1), M.modsum_data("mod", seed=1), M.modsum_data("mod", seed=2)
    np.testing.assert_array_equal(a.train, b.train)
    assert not np.array_equal(a.train, c.train)


@pytest.mark.parametrize("kwargs, match", [
    ({"task": "mod4"}, "task"), ({"train_fraction": 1.0}, "train_fraction"),
    ({"moduli": (59, 31)}, "moduli"), ({"task": "mod", "p": 1}, "`p`")])
def test_dataset_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        M.modsum_data(**kwargs)


# --- training ----------------------------------------------------------------------------
def test_model_L_freezes_earlier_blocks(monkeypatch):
    data = M.modsum_data("mod3")
    snapshots = []
    original = torch.optim.AdamW

    def spy(params, **kw):  # record the weights at the start of every stage
        snapshots.append({k: v.clone() for k, v in model_ref[0].state_dict().items()} if model_ref else None)
        return original(params, **kw)

    model_ref = []
    real_new = training._new_model

    def new_model(*a, **k):
        model_ref.append(real_new(*a, **k))
        return model_ref[0]

    monkeypatch.setattr(training, "_new_model", new_model)
    monkeypatch.setattr(torch.optim, "AdamW", spy)
    result = M.train_modsum_model("L", data, TINY, progress=False)
    final = result.model.state_dict()
    assert len(result.stages) == 3
    start2, start3 = snapshots[1], snapshots[2]
    frozen_after_1 = [k for k in final if k.startswith(("embed_", "blocks.0."))]
    frozen_after_2 = frozen_after_1 + [k for k in final if k.startswith("blocks.1.")]
    for k in frozen_after_1:
        assert torch.equal(start2[k], final[k]), k
    for k in frozen_after_2:
        assert torch.equal(start3[k], final[k]), k
    # and the trained parts did change
    assert not torch.equal(start2["blocks.1.mlp.W_in.weight"], final["blocks.1.mlp.W_in.weight"])
    assert not torch.equal(start3["blocks.2.mlp.W_in.weight"], final["blocks.2.mlp.W_in.weight"])
    assert not torch.equal(start3["unembed.weight"], final["unembed.weight"])
    assert all(not p.requires_grad for p in result.model.parameters())


@pytest.mark.parametrize("kind, task, blocks", [("0", "mod", 1), ("E", "mod3", 3)])
def test_model_0_and_E_train_every_parameter(kind, task, blocks):
    data = M.modsum_data(task)
    torch.manual_seed(0)
    before = training._new_model(kind, data, TINY).state_dict()
    result = M.train_modsum_model(kind, data, TINY, progress=False)
    assert len(result.model.blocks) == blocks and len(result.stages) == 1
    assert result.stages[0]["epochs"] == TINY.max_epochs
    after = result.model.state_dict()
    changed = [k for k in after if not torch.equal(before[k], after[k])]
    assert any(k.startswith("embed_a") for k in changed) and any(k.startswith(f"blocks.{blocks - 1}") for k in changed)


def test_minibatch_mode_takes_one_step_per_batch(monkeypatch):
    data = M.modsum_data("mod", p=11)           # 121 pairs, 97 for training
    steps = []
    original = torch.optim.AdamW.step
    monkeypatch.setattr(torch.optim.AdamW, "step", lambda self, *a, **k: (steps.append(1), original(self, *a, **k))[1])
    M.train_modsum_model("0", data, M.TrainConfig(**{**TINY.__dict__, "batch_size": 40}), progress=False)
    assert len(steps) == TINY.max_epochs * 3      # ceil(97 / 40) = 3 batches per epoch
    steps.clear()
    M.train_modsum_model("0", data, M.TrainConfig(**{**TINY.__dict__, "batch_size": None}), progress=False)
    assert len(steps) == TINY.max_epochs          # full batch: one step per epoch


def test_grokfast_filter_adds_lamb_times_ema_to_the_gradient(monkeypatch):
    # with alpha = 0 the EMA is the current gradient, so the step sees (1 + lamb) * g
    data = M.modsum_data("mod", p=11)
    seen = []
    original = torch.optim.AdamW.step

    def spy(self, *a, **k):
        seen.append(self.param_groups[0]["params"][0].grad.clone())
        return original(self, *a, **k)

    monkeypatch.setattr(torch.optim.AdamW, "step", spy)
    one = M.TrainConfig(**{**TINY.__dict__, "max_epochs": 1})
    M.train_modsum_model("0", data, one, progress=False)
    M.train_modsum_model("0", data, M.TrainConfig(**{**one.__dict__, "grokfast_alpha": 0.0, "grokfast_lamb": 2.0}),
                         progress=False)
    assert torch.allclose(seen[1], 3 * seen[0], atol=1e-6)
    assert one.key("0", data) != M.TrainConfig(**{**one.__dict__, "grokfast_alpha": 0.98}).key("0", data)


def test_training_continues_a_given_model_and_reports_every_epoch(tmp_path):
    data = M.modsum_data("mod", p=11)
    first = M.train_modsum_model("0", data, TINY, progress=False)
    weights = {k: v.clone() for k, v in first.model.state_dict().items()}
    seen = []
    config = M.TrainConfig(**{**TINY.__dict__, "max_epochs": 5, "patience": 99})
    # the callback sees every epoch and can end the stage: stop after the second
    again = M.train_modsum_model("0", data, config, progress=False, model=first.model,
                                 on_epoch=lambda epoch, loss, acc: seen.append((epoch, loss, acc)) or epoch == 2)
    assert again.model is first.model and [e for e, _, _ in seen] == [1, 2]
    assert again.stages[0]["epochs"] == 2 and not again.stages[0]["reached_100"]
    assert seen[-1][2] == again.stages[0]["val_accuracy"]
    assert all(loss > 0 for _, loss, _ in seen)
    changed = [k for k, v in again.model.state_dict().items() if not torch.equal(v, weights[k])]
    assert changed                                                    # trained on from where it was
    with pytest.raises(ValueError, match="`resume` cannot be combined with `model`"):
        M.train_modsum_model("0", data, TINY, progress=False, model=first.model, resume=tmp_path / "r.pt")


def test_wrong_data_for_model_is_refused():
    with pytest.raises(ValueError, match="Model 0 is trained on f_mod"):
        M.train_modsum_model("0", M.modsum_data("mod3"), TINY, progress=False)
    with pytest.raises(ValueError, match="kind"):
        M.train_modsum_model("X", M.modsum_data("mod3"), TINY, progress=False)


def test_checkpoint_is_reused(tmp_path):
    data = M.modsum_data("mod", p=11)
    first = M.load_or_train("0", data, TINY, cache_dir=tmp_path, progress=False)
    second = M.load_or_train("0", data, TINY, cache_dir=tmp_path, progress=False)
    assert not first.from_cache and second.from_cache
    assert second.stages == first.stages
    for k, v in first.model.state_dict().items():
        assert torch.equal(v, second.model.state_dict()[k])
    other = M.load_or_train("0", data, M.TrainConfig(**{**TINY.__dict__, "lr": 5e-3}), cache_dir=tmp_path,
                            progress=False)
    assert not other.from_cache


def test_shipped_checkpoint_is_used_for_its_exact_settings_only(tmp_path, monkeypatch):
    data = M.modsum_data("mod", p=11)
    trained = M.load_or_train("0", data, TINY, cache_dir=tmp_path / "made", progress=False)
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    (tmp_path / "made" / M.checkpoint_name("0", data, TINY)).rename(shipped / M.checkpoint_name("0", data, TINY))
    monkeypatch.setattr(checkpoints, "SHIPPED_CHECKPOINTS", shipped)
    run_cache = tmp_path / "run"
    loaded = M.load_or_train("0", data, TINY, cache_dir=run_cache, progress=False)
    assert loaded.source == "shipped" and loaded.stages == trained.stages
    for k, v in trained.model.state_dict().items():
        assert torch.equal(v, loaded.model.state_dict()[k])
    assert (run_cache / M.checkpoint_name("0", data, TINY)).exists()     # copied into the run
    assert M.load_or_train("0", data, TINY, cache_dir=run_cache, progress=False).source == "cache"
    assert M.load_or_train("0", data, TINY, cache_dir=tmp_path / "x", shipped=False, progress=False).source == "trained"
    assert M.load_or_train("0", data, TINY, cache_dir=run_cache, retrain=True, progress=False).source == "trained"
    other = M.TrainConfig(**{**TINY.__dict__, "seed": 1})
    assert M.load_or_train("0", data, other, cache_dir=tmp_path / "y", progress=False).source == "trained"


# --- capture ------------------------------------------------------------------------------
def test_capture_names_shapes_and_values():
    data = M.modsum_data("mod3")
    model = training._new_model("E", data, TINY).eval()
    tokens = data.tokens[:7]
    reps = M.capture_modsum(model, tokens, batch_size=3)
    assert list(reps) == M.representation_names(3) and len(reps) == 93
    names = M.representation_names(1)
    assert names.index("block1.head1.attn_pre") == 13 and names.index("block1.head1.attn") == 17
    assert reps["block1.resid_pre"].shape == (7, 32) and reps["block2.head3.k"].shape == (7, 8)
    assert reps["block1.head2.attn"].shape == (7, 4) and reps["block3.post"].shape == (7, 64)
    with torch.no_grad():
        t = torch.as_tensor(tokens)
        np.testing.assert_allclose(reps["block2.resid_post"], model.residual(t, 2).reshape(7, -1).double(),
                                   atol=1e-5)
        np.testing.assert_allclose(reps["block1.resid_pre"], model.embed(t).reshape(7, -1).double())
    # attention rows sum to one for each head and query position
    np.testing.assert_allclose(reps["block1.head4.attn"].reshape(7, 2, 2).sum(-1), 1, rtol=1e-6)
    assert M.paper_name("block2.resid_post") == "Resid-Post2"


def test_target_table_lists_ties():
    rows = M.target_table({"c1": {"block1.resid_post": 0.02, "block1.post": 0.021, "block2.pre": 0.5}})
    assert rows == [["c1", "Resid-Post1, Post1", 0.02, 2]]


# --- pipeline -----------------------------------------------------------------------------
@pytest.mark.slow
def test_pipeline_end_to_end_writes_the_run_folder(tmp_path, capsys, monkeypatch):
    from subnetscope.cli import main

    out = tmp_path / "run"
    rc = main(["study", "modsum", "--model", "0", "--out", str(out), "--samples", "12", "--epochs", "2",
               "--probes", "linear", "--probe-samples", "60", "--quiet", "--no-report",
               "--compare-starts", "4", "--embedding", "value,stage"])
    assert rc == 0
    printed = capsys.readouterr().out
    assert "validation accuracy, short of 100%" in printed and "Sub-networks of Model 0" in printed
    from subnetscope.runs import RunFolder

    run = RunFolder(out)
    d = run.load_distances("gw")
    assert len(d.names) == 31 and np.allclose(d.matrix, d.matrix.T)
    tables = run.load_tables()
    assert set(tables) == {"table1_gw_targets", "table4_probes"}
    assert [row[:2] for row in tables["table1_gw_targets"]["rows"]] == [["c", "value"], ["c", "stage"]]
    assert "gw" in run.load_subnetworks()
    assert {p.name for p, _ in run.figures()} >= {"gw_heatmap.png", "gw_to_targets.png"}
    meta = run.read_meta()
    assert meta["study"] == "modsum" and meta["summary"]["training"]["stages"][0]["epochs"] == 2
    assert list(run.checkpoints.glob("model0-*.pt"))
    starts = meta["summary"]["starts"]   # our multi-start GW is never above POT's default start
    assert starts["pairs"] == 6 and starts["ours_lower"] + starts["equal"] == 6
    assert -1 <= starts["partition_ari"] <= 1 and starts["groups_ours"]
    pot = run.load_distances("gw_pot_start")
    assert np.all(pot.matrix >= d.subset(list(pot.names)).matrix - 1e-12)
    # a rerun reads every Table 1 target and Table 4 probe back (a killed paper-scale run resumes)
    import subnetscope.analysis as analysis

    def refuse(*args, **kwargs):
        raise AssertionError("recomputed a finished target or probe")

    monkeypatch.setattr(analysis, "to_target", refuse)
    monkeypatch.setattr(analysis, "probe", refuse)
    assert main(["study", "modsum", "--model", "0", "--out", str(out), "--samples", "12", "--epochs", "2",
                 "--probes", "linear", "--probe-samples", "60", "--quiet", "--no-report",
                 "--compare-starts", "4", "--embedding", "value,stage"]) == 0
    again = RunFolder(out).load_tables()
    assert again["table1_gw_targets"]["rows"] == tables["table1_gw_targets"]["rows"]
    assert again["table4_probes"]["rows"] == tables["table4_probes"]["rows"]
    reused = RunFolder(out).read_meta()["reused"]
    assert sum(r.startswith("record table1-") for r in reused) == 2
    assert sum(r.startswith("record table4-") for r in reused) == 1
    monkeypatch.undo()
    with pytest.raises(ValueError, match="samples"):
        M.run_modsum(out, model="0", samples=1)
    with pytest.raises(ValueError, match="n_jobs"):
        M.run_modsum(out, model="0", n_jobs=0)


def _shipped(kind):
    data = M.modsum_data("mod" if kind == "0" else "mod3")
    assert (M.SHIPPED_CHECKPOINTS / M.checkpoint_name(kind, data, M.recipe(kind))).exists()
    loaded = M.load_or_train(kind, data, progress=False)
    assert loaded.source == "shipped"
    return data, loaded


@pytest.mark.parametrize("kind", M.MODEL_KINDS)
def test_shipped_models_match_the_default_settings_and_their_record(kind):
    # the demo relies on them: a change of TrainConfig defaults must come with new checkpoints
    data, loaded = _shipped(kind)
    recorded = [s["val_accuracy"] for s in loaded.stages]
    # the record is a float32 mean; one validation pair moves it by 1/696
    np.testing.assert_allclose(M.stage_accuracies(loaded, data), recorded, atol=1e-6)
    with torch.no_grad():  # the final output, read as the study reads it: c at position 1
        c = loaded.model(torch.as_tensor(data.tokens[data.val]))[:, 1].argmax(-1).numpy()
    assert np.mean(c == data.targets["c"][data.val]) == pytest.approx(recorded[-1], abs=1e-6)


@pytest.mark.parametrize("kind", ["0", "L"])
def test_shipped_models_0_and_L_generalise_on_every_stage(kind):
    # the premise of the study (issue: >= 99.5% on held-out pairs); Model E falls short, see
    # docs/results/modsum.md
    _, loaded = _shipped(kind)
    recorded = [s["val_accuracy"] for s in loaded.stages]
    assert min(recorded) >= 0.995, recorded
    assert all(s["reached_100"] for s in loaded.stages)


def test_stage_accuracies_recompute_the_training_record(tmp_path):
    data = M.modsum_data("mod3")
    result = M.load_or_train("L", data, TINY, cache_dir=tmp_path, progress=False)
    assert [h is not None for h in result.heads] == [True, True, False]
    np.testing.assert_allclose(M.stage_accuracies(result, data), [s["val_accuracy"] for s in result.stages])
    reloaded = M.load_or_train("L", data, TINY, cache_dir=tmp_path, progress=False)
    assert reloaded.source == "cache"
    np.testing.assert_allclose(M.stage_accuracies(reloaded, data, data.train),
                               M.stage_accuracies(result, data, data.train))
    reloaded.heads = []
    with pytest.raises(ValueError, match="no saved head"):
        M.stage_accuracies(reloaded, data)


def test_mse_stage_loss_is_the_squared_error_to_the_one_hot_code():
    logits = torch.tensor([[2.0, -1.0, 0.5], [0.0, 0.0, 1.0]])
    target = torch.tensor([0, 2])
    by_hand = ((1.0 ** 2 + 1.0 + 0.25) + (0.0 + 0.0 + 0.0)) / 2
    assert float(training.stage_loss("mse", logits, target)) == pytest.approx(by_hand)
    assert float(training.stage_loss("cross_entropy", logits, target)) == pytest.approx(
        float(torch.nn.functional.cross_entropy(logits, target)))
    with pytest.raises(ValueError, match="loss"):
        M.TrainConfig(loss="hinge")


def test_staged_targets_are_what_each_stage_outputs():
    data = M.modsum_data("mod3")
    rows = np.arange(10)
    from subnetscope.studies.modsum.pipeline import _embedded_targets

    staged = _embedded_targets("L", data, rows, "stage")
    assert [label for label, _, _ in staged] == ["(c1, b)", "(c2, b)", "c"]
    np.testing.assert_array_equal(staged[1][1], np.c_[data.targets["c2"][rows], data.targets["b"][rows]])
    assert {how for _, _, how in staged} == {"onehot"}
    assert [label for label, _, _ in _embedded_targets("E", data, rows, "stage")] == ["c1", "c2", "c"]


@pytest.mark.parametrize("kind, task, stop_at", [("0", "mod", 5), ("L", "mod3", 8)])
def test_killed_training_resumes_to_the_same_weights(tmp_path, monkeypatch, kind, task, stop_at):
    """Stopped mid-stage (Model 0) or in a later stage (Model L: 3 stages of 3 epochs, one step
    each), training continues from its saved state and ends where an uninterrupted run ends."""
    data = M.modsum_data(task, p=11, moduli=(11, 7, 5)) if task == "mod3" else M.modsum_data(task, p=11)
    config = M.TrainConfig(**{**TINY.__dict__, "max_epochs": 6 if kind == "0" else 3, "patience": 100})
    whole = training.train_modsum_model(kind, data, config, progress=False)
    state = tmp_path / "state.partial.pt"
    original, calls = torch.optim.AdamW.step, []

    def dies(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == stop_at:
            raise KeyboardInterrupt("killed")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(torch.optim.AdamW, "step", dies)
    with pytest.raises(KeyboardInterrupt):
        training.train_modsum_model(kind, data, config, progress=False, resume=state, save_every=2)
    monkeypatch.setattr(torch.optim.AdamW, "step", original)
    assert state.exists()
    resumed = training.train_modsum_model(kind, data, config, progress=False, resume=state, save_every=2)
    assert not state.exists()  # removed once training ends
    assert [s["epochs"] for s in resumed.stages] == [s["epochs"] for s in whole.stages]
    assert [s["val_accuracy"] for s in resumed.stages] == [s["val_accuracy"] for s in whole.stages]
    for name, value in whole.model.state_dict().items():
        assert torch.equal(value, resumed.model.state_dict()[name]), name
    # a state written for other settings is not used
    training._write_partial(state, {"key": "other", "epoch": 0})
    assert training._read_partial(state, config.key(kind, data)) is None
