import numpy as np
import pytest

from subnetscope.engine.layer_distances import LayerDistances
from subnetscope.plots import plot_cross_distances, plot_distances, plot_distances_grid, save_figure
from subnetscope.plots._common import boundary_lines


def _distances(L, seed=0, measure="gw"):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(L, 3))
    M = np.linalg.norm(X[:, None] - X[None], axis=-1)
    return LayerDistances(tuple(f"block{i}.out" for i in range(L)), M, measure, n_samples=50)


def _line_positions(ax):
    """(horizontal y positions, vertical x positions) of the boundary lines."""
    rows, cols = [], []
    for line in boundary_lines(ax):
        x, y = line.get_xdata(), line.get_ydata()
        # axhline spans x in axes units [0, 1] at a fixed y; axvline the other way round
        if y[0] == y[1]:
            rows.append(float(y[0]))
        else:
            cols.append(float(x[0]))
    return sorted(rows), sorted(cols)


def test_heatmap_shows_the_matrix_names_and_boundaries_where_groups_start():
    d = _distances(12)
    ax = plot_distances(d, boundaries=[4, 9])
    np.testing.assert_array_equal(ax.images[0].get_array(), d.matrix)
    assert [t.get_text() for t in ax.get_xticklabels()] == list(d.names)
    assert [t.get_text() for t in ax.get_yticklabels()] == list(d.names)
    rows, cols = _line_positions(ax)
    assert rows == [3.5, 8.5] and cols == [3.5, 8.5]
    assert "gw" in ax.get_title() and "n = 50" in ax.get_title()


def test_boundaries_from_a_subnetwork_record():
    d = _distances(6)
    record = {"boundaries": [2], "ranges": []}
    rows, cols = _line_positions(plot_distances(d, boundaries=record))
    assert rows == cols == [1.5]
    # the Subnetworks that find_subnetworks returns, as the docs say
    from subnetscope.analysis.subnetworks import Subnetworks

    groups = Subnetworks(names=d.names, labels=[0, 0, 0, 1, 1, 0], method="spectral")
    rows, cols = _line_positions(plot_distances(d, boundaries=groups))
    assert rows == cols == [2.5, 4.5]


def test_labels_are_thinned_for_many_layers_but_keep_order():
    d = _distances(120)
    ax = plot_distances(d, max_labels=40)
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert 20 <= len(labels) <= 40
    assert labels[0] == "block0.out" and labels == [d.names[int(t)] for t in ax.get_xticks()]
    assert max(t.get_fontsize() for t in ax.get_xticklabels()) < 8


@pytest.mark.parametrize("bad", [[0], [12], [-1], [3, 40]])
def test_boundaries_out_of_range_are_refused(bad):
    with pytest.raises(ValueError, match=r"`boundaries` .* must be in 1\.\.11 for 12 layers"):
        plot_distances(_distances(12), boundaries=bad)


def test_grid_has_one_panel_per_measure_with_its_own_boundaries():
    panels = {"gw": _distances(10, 0, "gw"), "cka": _distances(10, 1, "cka"), "rsa": _distances(10, 2, "rsa")}
    fig = plot_distances_grid(panels, boundaries={"gw": [3], "cka": [5, 7]})
    heatmaps = [ax for ax in fig.axes if ax.images]
    assert [ax.get_title() for ax in heatmaps] == ["gw", "cka", "rsa"]
    for ax, (label, d) in zip(heatmaps, panels.items()):
        np.testing.assert_array_equal(ax.images[0].get_array(), d.matrix)
    assert _line_positions(heatmaps[0])[0] == [2.5]
    assert _line_positions(heatmaps[1])[0] == [4.5, 6.5]
    assert _line_positions(heatmaps[2]) == ([], [])


def test_grid_same_boundaries_on_every_panel_and_bad_titles():
    panels = [_distances(8, 0, "gw"), _distances(8, 1, "cka")]
    fig = plot_distances_grid(panels, boundaries=[4], ncols=1)
    assert all(_line_positions(ax)[1] == [3.5] for ax in fig.axes if ax.images)
    with pytest.raises(ValueError, match="`titles` has 1 entries for 2 panels"):
        plot_distances_grid(panels, titles=["only one"])
    with pytest.raises(ValueError, match="at least one LayerDistances"):
        plot_distances_grid([])


def test_cross_model_heatmap_is_rectangular_with_both_models_names():
    M = np.arange(12.0).reshape(3, 4)
    ax = plot_cross_distances(M, ["a0", "a1", "a2"], ["b0", "b1", "b2", "b3"], row_label="dense", col_label="sparse")
    np.testing.assert_array_equal(ax.images[0].get_array(), M)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["b0", "b1", "b2", "b3"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a0", "a1", "a2"]
    assert ax.get_xlabel() == "sparse" and ax.get_ylabel() == "dense"


def test_cross_model_heatmap_refuses_mismatched_names():
    with pytest.raises(ValueError, match=r"shape \(3, 4\) but there are 3 row names and 3 column names"):
        plot_cross_distances(np.zeros((3, 4)), ["a"] * 3, ["b"] * 3)
    with pytest.raises(ValueError, match="NaN or Inf"):
        plot_cross_distances(np.full((1, 1), np.nan), ["a"], ["b"])


def test_save_figure_writes_a_png(tmp_path):
    path = save_figure(plot_distances(_distances(5)).figure, tmp_path / "h.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_importing_plots_and_report_does_not_load_matplotlib():
    import subprocess
    import sys

    code = ("import sys, subnetscope.plots, subnetscope.report; "
            "print(sorted(m for m in ('matplotlib', 'sklearn', 'torch') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
