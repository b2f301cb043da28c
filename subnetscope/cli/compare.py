"""`subnetscope compare`: the layers of two models against each other (paper App. J)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._common import add_engine_arguments, load_reps, measure_choices, run_engine


def register(sub) -> None:
    parser = sub.add_parser(
        "compare",
        help="compare every layer of one model with every layer of another; write the matrix and a heatmap",
        description="Read the layer representations of two models on the same inputs (two .npz files "
        "of named arrays, or capture store folders), compare every layer of the first (rows) with "
        "every layer of the second (columns) and write OUT/cross_<measure>.npz, .json and .png. "
        "Engine flags as in `subnetscope pairwise`.",
    )
    parser.add_argument("reps_a", metavar="REPS_A", help="the first model's REPS.npz or capture store folder (rows)")
    parser.add_argument("reps_b", metavar="REPS_B",
                        help="the second model's REPS.npz or capture store folder (columns)")
    parser.add_argument("--measure", default="gw", choices=measure_choices(), help="measure (default: gw)")
    parser.add_argument("--out", required=True, type=Path, help="output folder")
    parser.add_argument("--labels", nargs=2, default=None, metavar=("LABEL_A", "LABEL_B"),
                        help="names of the two models on the figure (default: the file or folder names)")
    add_engine_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..engine.cross import cross_pairwise
    from ..plots import plot_cross_distances, save_figure

    reps_a, reps_b = load_reps(args.reps_a), load_reps(args.reps_b)
    labels = args.labels or [Path(args.reps_a).stem, Path(args.reps_b).stem]
    distances = run_engine(cross_pairwise, args, reps_a, reps_b)
    distances.info["models"] = {"rows": str(args.reps_a), "columns": str(args.reps_b), "labels": list(labels)}
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / f"cross_{distances.measure}"
    distances.save(stem.with_suffix(".npz"))
    distances.save(stem.with_suffix(".json"))
    ax = plot_cross_distances(distances, row_label=labels[0], col_label=labels[1], nearest=True)
    save_figure(ax.figure, stem.with_suffix(".png"))
    info = distances.info
    rows, cols = distances.shape
    print(f"{rows} × {cols} layers, {info['n_pairs']} pairs ({info['n_computed']} computed, {info['n_cached']} "
          f"from cache), {distances.measure} on {distances.n_samples} samples in {info['seconds_total']:.1f} s "
          f"-> {stem}.npz")
    nearest = distances.matrix.argmin(axis=1)
    print(f"nearest {labels[1]} layer for each {labels[0]} layer: "
          + ", ".join(f"{a} -> {distances.columns[j]}" for a, j in zip(distances.names, nearest)))
    return 0
