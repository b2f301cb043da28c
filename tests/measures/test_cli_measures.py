"""Every registered measure is reachable from the command line."""

from __future__ import annotations

import numpy as np
import pytest

from subnetscope import list_measures
from subnetscope.cli import main


def test_measures_command_lists_every_measure(capsys):
    assert main(["measures"]) == 0
    out = capsys.readouterr().out
    for name in list_measures():
        assert f"| {name} |" in out


@pytest.mark.parametrize("name", ["cca", "rsa", "wasserstein"])
def test_pairwise_command_accepts_baselines_and_options(tmp_path, name):
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "reps.npz", **{f"l{i}": np.tanh(rng.normal(size=(30, 4))) for i in range(3)})
    assert main(["pairwise", str(tmp_path / "reps.npz"), "--measure", name, "--out", str(tmp_path / "o"),
                 "--no-progress"]) == 0
    assert (tmp_path / "o" / "distances" / f"{name}.npz").is_file()


def test_pairwise_command_reports_bad_measure_option(tmp_path, capsys):
    np.savez(tmp_path / "reps.npz", a=np.eye(6), b=np.eye(6)[::-1])
    code = main(["pairwise", str(tmp_path / "reps.npz"), "--measure", "cka", "-o", "estimator=unbiased",
                 "--out", str(tmp_path / "o"), "--no-progress"])
    assert code == 2
    assert "`estimator` must be one of ['biased', 'debiased'], got 'unbiased'" in capsys.readouterr().err
