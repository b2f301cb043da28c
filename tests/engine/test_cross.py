"""cross_pairwise: the rectangular matrix between two models through the all-pairs engine."""

from __future__ import annotations

import numpy as np
import pytest

import subnetscope as ss
from subnetscope.engine.cross import _cross_init, _CrossSchedule
from subnetscope.measures.gw import gromov_wasserstein, intra_distances
from tests.conftest import layer_chain


def _two_models(n=36):
    a = layer_chain(n=n, widths=(4, 6, 5, 7), seed=0)
    b = layer_chain(n=n, widths=(3, 8, 6), seed=1)
    b = {f"b.{k}": v for k, v in b.items()}
    return a, b


def test_with_itself_it_is_pairwise():
    reps = layer_chain(n=40, widths=(4, 6, 6, 8, 5), seed=0)
    square = ss.pairwise(reps, warm_start=False)
    cross = ss.cross_pairwise(reps, reps, warm_start=False)
    upper = np.triu_indices(len(reps), 1)
    # the same pair (state i, state j) through the same compute step: the same number
    np.testing.assert_array_equal(cross.matrix[upper], square.matrix[upper])
    np.testing.assert_allclose(np.diag(cross.matrix), 0.0, atol=1e-12)
    assert cross.names == cross.columns == square.names
    cka_square, cka_cross = ss.pairwise(reps, "cka"), ss.cross_pairwise(reps, reps, "cka")
    np.testing.assert_allclose(cka_cross.matrix, cka_square.matrix, atol=1e-12)


def test_rectangular_matches_gw_pair_by_pair():
    a, b = _two_models()
    d = ss.cross_pairwise(a, b, warm_start=False)
    assert d.matrix.shape == (4, 3) and d.shape == (4, 3) and d.is_cross
    assert d.row_names == tuple(a) and d.column_names == tuple(b)
    for i, (na, ya) in enumerate(a.items()):
        for j, (nb, yb) in enumerate(b.items()):
            reference = gromov_wasserstein(intra_distances(ya), intra_distances(yb)).value
            assert d[na, nb] == pytest.approx(reference, rel=1e-10, abs=1e-14)
            assert d.matrix[i, j] == d[na, nb]
    assert d.info["n_pairs"] == 12 and d.info["n_computed"] == 12


def test_warm_starts_only_lower_and_do_not_depend_on_the_runner():
    a, b = _two_models()
    cold = ss.cross_pairwise(a, b, warm_start=False)
    warm = ss.cross_pairwise(a, b)
    assert (warm.matrix <= cold.matrix + 1e-12).all()
    assert warm.info["warm_start"] is True and warm.info["gw_wins"].get("init", 0) > 0  # the chain is used
    processes = ss.cross_pairwise(a, b, n_jobs=2)
    np.testing.assert_array_equal(processes.matrix, warm.matrix)
    assert processes.info["scheduler"] == "processes"


