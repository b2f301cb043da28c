"""The all-pairs engine: schedulers agree bit for bit, the cache resumes and refuses, warm starts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from subnetscope.engine.pairwise import pairwise
from subnetscope.engine.schedule import Schedule, warm_init
from subnetscope.measures.gw import gromov_wasserstein, intra_distances
from subnetscope.measures.registry import Measure, get_measure
from tests.conftest import layer_chain

ROOT = Path(__file__).resolve().parents[2]


def _shift(Y):
    return Y


def _asym_compare(A, B):
    # asymmetric on purpose: the engine must average both directions
    return float(np.abs(A.mean(0)).sum() + 2.0 * np.abs(B.std(0)).sum())


ASYM = Measure("test-asym", _shift, _asym_compare, "test only", handles_different_dims=True, symmetric=False)


def _chain(n=40, seed=0):
    return layer_chain(n=n, widths=(4, 6, 6, 8, 5, 7), seed=seed)


def test_processes_match_serial_bit_for_bit():
    reps = _chain()
    serial = pairwise(reps)
    parallel = pairwise(reps, n_jobs=2)
    np.testing.assert_array_equal(parallel.matrix, serial.matrix)
    assert parallel.info["scheduler"] == "processes" and serial.info["scheduler"] == ("threads" if (os.cpu_count() or 1) > 1 else "serial")
    assert parallel.info["gw_iterations"] == serial.info["gw_iterations"]


def test_generic_measure_goes_through_the_same_engine():
    reps = _chain(n=20)
    d = pairwise(reps, ASYM, n_jobs=2)
    names = list(reps)
    for a in range(len(names)):
        for b in range(a + 1, len(names)):
            A, B = reps[names[a]], reps[names[b]]
            expected = 0.5 * (_asym_compare(A, B) + _asym_compare(B, A))
            assert d.matrix[a, b] == pytest.approx(expected, rel=1e-14)
    assert "gw_iterations" not in d.info


@pytest.mark.slow
def test_dask_cluster_matches_serial_bit_for_bit():
    distributed = pytest.importorskip("distributed")
    reps = _chain()
    serial = pairwise(reps)
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        remote = pairwise(reps, client=client)
        remote_generic = pairwise(reps, ASYM, client=client)
    np.testing.assert_array_equal(remote.matrix, serial.matrix)
    np.testing.assert_array_equal(remote_generic.matrix, pairwise(reps, ASYM).matrix)
    assert remote.info["scheduler"] == "dask"


def test_warm_start_composes_permutations_the_right_way(rng):
    A = rng.normal(size=(30, 3))
    p, q = rng.permutation(30), rng.permutation(30)
    B = A[p]
    C = B[q]
    CA, CB, CC = (intra_distances(X) for X in (A, B, C))
    s1 = gromov_wasserstein(CA, CB).permutation
    s2 = gromov_wasserstein(CB, CC).permutation
    # the recovered permutations are exact: C_A[i, k] = C_B[s1[i], s1[k]]
    np.testing.assert_allclose(CB[np.ix_(s1, s1)], CA, atol=1e-12)
    init = warm_init(0, 2, {(0, 1): s1, (1, 2): s2})
    np.testing.assert_allclose(CC[np.ix_(init, init)], CA, atol=1e-12)
    assert warm_init(0, 1, {}) is None and warm_init(0, 2, {(0, 1): s1}) is None


@pytest.mark.parametrize("warm", [True, False])
@pytest.mark.parametrize("seed", range(5))
def test_schedule_releases_every_pair_once_after_its_warm_start_sources(warm, seed):
    """In any completion order (and with any pairs already cached), every missing pair is
    released exactly once, and only after the two pairs its warm start is made from."""
    rng = np.random.default_rng(seed)
    L = 7
    pairs = [(i, j) for i in range(L) for j in range(i + 1, L)]
    done = {p: np.arange(3) for p in pairs if rng.random() < 0.3 * (seed % 2)}  # the cache
    cached = set(done)
    schedule = Schedule(L, warm, done)
    running = schedule.initial()
    released = [(i, j) for i, j, _ in running]
    while running:
        i, j, init = running.pop(int(rng.integers(len(running))))  # any pair may finish first
        if warm and j - i >= 2:
            assert (i, j - 1) in done and (j - 1, j) in done and init is not None
        else:
            assert init is None
        done[(i, j)] = np.arange(3)
        new = schedule.after(i, j)
        released += [(a, b) for a, b, _ in new]
        running += new
    assert sorted(released) == sorted(set(pairs) - cached)


def test_warm_start_never_raises_a_value():
    reps = layer_chain(n=60, widths=(6, 9, 9, 12, 7, 10, 8), seed=4)
    cold = pairwise(reps, warm_start=False)
    warm = pairwise(reps)
    assert np.all(warm.matrix <= cold.matrix + 1e-15)
    assert warm.info["warm_start"] and not cold.info["warm_start"]
    # pairs of neighbours have no warm start: identical
    L = len(reps)
    for i in range(L - 1):
        assert warm.matrix[i, i + 1] == cold.matrix[i, i + 1]


def test_cache_second_run_computes_nothing_and_damage_is_recomputed(tmp_path):
    reps = _chain(n=30)
    first = pairwise(reps, cache_dir=tmp_path / "c")
    assert first.info["n_computed"] == 15 and first.info["n_cached"] == 0
    assert len(list((tmp_path / "c" / "pairs").glob("*.npz"))) == 15
    again = pairwise(reps, cache_dir=tmp_path / "c")
    assert again.info["n_computed"] == 0 and again.info["n_cached"] == 15
    np.testing.assert_array_equal(again.matrix, first.matrix)
    victim = tmp_path / "c" / "pairs" / "00001-00003.npz"
    victim.write_bytes(victim.read_bytes()[:50])  # truncated
    other = tmp_path / "c" / "pairs" / "00000-00002.npz"
    with np.load(other) as z:  # valid archive, wrong checksum
        np.savez(other, value=z["value"] + 1.0, permutation=z["permutation"], checksum=z["checksum"])
    repaired = pairwise(reps, cache_dir=tmp_path / "c")
    assert repaired.info["n_computed"] == 2
    np.testing.assert_array_equal(repaired.matrix, first.matrix)


def test_cache_refuses_other_inputs_and_names_what_differs(tmp_path):
    reps = _chain(n=30)
    pairwise(reps, cache_dir=tmp_path)
    with pytest.raises(ValueError, match=r"option 'normalize' \(cache: 'max', now: 'mean'\)"):
        pairwise(reps, cache_dir=tmp_path, normalize="mean")
    changed = dict(reps)
    changed["layer3"] = changed["layer3"] * 1.5
    with pytest.raises(ValueError, match=r"data of \['layer3'\] changed"):
        pairwise(changed, cache_dir=tmp_path)
    with pytest.raises(ValueError, match=r"n_samples \(cache: 30, now: 20\)"):
        pairwise(reps, cache_dir=tmp_path, n_samples=20)
    with pytest.raises(ValueError, match=r"warm_start \(cache: true, now: false\)|warm_start \(cache: True, now: False\)"):
        pairwise(reps, cache_dir=tmp_path, warm_start=False)
    with pytest.raises(ValueError, match="measure"):
        pairwise(reps, ASYM, cache_dir=tmp_path)
    renamed = {f"x{k}": v for k, v in reps.items()}
    with pytest.raises(ValueError, match="layer names or order"):
        pairwise(renamed, cache_dir=tmp_path)
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="must be a folder"):
        pairwise(reps, cache_dir=tmp_path / "file")


KILL_SCRIPT = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {root!r})
    from tests.conftest import layer_chain
    from subnetscope.engine.pairwise import pairwise
    reps = layer_chain(n={n}, widths={widths!r}, seed=1)
    pairwise(reps, cache_dir={cache!r}, progress=False)
    print("finished")
    """
)


