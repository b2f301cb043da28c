"""`subnetscope pairwise`: all-pairs layer distances from an .npz of named arrays."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._common import load_reps, measure_choices, parse_option


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
    parser.add_argument("--samples", type=int, default=None, metavar="N",
                        help="compare on N rows drawn once with --seed (default: all)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the row subsample (default: 0)")
    parser.add_argument("--option", "-o", action="append", type=parse_option, default=[], metavar="KEY=VALUE",
                        help="measure option, repeatable, e.g. -o normalize=mean")
    parser.add_argument("--out", required=True, type=Path, help="output folder")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..engine.pairwise import pairwise
    from ..plots import plot_distances, save_figure

    reps = load_reps(args.reps)
    distances = pairwise(reps, args.measure, n_samples=args.samples, seed=args.seed,
                         progress=not args.no_progress, **dict(args.option))
    args.out.mkdir(parents=True, exist_ok=True)
    distances.save(args.out / "distances.npz")
    distances.save(args.out / "distances.json")
    ax = plot_distances(distances)
    save_figure(ax.figure, args.out / "heatmap.png")
    print(f"{len(distances)} layers, {distances.info['n_pairs']} pairs, {distances.measure} on "
          f"{distances.n_samples} samples in {distances.info['seconds_total']:.1f} s -> {args.out}")
    return 0
