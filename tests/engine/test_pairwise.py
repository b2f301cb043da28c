"""pairwise and LayerDistances: shape, order, files, subsampling and errors."""

from __future__ import annotations

import numpy as np
import pytest

from subnetscope import LayerDistances, distance, pairwise
from tests.conftest import layer_chain


def test_matrix_matches_pairwise_distance_calls():
    reps = layer_chain(n=40)
    d = pairwise(reps)
    assert d.names == tuple(reps)
    assert d.matrix.shape == (5, 5)
    np.testing.assert_array_equal(d.matrix, d.matrix.T)
    assert np.all(np.diag(d.matrix) == 0)
    assert d["layer1", "layer3"] == pytest.approx(distance(reps["layer1"], reps["layer3"]), rel=1e-12)
    assert d.options["normalize"] == "max" and d.measure == "gw"


def test_subsample_uses_the_same_rows_everywhere():
    reps = layer_chain(n=80)
    reps["copy"] = reps["layer2"][:, ::-1] * 2.0  # isometric copy of layer2
    d = pairwise(reps, n_samples=30, seed=3)
    assert d.n_samples == 30 and d.seed == 3
    assert d["layer2", "copy"] < 1e-12
    assert np.array_equal(pairwise(reps, n_samples=30, seed=3).matrix, d.matrix)


@pytest.mark.parametrize("suffix", [".npz", ".json"])
def test_save_load_roundtrip(tmp_path, suffix):
    d = pairwise(layer_chain(n=30))
    path = d.save(tmp_path / f"dist{suffix}")
    back = LayerDistances.load(path)
    assert back.names == d.names
    np.testing.assert_array_equal(back.matrix, d.matrix)
    assert back.measure == d.measure and back.n_samples == d.n_samples
    assert back.options["normalize"] == "max"


def test_load_rejects_truncated_and_foreign_files(tmp_path):
    d = pairwise(layer_chain(n=20))
    path = d.save(tmp_path / "d.npz")
    (tmp_path / "cut.npz").write_bytes(path.read_bytes()[:100])
    with pytest.raises(ValueError, match="not a subnetscope .npz"):
        LayerDistances.load(tmp_path / "cut.npz")
    np.savez(tmp_path / "other.npz", x=np.ones(3))
    with pytest.raises(ValueError, match="cut.npz|other.npz"):
        LayerDistances.load(tmp_path / "other.npz")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        LayerDistances.load(tmp_path / "missing.npz")


def test_errors_name_the_layer():
    reps = layer_chain(n=20)
    reps["short"] = np.ones((19, 3))
    with pytest.raises(ValueError, match=r"`reps\['short'\]` has 19 samples but the other layers have 20"):
        pairwise(reps)
    reps = layer_chain(n=20)
    reps["layer2"] = reps["layer2"].copy()
    reps["layer2"][0, 0] = np.nan
    with pytest.raises(ValueError, match=r"`reps\['layer2'\]` contains 1 NaN"):
        pairwise(reps)
    with pytest.raises(ValueError, match=r"`measure` must be one of .* did you mean 'gw'"):
        pairwise(layer_chain(n=20), "gww")
    with pytest.raises(ValueError, match="`n_samples` is 50 but the layers have only 20"):
        pairwise(layer_chain(n=20), n_samples=50)
    with pytest.raises(ValueError, match="`reps` is empty"):
        pairwise({})


@pytest.mark.parametrize("option, bad, message", [
    ("screen_tol", -0.5, "screen_tol"), ("screen_tol", 1.0, "screen_tol"), ("screen_tol", "often", "screen_tol"),
    ("starts", "pro", "did you mean 'product'"), ("starts", (), "`starts` is empty"),
])
def test_bad_gw_options_are_refused_before_any_layer_is_prepared(option, bad, message, monkeypatch):
    import importlib

    module = importlib.import_module("subnetscope.engine.pairwise")

    def prepare(*args, **kwargs):
        raise AssertionError("layers were prepared before the options were checked")

    monkeypatch.setattr(module, "prepare_layers", prepare)
    with pytest.raises(ValueError, match=message):
        pairwise(layer_chain(n=20), **{option: bad})
