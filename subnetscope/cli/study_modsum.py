"""`subnetscope study modsum`: the modular-sum study (paper §5.1, App. B–D)."""

from __future__ import annotations

import argparse
from pathlib import Path

DEFAULT_SAMPLES = 200


def add_arguments(parser: argparse.ArgumentParser, *, samples: int = DEFAULT_SAMPLES,
                  epochs: int | None = None, probes: str = "linear,mlp", probe_samples: int = 1000,
                  jobs: int = 1) -> None:
    """Arguments shared by `study modsum` and `demo`."""
    from ..studies.modsum import TrainConfig

    parser.add_argument("--samples", type=int, default=samples,
                        help=f"inputs compared by GW (default: {samples}; the paper used 1000)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the split, training and sampling")
    parser.add_argument("--epochs", type=int, default=epochs,
                        help="most epochs per training stage (default: %s)" % (epochs or TrainConfig.max_epochs))
    parser.add_argument("--lr", type=float, default=None, help=f"AdamW learning rate (default: {TrainConfig.lr})")
    parser.add_argument("--weight-decay", type=float, default=None,
                        help=f"AdamW weight decay (default: {TrainConfig.weight_decay})")
    parser.add_argument("--batch-size", type=int, default=None,
                        help=f"minibatch size (default: {TrainConfig.batch_size}; 0 = full batch, as in the paper)")
    parser.add_argument("--loss", default=None, choices=("mse", "cross_entropy"),
                        help=f"training loss of each stage (default: {TrainConfig.loss}; see docs/results/modsum.md)")
    parser.add_argument("--cache-dir", type=Path, default=None,
                        help="checkpoint folder (default: OUT/checkpoints)")
    parser.add_argument("--probes", default=probes,
                        help=f"probe kinds, comma separated, or 'none' (default: {probes})")
    parser.add_argument("--probe-samples", type=int, default=probe_samples,
                        help=f"inputs used by the probes (default: {probe_samples})")
    parser.add_argument("--embedding", default="value",
                        help="how a target becomes a representation for GW: value, onehot, circular or stage "
                             "(as each stage was trained to output it), comma separated (default: value)")
    parser.add_argument("--baselines", default="",
                        help="other measures computed all-pairs, comma separated (Fig. 8), e.g. cka,rsa")
    parser.add_argument("--bootstrap", type=int, default=0,
                        help="bootstrap replicates of the sub-network search (each = one all-pairs GW)")
    parser.add_argument("--bootstrap-samples", type=int, default=None, metavar="N",
                        help="inputs drawn per bootstrap replicate (default: --samples)")
    parser.add_argument("--groups", type=int, default=None, help="number of sub-networks (default: best silhouette)")
    parser.add_argument("--compare-starts", type=int, default=0, metavar="K",
                        help="also run GW with POT's default start on K evenly spaced layers and compare")
    parser.add_argument("--jobs", type=int, default=jobs,
                        help=f"processes for the all-pairs distances, -1 = every core (default: {jobs}); "
                             "the matrix is the same as with 1")
    parser.add_argument("--retrain", action="store_true",
                        help="train even when a checkpoint with these settings exists (cached or shipped)")
    parser.add_argument("--no-report", action="store_true", help="do not write report.html")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def register(studies) -> None:
    parser = studies.add_parser(
        "modsum", help="modular-sum transformers (Models 0, E, L)",
        description="Train (or load) Model 0, E or L on the modular sum, compare its representations "
        "with GW, find sub-networks, compare with the known targets and probes; write a run folder.")
    parser.add_argument("--model", default="L", choices=("0", "E", "L"), help="which model (default: L)")
    parser.add_argument("--out", type=Path, default=Path("runs/modsum"), help="run folder")
    parser.add_argument("--paper-scale", action="store_true",
                        help="the paper's setting: GW at n = 1000, Table 1 under every embedding, probes on "
                             "all inputs, POT's start on 31 layers, 5 bootstrap replicates of 200 inputs "
                             "(over an hour for Models E and L on 2 cores; resumes when run again)")
    add_arguments(parser)
    parser.set_defaults(func=run)


def run_args(args: argparse.Namespace, model: str) -> dict:
    from dataclasses import replace

    from ..studies.modsum import ModSumConfig, TrainConfig, run as run_study

    config = TrainConfig(seed=args.seed)
    for field, value in (("max_epochs", args.epochs), ("lr", args.lr), ("weight_decay", args.weight_decay),
                         ("batch_size", args.batch_size), ("loss", args.loss)):
        if value is not None:
            config = replace(config, **{field: value})
    probes = tuple(p for p in args.probes.split(",") if p and p != "none")
    baselines = tuple(b for b in args.baselines.split(",") if b)
    options = dict(samples=args.samples, embedding=tuple(e for e in args.embedding.split(",") if e),
                   probes=probes, probe_samples=args.probe_samples, bootstrap=args.bootstrap,
                   bootstrap_samples=args.bootstrap_samples, compare_starts=args.compare_starts)
    rest = dict(model=model, seed=args.seed, train_config=config, cache_dir=args.cache_dir,
                baselines=baselines, n_groups=args.groups, retrain=args.retrain, n_jobs=args.jobs,
                report=not args.no_report, progress=not args.quiet)
    study = ModSumConfig.paper(**rest) if getattr(args, "paper_scale", False) else ModSumConfig(**options, **rest)
    return run_study(args.out, study).read_meta()["summary"]


def run(args: argparse.Namespace) -> int:
    run_args(args, args.model)
    print(f"wrote {args.out}")
    return 0
