"""Property-based checks (hypothesis): random shapes, dtypes, NaNs and degenerate layers give
either a valid result or the documented error — never a crash or a silent NaN."""

from __future__ import annotations

import re

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from subnetscope import distance, intra_distances, list_measures, pairwise

DTYPES = st.sampled_from([np.float64, np.float32, np.float16, np.int64, np.int8, np.bool_])
DOCUMENTED = (
    r"must have shape|needs at least|contains \d+ NaN|must hold real numbers|has no features|"
    r"samples but|needs layers of equal width|every layer must see the same inputs|"
    r"has no variance across|RDM is constant|needs more than \d+ samples"  # measures undefined on a constant layer (docs/measures.md)
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
    kind = draw(st.sampled_from(["plain", "nan", "inf", "constant", "duplicate"]))
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
