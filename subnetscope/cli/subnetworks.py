"""`subnetscope subnetworks`: groups of layers from a distance matrix, with their support.

Results go into a run folder (:class:`subnetscope.runs.RunFolder`), like every study writes,
so that `subnetscope report RUN_DIR` shows them beside the heatmap of the same matrix.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub) -> None:
    parser = sub.add_parser(
        "subnetworks",
        help="group layers into sub-networks; print them as layer ranges and write them to a run folder",
        description="Read a layer distance matrix (a DISTANCES.npz/.json from `subnetscope pairwise`, "
        "or a run folder with distances/<label>.npz), group the layers into sub-networks and print "
        "the groups as ranges of consecutive layers. With --bootstrap B and --reps, the inputs are "
        "re-drawn B times to give each range and boundary its support. Writes into the run folder "
        "RUN_DIR: subnetworks/<label>.json, tables/<label>_changes.json, "
        "figures/<label>_boundaries.png, the matrix as distances/<label>.npz (when it is not "
        "already there) and a record in run.json; `subnetscope report RUN_DIR` then shows them.",
    )
    parser.add_argument("distances", type=Path, metavar="DISTANCES",
                        help="DISTANCES.npz or .json written by `subnetscope pairwise`, or a run folder")
    parser.add_argument("--label", default=None,
                        help="which matrix: the <label> of distances/<label>.npz in a run folder, and the "
                        "name results are saved under (default: the file's name, or its measure when the "
                        "file is called distances.npz; in a run folder, the only matrix or 'gw')")
    parser.add_argument("--method", default="spectral", choices=("spectral", "contiguous"),
                        help="spectral clustering or consecutive segments (default: spectral)")
    parser.add_argument("--groups", type=int, default=None, metavar="K",
                        help="number of groups (default: chosen automatically, with the evidence printed)")
    parser.add_argument("--max-groups", type=int, default=10, metavar="K",
                        help="largest number of groups considered automatically (default: 10)")
    parser.add_argument("--select", default="silhouette", choices=("silhouette", "eigengap"),
                        help="how the number of groups is chosen (default: silhouette; eigengap: spectral only)")
    parser.add_argument("--bootstrap", type=int, default=0, metavar="B",
                        help="bootstrap replicates over the inputs (needs --reps; default: none)")
    parser.add_argument("--reps", type=Path, default=None,
                        help="the representations the distances came from (REPS.npz), for --bootstrap")
    parser.add_argument("--samples", type=int, default=None, metavar="N",
                        help="rows per bootstrap computation (default: the distances' sample count)")
    parser.add_argument("--seed", type=int, default=0, help="seed (default: 0)")
    parser.add_argument("--out", type=Path, default=None, metavar="RUN_DIR",
                        help="run folder to write into (default: the run folder DISTANCES is in, or "
                        "the folder of DISTANCES)")
    parser.set_defaults(func=run)


def _resolve(args: argparse.Namespace) -> tuple[Path, str, Path]:
    """(distances file, label, run folder) from DISTANCES, --label and --out."""
    from .._validation import close_matches

    source = args.distances
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


def run(args: argparse.Namespace) -> int:
    from ..analysis import bootstrap_subnetworks, find_subnetworks, layer_changes
    from ..engine.layer_distances import LayerDistances
    from ..plots import plot_layer_changes
    from ..runs import RunFolder
    from ._common import command_line, load_reps

    path, label, out = _resolve(args)
    distances = LayerDistances.load(path)
    if not label:
        label = distances.measure if path.stem == "distances" else path.stem
    if args.bootstrap:
        if args.reps is None:
            raise ValueError("`--bootstrap` needs `--reps REPS.npz`, the representations the distances came from")
        reps = load_reps(args.reps)
        missing = [n for n in distances.names if n not in reps]
        if missing:
            raise ValueError(f"`--reps` lacks layers of the distance matrix: {missing[:5]}"
                             + (" ..." if len(missing) > 5 else ""))
        reps = {name: reps[name] for name in distances.names}
        n = len(next(iter(reps.values())))
        samples = args.samples if args.samples is not None else (
            distances.n_samples if distances.n_samples and distances.n_samples < n else None)
        result = bootstrap_subnetworks(reps, B=args.bootstrap, n_samples=samples, measure=distances.measure,
                                       method=args.method, n_groups=args.groups, seed=args.seed,
                                       max_groups=args.max_groups, **distances.options)
    elif args.reps is not None or args.samples is not None:
        raise ValueError("`--reps` and `--samples` are used only with `--bootstrap B`")
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
                "in red, sub-network boundaries dotted."))
    folder.record_command("subnetworks", command_line(args), label)
    folder.update_meta(subnetworks={label: {
        "distances": str(path), "method": args.method, "n_groups": args.groups, "max_groups": args.max_groups,
        "bootstrap": args.bootstrap, "reps": None if args.reps is None else str(args.reps),
        "samples": args.samples, "seed": args.seed, "found": result.n_groups,
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
          + f"; see it with `subnetscope report {out}`")
    return 0