@pytest.mark.slow
def test_killed_run_resumes_with_only_missing_pairs(tmp_path):
    n, widths = 90, (5, 9, 9, 12, 6, 10, 8, 11)
    L = len(widths)
    total = L * (L - 1) // 2
    cache = tmp_path / "cache"
    script = tmp_path / "run.py"
    script.write_text(KILL_SCRIPT.format(root=str(ROOT), n=n, widths=widths, cache=str(cache)))
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})
    pairs = cache / "pairs"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if pairs.is_dir() and len(list(pairs.glob("*.npz"))) >= 6:
            break
        time.sleep(0.005)
    assert proc.poll() is None, f"the run ended before it could be killed: {proc.communicate()}"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done = len(list(pairs.glob("*.npz")))
    assert 6 <= done < total
    resumed = pairwise(layer_chain(n=n, widths=widths, seed=1), cache_dir=cache)
    assert resumed.info["n_cached"] == done
    assert resumed.info["n_computed"] == total - done
    fresh = pairwise(layer_chain(n=n, widths=widths, seed=1))
    np.testing.assert_array_equal(resumed.matrix, fresh.matrix)


def test_progress_bar_and_summary_line(capsys):
    pairwise(_chain(n=20), progress=True)
    err = capsys.readouterr().err
    assert "15/15" in err
    assert "15 pairs (15 computed, 0 from cache)" in err and "Frank-Wolfe iterations" in err
    # stderr is no terminal here (a script, a log): plain lines, the layers' preparation included
    assert "gw: preparing layers: 0/6 layers (0%)" in err and "gw: preparing layers: 6/6 layers (100%)" in err
    assert "\r" not in err
    pairwise(_chain(n=20))  # "auto" in a script: a short run says nothing
    assert capsys.readouterr().err == ""


