"""Property-based checks (hypothesis): random shapes, dtypes, NaNs and degenerate layers give
either a valid result or the documented error — never a crash or a silent NaN."""

from __future__ import annotations

import re

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from subnetscope import LayerDistances, distance, find_subnetworks, intra_distances, list_measures, pairwise

DTYPES = st.sampled_from([np.float64, np.float32, np.float16, np.int64, np.int8, np.bool_])
DOCUMENTED = (
    r"must have shape|needs at least|contains \d+ NaN|must hold real numbers|has no features|"
    r"samples but|needs layers of equal width|every layer must see the same inputs|"
    r"has values of magnitude up to|"  # beyond ±1e100 (or a non-zero layer below 1e-100)
    # constant or rank-deficient layers, for the measures that are undefined on them (docs/reliability.md)
    r"has no variance|RDM is constant|needs more than \d+ samples|SVD directions|"
    r"gave nan for|gave inf for"  # a measure that could not give a number: an error, not a NaN in the result
)
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def arrays(draw, min_rows=0, max_rows=9):
    dtype = draw(DTYPES)
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=5))
    shape = (draw(st.integers(min_rows, max_rows)),) + shape[1:]
    if dtype is np.bool_:
        elements = st.booleans()
    elif np.issubdtype(dtype, np.integer):
        elements = st.integers(-5, 5)
    else:
        elements = st.floats(-1e3, 1e3, allow_nan=False, width=16 if dtype is np.float16 else 64)
    array = draw(hnp.arrays(dtype, shape, elements=elements))
    kind = draw(st.sampled_from(["plain", "nan", "inf", "constant", "duplicate", "huge", "tiny"]))
    if kind in ("huge", "tiny") and array.size and dtype is np.float64:
        array = array * draw(st.sampled_from([1e90, 1e120, 1e-90, 1e-120] if kind == "huge" else [1e-300, 5e-324]))
    if array.size and np.issubdtype(dtype, np.floating):
        if kind == "nan":
            array.flat[draw(st.integers(0, array.size - 1))] = np.nan
        elif kind == "inf":
            array.flat[draw(st.integers(0, array.size - 1))] = -np.inf
    if kind == "constant" and array.size:
        array[...] = array.flat[0]
    if kind == "duplicate" and array.shape[0] > 1:
        array[1] = array[0]
    return array


def _valid_or_documented(call):
    try:
        return call()
    except (ValueError, TypeError) as exc:
        assert re.search(DOCUMENTED, str(exc)), f"undocumented error: {exc}"
        return None


@SETTINGS
@given(arrays(), st.sampled_from(["euclidean", "sqeuclidean", "cosine"]), st.sampled_from(["max", "mean", "none"]))
def test_intra_distances(Y, metric, normalize):
    D = _valid_or_documented(lambda: intra_distances(Y, metric=metric, normalize=normalize))
    if D is not None:
        n = Y.shape[0]
        assert D.shape == (n, n)
        assert np.isfinite(D).all() and (D >= 0).all()
        assert np.array_equal(D, D.T) and not np.diag(D).any()


@SETTINGS
@given(arrays(min_rows=0, max_rows=7), arrays(min_rows=0, max_rows=7), st.sampled_from(list_measures()))
def test_distance(Y1, Y2, measure):
    value = _valid_or_documented(lambda: distance(Y1, Y2, measure))
    if value is not None:
        assert np.isfinite(value) and value >= -1e-9


@SETTINGS
@given(st.lists(arrays(min_rows=6, max_rows=6), min_size=1, max_size=4))
def test_pairwise(layers):
    reps = {f"layer{i}": Y for i, Y in enumerate(layers)}
    result = _valid_or_documented(lambda: pairwise(reps))
    if result is not None:
        assert result.matrix.shape == (len(layers),) * 2
        assert np.isfinite(result.matrix).all() and (result.matrix >= 0).all()
        np.testing.assert_array_equal(result.matrix, result.matrix.T)


@st.composite
def layer_matrices(draw):
    L = draw(st.integers(0, 8))
    kind = draw(st.sampled_from(["random", "zeros", "duplicates", "blocks", "huge", "nan", "asymmetric",
                                 "negative", "diagonal"]))
    values = st.floats(0, 1e3, allow_nan=False)
    A = draw(hnp.arrays(np.float64, (L, L), elements=values)) if L else np.zeros((0, 0))
    D = (A + A.T) / 2
    np.fill_diagonal(D, 0.0)
    if L:
        if kind == "zeros":
            D[:] = 0.0
        elif kind == "duplicates":
            D[:, 0] = D[0, :] = D[:, -1]
            D[0, -1] = D[-1, 0] = D[0, 0] = 0.0
        elif kind == "blocks":
            labels = np.array(draw(st.lists(st.integers(0, 2), min_size=L, max_size=L)))
            D = np.where(labels[:, None] == labels[None, :], 0.0, 1.0) + 1e-3 * D
            np.fill_diagonal(D, 0.0)
        elif kind == "huge":
            D = D * 1e300
        elif kind == "nan":
            D[draw(st.integers(0, L - 1)), 0] = np.nan
        elif kind == "asymmetric" and L > 1:
            D[0, 1] += 1.0
        elif kind == "negative" and L > 1:
            D[0, 1] = D[1, 0] = -1.0
        elif kind == "diagonal":
            D[0, 0] = 1.0
    return D


@SETTINGS
@given(layer_matrices(), st.sampled_from(["spectral", "contiguous"]), st.one_of(st.none(), st.integers(1, 9)))
def test_find_subnetworks(D, method, n_groups):
    names = tuple(f"layer{i}" for i in range(len(D)))
    documented = (r"needs at least 2 layers|must be symmetric|NaN or Inf|must be non-negative|"
                  r"`n_groups` must be between 1 and|zero diagonal|must be a square")
    try:
        found = find_subnetworks(LayerDistances(names, D), n_groups=n_groups, method=method)
    except (ValueError, TypeError) as exc:
        assert re.search(documented, str(exc)), f"undocumented error: {exc}"
        return
    assert found.labels.shape == (len(D),)
    assert found.n_groups == len(set(found.labels.tolist())) >= 1
    assert sorted(sum(found.groups, [])) == sorted(names)
    if n_groups is not None:
        assert found.n_groups <= n_groups
    for k, score in found.selection["scores"].items():
        assert score is None or np.isfinite(score) or method == "contiguous"
