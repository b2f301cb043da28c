"""The vision study (paper §5.4, App. N): ResNet9 random vs trained, every measure, boundaries."""

from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..._deprecation import renamed_keywords
from ..._system import load_average, peak_rss_mb
from ...runs import RunFolder
from .analyses import capture_layers, changes_along
from .config import VisionConfig
from .data import load_images

__all__ = ["run", "run_vision_study", "measures_for_study", "weights_settings"]

#: keywords of :func:`run_vision_study` renamed when its options became :class:`VisionConfig`'s fields
RENAMED = {"n_boot": "bootstrap", "boot_samples": "bootstrap_samples"}

CHANGE_MEASURES = ("gw", "cka", "rsa", "cca", "rsm", "msid", "agw")

# Options tried in turn when a measure refuses the defaults on these layers. SVCCA keeps the SVD
# directions holding 99% of the variance; ResNet9's conv layers keep ~150 of them on 300 inputs,
# and two such layers leave more directions than inputs (every canonical correlation would be 1),
# which the measure refuses; a lower variance share keeps fewer directions.
FALLBACK_OPTIONS = {"cca": ({"threshold": 0.9}, {"threshold": 0.75}, {"threshold": 0.5})}


def measures_for_study(requested: Sequence[str] | None = None) -> list[str]:
    """The measures that compare layers of different widths (all of them unless ``requested``)."""
    from ...measures.registry import get_measure, list_measures

    available = list_measures(handles_different_dims=True)
    if requested is None:
        return list(available)
    out = []
    for name in requested:
        measure = get_measure(name)  # unknown names raise with suggestions
        if not measure.handles_different_dims:
            raise ValueError(f"measure {name!r} cannot compare layers of different widths; "
                             f"ResNet9's layers range from 10 to 262,144 features; use one of {available}")
        out.append(measure.name)
    return out


def weights_settings(x_train, y_train, x_test, y_test, *, n_classes: int, epochs: int, batch_size: int,
                     optimizer: str, max_lr: float | None, seed: int) -> dict[str, Any]:
    """Everything that shapes the trained ResNet9 (and its recorded test accuracy).

    The trained checkpoint is ``checkpoints/resnet9_trained-<hash of this>.pt``: another value
    of any of these (epochs, the images, the seed, ...) trains anew, never reusing a stale model.
    """
    from .._run import data_key

    return {"architecture": "ResNet9", "n_classes": n_classes, "init_seed": seed,
            "train_data": data_key(x_train, y_train), "test_data": data_key(x_test, y_test),
            "epochs": epochs, "batch_size": batch_size, "optimizer": optimizer, "max_lr": max_lr, "seed": seed,
            "weight_decay": 5e-4, "augment": True}


def _representation_for(measure_name: str, layers) -> tuple[dict, str]:
    from ...measures.registry import get_measure

    if "rotation" in get_measure(measure_name).invariances:
        return layers.exact, "all features (exact, via sample-space coordinates)"
    return layers.pooled, "channel means (the measure is not rotation invariant)"


def run(out: str | Path, config: VisionConfig | None = None) -> RunFolder:
    """Run the whole study with ``config`` into the run folder ``out`` and return it.

    ResNet9 at its random initialisation and trained briefly, captured at all 27 layers, compared
    all-pairs under every measure of ``config.measures``, sub-networks, their stability, figures
    and report. The paper's setting: ``run(out, VisionConfig.paper(data="cifar-10-python.tar.gz"))``.
    """
    config = VisionConfig() if config is None else config
    if not isinstance(config, VisionConfig):
        raise TypeError(f"`config` must be a VisionConfig, got {type(config).__name__}")
    return _run(out, config)


def run_vision_study(out: str | Path, **options: Any) -> Path:
    """:func:`run` with the options of :class:`VisionConfig` as keywords; returns the run folder's path.

    ``run_vision_study(out, samples=12)`` is ``run(out, VisionConfig(samples=12)).path``. The old
    keywords ``n_boot`` and ``boot_samples`` still work, with a DeprecationWarning: they are
    ``bootstrap`` and ``bootstrap_samples``.
    """
    return run(out, VisionConfig(**renamed_keywords(options, RENAMED, "run_vision_study"))).path


