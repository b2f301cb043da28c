"""Round two of the adversarial pass (issue #24): every case it found, and its class.

Options of every measure and entry point are checked where they enter, by one template
(subnetscope/_options.py) with the option's name in the message; extreme magnitudes give a
correct (scale-free) result or a refusal; files from outside (distance files, run records,
caches, model files, CIFAR batches) are checked like computed results and never run code.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest

import subnetscope as ss
from subnetscope import LayerDistances, distance, find_subnetworks, intra_distances, pairwise
from subnetscope._options import Option, OptionError
from subnetscope.cli import main
from subnetscope.engine import cache as cache_module
from subnetscope.measures.gw import gromov_wasserstein
from subnetscope.measures.registry import Measure
from tests.conftest import layer_chain

ROOT = Path(__file__).resolve().parents[1]
RNG = np.random.default_rng(24)
X = RNG.normal(size=(16, 4))
Y = np.tanh(X @ RNG.normal(size=(4, 4)))


# --- options: one template, driven by the registry's specs ------------------------------
def _bad_values(spec: Option) -> list:
    if spec.kind == "int":
        return ["10", 1.5, True] + ([spec.low - 1] if spec.low is not None else [])
    if spec.kind == "number":
        return ["x", float("nan")] + ([spec.high + 1] if spec.high is not None else [spec.low - 1])
    if spec.kind in ("choice", "names"):
        return ["nope", 3]
    if spec.kind == "bool":
        return ["yes"]
    if spec.kind == "device":
        return [5]
    raise AssertionError(spec.kind)


def test_every_builtin_option_has_a_spec_and_a_bad_value_names_that_option(monkeypatch):
    module = __import__("subnetscope.engine.pairwise", fromlist=["prepare_layers"])

    def never(*args, **kwargs):
        raise AssertionError("layers were prepared before the options were checked")

    monkeypatch.setattr(module, "prepare_layers", never)
    checked = 0
    for name in ss.list_measures():
        measure = ss.get_measure(name)
        assert set(measure.option_specs) == set(measure.options), name  # every option declared
        for option, spec in measure.option_specs.items():
            for bad in _bad_values(spec):
                with pytest.raises(OptionError, match=rf"measure '{name}': `{option}` must be .*got"):
                    distance(X, Y, name, **{option: bad})
                with pytest.raises((TypeError, ValueError), match=rf"`{option}`"):
                    pairwise({"a": X, "b": Y}, name, **{option: bad})
                checked += 1
    assert checked > 60


@pytest.mark.parametrize("call, match", [
    (lambda: distance(X, Y, "gw", max_iter="10"), r"`max_iter` must be an integer ≥ 1, got '10' \(str\)"),
    (lambda: gromov_wasserstein(intra_distances(X), intra_distances(Y), threads="x"), r"`threads` must be an integer"),
    (lambda: intra_distances(X, chunk_size="a"), r"intra_distances: `chunk_size` must be an integer ≥ 1 or None"),
    (lambda: distance(X, Y, "msid", exact_max_n="x"), r"`exact_max_n` must be an integer"),
    (lambda: distance(X, Y, "msid", seed="abc"), r"`seed` must be an integer ≥ 0, got 'abc'"),
    (lambda: distance(X, Y, "msid", seed=-1), r"`seed` must be an integer ≥ 0, got -1"),
    (lambda: distance(X, Y, "msid", seed=1.5), r"`seed` must be an integer ≥ 0, got 1.5"),
    (lambda: pairwise({"a": X, "b": Y}, "cka", n_samples=8, seed="abc"), r"pairwise: `seed` must be an integer"),
    (lambda: pairwise({"a": X, "b": Y}, "cka", n_samples=8, seed=-1), r"`seed` must be an integer ≥ 0, got -1"),
    (lambda: pairwise({"a": X, "b": Y}, "cka", n_samples=8, seed=1.5), r"`seed` must be an integer ≥ 0, got 1.5"),
    (lambda: pairwise({"a": X, "b": Y}, "cka", n_samples="10"), r"`n_samples` must be an integer ≥ 2 or None"),
    (lambda: pairwise({"a": X, "b": Y}, "cka", warm_start="no"), r"`warm_start` must be True or False"),
    (lambda: pairwise({"a": X, "b": Y}, "cka", max_memory=float("nan")), r"`max_memory` must be a size ≥ 0"),
    (lambda: ss.to_target({"a": X}, np.arange(16) % 4, embedding="circular", period="abc"),
     r"`period` must be a number > 0"),
    (lambda: distance(X, Y, "agw", max_iter=0), r"measure 'agw': `max_iter` must be an integer ≥ 1, got 0"),
    (lambda: distance(X, Y, "rsa", rdm="manhattan"), r"`rdm` must be one of .*got 'manhattan'"),
    (lambda: ss.get_measure("rsm").prepare(X, rdm="manhattan"), r"measure 'rsm': `rdm` must be one of"),
    # the same class at the analysis entry points (the seed went to scikit-learn unchecked)
    (lambda: find_subnetworks(LayerDistances(("a", "b", "c"), 1 - np.eye(3)), seed=-1),
     r"find_subnetworks: `seed` must be an integer ≥ 0, got -1"),
    (lambda: ss.probe({"a": X}, np.arange(16) % 2, seed="a"), r"probe: `seed` must be an integer ≥ 0, got 'a'"),
    (lambda: ss.bootstrap_subnetworks({"a": X, "b": Y}, B=2, measure="cka", progress="x"),
     r"bootstrap_subnetworks: `progress` must be True or False"),
])
def test_issue_examples_are_errors_naming_their_own_argument(call, match):
    with pytest.raises((TypeError, ValueError), match=match):
        call()


def test_max_memory_inf_means_no_limit_like_off():
    reps = layer_chain(n=12, widths=(3, 4, 5))
    np.testing.assert_array_equal(pairwise(reps, "cka", max_memory=float("inf")).matrix,
                                  pairwise(reps, "cka", max_memory="off").matrix)


def test_gw_init_and_unchecked_input_are_still_checked():
    C1, C2 = intra_distances(X), intra_distances(Y)
    with pytest.raises(ValueError, match=r"`init` must be a permutation of 0..15, but it has entries out of 0..15"):
        gromov_wasserstein(C1, C2, init=np.arange(16) + 5)
    with pytest.raises(ValueError, match="repeated entries"):
        gromov_wasserstein(C1, C2, init=np.zeros(16, int))
    plan = np.full((16, 16), 1 / 256)
    bad = plan.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match=r"`init` as a plan must be finite and non-negative; it has 1 NaN"):
        gromov_wasserstein(C1, C2, init=bad)
    with pytest.raises(ValueError, match=r"`init` as a plan must have uniform marginals"):
        gromov_wasserstein(C1, C2, init=plan * 2)
    assert "init" in gromov_wasserstein(C1, C2, init=plan).values  # a valid plan is a start
    C = C1.copy()
    C[0, 1] = C[1, 0] = np.nan
    with pytest.raises(ValueError, match=r"`C1` contains 2 NaN or Inf entries \(check_input=False skips"):
        gromov_wasserstein(C, C2, check_input=False)  # it used to hang


# --- magnitudes: scale-free or refused ----------------------------------------------------
def test_gw_is_scale_free_near_the_float64_limits_or_refuses_an_unrepresentable_value():
    C1, C2 = intra_distances(X), intra_distances(Y)
    reference = gromov_wasserstein(C1, C2).value
    for a in (1e-60, 1e-35, 1e35, 1e60, 1e150):  # GW(aC1, aC2) = a² GW(C1, C2)
        assert gromov_wasserstein(a * C1, a * C2).value / (a * a) == pytest.approx(reference, rel=1e-9)
    with pytest.raises(ValueError, match=r"float64 cannot hold \(underflow: it would read 0, as if identical\)"):
        gromov_wasserstein(1e-200 * C1, 1e-200 * C2)
    with pytest.raises(ValueError, match=r"float64 cannot hold \(overflow\)"):
        distance(X * 1e90, Y * 1e90, "gw", metric="sqeuclidean", normalize="none")
    assert gromov_wasserstein(1e-200 * C1, 1e-200 * C1).value == 0.0  # identical: 0 is the true value


def test_wasserstein_is_scale_free_and_unchanged_at_ordinary_scales():
    import ot
    from scipy.spatial.distance import cdist

    B = X**2
    reference = distance(X, B, "wasserstein")
    w = np.full(16, 1 / 16)
    assert reference == max(float(ot.emd2(w, w, cdist(X, B), numItermax=10_000_000)), 0.0)  # bit for bit
    for a in (1e-90, 1e-15, 1e15, 1e90):  # was 21% off below ~1e-13
        assert distance(a * X, a * B, "wasserstein") / a == pytest.approx(reference, rel=1e-12)


@pytest.mark.parametrize("scale", [5e-324, 1e-200, 1e308])
def test_find_subnetworks_recovers_planted_groups_at_any_magnitude(scale):
    M = np.ones((6, 6))
    M[:3, :3] = M[3:, 3:] = 0.0
    np.fill_diagonal(M, 0.0)
    for method in ("spectral", "contiguous"):
        found = find_subnetworks(LayerDistances(tuple("abcdef"), M * scale), method=method)
        assert found.groups == [["a", "b", "c"], ["d", "e", "f"]], (scale, method)


# --- objects from outside ---------------------------------------------------------------
def _npz(path, **arrays):
    with open(path, "wb") as handle:
        np.savez(handle, **arrays)
    return path


def test_damaged_or_forged_distance_files_are_refused_naming_the_file(tmp_path, capsys):
    good = LayerDistances(("a", "b"), np.array([[0, 1.0], [1.0, 0]]))
    meta = json.dumps({"format": "subnetscope.layer_distances", "version": 1})
    names, square = np.array(["a", "b"]), good.matrix
    cases = {  # file: (metadata, names, matrix, expected message)
        "list.npz": ("[1, 2]", names, square, "has format 'list'"),
        "null.npz": ("null", names, square, "has format 'NoneType'"),
        "nan.npz": (meta, names, np.array([[0, np.nan], [np.nan, 0]]), "NaN or Inf"),
        "asym.npz": (meta, names, np.array([[0, 1.0], [1.5, 0]]), "must be symmetric"),
        "names2d.npz": (meta, np.array([["a"], ["b"]]), square, "flat list of strings"),
    }
    for name, (metadata, labels, matrix, match) in cases.items():
        with pytest.raises(ValueError, match=rf"distances file '[^']*{name}'.*{match}"):
            LayerDistances.load(_npz(tmp_path / name, metadata=np.array(metadata), names=labels, matrix=matrix))
    np.save(tmp_path / "single.npy", good.matrix)
    (tmp_path / "single.npz").write_bytes((tmp_path / "single.npy").read_bytes())
    with pytest.raises(ValueError, match=r"single.npz' is not a subnetscope .npz .*a .npy file"):
        LayerDistances.load(tmp_path / "single.npz")
    (tmp_path / "nan.json").write_text(json.dumps({**good.to_dict(), "matrix": [[0, float("nan")], [float("nan"), 0]]}))
    with pytest.raises(ValueError, match=r"nan.json'.*NaN or Inf"):
        LayerDistances.load(tmp_path / "nan.json")
    assert main(["subnetworks", str(tmp_path / "asym.npz"), "--out", str(tmp_path / "o")]) == 2
    assert "must be symmetric" in capsys.readouterr().err
    # a .npy given where an .npz of layers is expected, through the CLI
    assert main(["pairwise", str(tmp_path / "single.npz"), "--out", str(tmp_path / "p")]) == 2
    assert "a .npy file?" in capsys.readouterr().err


def test_outputs_under_a_file_or_unwritable_are_clear_errors_before_any_work(tmp_path, capsys, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    d = LayerDistances(("a", "b"), np.array([[0, 1.0], [1.0, 0]]))
    with pytest.raises(NotADirectoryError, match=r"cannot write .*: '.*file' is a file, not a folder"):
        d.save(blocker / "sub" / "d.npz")
    _npz(tmp_path / "reps.npz", **layer_chain(n=10, widths=(3, 4)))
    assert main(["pairwise", str(tmp_path / "reps.npz"), "--out", str(blocker / "out"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "--out" in err and "is a file, not a folder" in err and "Traceback" not in err

    import tempfile

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", denied)  # as a non-root user in a read-only folder
    assert main(["pairwise", str(tmp_path / "reps.npz"), "--out", str(tmp_path / "ro"), "--no-progress"]) == 2
    assert "no permission to create files in" in capsys.readouterr().err


def test_run_record_that_is_not_an_object_is_named(tmp_path, capsys):
    run = ss.RunFolder(tmp_path / "run")
    run.meta_path.write_text("[1, 2]")
    with pytest.raises(ValueError, match=r"run record .* must hold a JSON object, got a list"):
        run.read_meta()
    assert main(["report", str(tmp_path / "run")]) == 2
    assert "must hold a JSON object" in capsys.readouterr().err


def test_targets_and_layers_of_the_wrong_shape_or_kind():
    reps = {"a": X, "b": Y}
    target = np.array([1, 2, None, 3] * 4, dtype=object)
    for call in (lambda: ss.to_target(reps, target), lambda: ss.to_target(reps, target, embedding="onehot"),
                 lambda: ss.probe(reps, target)):
        with pytest.raises(ValueError, match=r"`target` has 4 missing values \(None or NaN\), the first at position 2"):
            call()
    with pytest.raises(TypeError, match=r"`target` mixes values of types \['int', 'str'\]"):
        ss.to_target(reps, np.array([1, "a"] * 8, dtype=object), embedding="onehot")
    with pytest.raises(TypeError, match=r"`reps\['a'\]` .*rows have different lengths \(a ragged list\)"):
        pairwise({"a": [[1.0, 2.0], [3.0]], "b": X[:2]})
    lists = pairwise({"a": X.tolist(), "b": Y.tolist()}, "cka", n_samples=10)
    np.testing.assert_array_equal(lists.matrix, pairwise({"a": X, "b": Y}, "cka", n_samples=10).matrix)


# --- silent wrong results -----------------------------------------------------------------
def _forge(file: Path, cache: Path, value=None, permutation=None, pair=None):
    """Rewrite a pair file with a consistent checksum (what a forger who read the code can do)."""
    key = json.loads((cache / "manifest.json").read_text())
    key = cache_module.PairCache(cache, {k: v for k, v in key.items() if k not in ("format", "version")}).key
    with np.load(file) as archive:
        value = archive["value"] if value is None else np.float64(value)
        perm = archive["permutation"] if permutation is None else np.asarray(permutation, np.int64)
        pair = tuple(archive["pair"]) if pair is None else pair
    with open(file, "wb") as handle:
        np.savez(handle, value=value, permutation=perm, pair=np.array(pair, np.int64), key=np.array(key),
                 checksum=np.array(cache_module._checksum(value, perm, pair, key)))


def test_cache_pairs_are_bound_to_their_pair_and_data_and_checked_like_computed_values(tmp_path):
    reps = layer_chain(n=16, widths=(3, 4, 5, 4))
    cache = tmp_path / "cache"
    fresh = pairwise(reps, "gw", cache_dir=cache)
    pairs = cache / "pairs"

    def rerun(expected_cached):
        again = pairwise(reps, "gw", cache_dir=cache)
        np.testing.assert_array_equal(again.matrix, fresh.matrix)
        assert again.info["n_cached"] == expected_cached
    # a pair file copied onto another pair's name is not that pair
    (pairs / "00000-00002.npz").write_bytes((pairs / "00000-00001.npz").read_bytes())
    rerun(5)
    # forged values with a consistent checksum: −1, NaN, and a GW value off by 0.5
    for value in (-1.0, np.nan, float(fresh.matrix[1, 2]) + 0.5):
        _forge(pairs / "00001-00002.npz", cache, value=value)
        rerun(5)
    # forged permutations: out of range, wrong length
    for perm in (np.arange(16) + 3, np.arange(8)):
        _forge(pairs / "00000-00001.npz", cache, permutation=perm)
        rerun(5)
    # the manifest deleted, then other data: no pair of the old data is reused
    (cache / "manifest.json").unlink()
    other = {k: v + 0.01 * np.sin(v) for k, v in reps.items()}
    again = pairwise(other, "gw", cache_dir=cache)
    assert again.info["n_cached"] == 0
    np.testing.assert_array_equal(again.matrix, pairwise(other, "gw").matrix)


def _minus_one(a, b):
    return -1.0


def test_values_of_a_registered_measure_are_checked_in_pairwise_and_to_target():
    negative = Measure("test-negative", lambda Y: Y, _minus_one, "always −1 (test only)", handles_different_dims=True)
    with pytest.raises(ValueError, match=r"measure 'test-negative' gave -1 for 'a' and 'b', but its values are dist"):
        pairwise({"a": X, "b": Y}, negative)
    with pytest.raises(ValueError, match=r"measure 'test-negative' gave -1 for 'a' and 'target'"):
        ss.to_target({"a": X}, np.arange(16.0), negative)
    signed = Measure("test-signed", lambda Y: Y, _minus_one, "signed (test only)", handles_different_dims=True,
                     non_negative=False)
    assert pairwise({"a": X, "b": Y}, signed).matrix[0, 1] == -1.0
    nan = Measure("test-nan2", lambda Y: Y, lambda a, b: float("nan"), "NaN (test only)", handles_different_dims=True)
    with pytest.raises(ValueError, match=r"measure 'test-nan2' gave nan for 'a' and 'target'"):
        ss.to_target({"a": X}, np.arange(16.0), nan)
    text = Measure("test-text", lambda Y: Y, lambda a, b: "close", "text (test only)", handles_different_dims=True)
    with pytest.raises(TypeError, match=r"compare must return a number, it returned str 'close'"):
        distance(X, Y, text)


def test_report_shows_damaged_files_as_damaged_and_writes_no_bare_nan(tmp_path):
    run = ss.RunFolder(tmp_path / "run")
    good = pairwise(layer_chain(n=12, widths=(3, 4, 5)), "cka")
    run.save_distances("cka", good)
    run.save_subnetworks("cka", find_subnetworks(good))
    LayerDistances(good.names, np.where(np.eye(3) > 0, 0.0, np.nan), "gw").save(run.distances_path("gw"))
    (run.path / "subnetworks" / "gw.json").write_text('{"names": [], "labels": [], "method": "spectral"}')
    (run.path / "subnetworks" / "bad.json").write_text('{"names": ["a"')
    text = ss.write_report(run.path).read_text()
    assert "gw: damaged distance matrix" in text and "gw: damaged sub-network record" in text
    assert "bad: damaged sub-network record" in text and "gw: 0 sub-networks" not in text
    assert "cka: " in text and "nan (dark)" not in text
    scripts = text.split('<script type="application/json"')[1:]
    assert scripts and not any(token in s.split("</script>")[0] for s in scripts for token in ("NaN", "Infinity"))
    from subnetscope.report.elements import json_script as _json_script

    assert _json_script("x", {"m": [[0.0, float("nan")]]}).endswith('{"m":[[0.0,null]]}</script>')


# --- security: no code runs because a file says so ----------------------------------------
class _Touch:
    """A pickle payload that would create ``marker`` when unpickled."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (Path(self.marker),))


