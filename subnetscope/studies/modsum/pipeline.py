"""The study's pipeline: train or load, capture, all-pairs GW, targets, probes, figures, report."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from ...runs import RunFolder
from .checkpoints import load_or_train
from .config import PAPER_SCALE, TARGET_EMBEDDINGS, ModSumConfig
from .data import modsum_data
from .representations import capture_modsum, paper_name

__all__ = ["run", "run_modsum", "target_table", "PAPER_SCALE", "TARGET_EMBEDDINGS"]


_SOURCES = {"trained": "", "cache": " (checkpoint from the cache)",
            "shipped": " (checkpoint shipped with subnetscope; --retrain to train it here)"}


def target_table(distances: Mapping[str, Mapping[str, float]], *, tolerance: float = 0.005,
                 names=paper_name) -> list[list[Any]]:
    """Table 1/4 rows: target, closest layers (those within ``tolerance`` of the best), D_min.

    ``distances`` maps target -> {layer: value}. Layers are shown with their paper names.
    """
    rows = []
    for target, values in distances.items():
        finite = {k: v for k, v in values.items() if np.isfinite(v)}
        if not finite:
            rows.append([target, "", float("nan"), 0])
            continue
        best = min(finite.values())
        close = sorted((k for k, v in finite.items() if v <= best + tolerance), key=finite.get)
        shown = ", ".join(names(k) for k in close[:3])
        if len(close) > 3:
            shown += f" and {len(close) - 3} others"
        rows.append([target, shown, round(float(best), 4), len(close)])
    return rows


def _embedded_targets(model: str, data, rows: np.ndarray, embedding: str):
    """(label, target array, to_target embedding) for each known target of ``model``.

    ``"stage"``: what each stage was trained to output, (c1, b) and (c2, b) for Model L's
    stages 1 and 2 (one-hot of both columns side by side) and c, all one-hot.
    """
    names = ["c"] if model == "0" else ["c1", "c2", "c"]
    if embedding != "stage":
        return [(t, data.targets[t][rows], embedding) for t in names]
    staged = []
    for t in names:
        if model == "L" and t != "c":
            staged.append((f"({t}, b)", np.stack([data.targets[t][rows], data.targets["b"][rows]], axis=1), "onehot"))
        else:
            staged.append((t, data.targets[t][rows], "onehot"))
    return staged


def run(out: str | Path, config: ModSumConfig | None = None, *, log=print) -> RunFolder:
    """Run the study with ``config`` into the run folder ``out`` (created if missing) and return it.

    Trains or loads Model ``config.model``, then all-pairs GW, sub-networks, GW to the known
    targets (Table 1), probes (Table 4), baselines, POT's start, figures and report as
    :class:`ModSumConfig` says; the summary is run.json's ``"summary"``. The paper's setting:
    ``run(out, ModSumConfig.paper())``. ``log`` receives every line printed.
    """
    config = ModSumConfig() if config is None else config
    if not isinstance(config, ModSumConfig):
        raise TypeError(f"`config` must be a ModSumConfig, got {type(config).__name__}")
    return _run(out, config, log)[0]


def run_modsum(out: str | Path, *, log=print, **options: Any) -> dict[str, Any]:
    """:func:`run` with the options of :class:`ModSumConfig` as keywords; returns the summary.

    ``run_modsum(out, model="0", samples=12)`` is ``run(out, ModSumConfig(model="0", samples=12))``
    and returns the dict also stored in run.json under ``"summary"``.
    """
    return _run(out, ModSumConfig(**options), log)[1]


def _run(out, config: ModSumConfig, log) -> tuple[RunFolder, dict[str, Any]]:
    from ...analysis import find_subnetworks, probe, to_target
    from ...engine.pairwise import pairwise
    from .._run import StudyRun, data_key

    model, samples, seed, probes, probe_samples = (config.model, config.samples, config.seed, config.probes,
                                                   config.probe_samples)
    embeddings, n_groups, n_jobs, progress = config.embedding, config.n_groups, config.n_jobs, config.progress
    study = StudyRun(out, "modsum", config.options(), log=log)
    run, timings = study.folder, study.timings
    clock = time.perf_counter()

    def lap(name):
        nonlocal clock
        now = time.perf_counter()
        timings[name] = round(now - clock, 2)
        clock = now

    data = modsum_data("mod" if model == "0" else "mod3", seed=seed)
    trained = load_or_train(model, data, config.training, progress=progress, retrain=config.retrain,
                            cache_dir=run.checkpoints if config.cache_dir is None else config.cache_dir)
    lap("train")
    for stage in trained.stages:
        log(f"Model {model} {stage['stage']}: {stage['epochs']} epochs, {stage['seconds']} s, "
            f"validation accuracy {stage['val_accuracy']:.4f}" + _SOURCES[trained.source])
        if not stage["reached_100"] and stage["val_accuracy"] < 0.995:
            log(f"WARNING: Model {model} {stage['stage']} stopped after {stage['epochs']} epochs at "
                f"{stage['val_accuracy']:.1%} validation accuracy, short of 100% (the paper: 100% within "
                "26,000 epochs); the analyses below describe a network that has only partly generalised "
                "(docs/results/modsum.md).")

    rng = np.random.default_rng(seed)
    rows = rng.permutation(len(data.tokens))[: max(samples, probe_samples if probes else 0)]
    all_reps = capture_modsum(trained.model, data.tokens[rows])
    reps = {k: v[:samples] for k, v in all_reps.items()}
    lap("capture")
    label = "gw"
    distances = study.pairs(label, reps, "gw", cache=label, progress=progress, n_jobs=n_jobs)
    lap("gw")

    subnetworks = find_subnetworks(distances, n_groups, seed=seed)
    if config.bootstrap:
        from ...analysis import bootstrap_subnetworks

        subnetworks = bootstrap_subnetworks(reps, config.bootstrap, config.bootstrap_samples, measure="gw", seed=seed,
                                            reference=subnetworks, cache_dir=run.path / "cache" / "bootstrap",
                                            progress=progress, n_jobs=n_jobs)
    run.save_subnetworks(label, subnetworks)
    lap("subnetworks")
    summary: dict[str, Any] = {"model": model, "samples": samples, "training": trained.summary(),
                               "subnetworks": subnetworks.ranges()}
    log(f"\nSub-networks of Model {model} (GW, n = {samples}):")
    log(subnetworks.table())

    tgt_names = ["c"] if model == "0" else ["c1", "c2", "c"]
    if config.targets:
        values, table = {}, []
        reps_key = data_key(reps)
        for emb in embeddings:
            for label_t, target, how in _embedded_targets(model, data, rows[:samples], emb):
                key = label_t if len(embeddings) == 1 else f"{label_t} [{emb}]"
                # each target's distances are kept as they finish (93 GW solves each at the
                # paper's n = 1000), so a killed run resumes from the next one
                values[key] = study.memo(
                    "table1", {"layers": reps_key, "target": data_key(np.asarray(target)), "embedding": how},
                    lambda target=target, how=how: (to_target(reps, target, "gw", embedding=how).as_dict(), None))[0]
                table.append([label_t, emb, *target_table({label_t: values[key]})[0][1:]])
        run.save_table("table1_gw_targets", f"GW distance to the targets, Model {model} (Table 1 analogue)",
                       ["target", "embedding", "most similar layers", "D_min", "layers within 0.005"], table,
                       note=f"n = {samples}; embedding 'stage' is the target as each stage was trained to "
                            "output it, one-hot per column; paper (Model L, n = 1000): "
                            "c1 Resid-Post1 0.02, c2 Resid-Post2 0.03, c Resid-Post2, Resid-Post3 and 7 others 0.04")
        summary["table1"] = table
        summary["target_distances"] = values
        log(f"\nGW to the targets (Table 1 analogue, n = {samples}):")
        for r in table:
            log(f"  {r[0]:>7} [{r[1]}]: {r[2]}  D_min = {r[3]:.4f}")
        lap("targets")

    if probes:
        preps = {k: v[:probe_samples] for k, v in all_reps.items()}
        preps_key = data_key(preps)  # each probe's errors are kept as they finish, as Table 1's
        rows4 = []
        for kind in probes:
            for t in tgt_names:
                y = data.targets[t][rows[:probe_samples]]
                res = study.memo("table4", {"layers": preps_key, "target": data_key(y), "kind": kind, "seed": seed},
                                 lambda y=y, kind=kind: (probe(preps, y, kind, seed=seed).as_dict(), None))[0]
                r = target_table({t: res}, tolerance=0.0)[0]
                rows4.append([kind, *r])
                log(f"  {kind} probe {t}: best {r[1]}  held-out error {r[2]:.3f}")
        run.save_table("table4_probes", f"Probe held-out error, Model {model} (Table 4 analogue)",
                       ["probe", "target", "best layers", "min error", "layers at min"], rows4,
                       note=f"{probe_samples} inputs, 20% held out")
        summary["table4"] = rows4
        lap("probes")

    for measure in config.baselines:
        run.save_distances(measure, pairwise(reps, measure, progress=progress, n_jobs=n_jobs))
        lap(f"baseline {measure}")

    if config.compare_starts:
        idx = np.unique(np.linspace(0, len(reps) - 1, int(config.compare_starts)).round().astype(int))
        sub = {k: reps[k] for k in np.array(list(reps))[idx]}
        # POT's default start alone: no warm start either (it would be a second start)
        pot = pairwise(sub, "gw", progress=progress, starts=("product",), warm_start=False, n_jobs=n_jobs,
                       cache_dir=run.path / "cache" / "gw_pot_start")
        ours = distances.subset(list(sub))
        run.save_distances("gw_pot_start", pot)
        diff = pot.matrix - ours.matrix
        iu = np.triu_indices(len(idx), 1)
        groups_pot, groups_ours = (find_subnetworks(m, n_groups, seed=seed) for m in (pot, ours))
        from sklearn.metrics import adjusted_rand_score

        summary["starts"] = {"layers": len(idx), "pairs": len(iu[0]),
                             "ours_lower": int((diff[iu] > 1e-12).sum()),
                             "equal": int((np.abs(diff[iu]) <= 1e-12).sum()),
                             "mean_gap": float(diff[iu].mean()), "max_gap": float(diff[iu].max()),
                             "mean_relative_gap": float((diff[iu] / np.maximum(pot.matrix[iu], 1e-300)).mean()),
                             "silhouette_pot": groups_pot.score, "silhouette_ours": groups_ours.score,
                             "groups_pot": groups_pot.ranges(), "groups_ours": groups_ours.ranges(),
                             "partition_ari": float(adjusted_rand_score(groups_pot.labels, groups_ours.labels))}
        lap("compare_starts")

    _figures(run, distances, subnetworks, summary, model, samples)
    lap("figures")
    summary["timings_s"] = timings
    study.finish(summary=summary)
    if config.report:
        try:
            from ...report import write_report
        except ImportError:
            pass
        else:
            path = write_report(run.path)
            log(f"report: {path}")
    return run, summary


def _figures(run, distances, subnetworks, summary, model, samples) -> None:
    from ...plots import plot_distances, plot_layer_changes

    ax = plot_distances(distances, boundaries=subnetworks.boundaries,
                        title=f"Model {model}: GW between all {len(distances.names)} representations (n = {samples})")
    run.save_figure("gw_heatmap", ax.figure, caption="All-pairs GW (Fig. 3 analogue) with the found "
                    "sub-network boundaries (between groups of consecutive layers).")
    ax = plot_layer_changes(distances, boundaries=subnetworks.boundaries)
    run.save_figure("gw_layer_changes", ax.figure, caption="GW distance of each layer to its predecessor: "
                    "change points in red, sub-network boundaries dotted.")
    if "target_distances" in summary:
        from ...plots._common import pyplot

        plt = pyplot()
        from ...plots._common import label_layers

        fig, ax = plt.subplots(figsize=(12, 4.2))
        for t, values in summary["target_distances"].items():
            ax.plot(list(values.values()), label=f"target {t}", marker=".")
        names = list(next(iter(summary["target_distances"].values())))
        label_layers(ax, names, "x", 48)
        ax.set_xlim(-0.5, len(names) - 0.5)
        ax.set_ylabel("GW distance to the target")
        ax.set_title(f"Model {model}: GW from every layer to each known target (n = {samples}); "
                     "lower = the layer computes it")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        run.save_figure("gw_to_targets", fig, caption="GW from every layer to each known target (Table 1 "
                        "analogue): a dip means the layer's geometry matches that quantity's.")
