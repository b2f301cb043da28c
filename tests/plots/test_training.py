import numpy as np
import pytest

from subnetscope.engine.layer_distances import LayerDistances
from subnetscope.plots import mean_distance, plot_checkpoint_matrices, plot_training_curves


def _d(scale, L=5):
    x = np.arange(L, dtype=float) * scale
    return LayerDistances(tuple(f"l{i}" for i in range(L)), np.abs(x[:, None] - x[None]), "gw")


def test_mean_distance_averages_distinct_pairs():
    # positions 0, 1, 2, 3, 4: pair gaps sum to 20 over 10 pairs
    assert mean_distance(_d(1.0)) == pytest.approx(2.0)
    assert mean_distance(_d(0.5)) == pytest.approx(1.0)


def test_checkpoint_panels_share_one_colour_scale():
    checkpoints = {0: _d(0.1), 500: _d(1.0), 2000: _d(3.0)}
    fig = plot_checkpoint_matrices(checkpoints, steps=[2000, 0], boundaries=[2])
    panels = [ax for ax in fig.axes if ax.images]
    assert [ax.get_title() for ax in panels] == ["step 2000", "step 0"]
    for ax in panels:
        assert ax.images[0].get_clim() == (0.0, pytest.approx(12.0))
    np.testing.assert_allclose(panels[1].images[0].get_array(), checkpoints[0].matrix)
    with pytest.raises(KeyError, match=r"`steps` \[7\] are not in `checkpoints`"):
        plot_checkpoint_matrices(checkpoints, steps=[7])


def test_training_curves_draw_mean_distance_accuracy_and_loss():
    steps = [0, 100, 200, 300]
    ax = plot_training_curves(steps, [0.1, 0.2, 0.5, 0.6], accuracy=[0.1, 0.3, 0.9, 1.0],
                              loss=[2.0, 1.5, 0.2, 0.1])
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [0.1, 0.2, 0.5, 0.6])
    right = {line.get_label(): line for line in ax.right_axis_.lines}
    np.testing.assert_allclose(right["accuracy"].get_ydata(), [0.1, 0.3, 0.9, 1.0])
    np.testing.assert_allclose(right["loss"].get_ydata(), [2.0, 1.5, 0.2, 0.1])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["mean gw", "accuracy", "loss"]
    with pytest.raises(ValueError, match="`accuracy` has 2 values for 4 steps"):
        plot_training_curves(steps, [0.0] * 4, accuracy=[0.1, 0.2])
