"""`subnetscope subnetworks`: groups of layers from a distance matrix, with their support."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub) -> None:
    parser = sub.add_parser(
        "subnetworks",
        help="group layers into sub-networks; print them as layer ranges and write JSON",
        description="Read a layer distance matrix (from `subnetscope pairwise`), group the layers "
        "into sub-networks and print the groups as ranges of consecutive layers. With --bootstrap B "
        "and --reps, the inputs are re-drawn B times to give each range and boundary its support. "
        "Writes OUT/subnetworks.json, OUT/changes.json and OUT/boundaries.png.",
    )
    parser.add_argument("distances", type=Path, help="DISTANCES.npz or .json written by `subnetscope pairwise`")
    parser.add_argument("--method", default="spectral", choices=("spectral", "contiguous"),
                        help="spectral clustering or consecutive segments (default: spectral)")
    parser.add_argument("--groups", type=int, default=None, metavar="K",
                        help="number of groups (default: chosen automatically, with the evidence printed)")
    parser.add_argument("--max-groups", type=int, default=10, metavar="K",
                        help="largest number of groups considered automatically (default: 10)")
    parser.add_argument("--bootstrap", type=int, default=0, metavar="B",
                        help="bootstrap replicates over the inputs (needs --reps; default: none)")
    parser.add_argument("--reps", type=Path, default=None,
                        help="the representations the distances came from (REPS.npz), for --bootstrap")
    parser.add_argument("--samples", type=int, default=None, metavar="N",
                        help="rows per bootstrap computation (default: the distances' sample count)")
    parser.add_argument("--seed", type=int, default=0, help="seed (default: 0)")
    parser.add_argument("--out", type=Path, default=None,
                        help="output folder (default: the folder of DISTANCES)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from .._io import write_json
    from ..analysis import bootstrap_subnetworks, find_subnetworks, layer_changes
    from ..engine.layer_distances import LayerDistances
    from ..plots import plot_layer_changes, save_figure
    from ._common import load_reps

    distances = LayerDistances.load(args.distances)
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
        result = find_subnetworks(distances, args.groups, args.method, args.seed, max_groups=args.max_groups)
    changes = layer_changes(distances)
    out = args.out if args.out is not None else args.distances.parent
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "subnetworks.json", result.to_dict())
    write_json(out / "changes.json", changes.to_dict())
    save_figure(plot_layer_changes(changes).figure, out / "boundaries.png")

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
    print(f"-> {out / 'subnetworks.json'}")
    return 0
