import numpy as np
import pytest

from subnetscope.engine.layer_distances import LayerDistances
from subnetscope.plots import distance_to_previous, plot_distance_to_previous


def _d(M, measure, names=None):
    names = names or [f"l{i}" for i in range(len(M))]
    return LayerDistances(tuple(names), M, measure)


def _chain_matrix(steps):
    """Distances between points on a line with the given gaps: d(i, j) = |x_i - x_j|."""
    x = np.concatenate([[0.0], np.cumsum(steps)])
    return np.abs(x[:, None] - x[None, :])


def test_distance_to_previous_is_the_subdiagonal():
    steps = [0.5, 0.1, 2.0, 0.3]
    np.testing.assert_allclose(distance_to_previous(_d(_chain_matrix(steps), "gw")), steps)
    with pytest.raises(ValueError, match="at least 2 layers"):
        distance_to_previous(_d(np.zeros((1, 1)), "gw"))


def test_one_line_per_measure_scaled_by_its_max_peaks_where_the_jump_is():
    gw = _d(_chain_matrix([0.5, 0.1, 2.0, 0.3]), "gw")
    cka = _d(_chain_matrix([0.05, 0.01, 0.4, 0.02]), "cka")
    ax = plot_distance_to_previous({"gw": gw, "cka": cka}, boundaries=[3])
    lines = {line.get_label(): line for line in ax.lines if line.get_gid() != "subnetscope-boundary"}
    assert set(lines) == {"gw", "cka"}
    np.testing.assert_array_equal(lines["gw"].get_xdata(), [1, 2, 3, 4])
    np.testing.assert_allclose(lines["gw"].get_ydata(), np.array([0.5, 0.1, 2.0, 0.3]) / 2.0)
    np.testing.assert_allclose(lines["cka"].get_ydata(), np.array([0.05, 0.01, 0.4, 0.02]) / 0.4)
    assert all(np.argmax(line.get_ydata()) == 2 for line in lines.values())
    (boundary,) = [line for line in ax.lines if line.get_gid() == "subnetscope-boundary"]
    assert boundary.get_xdata()[0] == 3
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["gw", "cka"]


def test_raw_scale_and_sequence_input():
    gw = _d(_chain_matrix([0.5, 0.1]), "gw")
    ax = plot_distance_to_previous([gw], scale="none")
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [0.5, 0.1])


def test_measures_must_share_the_layers():
    a = _d(_chain_matrix([1.0, 1.0]), "gw")
    b = _d(_chain_matrix([1.0, 1.0]), "cka", names=["x", "y", "z"])
    with pytest.raises(ValueError, match="every measure must compare the same layers"):
        plot_distance_to_previous({"gw": a, "cka": b})
    with pytest.raises(ValueError, match="did you mean 'max'"):
        plot_distance_to_previous({"gw": a}, scale="maxx")