def _run(out, config: VisionConfig) -> RunFolder:
    import torch

    from ...models.resnet9 import ResNet9
    from .._run import StudyRun, data_key, settings_key
    from .train import accuracy, train_resnet9

    c = config
    data, samples, epochs, batch_size, optimizer, max_lr = (c.data, c.samples, c.epochs, c.batch_size, c.optimizer,
                                                            c.max_lr)
    n_groups, bootstrap, bootstrap_samples, seed, progress = (c.n_groups, c.bootstrap, c.bootstrap_samples, c.seed,
                                                              c.progress)
    say = print if progress else (lambda *a, **k: None)
    t_start = time.perf_counter()
    images = load_images(data, seed=seed)
    measure_names = measures_for_study(c.measures)
    x_train, y_train = images.x_train[:c.train_limit], images.y_train[:c.train_limit]
    x_test, y_test = images.x_test[:c.test_limit], images.y_test[:c.test_limit]
    pool = np.concatenate([images.x_test, images.x_train])
    if not 2 <= samples <= len(pool):
        raise ValueError(f"`samples` must be in 2..{len(pool)} for {images.label}, got {samples}")
    pair_samples = min(c.pair_samples, samples)
    measure_samples = {m: min(pair_samples, c.agw_samples) if m == "agw" else pair_samples for m in measure_names}
    study = StudyRun(out, "vision", log=say, data=images.label, summary={"load_average_start": load_average()},
                     options={**c.options(), "data": str(data), "pair_samples": pair_samples,
                              "measures": measure_names, "agw_samples": measure_samples.get("agw")})
    run = study.folder
    say(f"vision study on {images.label}: {len(x_train)} training, {len(images.x_test)} test images")

    torch.manual_seed(seed)
    random_model = ResNet9(n_classes=len(images.classes)).eval()
    shaping = weights_settings(x_train, y_train, x_test, y_test, n_classes=len(images.classes), epochs=epochs,
                               batch_size=batch_size, optimizer=optimizer, max_lr=max_lr, seed=seed)

    def train(model):
        result = train_resnet9(model, x_train, y_train, x_test, y_test, epochs=epochs, batch_size=batch_size,
                               optimizer=optimizer, max_lr=max_lr, seed=seed, progress=progress)
        return {"seconds": result.seconds, "test_accuracy": result.test_accuracy, "history": result.history}

    with study.stage("train"):
        trained_model, training, reused = study.checkpoint("resnet9_trained", shaping,
                                                           lambda: copy.deepcopy(random_model), train)
    if reused:
        say(f"reusing trained weights from {study.checkpoint_path('resnet9_trained', shaping)}")
    random_accuracy = accuracy(random_model, x_test, y_test)
    run.save_table("training", f"ResNet9 on {images.label}",
                   ["model", "test accuracy", "training seconds", "epochs", "training images", "test images"],
                   [["random init", round(random_accuracy, 4), 0.0, 0, 0, len(x_test)],
                    ["trained", round(training["test_accuracy"], 4), round(training["seconds"], 1), epochs,
                     len(x_train), len(x_test)]],
                   note="The paper reached 91.63% on CIFAR-10 (300 epochs on a GPU); this is a brief CPU run.")
    say(f"test accuracy: random {random_accuracy:.4f}, trained {training['test_accuracy']:.4f} "
        f"({training['seconds']:.0f} s)")

    inputs = pool[:samples]
    layers = {}
    for label, model in (("random", random_model), ("trained", trained_model)):
        with study.stage("capture"):
            layers[label] = capture_layers(model, inputs)
        say(f"captured {label}: {len(layers[label].dims)} layers of {samples} inputs in "
            f"{layers[label].info['seconds']:.0f} s; peak memory so far {layers[label].info['peak_rss_mb']:.0f} MiB "
            f"(all layers in float32 would be {layers[label].info['full_float32_mb']:.0f} MiB)")
    names = list(layers["trained"].dims)

    from ...analysis import bootstrap_subnetworks, find_subnetworks
    from .figures import plot_all_pairs, plot_boundaries

    matrices: dict[str, dict[str, Any]] = {"random": {}, "trained": {}}
    timing_rows, skipped = [], {}
    for measure in list(measure_names):
        for label in ("random", "trained"):
            reps, basis = _representation_for(measure, layers[label])
            t0 = time.perf_counter()
            d = None
            for options in ({}, *FALLBACK_OPTIONS.get(measure, ())):
                try:  # pairs cached in the run folder: a killed run resumes with the missing ones
                    with study.stage(f"pairs {measure}"):
                        d = study.pairs(f"{label}.{measure}", reps, measure, save=False,
                                        n_samples=measure_samples[measure], seed=seed, progress=progress, **options)
                    break
                except ValueError as exc:  # the measure refuses these layers: try the next options, or skip it
                    reason = f"{exc} (options {options or 'default'})"
                    say(f"{measure} on the {label} network: {reason}")
            if d is None:
                skipped[measure] = reason
                break
            d.info["representation"] = basis
            d.info["data"] = images.label
            d.info["study_options"] = options
            matrices[label][measure] = d
            run.save_distances(f"{label}.{measure}", d)
            timing_rows.append([measure, label, basis, str(options or "default"), round(time.perf_counter() - t0, 2)])
        if measure in skipped:
            measure_names.remove(measure)
            for label in ("random", "trained"):
                matrices[label].pop(measure, None)
                run.distances_path(f"{label}.{measure}").unlink(missing_ok=True)
            timing_rows = [r for r in timing_rows if r[0] != measure]
            continue
        say(f"{measure}: done ({timing_rows[-2][-1] + timing_rows[-1][-1]:.1f} s)")
    if skipped:
        run.save_table("skipped_measures", "Measures that refused these layers (left out of every table)",
                       ["measure", "why"], [[m, why] for m, why in skipped.items()])

    groups, stability_rows = {}, []
    for label in ("random", "trained"):
        for measure in measure_names:
            groups[(label, measure)] = find_subnetworks(matrices[label][measure], n_groups, "spectral", seed)
    if bootstrap > 0 and "gw" in measure_names:
        for label in ("random", "trained"):
            m = min(bootstrap_samples, samples - 1)
            cache = study.path / "cache" / f"bootstrap.{label}-{settings_key({'data': data_key(layers[label].exact), 'n': m, 'seed': seed})}"
            with study.stage("bootstrap gw"):
                found = bootstrap_subnetworks(layers[label].exact, bootstrap, m, "gw", "spectral", seed=seed,
                                              resample="subsample", reference=groups[(label, "gw")],
                                              cache_dir=cache)
            support = found.range_support
            stability_rows.append([label, found.n_groups, bootstrap, m, round(float(np.mean(support)), 3),
                                   ", ".join(f"{v:.2f}" for v in support)])
            say(f"GW groups of the {label} network: mean support of its groups over {bootstrap} resamples "
                f"{np.mean(support):.3f}")
        run.save_table("stability", "Stability of the GW sub-networks under resampled inputs",
                       ["model", "groups", "resamples", "inputs per resample", "mean group support",
                        "support of each group"],
                       stability_rows, note="subnetscope.bootstrap_subnetworks on inputs drawn without "
                       "replacement: the share of resamples that find each group (the same run of layers); "
                       "1 = every resample finds it.")
    for (label, measure), found in groups.items():
        run.save_subnetworks(f"{label}.{measure}", found)

    run.save_table("layers", "ResNet9 layers (Table 3 names)", ["index", "layer", "features"],
                   [[i, name, layers["trained"].dims[name]] for i, name in enumerate(names)])
    run.save_table("groups", f"Sub-networks found (spectral) — {images.label}", ["model", "measure", "groups"],
                   [[label, measure, " | ".join(f"{g[0]}…{g[-1]} ({len(g)})" if len(g) > 1 else g[0]
                                                 for g in groups[(label, measure)].groups)]
                    for label in ("random", "trained") for measure in measure_names])
    change_rows = []
    for i, name in enumerate(names):
        row = [i, name]
        for label in ("random", "trained"):
            for measure in measure_names:
                value = changes_along(matrices[label][measure])[i]
                row.append(None if np.isnan(value) else round(float(value), 4))
        change_rows.append(row)
    run.save_table("changes", "Each layer's distance to the previous layer (Fig. 7)",
                   ["index", "layer"] + [f"{label} {m}" for label in ("random", "trained") for m in measure_names],
                   change_rows)
    run.save_table("timings", "Seconds per all-pairs matrix",
                   ["measure", "model", "representation", "options", "seconds"],
                   timing_rows)

    for measure in measure_names:
        bounds = {label: [i for i in range(1, len(names)) if groups[(label, measure)].labels[i]
                          != groups[(label, measure)].labels[i - 1]] for label in ("random", "trained")}
        fig = plot_all_pairs({label: matrices[label][measure] for label in ("random", "trained")},
                             title=f"ResNet9 on {images.label}: {measure}", boundaries=bounds)
        run.save_figure(f"allpairs_{measure}", fig,
                        caption=f"All pairs of ResNet9 layers under {measure}, random init (left) vs trained "
                        f"(right), {pair_samples} inputs of {images.label}; white lines: found sub-networks "
                        "(Fig. 18 analogue).")
    shown = [m for m in CHANGE_MEASURES if m in measure_names] or measure_names[:4]
    fig = plot_boundaries({label: {m: matrices[label][m] for m in shown} for label in ("random", "trained")},
                          layers["trained"].example, title=f"ResNet9 on {images.label}")
    run.save_figure("boundaries", fig, caption="Left: each layer's distance to the previous layer (each measure "
                    "scaled to max 1), random and trained networks. Right: one input's feature maps at each "
                    "layer of the trained network (mean over channels). Fig. 7 analogue.")

    memory = {label: layers[label].info for label in layers}
    study.finish(summary={
        "data": images.label, "test_accuracy_trained": training["test_accuracy"],
        "test_accuracy_random": random_accuracy, "training_seconds": training["seconds"],
        "capture": memory, "peak_rss_mb": peak_rss_mb(), "seconds_total": time.perf_counter() - t_start,
        "gw_groups": {label: groups[(label, "gw")].groups for label in ("random", "trained")
                      if ("gw" in measure_names)},
        "stability": stability_rows, "skipped_measures": skipped, "measures_used": measure_names,
        "load_average_end": load_average()})
    if c.report:
        try:
            from ...report import write_report
        except ImportError:
            say("(subnetscope.report is not installed here; no report.html written)")
        else:
            say(f"report: {write_report(run.path)}")
    say(f"done in {time.perf_counter() - t_start:.0f} s: {run.path}")
    return run
