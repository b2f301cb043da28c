"""Faults: processes killed mid-run (a CLI pairwise, a study, a Dask worker) lose nothing and
change nothing — the resumed or recovered result equals an uninterrupted one bit for bit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from subnetscope import LayerDistances, pairwise
from subnetscope.measures.gw import gw_compare, gw_prepare
from subnetscope.measures.registry import Measure
from tests.conftest import layer_chain

ROOT = Path(__file__).resolve().parents[1]


def _slow_gw(C1, C2):
    time.sleep(0.1)  # long enough pairs to kill a worker while some are running
    return gw_compare(C1, C2)


SLOW_GW = Measure("test-slow-gw", gw_prepare, _slow_gw, "GW, slowed down (test only)", handles_different_dims=True)


def _wait_for(pred, timeout=60.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.slow
@pytest.mark.parametrize("workers", [2, 1], ids=["copy-on-another-worker", "only-copy-lost"])
def test_dask_worker_killed_mid_run_result_complete_and_equal_to_serial(tmp_path, workers):
    # 2 workers: the layers have another copy and Dask reruns the dead worker's pairs; 1 worker:
    # every copy dies with it, so the engine scatters the layers again and resubmits the pairs.
    distributed = pytest.importorskip("distributed")
    reps = layer_chain(n=40, widths=(4, 6, 6, 8, 5, 7, 6, 5), seed=3)  # 28 pairs
    serial = pairwise(reps, "gw", warm_start=False)
    pairs = tmp_path / "cache" / "pairs"
    killed = {}
    with distributed.LocalCluster(n_workers=workers, processes=True, threads_per_worker=1,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        pids = client.run(os.getpid)

        def killer():
            _wait_for(lambda: pairs.is_dir() and len(list(pairs.glob("*.npz"))) >= 3, what="3 finished pairs")
            busy = [addr for addr, tasks in client.processing().items() if tasks]
            addr = (busy or list(pids))[0]
            killed["addr"], killed["pid"] = addr, pids[addr]
            os.kill(pids[addr], signal.SIGKILL)

        thread = threading.Thread(target=killer, daemon=True)
        thread.start()
        remote = pairwise(reps, SLOW_GW, client=client, cache_dir=tmp_path / "cache")
        thread.join(timeout=5)
        assert killed, "no worker was killed"
        alive = client.run(os.getpid)
    assert killed["pid"] not in alive.values()  # the worker really died (its nanny started a new one)
    assert remote.info["n_computed"] == 28 and remote.info["scheduler"] == "dask"
    np.testing.assert_array_equal(remote.matrix, serial.matrix)


CLI_ARGS = ["--no-progress", "--no-warm-start"]


def _run_cli(args, **kw):
    return subprocess.Popen([sys.executable, "-m", "subnetscope", *args], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env={**os.environ, "OMP_NUM_THREADS": "1"}, **kw)


def _kill_when(proc, folder: Path, at_least: int, timeout: float = 120.0, pattern: str = "*.npz") -> int:
    """SIGKILL ``proc`` once ``folder`` holds ``at_least`` files matching ``pattern`` (pair files
    by default; a pattern may reach into sub-folders); return how many there were."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if folder.is_dir() and len(list(folder.glob(pattern))) >= at_least:
            break
        time.sleep(0.005)
    assert proc.poll() is None, f"the run ended before it could be killed: {proc.communicate()}"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return len(list(folder.glob(pattern)))


@pytest.mark.slow
def test_cli_pairwise_killed_then_rerun_resumes_and_matches(tmp_path):
    reps = layer_chain(n=90, widths=(5, 9, 9, 12, 6, 10, 8, 11, 7, 9), seed=2)  # 45 pairs
    np.savez(tmp_path / "reps.npz", **reps)
    cmd = ["pairwise", str(tmp_path / "reps.npz"), "--out", str(tmp_path / "out"), "--cache", str(tmp_path / "c")]
    done = _kill_when(_run_cli(cmd + CLI_ARGS), tmp_path / "c" / "pairs", 5)
    assert 5 <= done < 45
    assert not (tmp_path / "out" / "distances" / "gw.npz").exists()  # nothing half-written is left as a result
    again = _run_cli(cmd + CLI_ARGS)
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0, err
    assert f"({45 - done} computed, {done} from cache)" in out.decode()
    resumed = LayerDistances.load(tmp_path / "out" / "distances" / "gw.npz")
    fresh = pairwise(reps, warm_start=False)
    np.testing.assert_array_equal(resumed.matrix, fresh.matrix)


@pytest.mark.slow
def test_study_killed_mid_pairs_then_rerun_gives_the_same_result(tmp_path):
    common = ["study", "modsum", "--model", "0", "--samples", "40", "--epochs", "2", "--probes", "none",
              "--quiet", "--no-report", "--cache-dir", str(tmp_path / "checkpoints")]
    killed_run = tmp_path / "a"
    done = _kill_when(_run_cli(common + ["--out", str(killed_run)]), killed_run / "cache" / "gw" / "pairs", 20)
    assert 20 <= done < 465
    resumed = _run_cli(common + ["--out", str(killed_run)])
    _, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err
    clean = _run_cli(common + ["--out", str(tmp_path / "b")])  # same checkpoint, never interrupted
    _, err = clean.communicate(timeout=300)
    assert clean.returncode == 0, err
    a = LayerDistances.load(killed_run / "distances" / "gw.npz")
    b = LayerDistances.load(tmp_path / "b" / "distances" / "gw.npz")
    assert a.info["n_cached"] >= done and b.info["n_cached"] == 0
    assert a.names == b.names
    np.testing.assert_array_equal(a.matrix, b.matrix)
