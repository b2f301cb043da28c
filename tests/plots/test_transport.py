import numpy as np
import pytest

from subnetscope.measures.gw import gromov_wasserstein, intra_distances
from subnetscope.plots import plot_transport_plan


def test_a_permuted_copy_gives_the_permutation_plan_drawn_as_ones(rng):
    X = rng.normal(size=(12, 3))
    perm = rng.permutation(12)
    result = gromov_wasserstein(intra_distances(X), intra_distances(X[perm]))
    ax = plot_transport_plan(result, row_label="layer 3", col_label="layer 4")
    image = np.asarray(ax.images[0].get_array())
    np.testing.assert_allclose(image, result.plan * 12)
    # sample perm[j] of X sits at row j of X[perm]: the plan must match them
    np.testing.assert_allclose(image[perm, np.arange(12)], 1.0, atol=1e-9)
    assert ax.get_xlabel() == "layer 4" and ax.get_ylabel() == "layer 3"
    assert "GW =" in ax.get_title()


def test_plain_arrays_and_bad_plans():
    ax = plot_transport_plan(np.full((3, 2), 1 / 6))
    np.testing.assert_allclose(ax.images[0].get_array(), np.full((3, 2), 0.5))
    with pytest.raises(ValueError, match="must sum to 1"):
        plot_transport_plan(np.eye(3))
    with pytest.raises(ValueError, match="non-negative"):
        plot_transport_plan(np.array([[0.6, -0.1], [0.25, 0.25]]))
    with pytest.raises(ValueError, match=r"2-D coupling \(n_a, n_b\), got shape \(4,\)"):
        plot_transport_plan(np.full(4, 0.25))
