"""Layer changes (Fig. 7) and bootstrap stability on planted structure; the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest

from subnetscope import LayerDistances, RunFolder, bootstrap_subnetworks, layer_changes, pairwise
from subnetscope.cli import main
from tests.analysis.planted import planted_reps


def test_layer_changes_are_the_first_off_diagonal_and_find_planted_boundaries():
    reps, truth = planted_reps(sizes=(3, 2, 4), n=30, seed=4)
    d = pairwise(reps)
    changes = layer_changes(d)
    assert np.isnan(changes.steps[0])
    np.testing.assert_allclose(changes.steps[1:], np.diag(d.matrix, 1))
    planted = list(np.flatnonzero(np.diff(truth)) + 1)
    assert changes.change_points == planted == [3, 5]
    assert layer_changes(d, n_changes=1).change_points[0] in planted
    assert json.loads(json.dumps(changes.to_dict()))["steps"][0] is None


def test_layer_changes_rule_by_hand():
    steps = np.array([1.0, 1.1, 0.9, 1.0, 8.0, 1.05])
    x = np.r_[0, np.cumsum(steps)]
    d = LayerDistances(tuple("abcdefg"), np.abs(x[:, None] - x[None]))
    median = np.median(steps)
    mad = np.median(np.abs(steps - median))
    expected = [i + 1 for i, s in enumerate(steps) if 0.6745 * (s - median) / mad > 3.5]
    assert layer_changes(d).change_points == expected == [5]
    with pytest.raises(ValueError, match=r"`n_changes` must be an integer between 0 and 6, got 7"):
        layer_changes(d, n_changes=7)
    with pytest.raises(ValueError, match="`z` must be a positive number"):
        layer_changes(d, z=-1)


def test_plot_layer_changes_marks_change_points():
    from subnetscope.plots import plot_layer_changes

    x = np.r_[0, 0.1, 0.2, 3, 3.1]
    changes = layer_changes(LayerDistances(tuple("abcde"), np.abs(x[:, None] - x[None])))
    ax = plot_layer_changes(changes)
    assert len(ax.lines) >= 1 + len(changes.change_points)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), changes.steps[1:])
    import matplotlib.pyplot as plt

    plt.close(ax.figure)


@pytest.mark.parametrize("resample", ["bootstrap", "subsample"])
def test_bootstrap_supports_planted_structure(resample):
    reps, truth = planted_reps(sizes=(2, 3), n=24, seed=5)
    result = bootstrap_subnetworks(reps, B=4, n_samples=None if resample == "bootstrap" else 18,
                                   method="contiguous", resample=resample)
    assert result.n_bootstrap == 4 and result.n_groups == 2
    same = truth[:, None] == truth[None]
    np.testing.assert_allclose(result.coassignment, same.astype(float))
    assert result.boundary_support == {2: 1.0}
    assert [r["support"] for r in result.ranges()] == [1.0, 1.0]
    record = json.loads(json.dumps(result.to_dict()))
    assert record["boundary_support"] == {"2": 1.0} and record["n_bootstrap"] == 4


def test_bootstrap_support_drops_without_structure():
    rng = np.random.default_rng(0)
    reps = {f"l{i}": rng.normal(size=(20, 3)) for i in range(5)}  # unrelated layers
    result = bootstrap_subnetworks(reps, B=6, method="contiguous", n_groups=2, seed=1)
    assert result.coassignment.min() < 1.0
    assert min(result.boundary_support.values()) < 1.0


def test_bootstrap_of_a_given_reference_resumes_from_its_cache(tmp_path, monkeypatch):
    from subnetscope import find_subnetworks

    reps, truth = planted_reps(sizes=(2, 3), n=24, seed=5)
    reference = find_subnetworks(pairwise(reps), 2, "contiguous")
    first = bootstrap_subnetworks(reps, B=3, n_samples=16, method="contiguous", reference=reference,
                                  cache_dir=tmp_path)
    assert first.n_groups == 2 and first.labels.tolist() == reference.labels.tolist()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["replicate0", "replicate1", "replicate2"]
    import importlib

    engine = importlib.import_module("subnetscope.engine.pairwise")

    calls = []
    original = engine.pairwise

    def counting(*args, **kwargs):
        calls.append(kwargs.get("cache_dir"))
        return original(*args, **kwargs)

    monkeypatch.setattr(engine, "pairwise", counting)
    again = bootstrap_subnetworks(reps, B=3, n_samples=16, method="contiguous", reference=reference,
                                  cache_dir=tmp_path)
    assert len(calls) == 3          # the reference is not recomputed
    np.testing.assert_array_equal(again.coassignment, first.coassignment)
    with pytest.raises(ValueError, match="same layers in the same order"):
        bootstrap_subnetworks({k: reps[k] for k in list(reps)[::-1]}, B=1, reference=reference)
    with pytest.raises(TypeError, match="`reference` must be a Subnetworks"):
        bootstrap_subnetworks(reps, B=1, reference=reference.labels)


def test_bootstrap_bad_inputs():
    reps, _ = planted_reps(sizes=(2, 2), n=12)
    with pytest.raises(ValueError, match=r"`B` \(number of bootstrap replicates\) must be an integer ≥ 1, got 0"):
        bootstrap_subnetworks(reps, B=0)
    with pytest.raises(ValueError, match="`resample` must be one of"):
        bootstrap_subnetworks(reps, B=1, resample="jackknife")
    with pytest.raises(ValueError, match="needs `n_samples` smaller than the 12 inputs"):
        bootstrap_subnetworks(reps, B=1, resample="subsample")


def test_cli_subnetworks(tmp_path, capsys):
    reps, _ = planted_reps(sizes=(2, 3), n=20, seed=6)
    np.savez(tmp_path / "reps.npz", **reps)
    pairwise(reps).save(tmp_path / "d.npz")
    assert main(["subnetworks", str(tmp_path / "d.npz"), "--method", "contiguous", "--out", str(tmp_path / "a")]) == 0
    out = capsys.readouterr().out
    assert "g0.l0 .. g0.l1" in out and "g1.l0 .. g1.l2" in out
    # --out is a run folder: results under the matrix's label ("d", the file's name)
    run = RunFolder(tmp_path / "a")
    record = run.load_subnetworks()["d"]
    assert record["n_groups"] == 2 and record["n_bootstrap"] == 0
    assert run.distance_labels() == ["d"]
    np.testing.assert_array_equal(run.load_distances("d").matrix, LayerDistances.load(tmp_path / "d.npz").matrix)
    assert (tmp_path / "a" / "figures" / "d_boundaries.png").stat().st_size > 1000
    table = run.load_tables()["d_changes"]
    assert [row[0] for row in table["rows"]] == list(reps) and table["rows"][2][2] is True
    meta = run.read_meta()
    assert meta["subnetworks"]["d"]["method"] == "contiguous" and meta["subnetworks"]["d"]["found"] == 2
    assert main(["subnetworks", str(tmp_path / "d.npz"), "--groups", "2", "--bootstrap", "2",
                 "--reps", str(tmp_path / "reps.npz"), "--out", str(tmp_path / "b")]) == 0
    out = capsys.readouterr().out
    assert "1.00" in out and "support = fraction of 2 bootstrap replicates" in out
    assert RunFolder(tmp_path / "b").load_subnetworks()["d"]["boundary_support"] == {"2": 1.0}
    assert main(["subnetworks", str(tmp_path / "d.npz"), "--bootstrap", "2"]) == 2
    assert "`--bootstrap` needs `--reps REPS.npz`" in capsys.readouterr().err
    assert main(["subnetworks", str(tmp_path / "missing.npz")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_cli_subnetworks_writes_beside_the_input_run_folder_and_reports(tmp_path, capsys):
    reps, _ = planted_reps(sizes=(2, 3), n=20, seed=6)
    d = pairwise(reps)
    # a file called distances.npz (`LayerDistances.save`) -> label from the measure, run folder its folder
    d.save(tmp_path / "p" / "distances.npz")
    assert main(["subnetworks", str(tmp_path / "p" / "distances.npz"), "--groups", "2"]) == 0
    assert RunFolder(tmp_path / "p").load_subnetworks()["gw"]["n_groups"] == 2
    assert (tmp_path / "p" / "distances" / "gw.npz").is_file()
    # a run folder (as a study writes it): results go beside its matrix, which is not copied
    run = RunFolder(tmp_path / "run")
    run.save_distances("model.gw", d)
    run.save_distances("cka", d)
    capsys.readouterr()
    assert main(["subnetworks", str(tmp_path / "run")]) == 2
    assert "choose one with --label" in capsys.readouterr().err
    assert main(["subnetworks", str(tmp_path / "run"), "--label", "model.gv"]) == 2
    assert "did you mean 'model.gw'" in capsys.readouterr().err
    assert main(["subnetworks", str(tmp_path / "run"), "--label", "model.gw", "--method", "contiguous"]) == 0
    assert main(["subnetworks", str(tmp_path / "run" / "distances" / "cka.npz")]) == 0
    assert set(run.load_subnetworks()) == {"model.gw", "cka"}
    assert run.distance_labels() == ["cka", "model.gw"]
    assert main(["report", str(tmp_path / "run")]) == 0
    html = (tmp_path / "run" / "report.html").read_text()
    assert 'id="subnetworks-model.gw"' in html and 'id="subnetworks-cka"' in html
