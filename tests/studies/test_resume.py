"""The study skeleton (subnetscope/studies/_run.py): hashed checkpoints, stage records, cached
pairs; and the nlp and vision studies killed with SIGKILL, started again, equal to an
uninterrupted run without redoing finished work."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from subnetscope import LayerDistances
from subnetscope.runs import RunFolder
from subnetscope.studies._run import StudyRun, data_key, settings_key
from tests.conftest import layer_chain
from tests.test_faults import ROOT, _kill_when, _run_cli


def _linear(seed=0):
    import torch

    torch.manual_seed(seed)
    return torch.nn.Linear(3, 2)


def test_checkpoint_is_keyed_by_every_setting_and_a_changed_one_trains_anew(tmp_path):
    import torch

    trained = []

    def train(model):
        trained.append(1)
        with torch.no_grad():
            model.weight += len(trained)
        return {"calls": len(trained)}

    run = StudyRun(tmp_path / "run", "test", log=lambda line: None)
    a, record, reused = run.checkpoint("m", {"epochs": 1, "data": "x"}, _linear, train)
    assert not reused and record == {"calls": 1}
    b, record, reused = run.checkpoint("m", {"data": "x", "epochs": 1}, _linear, train)  # same settings
    assert reused and record == {"calls": 1} and len(trained) == 1
    torch.testing.assert_close(a.state_dict(), b.state_dict(), rtol=0, atol=0)
    for changed in ({"epochs": 2, "data": "x"}, {"epochs": 1, "data": "y"}):  # a stale model is never reused
        _, record, reused = run.checkpoint("m", changed, _linear, train)
        assert not reused
    assert len(trained) == 3 and len(list(run.folder.checkpoints.glob("m-*.pt"))) == 3
    assert RunFolder(run.path).read_meta()["reused"] == [f"checkpoint m-{settings_key({'epochs': 1, 'data': 'x'})}.pt"]


def test_vision_weights_settings_change_with_everything_that_shapes_the_weights():
    from subnetscope.studies.vision.study import weights_settings

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(6, 3, 4, 4)).astype(np.float32), np.arange(6) % 2
    base = dict(n_classes=2, epochs=2, batch_size=32, optimizer="adam", max_lr=None, seed=0)
    key = settings_key(weights_settings(x, y, x, y, **base))
    assert key == settings_key(weights_settings(x.copy(), y.copy(), x, y, **base))
    changes = [dict(epochs=3), dict(batch_size=16), dict(optimizer="sgd"), dict(max_lr=0.1), dict(seed=1),
               dict(n_classes=3)]
    for change in changes:
        assert settings_key(weights_settings(x, y, x, y, **{**base, **change})) != key, change
    other = x.copy()
    other[0, 0, 0, 0] += 1  # other images (--data), or fewer of them
    assert settings_key(weights_settings(other, y, x, y, **base)) != key
    assert settings_key(weights_settings(x[:5], y[:5], x, y, **base)) != key


def test_pairs_are_cached_per_data_and_stage_records_are_read_back(tmp_path):
    reps = layer_chain(n=20, widths=(3, 4, 5), seed=0)
    run = StudyRun(tmp_path / "run", "test", log=lambda line: None)
    first = run.pairs("x", reps, seed=0)
    again = run.pairs("x", reps, seed=0)
    assert first.info["n_cached"] == 0 and again.info["n_cached"] == 3
    np.testing.assert_array_equal(first.matrix, again.matrix)
    other = run.pairs("x", {k: 2 * v + 1 for k, v in reps.items()}, seed=0, normalize="mean")  # another cache
    assert other.info["n_cached"] == 0 and len(list((run.path / "cache").iterdir())) == 2
    calls = []

    def compute():
        calls.append(1)
        return {"accuracy": 0.5}, {"block1": np.arange(4.0)}

    assert run.memo("s", {"seed": 0}, compute)[2] is False
    record, arrays, reused = run.memo("s", {"seed": 0}, compute)
    assert reused and calls == [1] and record["accuracy"] == 0.5 and list(arrays) == ["block1"]
    assert data_key(arrays) == data_key({"block1": np.arange(4.0)})


def _same_tables(a, b, drop=("seconds", "training seconds")):
    for name in b:
        cols = b[name]["columns"]
        keep = [i for i, c in enumerate(cols) if c not in drop]
        assert [[r[i] for i in keep] for r in a[name]["rows"]] == [[r[i] for i in keep] for r in b[name]["rows"]], name


@pytest.mark.slow
def test_nlp_study_killed_then_rerun_gives_the_same_result(tiny_bert_dir, tmp_path):
    from subnetscope.studies.nlp import run_nlp_study

    plan = dict(data="smoke", max_examples=300, test_fraction=0.3, samples=40, epochs=1, lr=1e-2, seeds=(0, 1),
                sparsity=(0.5,), checkpoint_every=5, head="cls", train_word_embeddings=True, figures=False,
                report=False)
    args = ["study", "nlp", str(tmp_path / "a"), "--model", str(tiny_bert_dir), "--data", "smoke",
            "--max-examples", "300", "--test-fraction", "0.3", "--samples", "40", "--epochs", "1", "--lr", "1e-2",
            "--seeds", "0", "1", "--sparsity", "0.5", "--checkpoint-every", "5", "--head", "cls",
            "--train-word-embeddings", "--no-figures", "--no-report"]
    # killed once the first fine-tuned model is on disk (the second seed, the sparse variant and
    # Tables 6 and 7 still to do)
    assert _kill_when(_run_cli(args), tmp_path / "a", 1, pattern="checkpoints/finetuned-*.pt") == 1
    assert not (tmp_path / "a" / "tables" / "table6_freeze.json").exists()
    [model] = (tmp_path / "a" / "checkpoints").glob("finetuned-*.pt")
    written = model.stat().st_mtime_ns
    resumed = _run_cli(args)
    out, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err
    assert "fine-tuned seed 0: 14 steps" in out.decode() and "(read back from the run folder)" in out.decode()
    reused = RunFolder(tmp_path / "a").read_meta()["reused"]
    assert f"checkpoint {model.name}" in reused and any(r.startswith("pretrained: 1 pairs from cache") for r in reused)
    assert model.stat().st_mtime_ns == written  # not trained again
    run_nlp_study(tmp_path / "b", model=tiny_bert_dir, log=lambda line: None, **plan)  # never interrupted
    a, b = RunFolder(tmp_path / "a"), RunFolder(tmp_path / "b")
    assert a.distance_labels() == b.distance_labels() == ["finetuned", "finetuned.seed1", "pretrained", "sparse50"]
    for label in b.distance_labels():
        np.testing.assert_array_equal(a.load_distances(label).matrix, b.load_distances(label).matrix)
    for step in sorted((b.path / "training").glob("*.npz")):
        np.testing.assert_array_equal(LayerDistances.load(a.path / "training" / step.name).matrix,
                                      LayerDistances.load(step).matrix)
    assert a.read_meta()["summary"]["accuracy"] == b.read_meta()["summary"]["accuracy"]
    _same_tables(a.load_tables(), b.load_tables())
    assert a.load_subnetworks() == b.load_subnetworks()


VISION = """
import sys
from subnetscope.studies.vision import run_vision_study
run_vision_study(sys.argv[1], samples=12, pair_samples=10, epochs=1, batch_size=16, measures=["gw"], bootstrap=1,
                 bootstrap_samples=8, train_limit=16, test_limit=20, report=False, progress=False)