def test_engine_argument_errors(tmp_path):
    reps = _chain(n=20)
    with pytest.raises(ValueError, match=r"`n_jobs` must be a positive integer or -1 \(all cores\), got 0"):
        pairwise(reps, n_jobs=0)
    with pytest.raises(ValueError, match="give `n_jobs`"):
        pairwise(reps, n_jobs=2, client=object())
    with pytest.raises(TypeError, match="`client` must be a distributed.Client, got str"):
        pairwise(reps, client="tcp://nowhere:8786")
    with pytest.raises(ValueError, match="`progress` must be True, False or 'auto'"):
        pairwise(reps, progress="yes")
    with pytest.raises(TypeError, match="unknown option 'warm' for measure 'gw'.*did you mean 'warm_start'|unknown option 'warm'"):
        pairwise(reps, warm=True)


def test_assignment_solver_is_resolved_once_recorded_and_cache_keyed_on_it(tmp_path):
    pytest.importorskip("lap")
    reps = _chain(n=30)
    fast = pairwise(reps, cache_dir=tmp_path)  # "auto" is resolved here, in this process
    assert fast.options["assignment"] == "sap" and fast.info["gw_assignment"] == "sap"
    simplex = pairwise(reps, assignment="emd")
    assert simplex.options["assignment"] == "emd"
    np.testing.assert_allclose(simplex.matrix, fast.matrix, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(pairwise(reps, assignment="lap").matrix, fast.matrix, rtol=1e-10, atol=1e-14)
    np.testing.assert_array_equal(pairwise(reps, n_jobs=2).matrix, fast.matrix)
    with pytest.raises(ValueError, match=r"option 'assignment' \(cache: 'sap', now: 'emd'\)"):
        pairwise(reps, cache_dir=tmp_path, assignment="emd")


def test_gw_threads_fit_the_memory_budget_and_stay_off_devices(monkeypatch):
    from subnetscope._memory import memory_limit
    from subnetscope.engine.runners import SerialRunner, ThreadRunner, make_runner

    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    gw = get_measure("gw")
    states = [np.zeros((100, 100))] * 3
    runner = make_runner(states, gw, {"device": None})
    assert isinstance(runner, ThreadRunner) and runner.kind == "threads"
    one_start = 5 * 8 * 100 * 100  # a running start's working arrays, as ThreadRunner.slots counts them
    with memory_limit(int(1.5 * one_start)):
        assert runner.slots() == 1
    with memory_limit(100 * one_start):
        assert runner.slots() == 4
    with memory_limit("off"):
        assert runner.slots() == 4
    # a torch device runs one pair at a time, in this thread
    assert isinstance(make_runner(states, gw, {"device": "cpu"}), SerialRunner)


def test_threads_match_one_pair_at_a_time_bit_for_bit(monkeypatch):
    reps = _chain()
    threads = pairwise(reps)
    monkeypatch.setattr(os, "cpu_count", lambda: 1)  # one core: one pair at a time, in this thread
    serial = pairwise(reps)
    assert serial.info["scheduler"] == "serial"
    np.testing.assert_array_equal(threads.matrix, serial.matrix)
    assert threads.info["gw_iterations"] == serial.info["gw_iterations"]