def test_capture_reads_weights_only_unless_trusted(tmp_path, capsys):
    import torch

    from subnetscope.cli.capture import load_model
    from subnetscope.models import ModularTransformer

    marker = tmp_path / "ran"
    torch.save({"class": "subnetscope.models:ModularTransformer", "config": {}, "state_dict": {},
                "payload": _Touch(marker)}, tmp_path / "evil.pt")
    torch.save(torch.zeros(2, 2), tmp_path / "inputs.pt")
    assert main(["capture", str(tmp_path / "evil.pt"), str(tmp_path / "inputs.pt"), "--layers", "a",
                 "--out", str(tmp_path / "s")]) == 2
    err = capsys.readouterr().err
    assert "is not weights-only" in err and "--trust-pickle" in err and not marker.exists()
    torch.save({"class": "torch.nn:Linear", "config": {"in_features": 2, "out_features": 3},
                "state_dict": torch.nn.Linear(2, 3).state_dict()}, tmp_path / "outside.pt")
    with pytest.raises(ValueError, match=r"class 'torch.nn:Linear', outside \['subnetscope.models'\].*--trust-pickle"):
        load_model(tmp_path / "outside.pt")
    assert isinstance(load_model(tmp_path / "outside.pt", trust_pickle=True)[0], torch.nn.Linear)
    torch.save(torch.nn.Linear(2, 2), tmp_path / "module.pt")
    with pytest.raises(ValueError, match="not weights-only"):
        load_model(tmp_path / "module.pt")
    assert isinstance(load_model(tmp_path / "module.pt", trust_pickle=True)[0], torch.nn.Linear)
    from safetensors.torch import save_file

    model = ModularTransformer(5, 5, n_blocks=1, d_model=8, n_heads=2, d_head=4, d_mlp=8)
    save_file(model.state_dict(), str(tmp_path / "m.safetensors"),
              metadata={"class": "subnetscope.models:ModularTransformer", "config": json.dumps(model.config)})
    loaded, _ = load_model(tmp_path / "m.safetensors")
    for key, value in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value)


