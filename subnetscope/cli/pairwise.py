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
                        help="measure option, repeatable, e.g. -o normalize=mean; for GW "
                             "-o starts=product is the fast setting (POT's start and the warm start)")
    parser.add_argument("--out", required=True, type=Path, help="output folder")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.add_argument("--jobs", "-j", type=int, default=1, metavar="N",
                        help="local worker processes, -1 for one per core (default: 1)")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="run the pairs on a Dask cluster, e.g. tcp://host:8786")
    parser.add_argument("--cache", type=Path, default=None, metavar="DIR",
                        help="keep every finished pair in DIR; rerunning resumes a killed run")
    parser.add_argument("--device", default=None,
                        help="GW only: run the solver's matrix products on this torch device (cuda, cpu)")
    parser.add_argument("--no-warm-start", action="store_true",
                        help="GW only: do not start pairs from their neighbours' permutations")
    parser.add_argument("--max-memory", default=None, metavar="SIZE",
                        help="memory budget, e.g. 16GB or off (default: $SUBNETSCOPE_MAX_MEMORY, else the "
                        "memory available now); a run that would not fit is refused before it starts")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from .._io import writable_folder
    from ..engine.pairwise import pairwise
    from ..plots import plot_distances, save_figure

    # refuse an output folder that cannot be written before the pairs are computed, not after
    writable_folder(args.out, f"--out {str(args.out)!r} cannot be written")
    reps = load_reps(args.reps)
    options = dict(args.option)
    if args.device is not None:
        if args.measure != "gw":
            raise ValueError(f"--device applies to the gw measure only, got --measure {args.measure}")
        options["device"] = args.device
    client = None
    if args.scheduler is not None:
        if not args.scheduler.startswith(("tcp://", "tls://", "inproc://", "ucx://")):
            raise ValueError(f"--scheduler must be a Dask scheduler address such as tcp://host:8786, "
                             f"got {args.scheduler!r}")
        from distributed import Client

        try:
            client = Client(args.scheduler, timeout="20s")
        except OSError as exc:
            raise ValueError(f"--scheduler {args.scheduler}: cannot reach the Dask scheduler ({exc})") from exc
    try:
        distances = pairwise(reps, args.measure, n_samples=args.samples, seed=args.seed,
                             progress=not args.no_progress, n_jobs=args.jobs, client=client,
                             cache_dir=args.cache, warm_start=not args.no_warm_start, max_memory=args.max_memory,
                             **options)
    finally:
        if client is not None:
            client.close()
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
