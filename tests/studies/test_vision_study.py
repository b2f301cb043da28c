"""Vision study: analyses on small n and the pipeline end to end on a few images."""

from __future__ import annotations

import json

import numpy as np
import pytest

from subnetscope.engine.layer_distances import LayerDistances
from subnetscope.studies.vision.analyses import changes_along, find_groups, group_stability
from tests.conftest import random_rotation


def _two_families(n=30, seed=0):
    """Layers 0-2 are isometric copies of X, layers 3-5 of an unrelated Y: two sub-networks."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    Y = rng.exponential(size=(n, 6)) ** 2
    return {"a0": X, "a1": X @ random_rotation(4, rng), "a2": 3 * X + 1,
            "b0": Y, "b1": Y @ random_rotation(6, rng) - 2, "b2": np.hstack([Y, np.zeros((n, 2))])}


def test_find_groups_recovers_blocks_and_is_deprecated_for_find_subnetworks():
    from subnetscope import find_subnetworks
    from subnetscope.engine.pairwise import pairwise

    d = pairwise(_two_families(), "gw")
    with pytest.warns(DeprecationWarning, match=r"find_groups is deprecated; use subnetscope\.find_subnetworks\(") \
            as caught:
        found = find_groups(d)
    assert [w.filename for w in caught] == [__file__]  # the caller's line
    assert found["labels"] == [0, 0, 0, 1, 1, 1]
    assert found["groups"] == [["a0", "a1", "a2"], ["b0", "b1", "b2"]]
    replacement = find_subnetworks(d, None, method="spectral", seed=0)  # what the warning says to use
    assert replacement.labels.tolist() == found["labels"] and replacement.groups == found["groups"]
    with pytest.warns(DeprecationWarning):
        assert find_groups(d, 1)["labels"] == [0] * 6


def test_changes_along_is_the_subdiagonal(rng):
    M = rng.random((5, 5))
    M = M + M.T
    np.fill_diagonal(M, 0)
    values = changes_along(LayerDistances(names=list("abcde"), matrix=M))
    assert np.isnan(values[0])
    np.testing.assert_array_equal(values[1:], [M[i, i - 1] for i in range(1, 5)])


def test_boundaries_figure_draws_each_step_scaled_to_its_measures_maximum(rng):
    from subnetscope.studies.vision.figures import plot_boundaries

    names = list("abcde")

    def distances(scale):
        M = rng.random((5, 5)) * scale
        M = M + M.T
        np.fill_diagonal(M, 0)
        return LayerDistances(names=names, matrix=M)

    changes = {"random": {"gw": distances(1.0), "cka": distances(0.01)},
               "trained": {"gw": distances(5.0), "flat": LayerDistances(names=names, matrix=np.zeros((5, 5)))}}
    fig = plot_boundaries(changes, {name: rng.random((2, 3, 3)) for name in names})
    panels = [ax for ax in fig.axes if ax.get_title().endswith("network")]
    assert [ax.get_title() for ax in panels] == ["random network", "trained network"]
    for ax, per_measure in zip(panels, changes.values()):
        lines = {line.get_label(): line for line in ax.get_lines() if not line.get_label().startswith("_")}
        assert list(lines) == list(per_measure)
        for measure, d in per_measure.items():
            M = d.matrix
            steps = np.array([M[i, i - 1] for i in range(1, 5)])
            expected = steps / steps.max() if steps.max() > 0 else steps
            np.testing.assert_array_equal(lines[measure].get_xdata(), [1, 2, 3, 4])
            np.testing.assert_array_equal(lines[measure].get_ydata(), expected)
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_group_stability_of_clear_blocks():
    reps = _two_families(n=40)
    # one warning, for the call itself (not another for the find_groups it used to call inside)
    with pytest.warns(DeprecationWarning) as caught:
        stable = group_stability(reps, [0, 0, 0, 1, 1, 1], n_boot=2, n_samples=20)
    assert [str(w.message).split(";")[0] for w in caught] == ["group_stability is deprecated"]
    assert "subnetscope.bootstrap_subnetworks" in str(caught[0].message) and caught[0].filename == __file__
    assert stable["ari"] == [1.0, 1.0] and stable["mean_ari"] == 1.0
    co = np.array(stable["co_assignment"])
    assert co[0, 2] == 1.0 and co[0, 3] == 0.0
    # a reference that splits a true group is not confirmed
    with pytest.warns(DeprecationWarning):
        assert group_stability(reps, [0, 0, 1, 1, 1, 1], n_boot=1, n_samples=20)["mean_ari"] < 1.0


def test_study_rejects_bad_arguments(tmp_path):
    from subnetscope.studies.vision import run_vision_study
    from subnetscope.studies.vision.study import measures_for_study

    with pytest.raises(ValueError, match=r"`samples` must be in 2\.\.1797 for digits \(upscaled\), not CIFAR-10, got 5000"):
        run_vision_study(tmp_path / "run", samples=5000, progress=False)
    with pytest.raises(ValueError, match="`measure` must be one of .*got .nosuch."):
        measures_for_study(["nosuch"])
    assert "gw" in measures_for_study()


def test_run_vision_study_takes_the_old_bootstrap_keywords_with_a_warning(tmp_path, monkeypatch):
    from subnetscope.studies.vision import VisionConfig, study

    made = []
    monkeypatch.setattr(study, "run", lambda out, config: made.append(config) or study.RunFolder(out))
    with pytest.warns(DeprecationWarning) as caught:
        study.run_vision_study(tmp_path / "run", n_boot=5, boot_samples=40, samples=60)
    assert sorted(str(w.message) for w in caught) == [
        "run_vision_study: `boot_samples` is deprecated (it still works); use `bootstrap_samples`",
        "run_vision_study: `n_boot` is deprecated (it still works); use `bootstrap`"]
    assert made == [VisionConfig(bootstrap=5, bootstrap_samples=40, samples=60)]
    with pytest.raises(ValueError, match="`n_boot` is the old name of `bootstrap`; pass `bootstrap` only"):
        study.run_vision_study(tmp_path / "run", n_boot=5, bootstrap=5)
    assert len(made) == 1


@pytest.mark.slow
def test_study_end_to_end_on_a_few_digits(tmp_path, capsys, monkeypatch):
    import subnetscope.studies.vision as package
    from subnetscope.cli import main
    from subnetscope.runs import RunFolder

    original = package.run
    # 16 training and 20 test images: this test checks the plumbing, not the accuracy
    monkeypatch.setattr(package, "run", lambda out, config: original(out, config.replace(train_limit=16, test_limit=20)))
    out = tmp_path / "run"
    args = ["study", "vision", "--out", str(out), "--samples", "12", "--pair-samples", "10", "--epochs", "1",
            "--batch-size", "16", "--boot", "1", "--boot-samples", "8", "--measures", "gw", "--no-report"]
    assert main(args) == 0
    run = RunFolder(out)
    meta = json.loads((out / "run.json").read_text())
    assert meta["data"] == "digits (upscaled), not CIFAR-10" and meta["study"] == "vision"
    assert meta["summary"]["capture"]["trained"]["n"] == 12
    for label in ("random", "trained"):
        d = run.load_distances(f"{label}.gw")
        assert d.matrix.shape == (27, 27) and d.n_samples == 10
        assert np.allclose(d.matrix, d.matrix.T) and (d.matrix[~np.eye(27, dtype=bool)] > 0).any()
    # at initialisation BatchNorm (running mean 0, variance 1) only rescales: an isometry up to scale
    assert run.load_distances("random.gw")["0.Conv2d", "0.BatchNorm"] == pytest.approx(0.0, abs=1e-9)
    tables = run.load_tables()
    assert tables["training"]["rows"][1][4:] == [16, 20]
    assert [row[1] for row in tables["layers"]["rows"]][:3] == ["0.Conv2d", "0.BatchNorm", "0.ReLU"]
    assert tables["layers"]["rows"][12][1:] == ["4.Conv2d", 256 * 32 * 32]
    assert "digits (upscaled), not CIFAR-10" in tables["training"]["title"]
    assert {p.name for p, _ in run.figures()} == {"allpairs_gw.png", "boundaries.png"}
    assert set(run.load_subnetworks()) == {"random.gw", "trained.gw"}
    assert not (out / "report.html").exists()
    capsys.readouterr()
    # a second run reuses the trained weights instead of training again, and writes the report
    args = [a for a in args if a != "--no-report"]
    measures = args.index("--measures")
    args[measures + 1:measures + 2] = ["gw", "cca"]
    assert main(args) == 0
    assert "reusing trained weights" in capsys.readouterr().out
    summary = json.loads((out / "run.json").read_text())["summary"]
    # SVCCA on 10 inputs keeps too many directions at 99% variance: a lower share, or skipped with the reason
    assert summary["measures_used"][0] == "gw" and len(summary["measures_used"]) + len(summary["skipped_measures"]) == 2
    if "cca" in summary["measures_used"]:
        assert run.load_distances("trained.cca").matrix.shape == (27, 27)
        assert "threshold" in str(run.load_distances("trained.cca").info.get("study_options"))
    else:
        assert "canonical correlations" in summary["skipped_measures"]["cca"]
    html = (out / "report.html").read_text()
    assert "digits (upscaled), not CIFAR-10" in html and "All pairs of ResNet9" in html