def test_cifar_batches_are_unpickled_with_only_the_types_the_format_holds(tmp_path):
    from subnetscope.studies.vision.data import _read_batch

    batch = {b"data": np.arange(2 * 3072).astype(np.uint8).reshape(2, 3072), b"labels": [3, 9],
             b"batch_label": b"test", b"filenames": [b"a.png", b"b.png"]}
    for protocol in (2, 4, 5):
        data, labels = _read_batch(pickle.dumps(batch, protocol=protocol), "t")
        np.testing.assert_array_equal(data, batch[b"data"])
        assert labels.tolist() == [3, 9]
    marker = tmp_path / "ran"
    with pytest.raises(ValueError, match=r"CIFAR-10 batch evil .* names pathlib.Path.touch.*refused"):
        _read_batch(pickle.dumps({b"data": _Touch(marker), b"labels": []}), "evil")
    assert not marker.exists()


def test_the_package_has_no_unrestricted_unpickling_eval_or_exec():
    import re

    allowed = {("subnetscope/capture/loading.py", "weights_only=False")}  # behind --trust-pickle only
    found = set()
    for path in (ROOT / "subnetscope").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for pattern in (r"pickle\.loads?\(", r"weights_only=False", r"(?<![\w.`])eval\(", r"(?<![\w.`])exec\(",
                        r"allow_pickle=True", r"pickle\.Unpickler\("):
            for hit in re.findall(pattern, text):
                found.add((path.relative_to(ROOT).as_posix(), hit))
    assert found == allowed, found
    text = (ROOT / "subnetscope/capture/loading.py").read_text(encoding="utf-8")
    assert text.count("weights_only=False") == 1 and "if not trust_pickle" in text


