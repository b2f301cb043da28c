"""Run the benchmark: every case × every measure, cached, resumable, then the leaderboard.

For one case and one measure (:func:`evaluate`): the layer × layer matrix with
:func:`subnetscope.pairwise` (timed); :func:`subnetscope.find_subnetworks` with each method
(spectral, contiguous), the number of groups given (the true one; not for controls, where it
would be 1 by fiat) and chosen automatically (silhouette), each scored against the truth
(:mod:`.scores`); and the bootstrap stability of the automatic spectral partition
(:func:`subnetscope.bootstrap_subnetworks` on ``boot_n`` rows, ``boot`` replicates). A measure
that cannot compare layers of different widths gets a record saying so; a measure that fails
gets a record with its error. Nothing is dropped silently.

Resuming: the run folder keeps every made case (``benchmark/cases/<case>.npz``), every dropped
one (``benchmark/dropped/<case>.json``) and every case × measure record
(``benchmark/scores/<case>/<measure>.json``), each written atomically as soon as it is done. A
rerun with the same preset does only what is missing (``BenchmarkResult.computed`` lists it).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..._io import read_json, write_json
from .cases import Case, CaseDropped
from .scores import coassignment_agreement, score_partition
from .suite import PRESETS, measure_settings, preset_cases

__all__ = ["run_benchmark", "evaluate", "BenchmarkResult", "SETTINGS"]

#: (method, how the number of groups is set) pairs scored for every matrix.
_FAILURES = (ValueError, RuntimeError, np.linalg.LinAlgError, FloatingPointError)
SETTINGS = (("spectral", "given"), ("spectral", "auto"), ("contiguous", "given"), ("contiguous", "auto"))


@dataclass
class BenchmarkResult:
    """What a run did: its folder, the records, what was computed now, the dropped cases."""

    path: Path
    records: list = field(default_factory=list)
    computed: list = field(default_factory=list)
    dropped: dict = field(default_factory=dict)
    leaderboard: list = field(default_factory=list)


def evaluate(case: Case, measure: str, options: dict | None = None, *, boot: int = 2,
             boot_n: int | None = None, seed: int = 0) -> dict[str, Any]:
    """Score one measure on one case (see the module documentation); a JSON-ready record."""
    from ...analysis import bootstrap_subnetworks, find_subnetworks
    from ...engine.pairwise import pairwise
    from ...measures.registry import get_measure

    options = dict(options or {})
    record: dict[str, Any] = {"case": case.name, "family": case.family, "measure": measure, "options": options,
                              "n_layers": len(case.reps), "n_samples": case.n_samples, "k_true": case.n_groups,
                              "truth": case.truth.tolist()}
    if not get_measure(measure).handles_different_dims and len(set(case.widths)) > 1:
        return {**record, "status": "needs equal widths",
                "note": f"layer widths {sorted(set(case.widths))} differ; {measure} compares coordinates"}
    try:
        start = time.perf_counter()
        distances = pairwise(case.reps, measure, progress=False, seed=seed, **options)
        record["seconds"] = time.perf_counter() - start
        D = np.asarray(distances.matrix, dtype=float)
        if not np.all(np.isfinite(D)):
            return {**record, "status": "error: non-finite distances", "matrix": np.where(np.isfinite(D), D, -1).tolist()}
        record["matrix"] = D.tolist()
        partitions = {}
        for method, how in SETTINGS:
            if how == "given" and case.control:
                continue
            found = find_subnetworks(distances, case.n_groups if how == "given" else None, method, seed)
            partitions[f"{method}/{how}"] = {"labels": found.labels.tolist(),
                                             **score_partition(case.truth, found.labels)}
        record["partitions"] = partitions
    except _FAILURES as exc:
        return {**record, "status": f"error: {type(exc).__name__}: {exc}"}
    if boot > 0:
        m = None if boot_n is None or boot_n >= case.n_samples else int(boot_n)
        start = time.perf_counter()
        try:
            bs = bootstrap_subnetworks(case.reps, boot, n_samples=m, measure=measure, method="spectral",
                                       seed=seed, **options)
            record["stability"] = {"agreement": coassignment_agreement(bs.labels, bs.coassignment),
                                   "k": bs.n_groups, "B": boot, "n_samples": m,
                                   "seconds": time.perf_counter() - start}
        except _FAILURES as exc:  # the partitions stand; the stability is missing, and says why
            record["stability"] = {"error": f"{type(exc).__name__}: {exc}", "B": boot, "n_samples": m}
    return {**record, "status": "ok"}


def _settings_record(preset: str, seed: int) -> dict[str, Any]:
    import json

    return json.loads(json.dumps({"preset": preset, "seed": seed, "sizes": PRESETS[preset]}))


def _check_folder(bench: Path, settings: dict) -> None:
    """Refuse a folder made with another preset, seed or sizes (each case checks its own spec)."""
    path = bench / "settings.json"
    if path.exists():
        old = read_json(path, "benchmark settings")
        if old != settings:
            keys = sorted(k for k in set(old) | set(settings) if old.get(k) != settings.get(k))
            raise ValueError(f"run folder {str(bench.parent)!r} holds a benchmark made with other settings "
                             f"(differ: {', '.join(keys)}; there: preset {old.get('preset')!r}); "
                             "use another --out or the same preset")
    else:
        write_json(path, settings)


def _set_aside(bench: Path, name: str, made_from: dict, now: dict, progress: bool) -> None:
    """Move a stale case and its scores to ``benchmark/stale/`` (kept, not deleted): it was made
    from other inputs (e.g. an older shipped checkpoint) than the ones it would be made from now."""
    import shutil

    tag = "-".join(str(v) for v in made_from.values()).replace("/", "_") or "old"
    target = bench / "stale" / f"{name}-{tag}"
    target.mkdir(parents=True, exist_ok=True)
    shutil.move(str(bench / "cases" / f"{name}.npz"), str(target / f"{name}.npz"))
    if (bench / "scores" / name).exists():
        shutil.move(str(bench / "scores" / name), str(target / "scores"))
    if progress:
        print(f"[benchmark] {name}: made from {made_from}, now {now}; old case and scores moved to "
              f"{target}, making it again", flush=True)


def _case(spec, bench: Path, progress: bool):
    """The made case (from the folder if there), or None when dropped (recorded)."""
    import json

    path, dropped = bench / "cases" / f"{spec.name}.npz", bench / "dropped" / f"{spec.name}.json"
    spec_record = json.loads(json.dumps(spec.to_dict()))
    provenance = spec.provenance()
    if path.exists():
        case = Case.load(path)
        if case.meta.get("spec", spec_record) != spec_record:
            raise ValueError(f"case {spec.name!r} in {str(path)!r} was made from {case.meta['spec']}, the preset now "
                             f"says {spec_record}; remove that file (and its scores) to make it again")
        made_from = {k: case.meta.get(k) for k in provenance}
        if made_from == provenance:
            return case, False
        _set_aside(bench, spec.name, made_from, provenance, progress)
    if dropped.exists():
        return None, False
    start = time.perf_counter()
    try:
        case = spec.make()
    except CaseDropped as exc:
        write_json(dropped, {"case": spec.name, "family": spec.family, "reason": exc.reason, "meta": exc.meta})
        if progress:
            print(f"[benchmark] {spec.name}: dropped ({exc.reason})", flush=True)
        return None, True
    case.meta["build_seconds"] = time.perf_counter() - start
    case.meta["spec"] = spec_record
    path.parent.mkdir(parents=True, exist_ok=True)
    case.save(path)
    return case, True


def run_benchmark(out: str | Path, *, preset: str = "quick", measures: Sequence[str] | None = None,
                  seed: int = 0, progress: bool = True, report: bool = True) -> BenchmarkResult:
    """Run (or resume) the benchmark ``preset`` into the run folder ``out``.

    Parameters
    ----------
    out : path
        Run folder (:class:`subnetscope.RunFolder` layout); an existing one made with the same
        preset is resumed, one made with another preset is refused.
    preset : {"tiny", "quick", "full"}
        Case list and sizes (:data:`~subnetscope.studies.benchmark.suite.PRESETS`).
    measures : list of str, optional
        Measure labels (registered names and ``"gw-pot-start"``); default all.
    seed : int
        Seed of the row subsamples and clustering.
    progress : bool
        One line per case × measure.
    report : bool
        Write report.html (leaderboard tables and figures) at the end.
    """
    from ...runs import RunFolder
    from .leaderboard import write_leaderboard

    settings = measure_settings(measures)
    run = RunFolder(out)
    bench = run.path / "benchmark"
    bench.mkdir(exist_ok=True)
    _check_folder(bench, _settings_record(preset, seed))
    sizes = PRESETS[preset]
    run.update_meta(study="benchmark", title=f"benchmark ({preset})",
                    options={"preset": preset, "measures": list(settings), "seed": seed, **sizes})
    result = BenchmarkResult(run.path)
    for spec in preset_cases(preset):
        case, new = _case(spec, bench, progress)
        if new and case is not None:
            result.computed.append((spec.name, None))
        if case is None:
            result.dropped[spec.name] = read_json(bench / "dropped" / f"{spec.name}.json", "dropped case")
            continue
        for label, (measure, options) in settings.items():
            path = bench / "scores" / spec.name / f"{label}.json"
            if path.exists():
                record = read_json(path, "benchmark record")
            else:
                record = evaluate(case, measure, options, boot=sizes["boot"], boot_n=sizes["boot_n"], seed=seed)
                record["label"] = label
                write_json(path, record)
                result.computed.append((spec.name, label))
                if progress:
                    best = record.get("partitions", {}).get("contiguous/given", {}).get("ari")
                    print(f"[benchmark] {spec.name} × {label}: {record['status']}"
                          + (f", {record['seconds']:.1f} s" if "seconds" in record else "")
                          + (f", contiguous/given ARI {best:.2f}" if best is not None else ""), flush=True)
            record.setdefault("truth", case.truth.tolist())  # records written before it was kept
            result.records.append(record)
    result.leaderboard = write_leaderboard(run, result.records, result.dropped, list(settings))
    if report:
        from ...report.html import write_report

        write_report(run.path)
    return result
