"""Benchmark scores on hand-made partitions, against references computed independently here."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from subnetscope.studies.benchmark import (adjusted_rand, boundaries, boundary_scores, boundary_step_auc,
                                           coassignment_agreement,
                                           mean_interval, score_partition)


def _ari_by_pair_counting(t, f):
    """Hubert & Arabie's ARI from the contingency table, written out (no scikit-learn)."""
    t, f = list(t), list(f)
    table = {}
    for a, b in zip(t, f):
        table[a, b] = table.get((a, b), 0) + 1
    comb = lambda x: x * (x - 1) / 2  # noqa: E731
    index = sum(comb(v) for v in table.values())
    rows = sum(comb(t.count(a)) for a in set(t))
    cols = sum(comb(f.count(b)) for b in set(f))
    expected = rows * cols / comb(len(t))
    return (index - expected) / ((rows + cols) / 2 - expected)


@pytest.mark.parametrize("truth, found", [
    ([0, 0, 1, 1], [0, 0, 0, 1]),
    ([0, 0, 0, 1, 1, 2, 2, 2], [0, 0, 1, 1, 1, 2, 2, 0]),
    ([0, 1, 2, 0, 1, 2], [0, 0, 1, 1, 2, 2]),
])
def test_ari_matches_pair_counting(truth, found):
    assert adjusted_rand(truth, found) == pytest.approx(_ari_by_pair_counting(truth, found))


def test_ari_is_one_for_a_renaming_and_symmetric():
    truth = np.array([0, 0, 1, 1, 2, 2])
    assert adjusted_rand(truth, [5, 5, 3, 3, 9, 9]) == 1.0
    other = [0, 1, 1, 2, 2, 2]
    assert adjusted_rand(truth, other) == pytest.approx(adjusted_rand(other, truth))
    assert adjusted_rand(truth, other) < 1.0


def test_boundaries_are_run_starts():
    assert boundaries([0, 0, 1, 1, 0]) == [2, 4]
    assert boundaries([3, 3, 3]) == []
    assert boundaries([0, 1, 2]) == [1, 2]


def test_boundary_scores_exact_and_within_one_layer():
    truth = [0, 0, 0, 1, 1, 1, 2, 2]  # boundaries 3, 6
    found = [0, 0, 1, 1, 1, 1, 2, 2]  # boundaries 2, 6
    s = boundary_scores(truth, found)
    assert (s["precision"], s["recall"]) == (0.5, 0.5)
    assert (s["precision_near"], s["recall_near"]) == (1.0, 1.0)


def test_one_found_boundary_cannot_match_two_true_ones():
    truth = [0, 0, 1, 2, 2, 2]  # boundaries 2, 3
    found = [0, 0, 0, 1, 1, 1]  # boundary 3: within one layer of both
    s = boundary_scores(truth, found)
    assert s["recall_near"] == 0.5 and s["precision_near"] == 1.0
    assert s["recall"] == 0.5 and s["precision"] == 1.0


def test_undefined_precision_and_recall_are_none():
    nothing_found = boundary_scores([0, 0, 1, 1], [0, 0, 0, 0])
    assert nothing_found["precision"] is None and nothing_found["recall"] == 0.0
    nothing_to_find = boundary_scores([0, 0, 0, 0], [0, 1, 1, 1])
    assert nothing_to_find["recall"] is None and nothing_to_find["precision"] == 0.0


def test_score_partition_counts_groups():
    s = score_partition([0, 0, 1, 1, 2, 2], [0, 0, 0, 1, 1, 1])
    assert (s["k_true"], s["k_found"], s["k_error"]) == (3, 2, 1)
    assert s["ari"] == pytest.approx(_ari_by_pair_counting([0, 0, 1, 1, 2, 2], [0, 0, 0, 1, 1, 1]))


def test_coassignment_agreement():
    ref = np.array([0, 0, 1])
    same = (ref[:, None] == ref[None, :]).astype(float)
    assert coassignment_agreement(ref, same) == 1.0
    assert coassignment_agreement(ref, np.full((3, 3), 0.5)) == 0.5
    flipped = 1.0 - same  # every pair wrong in every replicate
    assert coassignment_agreement(ref, flipped) == 0.0


def test_mean_interval_is_the_t_interval():
    from scipy import stats

    vals = [0.2, 0.5, 0.9, 0.4]
    got = mean_interval(vals + [None, float("nan")])
    low, high = stats.t.interval(0.95, len(vals) - 1, loc=np.mean(vals), scale=stats.sem(vals))
    assert got["n"] == 4 and got["mean"] == pytest.approx(np.mean(vals))
    assert (got["low"], got["high"]) == (pytest.approx(low), pytest.approx(high))
    assert mean_interval([0.3]) == {"mean": 0.3, "low": None, "high": None, "n": 1}
    assert mean_interval([None])["mean"] is None


@pytest.mark.parametrize("truth, found, match", [
    ([0, 1], [0, 1, 1], "same layers"),
    ([0.0, 1.0], [0, 1], "integer labels"),
    ([], [], "non-empty"),
])
def test_bad_partitions_are_refused(truth, found, match):
    with pytest.raises(ValueError, match=match):
        score_partition(np.array(truth), np.array(found))


def test_tolerance_must_be_a_count():
    with pytest.raises(ValueError, match="tolerance"):
        boundary_scores([0, 1], [0, 1], tolerance=-1)


def test_scores_brute_force_on_all_small_partitions():
    """Exact precision/recall equal set overlap; within-one recall never below exact."""
    for truth in itertools.product(range(2), repeat=4):
        for found in itertools.product(range(2), repeat=4):
            s = boundary_scores(np.array(truth), np.array(found))
            tb, fb = set(boundaries(np.array(truth))), set(boundaries(np.array(found)))
            if fb:
                assert math.isclose(s["precision"], len(tb & fb) / len(fb))
            if tb:
                assert math.isclose(s["recall"], len(tb & fb) / len(tb))
                assert s["recall_near"] >= s["recall"]


def test_boundary_step_auc_on_hand_made_matrices():
    truth = np.array([0, 0, 0, 1, 1])
    L = truth.size
    steps = [0.1, 0.2, 0.9, 0.3]  # D[i-1, i]; the boundary step (into layer 3) is the largest
    D = np.zeros((L, L))
    for i, s in enumerate(steps, start=1):
        D[i - 1, i] = D[i, i - 1] = s
    assert boundary_step_auc(D, truth) == 1.0
    D[2, 3] = D[3, 2] = 0.2  # now below one inside step (0.3), tied with another (0.2)
    assert boundary_step_auc(D, truth) == pytest.approx((1 + 0.5 + 0) / 3)
    assert boundary_step_auc(D, np.zeros(L, dtype=int)) is None  # no boundary: undefined
    with pytest.raises(ValueError, match="5 x 5"):
        boundary_step_auc(D[:4, :4], truth)
