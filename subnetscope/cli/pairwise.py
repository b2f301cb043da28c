"""`subnetscope pairwise`: all-pairs layer distances from an .npz of named arrays."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._common import add_engine_arguments, load_reps, measure_choices, run_engine


def register(sub) -> None:
    parser = sub.add_parser(
        "pairwise",
        help="compare every pair of layers; write the matrix and a heatmap",
        description="Read named layer representations (an .npz of arrays with the same first "
        "dimension, or a capture store folder), compare every pair of layers and write "
        "OUT/distances.npz, OUT/distances.json and OUT/heatmap.png.",
    )
    parser.add_argument("reps", help="REPS.npz (name -> array (n, ...)) or a capture store folder")
    parser.add_argument("--measure", default="gw", choices=measure_choices(), help="measure (default: gw)")
    parser.add_argument("--out", required=True, type=Path, help="output folder")
    add_engine_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from .._io import writable_folder
    from ..engine.pairwise import pairwise
    from ..plots import plot_distances, save_figure

    # refuse an output folder that cannot be written before the pairs are computed, not after
    writable_folder(args.out, f"--out {str(args.out)!r} cannot be written")
    reps = load_reps(args.reps)
    distances = run_engine(pairwise, args, reps)
    args.out.mkdir(parents=True, exist_ok=True)
    distances.save(args.out / "distances.npz")
    distances.save(args.out / "distances.json")
    ax = plot_distances(distances)
    save_figure(ax.figure, args.out / "heatmap.png")
    info = distances.info
    print(f"{len(distances)} layers, {info['n_pairs']} pairs ({info['n_computed']} computed, "
          f"{info['n_cached']} from cache), {distances.measure} on {distances.n_samples} samples "
          f"in {info['seconds_total']:.1f} s -> {args.out}")
    return 0
