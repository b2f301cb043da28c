"""`subnetscope pairwise` engine flags: --jobs, --cache, --scheduler, --device."""

from __future__ import annotations

import numpy as np
import pytest

from subnetscope import LayerDistances
from subnetscope.cli import main
from subnetscope.engine.pairwise import pairwise
from tests.conftest import layer_chain


def test_jobs_and_cache_resume(tmp_path, capsys):
    reps = layer_chain(n=30)
    np.savez(tmp_path / "reps.npz", **reps)
    args = ["pairwise", str(tmp_path / "reps.npz"), "--out", str(tmp_path / "out"), "--no-progress",
            "--jobs", "2", "--cache", str(tmp_path / "cache")]
    assert main(args) == 0
    assert "10 pairs (10 computed, 0 from cache)" in capsys.readouterr().out
    assert main(args) == 0
    assert "10 pairs (0 computed, 10 from cache)" in capsys.readouterr().out
    d = LayerDistances.load(tmp_path / "out" / "distances" / "gw.npz")
    np.testing.assert_array_equal(d.matrix, pairwise(reps).matrix)
    # same cache, other option: refused with the reason, exit 2
    assert main(args + ["-o", "normalize=mean"]) == 2
    assert "option 'normalize'" in capsys.readouterr().err


def test_one_gw_start_from_the_command_line(tmp_path, capsys):
    # the fast setting of docs/performance.md: POT's start and the warm start only
    reps = layer_chain(n=30)
    np.savez(tmp_path / "reps.npz", **reps)
    args = ["pairwise", str(tmp_path / "reps.npz"), "--out", str(tmp_path / "out"), "-o", "starts=product"]
    assert main(args) == 0
    d = LayerDistances.load(tmp_path / "out" / "distances" / "gw.npz")
    np.testing.assert_array_equal(d.matrix, pairwise(reps, starts=("product",)).matrix)
    assert set(d.info["gw_wins"]) <= {"product", "init"}


def test_bad_engine_flags_are_clean_errors(tmp_path, capsys):
    np.savez(tmp_path / "reps.npz", **layer_chain(n=20))
    base = ["pairwise", str(tmp_path / "reps.npz"), "--out", str(tmp_path / "out"), "--no-progress"]
    assert main(base + ["--scheduler", "localhost:8786"]) == 2
    assert "--scheduler must be a Dask scheduler address" in capsys.readouterr().err
    assert main(base + ["--jobs", "0"]) == 2
    assert "`n_jobs` must be a positive integer" in capsys.readouterr().err
    assert main(base + ["--device", "meta"]) == 2
    assert "'cpu' or 'cuda' device" in capsys.readouterr().err


@pytest.mark.slow
def test_scheduler_address(tmp_path, capsys):
    distributed = pytest.importorskip("distributed")
    reps = layer_chain(n=25)
    np.savez(tmp_path / "reps.npz", **reps)
    with distributed.LocalCluster(n_workers=1, processes=True, threads_per_worker=1,
                                  dashboard_address=None) as cluster:
        code = main(["pairwise", str(tmp_path / "reps.npz"), "--out", str(tmp_path / "out"),
                     "--no-progress", "--scheduler", cluster.scheduler_address])
    assert code == 0
    d = LayerDistances.load(tmp_path / "out" / "distances" / "gw.npz")
    assert d.info["scheduler"] == "dask"
    np.testing.assert_array_equal(d.matrix, pairwise(reps).matrix)