@pytest.mark.slow
def test_two_runs_on_one_cache_at_the_same_time_lose_nothing_and_agree(tmp_path):
    import os
    import subprocess
    import sys

    reps = layer_chain(n=40, widths=(5, 9, 9, 12, 6, 10, 8, 7), seed=5)  # 28 pairs
    _npz(tmp_path / "reps.npz", **reps)

    def start(out):
        return subprocess.Popen([sys.executable, "-m", "subnetscope", "pairwise", str(tmp_path / "reps.npz"),
                                 "--out", str(tmp_path / out), "--cache", str(tmp_path / "cache"), "--no-progress"],
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env={**os.environ, "OMP_NUM_THREADS": "1"})
    runs = [start("a"), start("b")]  # both open the same cache folder while it is still empty
    for run in runs:
        out, err = run.communicate(timeout=600)
        assert run.returncode == 0, err.decode()
    fresh = pairwise(reps, "gw")
    for out in ("a", "b"):
        np.testing.assert_array_equal(LayerDistances.load(tmp_path / out / "distances" / "gw.npz").matrix, fresh.matrix)
    assert len(list((tmp_path / "cache" / "pairs").glob("*.npz"))) == 28
    assert not list((tmp_path / "cache").rglob("*.tmp"))  # no temporary file left behind
    third = pairwise(reps, "gw", cache_dir=tmp_path / "cache")
    assert third.info["n_cached"] == 28
    np.testing.assert_array_equal(third.matrix, fresh.matrix)
