"""`subnetscope benchmark` end to end on the tiny preset: a smoke test, resuming, refusals."""

from __future__ import annotations

import json
import shutil

import pytest

from subnetscope.cli import main
from subnetscope.studies.benchmark import preset_cases, run_benchmark
from subnetscope.studies.benchmark.suite import measure_settings

MEASURES = ["cka", "gw", "euclidean"]


@pytest.fixture(scope="module")
def full_run(tmp_path_factory):
    """An uninterrupted tiny run, through the command line."""
    out = tmp_path_factory.mktemp("bench") / "run"
    code = main(["benchmark", "--preset", "tiny", "--measures", *MEASURES, "--out", str(out)])
    assert code == 0
    return out


def _rows(out):
    """Leaderboard rows without the run times (which differ between any two runs)."""
    rows = json.loads((out / "benchmark" / "leaderboard.json").read_text())["rows"]
    return [{k: v for k, v in r.items() if k != "seconds"} for r in rows]


def test_smoke_every_family_is_scored_or_dropped(full_run):
    families = {s.family for s in preset_cases("tiny")}
    assert families == {"stagewise-mlp", "stagewise-transformer", "stitched", "frozen-prefix", "planted",
                        "control", "model-l"}
    board = json.loads((full_run / "benchmark" / "leaderboard.json").read_text())
    scored = {p.parent.name for p in (full_run / "benchmark" / "scores").glob("*/*.json")}
    assert scored | set(board["dropped"]) == {s.name for s in preset_cases("tiny")}
    rows = board["rows"]
    assert {(r["measure"], r["setting"]) for r in rows} == {
        (m, s) for m in MEASURES for s in ("spectral/given", "spectral/auto", "contiguous/given", "contiguous/auto")}
    for r in rows:
        if r["measure"] != "euclidean" and r["ari"]["mean"] is not None:
            assert -1.0 <= r["ari"]["mean"] <= 1.0
    # a measure that cannot compare different widths says so in its row
    euclid = next(r for r in rows if r["measure"] == "euclidean")
    assert "cannot compare different widths" in euclid["note"]
    table = json.loads((full_run / "tables" / "leaderboard.json").read_text())
    assert len(table["rows"]) == len(rows) and "ARI [95% CI]" in table["columns"]
    assert len(list((full_run / "figures").glob("benchmark_*.png"))) == 4
    assert "Benchmark leaderboard" in (full_run / "report.html").read_text()


def test_planted_case_is_solved_by_gw(full_run):
    """The planted chain's groups are isometric copies: GW with the true k must find them."""
    record = json.loads((full_run / "benchmark" / "scores" / "planted-2-2-s0" / "gw.json").read_text())
    assert record["status"] == "ok"
    assert record["partitions"]["contiguous/given"]["ari"] == 1.0


def test_a_killed_run_resumes_with_only_the_missing_work(full_run, tmp_path):
    out = tmp_path / "run"
    # the made cases are reused (training them again would only cost time); scores start empty
    shutil.copytree(full_run / "benchmark" / "cases", out / "benchmark" / "cases")
    first = run_benchmark(out, preset="tiny", measures=["cka", "euclidean"], progress=False, report=False)
    assert first.computed and {m for _, m in first.computed} == {"cka", "euclidean"}
    # lose one finished result, as a kill between two writes would
    lost = out / "benchmark" / "scores" / "planted-2-2-s0" / "cka.json"
    lost.unlink()
    second = run_benchmark(out, preset="tiny", measures=MEASURES, progress=False, report=False)
    names = [s.name for s in preset_cases("tiny") if s.name not in second.dropped]
    expected = {(n, "gw") for n in names} | {("planted-2-2-s0", "cka")}
    assert set(second.computed) == expected  # no case rebuilt, nothing recomputed twice
    assert _rows(out) == _rows(full_run)


def test_other_settings_in_the_same_folder_are_refused(full_run, tmp_path):
    out = tmp_path / "copy"
    shutil.copytree(full_run, out)
    with pytest.raises(ValueError, match="other settings"):
        run_benchmark(out, preset="quick", measures=["cka"], progress=False, report=False)


def test_unknown_measure_and_contradicting_flags_are_refused(tmp_path, capsys):
    with pytest.raises(ValueError, match="unknown benchmark measure.*'gww'.*gw-pot-start"):
        measure_settings(["gww"])
    assert main(["benchmark", "--quick", "--preset", "tiny", "--out", str(tmp_path / "x")]) == 2
    assert "contradict" in capsys.readouterr().err
    assert measure_settings(["gw-pot-start"]) == {"gw-pot-start": ("gw", {"starts": ("product",), "warm_start": False})}


@pytest.mark.parametrize("preset", ["tiny", "quick", "full"])
def test_every_preset_case_fits_its_generator(preset):
    import inspect

    from subnetscope.studies.benchmark.suite import generators

    specs = preset_cases(preset)
    assert len({s.name for s in specs}) == len(specs)
    for spec in specs:
        inspect.signature(generators()[spec.generator]).bind(**spec.kwargs)  # TypeError on a wrong argument


def test_a_case_made_from_another_spec_is_refused(full_run, tmp_path):
    from subnetscope.studies.benchmark import Case

    out = tmp_path / "copy"
    shutil.copytree(full_run, out)
    path = out / "benchmark" / "cases" / "planted-2-2-s0.npz"
    case = Case.load(path)
    assert case.meta["spec"]["generator"] == "planted_chain"
    case.meta["spec"]["kwargs"]["noise"] = 0.5
    case.save(path)
    with pytest.raises(ValueError, match="planted-2-2-s0.*was made from"):
        run_benchmark(out, preset="tiny", measures=["cka"], progress=False, report=False)


def test_optional_variants_only_when_named():
    assert "gw-mean" not in measure_settings()
    assert measure_settings(["gw-mean"]) == {"gw-mean": ("gw", {"normalize": "mean"})}


def test_a_model_l_case_from_an_older_checkpoint_is_made_again_and_kept_aside(full_run, tmp_path):
    from subnetscope.studies.benchmark.cases import Case

    out = tmp_path / "copy"
    shutil.copytree(full_run, out)
    bench = out / "benchmark"
    path = bench / "cases" / "model-l-s0.npz"
    case = Case.load(path)
    current = case.meta["checkpoint"]
    case.meta["checkpoint"] = "modelL-000000000000.pt"  # as made by a release with other weights
    case.save(path)
    result = run_benchmark(out, preset="tiny", measures=MEASURES, progress=False, report=False)
    assert set(result.computed) == {("model-l-s0", None)} | {("model-l-s0", m) for m in MEASURES}
    assert Case.load(path).meta["checkpoint"] == current
    aside = bench / "stale" / "model-l-s0-modelL-000000000000.pt"
    assert (aside / "model-l-s0.npz").exists() and len(list((aside / "scores").glob("*.json"))) == len(MEASURES)
    assert _rows(out) == _rows(full_run)
