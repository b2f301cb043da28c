"""`subnetscope subnetworks`: groups of layers from a distance matrix, with their support.

Results go into a run folder (:class:`subnetscope.runs.RunFolder`), like every study writes,
so that `subnetscope report --out RUN_DIR` shows them beside the heatmap of the same matrix.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..analysis.subnetworks import METHODS, SELECTIONS
from ._flags import add_bootstrap, add_cache, add_jobs, add_out, add_quiet, add_seed, deprecation_note, renamed


def register(sub) -> None:
    parser = sub.add_parser(
        "subnetworks",
        help="group layers into sub-networks; print them as layer ranges and write them to a run folder",
        description="Read a layer distance matrix (a DISTANCES.npz/.json from `subnetscope pairwise`, "
        "or a run folder with distances/<label>.npz), group the layers into sub-networks and print "
        "the groups as ranges of consecutive layers. With --bootstrap B, the inputs of the representations "
        "(--reps, else those captured into the run folder) are re-drawn B times to give each range and "
        "boundary its support. Writes into the run folder "
        "RUN_DIR: subnetworks/<label>.json, tables/<label>_changes.json, "
        "figures/<label>_boundaries.png, the matrix as distances/<label>.npz (when it is not "
        "already there) and a record in run.json; `subnetscope report --out RUN_DIR` then shows them.",
    )
    parser.add_argument("distances", type=Path, metavar="DISTANCES", nargs="?", default=None,
                        help="DISTANCES.npz or .json written by `subnetscope pairwise`, or a run folder "
                        "(default: the run folder --out)")
    add_out(parser, note="default: the run folder DISTANCES is in, or the folder of DISTANCES")
    parser.add_argument("--label", default=None,
                        help="which matrix: the <label> of distances/<label>.npz in a run folder, and the "
                        "name results are saved under (default: the file's name, or its measure when the "
                        "file is called distances.npz; in a run folder, the only matrix or 'gw')")
    parser.add_argument("--method", default=METHODS[0], choices=METHODS,
                        help=f"spectral clustering or consecutive segments (default: {METHODS[0]})")
    parser.add_argument("--groups", type=int, default=None, metavar="K",
                        help="number of groups (default: chosen automatically, with the evidence printed)")
    parser.add_argument("--max-groups", type=int, default=10, metavar="K",
                        help="largest number of groups considered automatically (default: 10)")
    parser.add_argument("--select", default=SELECTIONS[0], choices=SELECTIONS,
                        help=f"how the number of groups is chosen (default: {SELECTIONS[0]}; eigengap: spectral only)")
    add_bootstrap(parser, samples_note="the distances' sample count")
    renamed(parser, "--samples", "--bootstrap-samples", dest="bootstrap_samples", type=int)
    parser.add_argument("--reps", type=Path, default=None,
                        help="the representations the distances came from (REPS.npz, a capture store or a "
                        "run folder), for --bootstrap (default: those captured into the run folder)")
    add_seed(parser, what="the clustering and the bootstrap draws")
    add_jobs(parser, what="each bootstrap replicate's pairs")
    add_cache(parser, what="every bootstrap replicate's finished pairs")
    add_quiet(parser)
    parser.set_defaults(func=run)


def _resolve(args: argparse.Namespace) -> tuple[Path, str, Path]:
    """(distances file, label, run folder) from DISTANCES, --label and --out."""
    from .._validation import close_matches

    source = args.distances
    if source is None:
        if args.out is None:
            raise ValueError("give --out RUN_DIR (the run folder `subnetscope pairwise --out RUN_DIR` wrote) "
                             "or a DISTANCES file")
        source = args.out
    elif source.is_dir() and args.out is None:
        deprecation_note("subnetscope subnetworks", f"the positional run folder ({str(source)!r})", f"--out {source}")
    if source.is_dir():
        found = sorted(p.stem for p in (source / "distances").glob("*.npz"))
        if not found:
            raise FileNotFoundError(f"DISTANCES {str(source)!r} is a folder without distances/*.npz; "
                                    "give a .npz/.json file or a run folder")
        label = args.label or (found[0] if len(found) == 1 else "gw" if "gw" in found else None)
        if label is None:
            raise ValueError(f"run folder {str(source)!r} holds {len(found)} matrices {found}; "
                             "choose one with --label")
        if label not in found:
            hits = close_matches(label, found)
            hint = f"; did you mean {' or '.join(map(repr, hits))}?" if hits else ""
            raise ValueError(f"`--label` {label!r} is not a matrix of {str(source)!r} (it has {found}){hint}")
        return source / "distances" / f"{label}.npz", label, args.out or source
    in_run = source.parent.name == "distances"
    default_out = source.parent.parent if in_run else source.parent
    return source, args.label or "", args.out or default_out


def _reps_of(args: argparse.Namespace, out: Path, source_run: Path | None) -> Path:
    """The representations --bootstrap re-draws: --reps, else those captured into the run folder."""
    if args.reps is not None:
        return args.reps
    from ..capture.loading import store_folder
    from ..capture.store import MANIFEST

    for folder in dict.fromkeys((out, source_run)):  # where results go, then where the distances came from
        if folder is not None and (store_folder(folder) / MANIFEST).is_file():
            return folder
    raise ValueError(f"`--bootstrap` needs `--reps REPS.npz` (or a capture store), the representations the "
                     f"distances came from, or a run folder they were captured into; {str(out)!r} holds none")


def run(args: argparse.Namespace) -> int:
    from ..analysis import bootstrap_subnetworks, find_subnetworks, layer_changes
    from ..engine.layer_distances import LayerDistances
    from ..plots import plot_layer_changes
    from ..runs import RunFolder
    from ._common import command_line, load_reps

    path, label, out = _resolve(args)
    distances = LayerDistances.load(path)
    n_layers = len(distances.names)
    if args.groups is not None and not 1 <= args.groups <= n_layers:
        raise ValueError(f"--groups must be between 1 and the number of layers ({n_layers}), got {args.groups}")
    if args.max_groups < 1:
        raise ValueError(f"--max-groups must be at least 1, got {args.max_groups}")
    if not label:
        label = distances.measure if path.stem == "distances" else path.stem
    if args.bootstrap:
        source_run = path.parent.parent if path.parent.name == "distances" else None
        reps = load_reps(_reps_of(args, out, source_run))
        missing = [n for n in distances.names if n not in reps]
        if missing:
            raise ValueError(f"`--reps` lacks layers of the distance matrix: {missing[:5]}"
                             + (" ..." if len(missing) > 5 else ""))
        reps = {name: reps[name] for name in distances.names}
        n = len(next(iter(reps.values())))
        samples = args.bootstrap_samples if args.bootstrap_samples is not None else (
            distances.n_samples if distances.n_samples and distances.n_samples < n else None)
        result = bootstrap_subnetworks(reps, B=args.bootstrap, n_samples=samples, measure=distances.measure,
                                       method=args.method, n_groups=args.groups, seed=args.seed,
                                       max_groups=args.max_groups, progress=not args.quiet, n_jobs=args.jobs,
                                       cache_dir=args.cache, **distances.options)
    elif args.reps is not None or args.bootstrap_samples is not None:
        raise ValueError("`--reps` and `--bootstrap-samples` are used only with `--bootstrap B` (B > 0)")
    else:
        result = find_subnetworks(distances, args.groups, args.method, args.seed, max_groups=args.max_groups,
                                  select=args.select)
    changes = layer_changes(distances)

    folder = RunFolder(out)
    target = folder.distances_path(label)
    if not (target.exists() and target.resolve() == path.resolve()):
        folder.save_distances(label, distances)  # the report draws the matrix beside its groups
    written = [folder.save_subnetworks(label, result)]
    steps = changes.to_dict()["steps"]
    written.append(folder.save_table(
        f"{label}_changes", f"Each layer's {distances.measure} distance to the previous layer ({label})",
        ["layer", "distance to previous", "change point"],
        [[name, steps[i], i in changes.change_points] for i, name in enumerate(changes.names)],
        note=f"change points: {changes.rule}"))
    written.append(folder.save_figure(
        f"{label}_boundaries", plot_layer_changes(changes, boundaries=result.boundaries).figure,
        caption=f"{distances.measure} distance of each layer to its predecessor ({label}): change points "
                "in red, sub-network boundaries dashed."))
    folder.record_command("subnetworks", command_line(args), label)
    folder.update_meta(subnetworks={label: {
        "distances": str(path), "method": args.method, "n_groups": args.groups, "max_groups": args.max_groups,
        "bootstrap": args.bootstrap, "reps": None if args.reps is None else str(args.reps),
        "bootstrap_samples": args.bootstrap_samples, "seed": args.seed, "found": result.n_groups,
    }})

    selection = result.selection
    print(f"{len(result.names)} layers, {distances.measure} distances, method {result.method}: "
          f"{result.n_groups} group(s) ({selection['criterion']})")
    if selection.get("scores"):
        print("  scores by k: " + ", ".join(f"{k}: {v:.3g}" for k, v in selection["scores"].items()))
    print(result.table())
    if result.n_bootstrap:
        print(f"support = fraction of {result.n_bootstrap} bootstrap replicates containing exactly that range")
    print(f"change points (large steps from the previous layer): "
          f"{[distances.names[i] for i in changes.change_points] or 'none'}")
    print(f"-> run folder {out}: " + ", ".join(str(p.relative_to(out)) for p in written)
          + f"; see it with `subnetscope report --out {out}`")
    return 0