@pytest.mark.slow
def test_dask_gives_the_same_matrix():
    distributed = pytest.importorskip("distributed")
    a, b = _two_models()
    local = ss.cross_pairwise(a, b)
    with distributed.LocalCluster(n_workers=1, processes=False, threads_per_worker=2,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        remote = ss.cross_pairwise(a, b, client=client)
    np.testing.assert_array_equal(remote.matrix, local.matrix)
    assert remote.info["scheduler"] == "dask"


def test_cross_init_follows_the_chain_of_permutations():
    rng = np.random.default_rng(0)
    p = {key: rng.permutation(5) for key in ((1, 0), (0, 0), (0, 1))}
    init = _cross_init(1, 1, p)
    for sample in range(5):  # a_1 -> b_0 -> a_0 -> b_1
        back = int(np.flatnonzero(p[(0, 0)] == p[(1, 0)][sample])[0])
        assert init[sample] == p[(0, 1)][back]
    assert _cross_init(0, 3, p) is None and _cross_init(2, 2, p) is None
    schedule = _CrossSchedule(2, 2, True, {})
    assert sorted((i, j) for i, j, _ in schedule.initial()) == [(0, 0), (0, 1), (1, 0)]


def test_cache_resumes_and_refuses_a_one_model_cache(tmp_path):
    a, b = _two_models()
    first = ss.cross_pairwise(a, b, cache_dir=tmp_path / "cross")
    files = sorted((tmp_path / "cross" / "pairs").glob("*.npz"))
    assert len(files) == 12
    for file in files[5:]:
        file.unlink()
    again = ss.cross_pairwise(a, b, cache_dir=tmp_path / "cross")
    assert again.info["n_cached"] == 5 and again.info["n_computed"] == 7
    np.testing.assert_array_equal(again.matrix, first.matrix)
    ss.pairwise(a, cache_dir=tmp_path / "square")
    with pytest.raises(ValueError, match=r"different inputs: .*kind \(cache: one model, now: two models\)"):
        ss.cross_pairwise(a, b, cache_dir=tmp_path / "square")
    changed = {**b, "b.layer1": b["b.layer1"] + 1.0}
    with pytest.raises(ValueError, match=r"column layer data \(data of \['b.layer1'\] changed\)"):
        ss.cross_pairwise(a, changed, cache_dir=tmp_path / "cross")


def test_save_load_round_trip_keeps_rows_and_columns(tmp_path):
    a, b = _two_models()
    d = ss.cross_pairwise(a, b, "cka")
    for suffix in (".npz", ".json"):
        back = ss.LayerDistances.load(d.save(tmp_path / f"cross{suffix}"))
        assert back.names == d.names and back.columns == d.columns
        np.testing.assert_array_equal(back.matrix, d.matrix)
    square = ss.pairwise(a, "cka")
    with np.load(square.save(tmp_path / "square.npz")) as archive:
        assert "columns" not in archive.files  # a square file is as before
    assert ss.LayerDistances.load(tmp_path / "square.npz").columns is None
    sub = d.subset(["layer2", "layer0"], ["b.layer2"])
    assert sub.matrix.shape == (2, 1) and sub["layer0", "b.layer2"] == d["layer0", "b.layer2"]


def test_bad_inputs_say_what_is_wrong():
    a, b = _two_models()
    short = {k: v[:30] for k, v in b.items()}
    with pytest.raises(ValueError, match="`reps_a` has 36 samples per layer but `reps_b` has 30"):
        ss.cross_pairwise(a, short)
    with pytest.raises(ValueError, match="`reps_b` is empty"):
        ss.cross_pairwise(a, {})
    with pytest.raises(TypeError, match="`reps_a` must map layer name"):
        ss.cross_pairwise([1, 2], b)
    with pytest.raises(ValueError, match=r"`reps_b\['b.layer0'\]` has 30 samples but the other layers have 36"):
        ss.cross_pairwise(a, {**b, "b.layer0": b["b.layer0"][:30]})
    with pytest.raises(ValueError, match="measure 'euclidean' needs layers of equal width"):
        ss.cross_pairwise(a, b, "euclidean")
    with pytest.raises(ValueError, match="`n_jobs` must be a positive integer"):
        ss.cross_pairwise(a, b, n_jobs=0)
    d = ss.cross_pairwise(a, b, "cka")
    with pytest.raises(KeyError, match=r"no column layer named 'b.layr1'; did you mean 'b.layer1'"):
        d["layer0", "b.layr1"]
    with pytest.raises(ValueError, match="sub-networks are found in one model's square matrix"):
        ss.find_subnetworks(d)
    with pytest.raises(ValueError, match=r"`matrix` must have shape \(2, 3\) for 2 names \(rows\) and 3 columns"):
        ss.LayerDistances(("a", "b"), np.zeros((3, 2)), columns=("x", "y", "z"))
    with pytest.raises(ValueError, match=r"`columns` must be unique, got repeats: \['x'\]"):
        ss.LayerDistances(("a",), np.zeros((1, 2)), columns=("x", "x"))


def test_compare_command_writes_the_matrix_figure_and_nearest_layers(tmp_path, capsys):
    from subnetscope.cli import main

    a, b = _two_models()
    np.savez(tmp_path / "dense.npz", **a)
    np.savez(tmp_path / "sparse.npz", **b)
    out = tmp_path / "out"
    code = main(["compare", str(tmp_path / "dense.npz"), str(tmp_path / "sparse.npz"), "--measure", "cka",
                 "--out", str(out), "--no-progress"])
    assert code == 0
    d = ss.LayerDistances.load(out / "cross_cka.npz")
    np.testing.assert_allclose(d.matrix, ss.cross_pairwise(a, b, "cka").matrix, atol=1e-12)
    assert d.columns == tuple(b) and (out / "cross_cka.png").stat().st_size > 0
    assert d.info["models"]["labels"] == ["dense", "sparse"]
    printed = capsys.readouterr().out
    nearest = d.columns[int(d.matrix[0].argmin())]
    assert f"layer0 -> {nearest}" in printed and "4 × 3 layers" in printed
    np.savez(tmp_path / "short.npz", **{k: v[:20] for k, v in b.items()})
    assert main(["compare", str(tmp_path / "dense.npz"), str(tmp_path / "short.npz"), "--out", str(out)]) == 2
    assert "`reps_a` has 36 samples per layer but `reps_b` has 20" in capsys.readouterr().err


def test_cross_heatmap_takes_the_result_and_marks_nearest_columns():
    import matplotlib

    matplotlib.use("Agg")
    from subnetscope.plots import plot_cross_distances, plot_distances

    a, b = _two_models()
    d = ss.cross_pairwise(a, b, "cka")
    ax = plot_cross_distances(d, nearest=True)
    assert [t.get_text() for t in ax.get_yticklabels()] == list(a)
    assert [t.get_text() for t in ax.get_xticklabels()] == list(b)
    dots = ax.collections[0].get_offsets()
    np.testing.assert_array_equal(np.asarray(dots)[:, 0], d.matrix.argmin(axis=1))
    assert plot_distances(d).get_images()[0].get_array().shape == (4, 3)
    with pytest.raises(ValueError, match="`boundaries` apply to one model's square matrix"):
        plot_distances(d, boundaries=[1])
    with pytest.raises(ValueError, match="give `row_names`/`col_names` only with an array"):
        plot_cross_distances(d, ["x"], ["y"])
    with pytest.raises(ValueError, match="`row_names` and `col_names` are needed"):
        plot_cross_distances(d.matrix)
    import matplotlib.pyplot as plt

    plt.close("all")
