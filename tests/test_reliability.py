"""Bad input gives a clear error (argument, expectation, what came); the memory guard refuses
before allocating; files are written atomically with ordinary permissions. docs/reliability.md
lists which test backs which guarantee."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import subnetscope as ss
from subnetscope import LayerDistances, RunFolder, distance, find_subnetworks, intra_distances, pairwise
from subnetscope._io import atomic_path, write_json
from subnetscope._memory import MemoryBudgetError, memory_budget
from subnetscope.cli import main
from subnetscope.measures import geometry
from subnetscope.measures.registry import Measure
from tests.conftest import layer_chain

ROOT = Path(__file__).resolve().parents[1]


# --- atomic files --------------------------------------------------------------------------
@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_atomic_files_get_the_permissions_of_a_plain_open(tmp_path, umask):
    old = os.umask(umask)
    try:
        write_json(tmp_path / "a.json", {"x": 1})
        LayerDistances(("a", "b"), np.array([[0, 1.0], [1.0, 0]])).save(tmp_path / "d.npz")
        with open(tmp_path / "plain", "w") as handle:
            handle.write("x")
    finally:
        os.umask(old)
    expected = stat.S_IMODE((tmp_path / "plain").stat().st_mode)
    assert expected == 0o666 & ~umask
    for name in ("a.json", "d.npz"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == expected, name
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "d.npz", "plain"]  # no temp files left


def test_a_crash_while_writing_leaves_the_old_file_and_no_temp(tmp_path):
    target = tmp_path / "r.json"
    write_json(target, {"v": 1})
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text('{"v": 2, "half')
            raise RuntimeError("killed while writing")
    assert target.read_text().strip().endswith("}") and '"v": 1' in target.read_text()
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


# --- memory guard --------------------------------------------------------------------------
def test_memory_budget_sources_and_sizes(monkeypatch):
    monkeypatch.delenv("SUBNETSCOPE_MAX_MEMORY", raising=False)
    assert memory_budget("16GB") == (16_000_000_000, "max_memory=")
    assert memory_budget("2GiB")[0] == 2 * 2**30 and memory_budget(5e8)[0] == 500_000_000
    assert memory_budget("off")[0] is None and memory_budget(0)[0] is None
    monkeypatch.setenv("SUBNETSCOPE_MAX_MEMORY", "512MB")
    assert memory_budget() == (512_000_000, "$SUBNETSCOPE_MAX_MEMORY")
    assert memory_budget("1GB")[0] == 1_000_000_000  # the argument wins over the environment
    with pytest.raises(ValueError, match=r"`max_memory` must be a size such as .* got '12 parsecs'"):
        memory_budget("12 parsecs")
    with pytest.raises(TypeError, match="`max_memory` must be a size"):
        memory_budget(True)


def test_intra_distances_refuses_an_n_by_n_matrix_that_does_not_fit(monkeypatch):
    monkeypatch.setenv("SUBNETSCOPE_MAX_MEMORY", "10MB")
    with pytest.raises(MemoryBudgetError, match=r"2000×2000 intra-layer distance matrix .* needs about 96.\d MB, "
                       r"more than the 10 MB allowed by \$SUBNETSCOPE_MAX_MEMORY; .*n_samples=") as info:
        intra_distances(np.zeros((2000, 3)))
    assert isinstance(info.value, MemoryError) and isinstance(info.value, ValueError)
    assert intra_distances(np.ones((300, 3))).shape == (300, 300)  # 2.2 MB: fine
    monkeypatch.setenv("SUBNETSCOPE_MAX_MEMORY", "off")
    assert intra_distances(np.zeros((2000, 1))).shape == (2000, 2000)


def test_float64_copy_of_a_huge_layer_is_refused_before_it_is_made(monkeypatch):
    monkeypatch.setenv("SUBNETSCOPE_MAX_MEMORY", "20MB")
    big = np.zeros((1000, 5000), dtype=np.float32)  # 20 MB as float32, 40 MB as float64
    with pytest.raises(MemoryBudgetError, match=r"`Y1` as float64 \(1000 samples × 5000 features × 8 B\) needs "
                       r"about 40 MB.*n_samples="):
        distance(big, big, "euclidean")


def test_pairwise_refuses_layers_whose_states_do_not_fit_and_names_the_fix(monkeypatch):
    monkeypatch.delenv("SUBNETSCOPE_MAX_MEMORY", raising=False)
    reps = layer_chain(n=200, widths=(5,) * 10)
    with pytest.raises(MemoryBudgetError, match=r"keeps every layer's prepared state \(10 layers × 0.32 MB, an n × n "
                       r"matrix at n = 200\) needs about 3.2 MB, more than the 3 MB allowed by max_memory=; "
                       r"compare on fewer samples \(n_samples=.*halving n divides them by 4"):
        pairwise(reps, "rsm", max_memory="3MB")  # rsm: the same n × n state as gw, cheaper pairs
    assert pairwise(reps, "rsm", max_memory="3MB", n_samples=100).matrix.shape == (10, 10)  # the fix works
    assert pairwise(reps, "rsm", max_memory="4MB").matrix.shape == (10, 10)
    with pytest.raises(MemoryBudgetError, match="pairwise with measure 'gw'"):
        pairwise(reps, max_memory="3MB")


def test_cli_max_memory_is_a_clean_error(tmp_path, capsys):
    np.savez(tmp_path / "reps.npz", **layer_chain(n=200, widths=(5,) * 6))
    args = ["pairwise", str(tmp_path / "reps.npz"), "--out", str(tmp_path / "o"), "--no-progress"]
    assert main(args + ["--max-memory", "1MB"]) == 2
    err = capsys.readouterr().err
    assert "subnetscope pairwise: error:" in err and "--samples" in err and "--max-memory" in err
    assert main(args + ["--max-memory", "lots"]) == 2
    assert "`max_memory` must be a size" in capsys.readouterr().err


def test_wide_layers_are_processed_in_feature_blocks_with_the_same_result(monkeypatch):
    rng = np.random.default_rng(0)
    Y = rng.normal(size=(30, 50)).astype(np.float32)
    Y[4] = 0.0  # a zero row: cosine treats it as orthogonal to all
    whole = {m: intra_distances(Y, metric=m) for m in ("euclidean", "sqeuclidean", "cosine")}
    monkeypatch.setattr(geometry, "FEATURE_BLOCK", 7)
    for metric, D in whole.items():
        blocked = intra_distances(Y, metric=metric)
        np.testing.assert_allclose(blocked, D, atol=1e-13, err_msg=metric)
        assert np.array_equal(blocked, blocked.T) and not np.diag(blocked).any()


# --- bad input: representations ------------------------------------------------------------
@pytest.mark.parametrize("Y, match", [
    (np.ones(5), r"`Y` must have shape \(n_samples, n_features, ...\) with at least 2 axes, got shape \(5,\)"),
    (np.ones((0, 3)), r"`Y` needs at least 2 samples \(rows\), got 0"),
    (np.ones((1, 3)), r"`Y` needs at least 2 samples \(rows\), got 1"),
    (np.ones((4, 0)), r"`Y` has no features: shape \(4, 0\)"),
    (np.array([[1 + 1j, 2], [3, 4]]), r"`Y` must hold real numbers .* got dtype complex128"),
    (np.array([["a", "b"], ["c", "d"]]), r"`Y` must hold real numbers .* got dtype <U1"),
    (np.array([[1.0, np.nan], [np.inf, 2.0], [1.0, 1.0]]),
     r"`Y` contains 1 NaN and 1 Inf values in 2 of its 3 samples; representations must be finite"),
    (np.array([[1e120, 0.0], [0.0, 1.0]]), r"`Y` has values of magnitude up to 1e\+120.*rescale the layer"),
    (np.array([[1e-120, 0.0], [0.0, 0.0]]), r"`Y` has values of magnitude up to 1e-120"),
])
def test_bad_representations_name_the_argument_the_expectation_and_what_came(Y, match):
    with pytest.raises((ValueError, TypeError), match=match):
        intra_distances(Y)


@pytest.mark.parametrize("dtype", [np.int8, np.int64, np.uint8, np.bool_, np.float16, np.float32])
def test_integer_bool_and_low_precision_inputs_are_computed_in_float64(dtype):
    rng = np.random.default_rng(1)
    Y = (rng.integers(0, 2, size=(12, 5))).astype(dtype)
    D = intra_distances(Y)
    np.testing.assert_array_equal(D, intra_distances(Y.astype(np.float64)))
    assert D.dtype == np.float64
    torch = pytest.importorskip("torch")
    np.testing.assert_array_equal(intra_distances(torch.from_numpy(Y.astype(np.float32)).half()), D)


def test_constant_layer_convention_gw_defined_others_refuse_by_name():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(10, 3))
    constant = np.full((10, 3), 7.0)
    assert not intra_distances(constant).any()  # zero distances, not 0/0 = NaN
    C2 = intra_distances(X)
    # GW(0, C2) = mean(C2²): every coupling costs the same
    assert distance(constant, X) == pytest.approx(np.mean(C2 ** 2), rel=1e-12)
    assert distance(constant, constant) == 0.0
    reps = {"a": X, "flat": constant, "c": np.tanh(X)}
    d = pairwise(reps)
    assert np.isfinite(d.matrix).all() and d["a", "flat"] == pytest.approx(np.mean(C2 ** 2), rel=1e-12)
    with pytest.raises(ValueError, match=r"`reps\['flat'\]`: measure 'cka': the layer has no variance"):
        pairwise(reps, "cka")
    with pytest.raises(ValueError, match=r"`reps\['flat'\]`: measure 'rsa': the layer's RDM is constant"):
        pairwise(reps, "rsa")


def _nan_compare(A, B):
    return float("nan")


NAN_MEASURE = Measure("test-nan", lambda Y: Y, _nan_compare, "always NaN (test only)", handles_different_dims=True)


def test_a_measure_that_returns_nan_is_an_error_naming_the_pair_never_a_silent_nan():
    X = np.random.default_rng(3).normal(size=(6, 2))
    with pytest.raises(ValueError, match=r"measure 'test-nan' gave nan for 'a' and 'b'.*nothing was stored"):
        pairwise({"a": X, "b": X + 1}, NAN_MEASURE)
    with pytest.raises(ValueError, match=r"measure 'test-nan' gave nan for 'Y1' and 'Y2'"):
        distance(X, X, NAN_MEASURE)


def test_sample_counts_widths_and_names():
    rng = np.random.default_rng(4)
    A, B = rng.normal(size=(10, 3)), rng.normal(size=(12, 4))
    with pytest.raises(ValueError, match=r"`Y1` has 10 samples but `Y2` has 12; measure 'cka' compares sample i"):
        distance(A, B, "cka")
    with pytest.raises(ValueError, match=r"measure 'euclidean' needs layers of equal width, but 'Y1' has 3 features "
                       r"and 'Y2' has 4; measures that handle different widths: \[.*'gw'"):
        distance(A, B[:10], "euclidean")
    assert np.isfinite(distance(A, B, "gw"))  # GW compares different sample counts and widths
    with pytest.raises(ValueError, match=r"`reps\['b'\]` has 12 samples but the other layers have 10"):
        pairwise({"a": A, "a2": A, "b": B})
    with pytest.raises(ValueError, match=r"`measure` must be one of .*got 'gromov'"):
        distance(A, A, "gromov")
    with pytest.raises(ValueError, match=r"did you mean 'cka'"):
        distance(A, A, "ckaa")
    with pytest.raises(TypeError, match=r"unknown option 'metrc' for measure 'gw'.*did you mean 'metric'"):
        distance(A, A, metrc="cosine")
    with pytest.raises(ValueError, match=r"`metric` must be one of \['euclidean', 'sqeuclidean', 'cosine'\], "
                       r"got 'cosin'; did you mean 'cosine'"):
        intra_distances(A, metric="cosin")
    with pytest.raises(TypeError, match=r"`reps` must map layer name -> array .* got list"):
        pairwise([A, A])


# --- bad input: distance matrices ----------------------------------------------------------
def test_distance_matrices_square_symmetric_finite():
    C = intra_distances(np.random.default_rng(5).normal(size=(6, 2)))
    with pytest.raises(ValueError, match=r"`C1` must be a square \(n, n\) distance matrix, got shape \(6, 5\)"):
        ss.gromov_wasserstein(C[:, :5], C)
    bad = C.copy()
    bad[0, 1] += 0.5
    with pytest.raises(ValueError, match=r"`C2` must be symmetric, but \|C - C.T\| reaches 0.5; symmetrise it"):
        ss.gromov_wasserstein(C, bad)
    names = tuple("abcdef")
    with pytest.raises(ValueError, match="`distances.matrix` must be symmetric"):
        find_subnetworks(LayerDistances(names, bad))
    diag = C.copy()
    diag[2, 2] = 1.0
    with pytest.raises(ValueError, match=r"must have a zero diagonal .* entry \[2, 2\] is 1"):
        find_subnetworks(LayerDistances(names, diag))
    with pytest.raises(ValueError, match=r"`distances.matrix` needs at least 2 layers, got shape \(1, 1\)"):
        find_subnetworks(LayerDistances(("a",), np.zeros((1, 1))))
    with pytest.raises(ValueError, match=r"`matrix` must have shape \(2, 2\) for 2 names, got \(3, 3\)"):
        LayerDistances(("a", "b"), np.zeros((3, 3)))


# --- bad input: files ----------------------------------------------------------------------
def test_damaged_distance_files_are_refused_by_api_and_cli(tmp_path, capsys):
    d = pairwise(layer_chain(n=15))
    d.save(tmp_path / "ok.json")
    cases = {
        "list.json": "[1, 2]",
        "cut.json": (tmp_path / "ok.json").read_text()[:200],
        "nomatrix.json": '{"format": "subnetscope.layer_distances", "names": ["a"]}',
        "text.npz": "not a zip",
    }
    expected = {
        "list.json": r"has format 'list', expected 'subnetscope.layer_distances'",
        "cut.json": r"is not valid JSON \(truncated or another format\?\)",
        "nomatrix.json": r"lacks \['matrix'\]; it is damaged",
        "text.npz": r"is not a subnetscope .npz \(truncated or another format\?\)",
    }
    for name, text in cases.items():
        (tmp_path / name).write_text(text)
        with pytest.raises(ValueError, match=expected[name]):
            LayerDistances.load(tmp_path / name)
        assert main(["subnetworks", str(tmp_path / name)]) == 2
        err = capsys.readouterr().err
        assert err.startswith("subnetscope subnetworks: error: distances file") and name in err
    assert main(["subnetworks", str(tmp_path / "missing.npz")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_damaged_capture_store_is_a_clean_error(tmp_path, capsys):
    torch = pytest.importorskip("torch")
    from subnetscope.capture import Representations, capture

    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh())
    capture(model, torch.randn(12, 3), ["0", "1"], batch_size=5, store=tmp_path / "s")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SUBNETSCOPE_MAX_MEMORY", "100B")  # 12 × 4 float32 = 192 B: refused before reading
        with pytest.raises(MemoryBudgetError, match=r"reading layer '0.Linear' of the capture store .* \(shape \(12, 4\), "
                           r"float32\) needs about 192 B, more than the 100 B allowed"):
            Representations.load(tmp_path / "s")["0"]
    shard = sorted((tmp_path / "s").glob("shard-*"))[1]
    shard.write_bytes(shard.read_bytes()[:40])  # truncated
    with pytest.raises(ValueError, match=r"shard 'shard-000000005.safetensors' cannot be read as layer '0.Linear' rows "
                       r"5..10 \(truncated, damaged or another format\?\)"):
        Representations.load(tmp_path / "s")["0"]
    assert main(["pairwise", str(tmp_path / "s"), "--out", str(tmp_path / "o")]) == 2
    assert "truncated, damaged or another format" in capsys.readouterr().err
    shard.unlink()
    assert main(["pairwise", str(tmp_path / "s"), "--out", str(tmp_path / "o")]) == 2
    assert "lacks its shard" in capsys.readouterr().err
    (tmp_path / "s" / "manifest.json").write_text('{"format": "subnetscope.capture", "lay')
    assert main(["pairwise", str(tmp_path / "s"), "--out", str(tmp_path / "o")]) == 2
    assert "is not valid JSON (truncated or another format?)" in capsys.readouterr().err


def test_reps_files_of_another_format_are_refused(tmp_path, capsys):
    (tmp_path / "x.npz").write_bytes(b"PK\x03\x04junk")
    np.savez(tmp_path / "obj.npz", a=np.array([None, 1], dtype=object))
    np.savez(tmp_path / "flat.npz", a=np.ones(4), b=np.ones((4, 2)))
    for name, match in [("x.npz", "not a readable .npz of named arrays"),
                        ("obj.npz", "not a readable .npz of named arrays"),
                        ("flat.npz", r"`reps\['a'\]` must have shape \(n_samples, n_features, ...\)"),
                        ("none.npz", "does not exist")]:
        assert main(["pairwise", str(tmp_path / name), "--out", str(tmp_path / "o")]) == 2
        assert re.search(match, capsys.readouterr().err), name


def test_run_folder_records_that_are_damaged_are_named(tmp_path):
    run = RunFolder(tmp_path / "run")
    (run.path / "run.json").write_text('{"study": "x"')
    with pytest.raises(ValueError, match=r"run record .*run.json' is not valid JSON"):
        run.read_meta()


def test_import_of_the_guard_keeps_subnetscope_light():
    code = "import subnetscope, subnetscope._memory, subnetscope._validation, sys; " \
           "print(any(m in sys.modules for m in ('torch', 'matplotlib', 'dask', 'distributed')))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def _file_writes(source: str):
    """(line, call, path expression) of every call in ``source`` that writes a file."""
    import ast

    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        target = None
        owner = ast.unparse(func.value) if isinstance(func, ast.Attribute) else ""
        if (name == "savefig" or (name in ("save", "savez", "savez_compressed") and owner in ("np", "numpy", "torch"))) \
                and node.args:
            # np.save(file, arr), fig.savefig(file); torch.save(obj, file). (Our own .save methods,
            # LayerDistances.save and RunFolder.save_*, write through atomic_path themselves.)
            target = node.args[1] if owner == "torch" and len(node.args) > 1 else node.args[0]
        elif name in ("save_file", "dump") and len(node.args) > 1:  # safetensors, json.dump(obj, file)
            target = node.args[1]
        elif name in ("write_text", "write_bytes") and isinstance(func, ast.Attribute):
            target = func.value
        elif name == "open" and len(node.args) > 1 and isinstance(node.args[1], ast.Constant) \
                and any(c in str(node.args[1].value) for c in "wax"):
            target = node.args[0]
        if target is not None:
            yield node.lineno, name, ast.unparse(target)


def test_every_result_file_is_written_through_a_temporary_path():
    # A static guard: each call that writes a file must write to the temporary path of
    # _io.atomic_path (named tmp, or an open handle/buffer on it), never to the final path.
    allowed = re.compile(r"^(str\()?(tmp|handle|buffer)\b")
    offenders, seen = [], 0
    for file in sorted((ROOT / "subnetscope").rglob("*.py")):
        for line, call, target in _file_writes(file.read_text(encoding="utf-8")):
            seen += 1
            if not allowed.match(target):
                offenders.append(f"{file.relative_to(ROOT)}:{line}: {call}({target} ...)")
    assert seen >= 8  # the scan does find the writers
    assert not offenders, "files written without atomic_path:\n" + "\n".join(offenders)
    bad = "import numpy as np\nnp.save(run.path / 'x.npy', a)\nopen(p, 'w')\nPath(q).write_text('x')\n"
    assert [t for _, _, t in _file_writes(bad)] == ["run.path / 'x.npy'", "p", "Path(q)"]


def test_a_wide_layer_never_gets_a_second_n_by_d_copy():
    import tracemalloc

    X = np.random.default_rng(6).normal(size=(100, 40_000))  # float64 already: no conversion copy
    tracemalloc.start()
    try:
        intra_distances(X)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # one 4096-feature block (3.3 MB) + the n × n matrices; a centred copy would be 32 MB
    assert peak < 0.25 * X.nbytes, f"peak {peak / 1e6:.1f} MB for a {X.nbytes / 1e6:.0f} MB layer"


def test_same_seed_same_subsample_bit_identical_across_serial_and_processes():
    reps = layer_chain(n=70, widths=(4, 6, 6, 5, 7), seed=8)
    serial = pairwise(reps, n_samples=40, seed=7)
    np.testing.assert_array_equal(pairwise(reps, n_samples=40, seed=7, n_jobs=2).matrix, serial.matrix)
    np.testing.assert_array_equal(pairwise(reps, n_samples=40, seed=7).matrix, serial.matrix)
    assert not np.array_equal(pairwise(reps, n_samples=40, seed=8).matrix, serial.matrix)


def test_cli_suggests_close_matches_for_commands_and_choices(capsys):
    for argv, hint in [(["pairwse"], "did you mean 'pairwise'"),  # first of the close matches
                       (["pairwise", "r.npz", "--out", "o", "--measure", "ckaa"], "did you mean 'cka'"),
                       (["subnetworks", "d.npz", "--method", "contiguos"], "did you mean 'contiguous'?")]:
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 2
        assert "invalid choice" in (err := capsys.readouterr().err) and hint in err, err


def test_docs_name_only_tests_that_exist():
    # docs/reliability.md cites `file::test`: each must exist (parametrised ids aside)
    import ast

    text = (ROOT / "docs" / "reliability.md").read_text(encoding="utf-8")
    cited = set(re.findall(r"(tests/[\w/]+\.py)::([\w:]+)", text))
    # "::name" continuing the previous file in a cell
    for cell in re.findall(r"`(tests/[\w/]+\.py)::[^`]+`((?:,\s*`::[\w]+`)+)", text):
        cited |= {(cell[0], name) for name in re.findall(r"::(\w+)", cell[1])}
    assert len(cited) >= 25
    missing = []
    for path, name in sorted(cited):
        tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
        defined = {node.name for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
        parts = name.split("::")
        if not all(part in defined for part in parts):
            missing.append(f"{path}::{name}")
    assert not missing, missing
