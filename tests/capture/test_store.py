"""Streaming store: round trip, reuse, resume, refusal of a different capture; the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from torch import nn

from subnetscope.capture import Representations, capture
from subnetscope.models import ModularTransformer


class Counting(nn.Module):
    """Counts forward passes; can fail on a chosen call to simulate a killed capture."""

    def __init__(self, fail_on: int | None = None):
        super().__init__()
        self.lin, self.act = nn.Linear(3, 4), nn.Tanh()
        self.calls, self.fail_on = 0, fail_on

    def forward(self, x):
        self.calls += 1
        if self.calls == self.fail_on:
            raise RuntimeError("killed")
        return self.act(self.lin(x))


@pytest.fixture
def data():
    torch.manual_seed(0)
    return torch.randn(22, 3)


def test_store_round_trip_equals_memory(tmp_path, data):
    model = Counting()
    memory = capture(model, data, ["lin", "act"], batch_size=5)
    stored = capture(model, data, ["lin", "act"], batch_size=5, store=tmp_path / "s")
    assert stored.path == tmp_path / "s" and list(stored) == ["lin", "act"]
    manifest = json.loads((tmp_path / "s" / "manifest.json").read_text())
    assert manifest["complete"] and len(manifest["shards"]) == 5  # one shard per batch
    assert [s["rows"] for s in manifest["shards"]] == [[0, 5], [5, 10], [10, 15], [15, 20], [20, 22]]
    reopened = Representations.load(tmp_path / "s")
    for reps in (stored, reopened):
        assert reps.shapes == memory.shapes and reps.n_samples == 22
        for name in memory:
            np.testing.assert_array_equal(reps[name], memory[name])
    assert reopened.settings["pooling"] == "flatten"


def test_identical_capture_reuses_complete_store(tmp_path, data):
    model = Counting()
    capture(model, data, ["act"], batch_size=8, store=tmp_path / "s")
    calls = model.calls
    again = capture(model, data, ["act"], batch_size=8, store=tmp_path / "s")
    assert model.calls == calls and again.n_samples == 22  # nothing recomputed


def test_killed_capture_resumes_missing_batches_only(tmp_path, data):
    model = Counting(fail_on=4)  # batches 0..2 written, batch 3 dies
    with pytest.raises(ValueError, match="rejected `inputs` batch 3.*RuntimeError: killed"):
        capture(model, data, ["lin", "act"], batch_size=5, store=tmp_path / "s")
    with pytest.raises(ValueError, match="is incomplete"):
        Representations.load(tmp_path / "s")
    model.calls, model.fail_on = 0, None
    resumed = capture(model, data, ["lin", "act"], batch_size=5, store=tmp_path / "s")
    assert model.calls == 1 + 2  # batch 0 (learns the names) + the two missing batches
    fresh = capture(model, data, ["lin", "act"], batch_size=5)
    for name in fresh:
        np.testing.assert_array_equal(resumed[name], fresh[name])
    # an interrupted store resumed with other batch boundaries keeps no stale shard
    model.calls, model.fail_on = 0, 3
    with pytest.raises(ValueError, match="killed"):
        capture(model, data, ["act"], batch_size=5, store=tmp_path / "t")
    model.fail_on = None
    other = capture(model, data, ["act"], batch_size=4, store=tmp_path / "t")
    assert sorted(p.name for p in (tmp_path / "t").glob("shard-*")) == [f"shard-{i:09d}.safetensors" for i in range(0, 22, 4)]
    np.testing.assert_array_equal(other["act"], fresh["act"])


@pytest.mark.parametrize("change", [
    dict(layers=["lin"]), dict(masked_score=-1.0), dict(n_samples=10), dict(inputs="other"), dict(model="other")])
def test_store_refuses_a_different_capture(tmp_path, data, change):
    model = Counting()
    capture(model, data, ["lin", "act"], store=tmp_path / "s")
    inputs = data + 1 if change.pop("inputs", None) else data
    if change.pop("model", None):
        model = Counting()
    kwargs = {"layers": ["lin", "act"], **change}
    with pytest.raises(FileExistsError, match="already holds a different capture"):
        capture(model, inputs, kwargs.pop("layers"), store=tmp_path / "s", **kwargs)


def test_store_refuses_unrelated_folder(tmp_path, data):
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="non-empty folder without a capture manifest"):
        capture(Counting(), data, ["lin"], store=tmp_path / "s")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        Representations.load(tmp_path / "missing")


def test_save_and_pairwise_reads_store(tmp_path, data):
    from subnetscope.cli._common import load_reps
    from subnetscope.engine.pairwise import pairwise

    reps = capture(Counting(), data, ["lin", "act"])
    reps.save(tmp_path / "saved")
    loaded = load_reps(tmp_path / "saved")
    np.testing.assert_array_equal(loaded["act"], reps["act"])
    distances = pairwise(Representations.load(tmp_path / "saved"), "gw")
    assert distances.matrix.shape == (2, 2) and np.isfinite(distances.matrix).all()


def test_cli_capture_writes_a_store(tmp_path, capsys):
    from subnetscope.cli import main

    torch.manual_seed(0)
    model = ModularTransformer(5, 5, n_blocks=1, d_model=8, n_heads=2, d_head=4, d_mlp=8)
    torch.save({"class": "subnetscope.models:ModularTransformer", "config": model.config,
                "state_dict": model.state_dict()}, tmp_path / "model.pt")
    tokens = torch.cartesian_prod(torch.arange(5), torch.arange(5))
    torch.save(tokens, tmp_path / "inputs.pt")
    code = main(["capture", str(tmp_path / "model.pt"), str(tmp_path / "inputs.pt"), "--layers", "transformer",
                 "--out", str(tmp_path / "store"), "--batch-size", "10"])
    assert code == 0 and "19 layers x 25 samples" in capsys.readouterr().out
    stored = Representations.load(tmp_path / "store")
    direct = capture(model, tokens, "transformer")
    for name in direct:
        np.testing.assert_allclose(stored[name], direct[name], rtol=1e-6)
    code = main(["capture", str(tmp_path / "model.pt"), str(tmp_path / "inputs.pt"), "--layers",
                 "blocks.0.hook_resid_pst", "--out", str(tmp_path / "store2")])
    err = capsys.readouterr().err
    assert code == 2 and "subnetscope capture: error:" in err and "'blocks.0.hook_resid_post'" in err
    code = main(["capture", str(tmp_path / "model.pt"), str(tmp_path / "inputs.pt"), "--layers", "blocks.0.hook_resid_pre",
                 "--out", str(tmp_path / "store")])
    assert code == 2 and "already holds a different capture" in capsys.readouterr().err


def test_cli_capture_checks_inputs_first_and_explains_hub_names(tmp_path, capsys, monkeypatch):
    from subnetscope.cli import capture as cli_capture
    from subnetscope.cli import main

    loaded = []
    monkeypatch.setattr(cli_capture, "load_model", lambda path: loaded.append(path) or (None, None))
    assert main(["capture", str(tmp_path / "model.pt"), str(tmp_path / "texts.txt"), "--layers", "hf-blocks",
                 "--out", str(tmp_path / "store")]) == 2
    assert "texts.txt' do not exist" in capsys.readouterr().err and loaded == []  # no model was loaded
    monkeypatch.undo()
    (tmp_path / "texts.txt").write_text("a text\n")
    monkeypatch.chdir(tmp_path)
    assert main(["capture", "sentence-transformers/all-MiniLM-L6-v2", "texts.txt", "--layers", "hf-blocks",
                 "--out", "store"]) == 2
    err = capsys.readouterr().err
    assert "looks like a Hugging Face hub name" in err and "offline" in err and "local model folder" in err
