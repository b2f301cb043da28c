"""to_target and probes rank a planted target layer first; embeddings; bad input."""

from __future__ import annotations

import numpy as np
import pytest

from subnetscope import probe, to_target
from subnetscope.analysis.targets import embed_target
from tests.conftest import random_rotation


def _reps_with_planted_target(n=90, p=7, seed=0):
    """Layers: noise, a non-linear mix, and one layer that is the target on a circle, rotated."""
    rng = np.random.default_rng(seed)
    t = rng.integers(0, p, size=n)
    angle = 2 * np.pi * t / p
    circle = np.c_[np.cos(angle), np.sin(angle), np.zeros(n)] * 2.0
    planted = circle @ random_rotation(3, rng) + 0.01 * rng.normal(size=(n, 3)) + 4.0
    other = rng.normal(size=(n, 5))
    reps = {"input": other, "mixed": np.tanh(other @ rng.normal(size=(5, 6))),
            "target_layer": planted, "after": np.sin(3 * planted @ rng.normal(size=(3, 4)))}
    return reps, t


def test_embeddings_by_hand():
    t = np.array([0, 1, 2, 3])
    np.testing.assert_allclose(embed_target(t, "value"), t[:, None].astype(float))
    np.testing.assert_allclose(embed_target(t, "onehot"), np.eye(4))
    circ = embed_target(t, "circular")  # period inferred as 4
    np.testing.assert_allclose(circ, [[1, 0], [0, 1], [-1, 0], [0, -1]], atol=1e-12)
    np.testing.assert_allclose(embed_target(t, "circular", period=8)[2], [0, 1], atol=1e-12)
    two = embed_target(np.c_[t, t % 2], "onehot")
    assert two.shape == (4, 6)
    with pytest.raises(ValueError, match=r"`embedding` must be one of .*did you mean 'onehot'"):
        embed_target(t, "one_hot")
    with pytest.raises(ValueError, match=r"`target` must have shape \(n,\) or \(n, k\)"):
        embed_target(np.zeros((4, 2, 2)))


def test_to_target_ranks_the_planted_layer_first():
    reps, t = _reps_with_planted_target()
    result = to_target(reps, t, embedding="circular")
    assert result.best == "target_layer"
    assert result.as_dict()["target_layer"] < 1e-3
    assert result.ranking()[0][1] <= result.ranking()[1][1]
    # the same target one-hot is not isometric to a circle: its distance is clearly larger
    assert to_target(reps, t, embedding="onehot").as_dict()["target_layer"] > 10 * result.as_dict()["target_layer"]


def test_to_target_bad_input():
    reps, t = _reps_with_planted_target(n=30)
    with pytest.raises(ValueError, match="`target` has 29 samples but the layers have 30"):
        to_target(reps, t[:-1])
    with pytest.raises(ValueError, match="`target` contains 1 NaN"):
        to_target(reps, np.r_[np.nan, t[1:]].astype(float))


@pytest.mark.parametrize("kind", ["linear", "mlp"])
def test_probe_ranks_the_planted_layer_first(kind):
    reps, t = _reps_with_planted_target(n=150)
    result = probe(reps, t, kind=kind, max_iter=300 if kind == "mlp" else None)
    assert result.task == "classification" and result.best == "target_layer"
    assert result.as_dict()["target_layer"] <= 0.05
    assert result.as_dict()["input"] > 0.5  # 7 balanced classes from unrelated noise
    assert result.info["n_test"] == 30 and result.info["stratified"]


def test_probe_regression_error_is_one_minus_r2_from_sklearn():
    from sklearn.linear_model import Ridge
    from sklearn.metrics import r2_score
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4))
    y = X @ np.array([1.0, -2.0, 0.5, 0.0]) + 0.3 * rng.normal(size=60)
    result = probe({"x": X, "noise": rng.normal(size=(60, 3))}, y, seed=3)
    assert result.task == "regression" and result.best == "x"
    tr, te = train_test_split(np.arange(60), test_size=0.2, random_state=3)
    scaler = StandardScaler().fit(X[tr])
    pred = Ridge(alpha=1.0).fit(scaler.transform(X[tr]), y[tr]).predict(scaler.transform(X[te]))
    assert result.as_dict()["x"] == pytest.approx(1 - r2_score(y[te], pred), rel=1e-9)


def test_wide_layer_reduction_is_exact():
    # d > n_train: the SVD reduction must give the same predictions as the full model
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(1)
    y = rng.integers(0, 3, size=50)
    X = rng.normal(size=(50, 200)) + np.eye(3)[y] @ rng.normal(size=(3, 200))
    result = probe({"wide": X}, y, seed=2)
    tr, te = train_test_split(np.arange(50), test_size=0.2, random_state=2, stratify=y)
    scaler = StandardScaler().fit(X[tr])
    pred = LogisticRegression(max_iter=5000, tol=1e-10).fit(scaler.transform(X[tr]), y[tr]).predict(scaler.transform(X[te]))
    assert result.errors[0] == pytest.approx(np.mean(pred != y[te]))


def test_probe_bad_input():
    reps, t = _reps_with_planted_target(n=30)
    with pytest.raises(ValueError, match=r"`kind` must be one of \['linear', 'mlp'\], got 'MLP'"):
        probe(reps, t, kind="MLP")
    with pytest.raises(ValueError, match=r"`test_size` must be a fraction strictly between 0 and 1, got 1.5"):
        probe(reps, t, test_size=1.5)
    with pytest.raises(ValueError, match="has a single class"):
        probe(reps, np.zeros(30, dtype=int))
    with pytest.raises(ValueError, match=r"has 30 samples but `target` has 29"):
        probe(reps, t[:29])
    with pytest.raises(ValueError, match=r"a classification `target` must have shape \(n,\)"):
        probe(reps, np.c_[t, t], task="classification")
