"""The command line: every command has --help; pairwise writes its files; errors are clean."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from subnetscope.cli import COMMANDS, main
from tests.conftest import layer_chain


@pytest.mark.parametrize("command", COMMANDS)
def test_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert "usage: subnetscope" in capsys.readouterr().out


def test_pairwise_writes_matrix_and_heatmap(tmp_path, capsys):
    np.savez(tmp_path / "reps.npz", **layer_chain(n=40))
    code = main(["pairwise", str(tmp_path / "reps.npz"), "--samples", "30", "--out", str(tmp_path / "out"),
                 "-o", "normalize=mean", "--no-progress"])
    assert code == 0
    from subnetscope import LayerDistances

    d = LayerDistances.load(tmp_path / "out" / "distances" / "gw.npz")
    assert d.n_samples == 30 and d.options["normalize"] == "mean"
    assert (tmp_path / "out" / "figures" / "gw_heatmap.png").stat().st_size > 1000


def test_runs_of_two_measures_into_one_folder_keep_both(tmp_path, capsys):
    import json

    from subnetscope import LayerDistances

    np.savez(tmp_path / "reps.npz", **layer_chain(n=30))
    out = tmp_path / "out"
    for measure in ("gw", "cka"):
        assert main(["pairwise", str(tmp_path / "reps.npz"), "--measure", measure, "--out", str(out),
                     "--no-progress"]) == 0
    gw, cka = (LayerDistances.load(out / "distances" / f"{m}.npz") for m in ("gw", "cka"))
    assert (gw.measure, cka.measure) == ("gw", "cka") and not np.allclose(gw.matrix, cka.matrix)
    assert main(["subnetworks", str(out), "--groups", "2"]) == 0  # two matrices: 'gw' is taken
    for flag, value, expected in (("--groups", "0", "between 1 and the number of layers"),
                                  ("--groups", "99", "between 1 and the number of layers"),
                                  ("--max-groups", "0", "at least 1")):
        assert main(["subnetworks", str(out), flag, value]) == 2
        assert f"{flag} must be {expected}" in capsys.readouterr().err
    meta = json.loads((out / "run.json").read_text())
    assert meta["pairwise"]["gw"]["file"] == "distances/gw.npz" and meta["pairwise"]["cka"]["measure"] == "cka"
    assert meta["subnetworks"]["gw"]["distances"].endswith("gw.npz")
    steps = [(c["step"], c["label"]) for c in meta["commands"]]
    assert steps == [("pairwise", "gw"), ("pairwise", "cka"), ("subnetworks", "gw")]
    assert "--measure cka" in meta["commands"][1]["command"]
    # the same step again replaces its entry instead of repeating it
    assert main(["pairwise", str(tmp_path / "reps.npz"), "--measure", "cka", "--out", str(out), "--no-progress",
                 "--samples", "20"]) == 0
    meta = json.loads((out / "run.json").read_text())
    assert len(meta["commands"]) == 3 and "--samples 20" in meta["commands"][1]["command"]
    assert LayerDistances.load(out / "distances" / "gw.npz").measure == "gw"


def test_pairwise_bad_file_is_a_clean_error(tmp_path, capsys):
    (tmp_path / "bad.npz").write_text("not a zip")
    assert main(["pairwise", str(tmp_path / "bad.npz"), "--out", str(tmp_path)]) == 2
    assert "is not a readable .npz" in capsys.readouterr().err
    assert main(["pairwise", str(tmp_path / "missing.npz"), "--out", str(tmp_path)]) == 2


def test_import_stays_light():
    code = (
        "import sys, subnetscope; subnetscope.intra_distances; "
        "heavy = [m for m in ('matplotlib', 'transformers', 'dask', 'distributed', 'torch', 'numba') if m in sys.modules]; "
        "print(heavy); sys.exit(bool(heavy))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_demo_reports_the_run_time_once(tmp_path, capsys):
    # the run records its own total; the closing line must not add it to the stages again
    import json

    out = tmp_path / "demo"
    assert main(["demo", "--model", "0", "--samples", "8", "--probes", "none", "--no-report", "--quiet",
                 "--out", str(out)]) == 0
    line = [l for l in capsys.readouterr().out.splitlines() if l.startswith("wrote")][-1]
    timings = json.loads((out / "run.json").read_text())["summary"]["timings_s"]
    assert line.startswith(f"wrote {out} in {timings['total']:.0f} s (") and "total" not in line
