"""The benchmark's case generators: the truth is correct by construction, and they are seeded."""

from __future__ import annotations

import numpy as np
import pytest

from subnetscope import intra_distances
from subnetscope.studies.benchmark import (Case, CaseDropped, chain_targets, null_chain, planted_chain,
                                           stagewise_mlp, stitched_mlp)


def _shape_of(Y):
    """The layer's intra-distance matrix divided by its largest entry (invariant to isometry and scale)."""
    C = intra_distances(Y)
    return C / C.max()


def test_planted_chain_truth_is_the_shared_geometry():
    case = planted_chain((3, 2), n=30, dim=4, widths=(4, 10), noise=0.0, seed=3)
    assert case.truth.tolist() == [0, 0, 0, 1, 1]
    assert case.family == "planted" and not case.control
    shapes = [_shape_of(Y) for Y in case.reps.values()]
    # same group: the same geometry up to rotation, translation and scale (no noise)
    for i, j in [(0, 1), (0, 2), (3, 4)]:
        np.testing.assert_allclose(shapes[i], shapes[j], atol=1e-9)
    # different groups: a non-linear map changed the geometry
    assert np.abs(shapes[0] - shapes[3]).max() > 0.1
    assert all(4 <= w <= 10 for w in case.widths)


def test_planted_chain_is_seeded():
    a, b = planted_chain(seed=1, n=20), planted_chain(seed=1, n=20)
    c = planted_chain(seed=2, n=20)
    for name in a.reps:
        np.testing.assert_array_equal(a.reps[name], b.reps[name])
    assert any(a.reps[k].shape != c.reps[k].shape or not np.allclose(a.reps[k], c.reps[k]) for k in a.reps)


def test_null_chain_is_one_group():
    case = null_chain(5, n=20, seed=0)
    assert case.control and case.truth.tolist() == [0] * 5 and case.family == "control"


@pytest.mark.parametrize("n_stages", [2, 3, 5])
def test_chain_targets_each_a_coarser_function_of_the_previous(n_stages):
    p = 17
    a, b = np.divmod(np.arange(p * p), p)
    names, targets = chain_targets(a, b, p, n_stages, np.random.default_rng(n_stages), first="sum")
    assert len(names) == len(targets) == n_stages and names[0] == "sum"
    np.testing.assert_array_equal(np.unique((a + b) % p, return_inverse=True)[1], targets[0])
    for prev, nxt in zip(targets, targets[1:]):
        for value in np.unique(prev):  # a function of the previous target: one value per class
            assert len(np.unique(nxt[prev == value])) == 1
        assert 2 <= len(np.unique(nxt)) < len(np.unique(prev))


def test_chain_targets_refuses_too_many_stages():
    a, b = np.divmod(np.arange(25), 5)
    with pytest.raises(ValueError, match="fewer stages"):
        chain_targets(a, b, 5, 6, np.random.default_rng(0), first="sum")


def test_stagewise_mlp_truth_is_its_stages():
    case = stagewise_mlp(2, p=7, n=30, widths=(12, 16), depths=(1, 2), seed=0)
    stages = case.meta["stages"]
    assert [s["accuracy"] for s in stages] == [1.0, 1.0]
    expected = [k for k, s in enumerate(stages) for _ in range(s["depth"])]
    assert case.truth.tolist() == expected
    assert case.widths == [s["width"] for s in stages for _ in range(s["depth"])]
    assert list(case.reps)[0] == "stage1.relu1" and case.n_samples == 30


def test_a_network_that_misses_its_accuracy_is_dropped():
    with pytest.raises(CaseDropped, match="accuracy") as info:
        stagewise_mlp(2, p=7, n=30, widths=(4, 4), depths=(1, 1), max_epochs=1, seed=0)
    assert info.value.meta["stages"][0]["epochs"] == 1


def test_stitched_mlp_truth_is_its_modules():
    case = stitched_mlp(2, p=7, n=30, widths=(12, 16), depths=(1, 2), seed=0)
    modules = case.meta["modules"]
    assert modules[1]["stitch_accuracy"] == 1.0 and modules[0]["accuracy_alone"] == 1.0
    assert case.truth.tolist() == [m for m, mod in enumerate(modules) for _ in range(mod["depth"])]


def test_model_l_without_its_checkpoint_is_dropped(monkeypatch, tmp_path):
    from subnetscope.studies import modsum
    from subnetscope.studies.benchmark import model_l

    monkeypatch.setattr(modsum, "SHIPPED_CHECKPOINTS", tmp_path)
    with pytest.raises(CaseDropped, match="no shipped Model L checkpoint"):
        model_l(n=20)


def test_case_round_trip_and_validation(tmp_path):
    case = planted_chain((2, 2), n=10, seed=0)
    case.save(tmp_path / "c.npz")
    back = Case.load(tmp_path / "c.npz")
    assert back.name == case.name and back.meta == case.meta and list(back.reps) == list(case.reps)
    np.testing.assert_array_equal(back.truth, case.truth)
    with pytest.raises(ValueError, match="labels for 2 layers"):
        Case("x", "planted", {"a": np.zeros((3, 2)), "b": np.zeros((3, 2))}, np.array([0]))
    with pytest.raises(ValueError, match="same inputs"):
        Case("x", "planted", {"a": np.zeros((3, 2)), "b": np.zeros((4, 2))}, np.array([0, 1]))
    with pytest.raises(ValueError, match="file-name-safe"):
        Case("../x", "planted", {"a": np.zeros((3, 2))}, np.array([0]))


def test_encoder_frozen_prefix_truth_is_frozen_against_tuned(tiny_bert_dir):
    from subnetscope.studies.benchmark import encoder_frozen_prefix

    case = encoder_frozen_prefix(1, n=30, model=tiny_bert_dir, target_accuracy=0.0, lr=1e-3)
    assert case.truth.tolist() == [0, 1] and list(case.reps) == ["block1", "block2"]
    assert case.n_samples == 30 and case.meta["k_frozen"] == 1 and case.meta["steps"] > 0
    with pytest.raises(ValueError, match="k_frozen"):
        encoder_frozen_prefix(2, n=30, model=tiny_bert_dir)
    with pytest.raises(CaseDropped, match="test accuracy"):
        encoder_frozen_prefix(1, n=30, model=tiny_bert_dir, target_accuracy=1.01)


def test_encoder_frozen_prefix_without_the_encoder_is_dropped(tmp_path):
    from subnetscope.studies.benchmark import encoder_frozen_prefix

    with pytest.raises(CaseDropped, match="not available offline"):
        encoder_frozen_prefix(1, model=tmp_path / "missing")
