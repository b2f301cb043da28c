"""`subnetscope compare`: the layers of two models against each other (paper App. J)."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from ._common import add_engine_arguments, command_line, load_reps, measure_choices, run_engine
from ._flags import add_out


def register(sub) -> None:
    parser = sub.add_parser(
        "compare",
        help="compare every layer of one model with every layer of another; write the matrix and a heatmap",
        description="Read the layer representations of two models on the same inputs (two .npz files "
        "of named arrays, capture store folders or run folders that `subnetscope capture` wrote), compare "
        "every layer of the first (rows) with every layer of the second (columns) and write into the run "
        "folder RUN_DIR: cross_<measure>.npz and .json, figures/cross_<measure>.png (also copied to "
        "RUN_DIR/cross_<measure>.png, where it was before), tables/cross_<measure>_nearest.json and a "
        "record in run.json; `subnetscope report --out RUN_DIR` shows them. Engine flags as in "
        "`subnetscope pairwise`.",
    )
    parser.add_argument("reps_a", metavar="REPS_A",
                        help="the first model's REPS.npz, capture store or run folder (rows)")
    parser.add_argument("reps_b", metavar="REPS_B",
                        help="the second model's REPS.npz, capture store or run folder (columns)")
    parser.add_argument("--measure", default="gw", choices=measure_choices(), help="measure (default: gw)")
    add_out(parser, required=True)
    parser.add_argument("--labels", nargs=2, default=None, metavar=("LABEL_A", "LABEL_B"),
                        help="names of the two models on the figure (default: the file or folder names)")
    add_engine_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from .._io import writable_folder
    from ..engine.cross import cross_pairwise
    from ..plots import plot_cross_distances
    from ..runs import RunFolder

    writable_folder(args.out, f"--out {str(args.out)!r} cannot be written")  # before the pairs, not after
    reps_a, reps_b = load_reps(args.reps_a), load_reps(args.reps_b)
    labels = args.labels or [Path(args.reps_a).stem, Path(args.reps_b).stem]
    distances = run_engine(cross_pairwise, args, reps_a, reps_b)
    distances.info["models"] = {"rows": str(args.reps_a), "columns": str(args.reps_b), "labels": list(labels)}
    run = RunFolder(args.out)
    stem = args.out / f"cross_{distances.measure}"
    distances.save(stem.with_suffix(".npz"))
    distances.save(stem.with_suffix(".json"))
    ax = plot_cross_distances(distances, row_label=labels[0], col_label=labels[1], nearest=True)
    figure = run.save_figure(stem.name, ax.figure, caption=f"{distances.measure} distance between every layer of "
                             f"{labels[0]} (rows) and of {labels[1]} (columns); dots: each row's nearest column.")
    shutil.copyfile(figure, stem.with_suffix(".png"))
    nearest = distances.matrix.argmin(axis=1)
    run.save_table(f"{stem.name}_nearest", f"Nearest {labels[1]} layer for each {labels[0]} layer "
                   f"({distances.measure})", [f"{labels[0]} layer", f"nearest {labels[1]} layer", "distance"],
                   [[a, distances.columns[j], float(distances.matrix[i, j])]
                    for i, (a, j) in enumerate(zip(distances.names, nearest))])
    run.record_command("compare", command_line(args), stem.name)
    run.update_meta(compare={stem.name: {"file": f"{stem.name}.npz", **distances.info["models"],
                                         "measure": distances.measure, "n_samples": distances.n_samples}})
    info = distances.info
    rows, cols = distances.shape
    print(f"{rows} × {cols} layers, {info['n_pairs']} pairs ({info['n_computed']} computed, {info['n_cached']} "
          f"from cache), {distances.measure} on {distances.n_samples} samples in {info['seconds_total']:.1f} s "
          f"-> {stem}.npz")
    print(f"nearest {labels[1]} layer for each {labels[0]} layer: "
          + ", ".join(f"{a} -> {distances.columns[j]}" for a, j in zip(distances.names, nearest)))
    return 0
