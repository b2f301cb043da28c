"""Sub-networks: planted groups are recovered; the DP is exact; the record round-trips."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from subnetscope import LayerDistances, find_subnetworks, pairwise
from subnetscope.analysis.subnetworks import Subnetworks, contiguous_partition
from tests.analysis.planted import planted_reps


@pytest.fixture(scope="module")
def planted():
    reps, truth = planted_reps(sizes=(3, 2, 4), n=40, seed=0)
    return pairwise(reps), truth


def _same_partition(a, b):
    return all((a[i] == a[j]) == (b[i] == b[j]) for i in range(len(a)) for j in range(len(a)))


@pytest.mark.parametrize("method", ["spectral", "contiguous"])
def test_planted_groups_recovered_with_n_groups_given(planted, method):
    distances, truth = planted
    found = find_subnetworks(distances, n_groups=3, method=method)
    assert _same_partition(found.labels, truth)
    np.testing.assert_array_equal(found.labels, truth)  # numbered by first appearance
    assert found.groups == [["g0.l0", "g0.l1", "g0.l2"], ["g1.l0", "g1.l1"],
                            ["g2.l0", "g2.l1", "g2.l2", "g2.l3"]]
    assert found.selection["criterion"] == "given"


@pytest.mark.parametrize("method", ["spectral", "contiguous"])
@pytest.mark.parametrize("sizes,seed", [((3, 2, 4), 1), ((2, 3), 2), ((2, 2, 2, 3), 3)])
def test_automatic_choice_finds_the_planted_number(method, sizes, seed):
    reps, truth = planted_reps(sizes=sizes, n=30, seed=seed)
    found = find_subnetworks(pairwise(reps), method=method)
    assert found.n_groups == len(sizes), found.selection
    assert _same_partition(found.labels, truth)
    scores = found.selection["scores"]
    assert found.selection["chosen"] == len(sizes)
    assert max(scores, key=lambda k: scores[k]) == len(sizes)


def test_spectral_finds_non_consecutive_groups_contiguous_cannot():
    # layers A A B B A A: spectral sees two functions, contiguous needs three segments
    rng = np.random.default_rng(0)
    group = np.array([0, 0, 1, 1, 0, 0])
    jitter = rng.uniform(0.01, 0.02, size=(6, 6))
    D = np.where(group[:, None] == group[None], 0.0, 5.0) + (jitter + jitter.T) / 2
    np.fill_diagonal(D, 0)
    d = LayerDistances(tuple("abcdef"), D)
    assert list(find_subnetworks(d, method="spectral").labels) == [0, 0, 1, 1, 0, 0]
    contiguous = find_subnetworks(d, 2, method="contiguous")
    assert contiguous.boundaries == [2] or contiguous.boundaries == [4]


def _brute_force_best(D, k):
    L = len(D)
    best, best_labels = np.inf, None
    for cuts in itertools.combinations(range(1, L), k - 1):
        bounds = [0, *cuts, L]
        cost = sum(D[a:b, a:b].sum() / (2 * (b - a)) for a, b in zip(bounds[:-1], bounds[1:]))
        if cost < best - 1e-12:
            best, best_labels = cost, np.repeat(np.arange(k), np.diff(bounds))
    return best_labels


@pytest.mark.parametrize("seed", range(5))
def test_contiguous_dp_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(8, 2)).cumsum(axis=0)
    D = ((X[:, None] - X[None]) ** 2).sum(-1)
    for k in (1, 2, 3, 4):
        np.testing.assert_array_equal(contiguous_partition(D, k), _brute_force_best(D, k))


def test_no_structure_gives_one_group_for_contiguous():
    rng = np.random.default_rng(0)
    D = rng.uniform(0.9, 1.1, size=(7, 7))
    D = (D + D.T) / 2
    np.fill_diagonal(D, 0)
    found = find_subnetworks(LayerDistances(tuple("abcdefg"), D), method="contiguous")
    assert found.n_groups == 1 and found.boundaries == []


def test_ranges_and_record_round_trip(planted, tmp_path):
    distances, _ = planted
    found = find_subnetworks(distances, method="contiguous")
    ranges = found.ranges()
    assert [(r["start"], r["stop"], r["size"]) for r in ranges] == [(0, 3, 3), (3, 5, 2), (5, 9, 4)]
    assert ranges[1]["first"] == "g1.l0" and ranges[1]["last"] == "g1.l1" and ranges[1]["support"] is None
    record = found.to_dict()
    assert set(record) == {"method", "measure", "n_groups", "names", "labels", "groups", "ranges",
                           "selection", "boundaries", "boundary_support", "coassignment", "n_bootstrap"}
    assert set(record["selection"]) == {"criterion", "scores", "chosen"}
    assert record["boundaries"] == [3, 5]
    text = json.dumps(record)  # valid JSON, keys as strings
    back = Subnetworks.from_dict(json.loads(text))
    assert back.to_dict() == record


def test_ranges_of_interleaved_labels():
    s = Subnetworks(names=tuple("abcde"), labels=[4, 4, 1, 4, 1], method="spectral")
    assert list(s.labels) == [0, 0, 1, 0, 1]
    assert [(r["group"], r["start"], r["stop"]) for r in s.ranges()] == [(0, 0, 2), (1, 2, 3), (0, 3, 4), (1, 4, 5)]
    assert s.boundaries == [2, 3, 4]


def test_bad_inputs(planted):
    distances, _ = planted
    with pytest.raises(ValueError, match=r"`method` must be one of .*did you mean 'spectral'"):
        find_subnetworks(distances, method="spectal")
    with pytest.raises(ValueError, match=r"`n_groups` must be between 1 and the number of layers \(9\), got 10"):
        find_subnetworks(distances, n_groups=10)
    with pytest.raises(TypeError, match=r"`n_groups` must be an integer or None, got 2.5"):
        find_subnetworks(distances, n_groups=2.5)
    with pytest.raises(TypeError, match="`distances` must be a LayerDistances"):
        find_subnetworks(np.zeros((3, 3)))
    bad = LayerDistances(("a", "b", "c"), np.array([[0, 1, 2], [1, 0, 1], [2, 3, 0.0]]))
    with pytest.raises(ValueError, match="must be symmetric"):
        find_subnetworks(bad)
    nan = LayerDistances(("a", "b"), np.array([[0, np.nan], [np.nan, 0]]))
    with pytest.raises(ValueError, match="NaN or Inf"):
        find_subnetworks(nan)
    with pytest.raises(ValueError, match="sub-network record lacks the keys"):
        Subnetworks.from_dict({"names": []})


def test_silhouette_keeps_a_chain_of_small_steps_together_where_the_eigengap_splits_it():
    """A drifting chain of 10 near-identical layers and a distant pair (the ResNet9 shape)."""
    rng = np.random.default_rng(0)
    position = np.concatenate([np.cumsum(rng.uniform(0.5, 1.5, 10)) * 1e-3, [1.0, 1.002]])
    d = LayerDistances(tuple(f"l{i}" for i in range(12)), np.abs(position[:, None] - position[None, :]))
    found = find_subnetworks(d)
    assert found.selection["criterion"].startswith("silhouette")
    assert found.labels.tolist() == [0] * 10 + [1, 1]
    assert find_subnetworks(d, select="eigengap").n_groups > 2  # why it is no longer the default
    with pytest.raises(ValueError, match="select='eigengap'.*spectral"):
        find_subnetworks(d, method="contiguous", select="eigengap")


def test_own_silhouette_and_kmeans_match_scikit_learn():
    # `subnetscope subnetworks` no longer imports scikit-learn's clustering (seconds of imports):
    # the NumPy silhouette must equal scikit-learn's, and the k-means partition reach the same inertia
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    from subnetscope.analysis.subnetworks import _silhouette, kmeans

    rng = np.random.default_rng(7)
    for trial in range(8):
        L, k = int(rng.integers(5, 30)), int(rng.integers(2, 5))
        X = rng.normal(size=(L, 3)) + rng.integers(0, k, size=L)[:, None] * 2.0
        D = np.sqrt(((X[:, None] - X[None]) ** 2).sum(-1))
        labels = rng.integers(0, k, size=L)
        labels[:k] = np.arange(k)  # every group present; singletons included sometimes
        assert _silhouette(D, labels) == pytest.approx(silhouette_score(D, labels, metric="precomputed"), abs=1e-12)
        ours = kmeans(X, k, seed=trial)

        def inertia(lab):
            return sum(((X[lab == j] - X[lab == j].mean(0)) ** 2).sum() for j in np.unique(lab))

        theirs = KMeans(n_clusters=k, n_init=10, random_state=trial).fit_predict(X)
        assert inertia(ours) <= inertia(theirs) * (1 + 1e-9) + 1e-12
