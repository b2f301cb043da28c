"""The vision study (paper §5.4, App. N): ResNet9 random vs trained, every measure, boundaries."""

from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..._system import load_average, peak_rss_mb
from .analyses import capture_layers, changes_along, find_groups, group_stability
from .data import load_images

__all__ = ["run_vision_study", "measures_for_study"]

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


def _representation_for(measure_name: str, layers) -> tuple[dict, str]:
    from ...measures.registry import get_measure

    if "rotation" in get_measure(measure_name).invariances:
        return layers.exact, "all features (exact, via sample-space coordinates)"
    return layers.pooled, "channel means (the measure is not rotation invariant)"


def run_vision_study(out: str | Path, *, data: str | Path = "digits", samples: int = 300, pair_samples: int = 300,
                     epochs: int = 2, batch_size: int = 32, optimizer: str = "adam", max_lr: float | None = None,
                     measures: Sequence[str] | None = None, agw_samples: int = 100,
                     n_groups: int | None = None, n_boot: int = 2, boot_samples: int = 150, seed: int = 0,
                     train_limit: int | None = None, test_limit: int | None = None, progress: bool = True, report: bool = True) -> Path:
    """Run the whole study into the run folder ``out`` and return its path.

    Parameters
    ----------
    data : "digits" or path
        ``"digits"``: scikit-learn's digits upscaled to 3×32×32 (offline default, labelled
        "digits (upscaled), not CIFAR-10" everywhere); otherwise a CIFAR-10 archive or folder.
    samples : int
        Inputs whose layer outputs are captured (test images first, then training images).
    pair_samples : int
        Inputs, drawn once from those (seed ``seed``), on which every pair of layers is compared.
    epochs, batch_size, optimizer, max_lr : training settings (see :func:`train_resnet9`).
    measures : list of str, optional
        Default: every registered measure that handles different widths.
    agw_samples : int
        Inputs AGW compares on (at most ``pair_samples``): AGW runs up to 20 fused-GW solves per
        pair, so at 300 inputs it alone took 53% of a 31-minute default run (measured).
    n_boot, boot_samples : resamples and their size for the stability of the GW groups (0: skip).
    train_limit, test_limit : int, optional
        Train on / measure accuracy on only the first so many training / test images (tests).
    """
    import torch

    from ...models.resnet9 import ResNet9
    from ...runs import RunFolder
    from .train import accuracy, train_resnet9

    say = print if progress else (lambda *a, **k: None)
    t_start = time.perf_counter()
    run = RunFolder(out)
    images = load_images(data, seed=seed)
    measure_names = measures_for_study(measures)
    x_train, y_train = images.x_train[:train_limit], images.y_train[:train_limit]
    x_test, y_test = images.x_test[:test_limit], images.y_test[:test_limit]
    pool = np.concatenate([images.x_test, images.x_train])
    if not 2 <= samples <= len(pool):
        raise ValueError(f"`samples` must be in 2..{len(pool)} for {images.label}, got {samples}")
    pair_samples = min(pair_samples, samples)
    if agw_samples < 2:
        raise ValueError(f"`agw_samples` must be ≥ 2, got {agw_samples}")
    measure_samples = {m: min(pair_samples, agw_samples) if m == "agw" else pair_samples for m in measure_names}
    run.update_meta(study="vision", data=images.label, summary={"load_average_start": load_average()}, options={
        "data": str(data), "samples": samples, "pair_samples": pair_samples, "epochs": epochs,
        "batch_size": batch_size, "optimizer": optimizer, "max_lr": max_lr, "measures": measure_names,
        "agw_samples": measure_samples.get("agw"), "n_groups": n_groups,
        "n_boot": n_boot, "boot_samples": boot_samples, "seed": seed, "train_limit": train_limit, "test_limit": test_limit})
    say(f"vision study on {images.label}: {len(x_train)} training, {len(images.x_test)} test images")

    torch.manual_seed(seed)
    random_model = ResNet9(n_classes=len(images.classes)).eval()
    trained_model = copy.deepcopy(random_model)
    checkpoint = run.checkpoints / "resnet9_trained.pt"
    record = run.checkpoints / "resnet9_trained.json"
    if checkpoint.exists() and record.exists():
        from ..._io import read_json

        trained_model.load_state_dict(torch.load(checkpoint, weights_only=True))
        training = read_json(record, "training record")
        say(f"reusing trained weights from {checkpoint}")
    else:
        result = train_resnet9(trained_model, x_train, y_train, x_test, y_test, epochs=epochs,
                               batch_size=batch_size, optimizer=optimizer, max_lr=max_lr, seed=seed,
                               progress=progress)
        from ..._io import atomic_path, write_json

        with atomic_path(checkpoint, suffix=".pt") as tmp:
            torch.save(trained_model.state_dict(), tmp)
        training = {"seconds": result.seconds, "test_accuracy": result.test_accuracy, "history": result.history}
        write_json(record, training)
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
        layers[label] = capture_layers(model, inputs)
        say(f"captured {label}: {len(layers[label].dims)} layers of {samples} inputs in "
            f"{layers[label].info['seconds']:.0f} s; peak memory so far {layers[label].info['peak_rss_mb']:.0f} MiB "
            f"(all layers in float32 would be {layers[label].info['full_float32_mb']:.0f} MiB)")
    names = list(layers["trained"].dims)

    from ...engine.pairwise import pairwise
    from .figures import plot_all_pairs, plot_boundaries

    matrices: dict[str, dict[str, Any]] = {"random": {}, "trained": {}}
    timing_rows, skipped = [], {}
    for measure in list(measure_names):
        for label in ("random", "trained"):
            reps, basis = _representation_for(measure, layers[label])
            t0 = time.perf_counter()
            d = None
            for options in ({}, *FALLBACK_OPTIONS.get(measure, ())):
                try:
                    d = pairwise(reps, measure, n_samples=measure_samples[measure], seed=seed,
                                 progress=progress, **options)
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
            found = find_groups(matrices[label][measure], n_groups, seed=seed)
            groups[(label, measure)] = found
            run.save_subnetworks(f"{label}.{measure}", {**found, "measure": measure, "model": label,
                                                         "data": images.label})
    if n_boot > 0 and "gw" in measure_names:
        for label in ("random", "trained"):
            stable = group_stability(layers[label].exact, groups[(label, "gw")]["labels"], n_boot=n_boot,
                                     n_samples=min(boot_samples, samples - 1), seed=seed)
            stability_rows.append([label, len(groups[(label, "gw")]["groups"]), stable["n_boot"],
                                   stable["n_samples"], round(stable["mean_ari"], 3),
                                   ", ".join(f"{a:.2f}" for a in stable["ari"])])
            say(f"GW groups of the {label} network: mean ARI over {n_boot} resamples {stable['mean_ari']:.3f}")
        run.save_table("stability", "Stability of the GW sub-networks under resampled inputs",
                       ["model", "groups", "resamples", "inputs per resample", "mean ARI", "ARI each"],
                       stability_rows, note="Adjusted Rand index between the groups on all compared inputs "
                       "and those on each resample; 1 = identical grouping.")

    run.save_table("layers", "ResNet9 layers (Table 3 names)", ["index", "layer", "features"],
                   [[i, name, layers["trained"].dims[name]] for i, name in enumerate(names)])
    run.save_table("groups", f"Sub-networks found (spectral) — {images.label}", ["model", "measure", "groups"],
                   [[label, measure, " | ".join(f"{g[0]}…{g[-1]} ({len(g)})" if len(g) > 1 else g[0]
                                                 for g in groups[(label, measure)]["groups"])]
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
        bounds = {label: [i for i in range(1, len(names)) if groups[(label, measure)]["labels"][i]
                          != groups[(label, measure)]["labels"][i - 1]] for label in ("random", "trained")}
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
    run.update_meta(summary={
        "data": images.label, "test_accuracy_trained": training["test_accuracy"],
        "test_accuracy_random": random_accuracy, "training_seconds": training["seconds"],
        "capture": memory, "peak_rss_mb": peak_rss_mb(), "seconds_total": time.perf_counter() - t_start,
        "gw_groups": {label: groups[(label, "gw")]["groups"] for label in ("random", "trained")
                      if ("gw" in measure_names)},
        "stability": stability_rows, "skipped_measures": skipped, "measures_used": measure_names,
        "load_average_end": load_average()})
    if report:
        try:
            from ...report import write_report
        except ImportError:
            say("(subnetscope.report is not installed here; no report.html written)")
        else:
            say(f"report: {write_report(run.path)}")
    say(f"done in {time.perf_counter() - t_start:.0f} s: {run.path}")
    return run.path
