import numpy as np
import pytest
from sklearn.neighbors import NearestNeighbors

from subnetscope.plots import neighbour_overlap, plot_tsne, top_neighbours, tsne_embeddings
from tests.conftest import layer_chain, random_rotation


def test_top_neighbours_match_scikit_learn(rng):
    X = rng.normal(size=(40, 3))
    nn = NearestNeighbors(n_neighbors=6).fit(X)
    _, idx = nn.kneighbors(X)
    # scikit-learn lists each point itself first (distance 0); no ties with continuous data
    np.testing.assert_array_equal(top_neighbours(X, 5), idx[:, 1:])


def test_top_neighbours_refuse_k_out_of_range(rng):
    with pytest.raises(ValueError, match=r"`k` must be an integer in 1\.\.9 for 10 samples, got 10"):
        top_neighbours(rng.normal(size=(10, 2)), 10)


def test_jaccard_by_hand():
    # samples on a line: 0 1 2 3 10 11; in "moved", sample 0's nearest neighbours change
    a = np.array([[0.0], [1], [2], [3], [10], [11]])
    b = np.array([[0.0], [20], [21], [3], [1], [2]])
    o = neighbour_overlap({"a": a, "b": b}, k=2, samples=[0])
    # N_a(0) = {1, 2}; N_b(0) = {4, 5} (at 1 and 2): no overlap
    assert o.jaccard.tolist() == [[1.0, 0.0]]
    o = neighbour_overlap({"a": a, "b": b}, k=3, samples=[0])
    # N_a(0) = {1, 2, 3}; N_b(0) = {4, 5, 3}: 1 shared of 5
    assert o.jaccard[0, 1] == pytest.approx(1 / 5)


def test_overlap_is_one_under_rotation_and_scaling_and_table_has_means(rng):
    X = rng.normal(size=(30, 4))
    emb = {"first": X, "rotated": 2.5 * X @ random_rotation(4, rng), "noise": rng.normal(size=(30, 4))}
    o = neighbour_overlap(emb, k=5, samples=[0, 7, 29])
    np.testing.assert_allclose(o.jaccard[:, :2], 1.0)
    assert np.all(o.jaccard[:, 2] < 1.0)
    table = o.to_table()
    assert table["columns"] == ["sample", "first", "rotated", "noise", "mean"]
    assert [row[0] for row in table["rows"]] == ["sample 0", "sample 7", "sample 29"]
    for row, jac in zip(table["rows"], o.jaccard):
        assert row[-1] == pytest.approx(jac[1:].mean(), abs=1e-3)


def test_overlap_arguments_are_checked(rng):
    emb = {"layer0": rng.normal(size=(8, 2)), "layer1": rng.normal(size=(8, 2))}
    with pytest.raises(KeyError, match="did you mean 'layer1'"):
        neighbour_overlap(emb, reference="layer11")
    with pytest.raises(ValueError, match=r"row indices in 0\.\.7"):
        neighbour_overlap(emb, samples=[8])


def test_tsne_embeds_every_layer_and_plots_one_panel_each():
    reps = layer_chain(30, (4, 6, 5), seed=2)
    emb = tsne_embeddings(reps, seed=0, max_iter=250)
    assert list(emb) == list(reps) and all(e.shape == (30, 2) for e in emb.values())
    again = tsne_embeddings({"layer1": reps["layer1"]}, seed=0, max_iter=250)
    np.testing.assert_allclose(emb["layer1"], again["layer1"])  # seeded: reproducible
    fig = plot_tsne(emb, labels=np.arange(30) % 3, highlight=[0, 5])
    assert [ax.get_title() for ax in fig.axes] == ["layer0", "layer1", "layer2"]
    np.testing.assert_allclose(fig.axes[1].collections[0].get_offsets(), emb["layer1"])
    np.testing.assert_allclose(fig.axes[1].collections[1].get_offsets(), emb["layer1"][[0, 5]])


def test_tsne_arguments_are_checked():
    reps = layer_chain(10, (3, 3))
    with pytest.raises(ValueError, match=r"`perplexity` must be in \(0, n_samples = 10\), got 10"):
        tsne_embeddings(reps, perplexity=10)
    with pytest.raises(ValueError, match=r"must have shape \(n_samples, 2\)"):
        plot_tsne({"a": np.zeros((5, 3))})
