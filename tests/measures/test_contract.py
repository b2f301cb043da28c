"""Contract tests generated from the registry: every measure, whatever it computes."""

from __future__ import annotations

import numpy as np
import pytest

from subnetscope import distance, get_measure, list_measures, pairwise
from subnetscope.measures import measure_table
from tests.conftest import layer_chain, random_rotation

MEASURES = list_measures()


def _pair(n=40, d=6, seed=3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    Y = np.tanh(1.5 * X @ rng.normal(size=(d, d))) + 0.1 * rng.normal(size=(n, d))
    return X, Y


def _transform(kind, X, rng):
    d = X.shape[1]
    if kind == "permutation":
        return X[:, rng.permutation(d)]
    if kind == "rotation":
        return X @ random_rotation(d, rng)
    if kind == "translation":
        return X + rng.normal(size=d) * 3.0
    if kind == "scaling":
        return 7.5 * X
    raise AssertionError(kind)


def test_all_ten_paper_measures_registered_gw_first():
    assert MEASURES[0] == "gw"
    assert set(MEASURES) >= {"gw", "euclidean", "cosine", "wasserstein", "rsa", "rsm", "cka", "cca", "msid", "agw"}


@pytest.mark.parametrize("name", MEASURES)
def test_self_distance_is_zero(name):
    X, _ = _pair()
    assert abs(distance(X, X, name)) < 1e-9


@pytest.mark.parametrize("name", MEASURES)
def test_non_negative_symmetric_and_separates(name):
    X, Y = _pair()
    d_xy, d_yx = distance(X, Y, name), distance(Y, X, name)
    assert d_xy > 1e-6  # a non-linear map of X is not X
    assert d_xy == pytest.approx(d_yx, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize(
    "name,kind",
    [(m, inv) for m in MEASURES for inv in get_measure(m).invariances],
)
def test_claimed_invariances_hold(name, kind):
    rng = np.random.default_rng(11)
    X, _ = _pair(seed=5)
    assert distance(X, _transform(kind, X, rng), name) == pytest.approx(0.0, abs=1e-7)


@pytest.mark.parametrize(
    "name,kind",
    [(m, inv) for m in MEASURES for inv in ("rotation", "scaling") if inv not in get_measure(m).invariances],
)
def test_unclaimed_invariances_really_fail(name, kind):
    # Metadata must not under-claim either: a transformation not listed changes the value.
    rng = np.random.default_rng(11)
    X, _ = _pair(seed=5)
    assert distance(X, _transform(kind, X, rng), name) > 1e-6


# GW-type measures are non-convex: from a reordered input the solver may stop at another
# local optimum, so only the exact case (an isometric copy, value 0) is order-free for them.
_LOCAL_OPTIMUM = {"gw", "agw"}


@pytest.mark.parametrize("name", [m for m in MEASURES if not get_measure(m).paired])
def test_unpaired_measures_ignore_sample_order(name):
    X, Y = _pair()
    perm = np.random.default_rng(0).permutation(len(Y))
    assert distance(X, X[perm], name) == pytest.approx(0.0, abs=1e-9)
    if name not in _LOCAL_OPTIMUM:
        assert distance(X, Y[perm], name) == pytest.approx(distance(X, Y, name), rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("name", [m for m in MEASURES if get_measure(m).paired])
def test_paired_measures_notice_shuffled_samples(name):
    X, _ = _pair()
    perm = np.random.default_rng(0).permutation(len(X))
    assert distance(X, X[perm], name) > 1e-3


@pytest.mark.parametrize("name", list_measures(handles_different_dims=False))
def test_equal_width_measures_refuse_different_widths(name):
    X = np.random.default_rng(0).normal(size=(30, 3))
    Y = np.random.default_rng(1).normal(size=(30, 4))
    with pytest.raises(ValueError, match=f"measure '{name}' needs layers of equal width.*3.*4"):
        distance(X, Y, name)
    m = get_measure(name)  # a direct call of compare refuses too, rather than broadcasting
    with pytest.raises(ValueError, match="equal width"):
        m.compare(m.prepare(X), m.prepare(Y))


@pytest.mark.parametrize("name", list_measures(handles_different_dims=True))
def test_different_width_measures_accept_them(name):
    rng = np.random.default_rng(2)
    X = rng.normal(size=(40, 3))
    Y = np.tanh(X @ rng.normal(size=(3, 9)))
    value = distance(X, Y, name)
    assert np.isfinite(value) and value >= 0


@pytest.mark.parametrize("name", MEASURES)
def test_unknown_option_is_refused(name):
    X, Y = _pair()
    with pytest.raises(TypeError, match=f"unknown option 'bogus' for measure '{name}'"):
        distance(X, Y, name, bogus=1)


def test_pairwise_over_ten_layers_with_every_measure():
    equal = layer_chain(n=36, widths=(6,) * 10, seed=4)
    mixed = layer_chain(n=36, widths=(4, 6, 8, 5, 7, 6, 3, 9, 6, 5), seed=4)
    for name in MEASURES:
        reps = mixed if get_measure(name).handles_different_dims else equal
        result = pairwise(reps, name)
        M = result.matrix
        assert M.shape == (10, 10) and result.measure == name
        assert np.all(np.isfinite(M)) and np.all(M >= 0)
        assert np.allclose(M, M.T) and np.all(np.diag(M) == 0)
        assert np.all(M[~np.eye(10, dtype=bool)] > 0), name


def test_docs_table_matches_registry():
    from pathlib import Path

    from subnetscope.measures.docs import measures_markdown

    text = (Path(__file__).parents[2] / "docs" / "measures.md").read_text(encoding="utf-8")
    assert measure_table() in text
    assert text == measures_markdown(), "docs/measures.md is stale: run `python -m subnetscope.measures.docs`"
    for name in MEASURES:
        assert f"\n## {name}\n" in text, f"docs/measures.md has no section for {name!r}"
