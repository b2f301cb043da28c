"""`subnetscope pairwise`: all-pairs layer distances of a run folder's representations (or an .npz)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ._common import add_engine_arguments, command_line, load_reps, measure_choices, run_engine
from ._flags import add_out


def register(sub) -> None:
    parser = sub.add_parser(
        "pairwise",
        help="compare every pair of layers; write the matrix and a heatmap",
        description="Read named layer representations (those `subnetscope capture --out RUN_DIR` wrote, "
        "or REPS: an .npz of arrays with the same first dimension, or a capture store folder), compare "
        "every pair of layers and write into the run folder RUN_DIR: distances/LABEL.npz and .json, "
        "figures/LABEL_heatmap.png and a record in run.json (LABEL: --label, default the measure), so runs "
        "of several measures into the same RUN_DIR keep each other's results. `subnetscope subnetworks "
        "--out RUN_DIR` and `subnetscope report --out RUN_DIR` read it.",
    )
    parser.add_argument("reps", nargs="?", default=None, metavar="REPS",
                        help="REPS.npz (name -> array (n, ...)) or a capture store folder (default: the "
                        "representations captured into --out RUN_DIR)")
    parser.add_argument("--measure", default="gw", choices=measure_choices(), help="measure (default: gw)")
    add_out(parser, required=True)
    parser.add_argument("--label", default=None,
                        help="name of this matrix in the run folder (default: the measure, e.g. gw)")
    add_engine_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from .._io import writable_folder
    from ..engine.pairwise import pairwise
    from ..plots import plot_distances
    from ..runs import RunFolder

    # refuse an output folder that cannot be written before the pairs are computed, not after
    writable_folder(args.out, f"--out {str(args.out)!r} cannot be written")
    label = args.label or args.measure
    if not label.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise ValueError(f"`--label` must be letters, digits, '.', '-' or '_' (it names files), got {label!r}")
    if args.reps is None:
        args.reps = _captured(args.out)
    if not args.quiet:
        print("reading the representations ...", file=sys.stderr, flush=True)
    reps = load_reps(args.reps)
    distances = run_engine(pairwise, args, reps)
    run = RunFolder(args.out)
    written = [run.save_distances(label, distances), distances.save(args.out / "distances" / f"{label}.json")]
    written.append(run.save_figure(f"{label}_heatmap", plot_distances(distances).figure,
                                   caption=f"{distances.measure} distance between every pair of layers ({label})."))
    _record(run, args, label, distances)
    info = distances.info
    print(f"{len(distances)} layers, {info['n_pairs']} pairs ({info['n_computed']} computed, "
          f"{info['n_cached']} from cache), {distances.measure} on {distances.n_samples} samples "
          f"in {info['seconds_total']:.1f} s -> " + ", ".join(str(p) for p in written))
    print(f"next: subnetscope subnetworks --out {args.out} --label {label}")
    return 0


def _captured(run_dir: Path) -> Path:
    """The capture store in ``run_dir`` (``subnetscope capture --out RUN_DIR``), or a clear error."""
    from ..capture.loading import store_folder
    from ..capture.store import MANIFEST

    store = store_folder(run_dir)
    if not (store / MANIFEST).is_file():
        raise FileNotFoundError(
            f"REPS not given and --out {str(run_dir)!r} holds no captured representations (expected "
            f"{str(store / MANIFEST)!r}); run `subnetscope capture MODEL INPUTS --layers ... --out {run_dir}` "
            "first, or give REPS (an .npz of named arrays or a capture store folder)")
    return store


def _record(run, args: argparse.Namespace, label: str, distances) -> None:
    """run.json: this matrix's record and the commands that made it (capture first, when known)."""
    source = Path(args.reps)
    if source.is_dir():
        from ..capture.loading import store_folder
        from ..capture.store import read_manifest

        made_by = read_manifest(store_folder(source)).get("settings", {}).get("command")
        if made_by:
            run.record_command("capture", made_by, first=True)
    run.record_command("pairwise", command_line(args), label)
    run.update_meta(pairwise={label: {
        "file": f"distances/{label}.npz", "reps": str(args.reps), "measure": distances.measure,
        "options": distances.options, "n_samples": distances.n_samples, "seed": distances.seed,
        "seconds": distances.info.get("seconds_total"), "command": command_line(args)}})