"""


def _vision(out):
    return subprocess.Popen([sys.executable, "-c", VISION, str(out)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env={**os.environ, "OMP_NUM_THREADS": "1"})


@pytest.mark.slow
def test_vision_study_killed_then_rerun_gives_the_same_result(tmp_path):
    done = _kill_when(_vision(tmp_path / "a"), tmp_path / "a", 30, pattern="cache/random.gw-*/pairs/*.npz")
    assert 30 <= done < 351
    [model] = (tmp_path / "a" / "checkpoints").glob("resnet9_trained-*.pt")
    written = model.stat().st_mtime_ns
    resumed = _vision(tmp_path / "a")
    _, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err
    reused = RunFolder(tmp_path / "a").read_meta()["reused"]
    assert f"checkpoint {model.name}" in reused and model.stat().st_mtime_ns == written  # not trained again
    # the uninterrupted run gets the same trained weights (found by the same key) and computes every pair
    (tmp_path / "b" / "checkpoints").mkdir(parents=True)
    (tmp_path / "b" / "checkpoints" / model.name).write_bytes(model.read_bytes())
    clean = _vision(tmp_path / "b")
    _, err = clean.communicate(timeout=300)
    assert clean.returncode == 0, err
    a, b = RunFolder(tmp_path / "a"), RunFolder(tmp_path / "b")
    assert a.load_distances("random.gw").info["n_cached"] >= done
    assert b.load_distances("random.gw").info["n_cached"] == 0
    for label in ("random.gw", "trained.gw"):
        np.testing.assert_array_equal(a.load_distances(label).matrix, b.load_distances(label).matrix)
    assert a.load_subnetworks() == b.load_subnetworks()
    _same_tables(a.load_tables(), b.load_tables())
    assert json.loads((a.path / "run.json").read_text())["summary"]["gw_groups"] == \
        json.loads((b.path / "run.json").read_text())["summary"]["gw_groups"]
