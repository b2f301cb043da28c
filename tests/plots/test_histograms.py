import numpy as np
import pytest
from scipy.spatial.distance import pdist
from scipy.stats import entropy

from subnetscope.plots import intra_histograms, kl_divergence, plot_intra_histograms
from tests.conftest import layer_chain, random_rotation


def test_kl_matches_scipy_on_smoothed_histograms():
    p = np.array([3.0, 0.0, 5.0, 2.0])
    q = np.array([1.0, 4.0, 0.0, 5.0])
    eps = 1e-3
    ps = p / p.sum() + eps
    qs = q / q.sum() + eps
    assert kl_divergence(p, q, eps) == pytest.approx(entropy(ps / ps.sum(), qs / qs.sum()), rel=1e-12)
    assert kl_divergence(p, p) == pytest.approx(0.0, abs=1e-15)
    assert np.isfinite(kl_divergence(p, q, 1e-12))  # q has an empty bin where p has mass


@pytest.mark.parametrize("p, q, match", [
    ([1, 2], [1, 2, 3], "same bins"),
    ([0, 0], [1, 1], "not all zero"),
    ([-1, 2], [1, 1], "non-negative"),
])
def test_kl_refuses_bad_histograms(p, q, match):
    with pytest.raises(ValueError, match=match):
        kl_divergence(p, q)


def test_histograms_count_every_pair_on_shared_bins():
    reps = layer_chain(30, (4, 6, 5), seed=3)
    h = intra_histograms(reps, bins=12)
    assert h.names == ("layer0", "layer1", "layer2")
    assert h.edges[0] == 0.0 and h.edges[-1] == pytest.approx(1.0)  # normalize="max"
    for k, Y in enumerate(reps.values()):
        d = pdist(Y)
        expected, _ = np.histogram(d / d.max(), bins=h.edges)
        np.testing.assert_allclose(h.probabilities[k], expected / expected.sum())
    for k in range(2):
        assert h.kl[k] == pytest.approx(kl_divergence(h.probabilities[k + 1], h.probabilities[k], h.eps))


def test_kl_is_zero_between_a_layer_and_its_rotation_and_positive_after_a_change(rng):
    X = rng.normal(size=(40, 6))
    reps = {"a": X, "rotated": X @ random_rotation(6, rng) * 3.0, "squashed": np.tanh(4 * X[:, :2])}
    h = intra_histograms(reps, bins=15)
    assert h.kl[0] == pytest.approx(0.0, abs=1e-9)
    assert h.kl[1] > 0.05


def test_histogram_inputs_are_checked():
    with pytest.raises(ValueError, match="at least 2 layer names"):
        intra_histograms({"a": np.zeros((5, 2))})
    with pytest.raises(ValueError, match="`bins` must be an integer of at least 2"):
        intra_histograms(layer_chain(10, (2, 2)), bins=1)
    with pytest.raises(ValueError, match=r"`reps\[.b.\]` has 6 samples but the other layers have 5"):
        intra_histograms({"a": np.ones((5, 2)), "b": np.ones((6, 2))})


def test_histogram_panels_are_titled_with_the_kl_to_the_previous_layer():
    h = intra_histograms(layer_chain(25, (3, 4, 4, 5), seed=1), bins=10)
    fig = plot_intra_histograms(h, ncols=2)
    assert len(fig.axes) == 4
    assert fig.axes[0].get_title() == "layer0"
    for k in range(1, 4):
        assert fig.axes[k].get_title() == f"layer{k}\nKL = {h.kl[k - 1]:.3f}"
        heights = [patch.get_height() for patch in fig.axes[k].patches]
        np.testing.assert_allclose(heights, h.probabilities[k])
