"""`subnetscope study vision`: ResNet9 random vs trained (paper §5.4, App. N)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._flags import add_bootstrap, add_out, add_quiet, add_samples, add_seed


def register(studies) -> None:
    parser = studies.add_parser(
        "vision", help="ResNet9 random vs trained: every measure, boundaries, sub-networks",
        description="Train ResNet9 briefly on the CPU, compare it with its random initialisation with every "
        "measure that handles different widths, and write a run folder (and report). Offline default data: "
        "scikit-learn's digits upscaled to 3x32x32 (not CIFAR-10); pass --data for CIFAR-10. --paper-scale "
        "uses the paper's setting (CIFAR-10, 300 epochs); any option given explicitly overrides it.")
    add_out(parser, default=Path("runs/vision"))
    # --data and --epochs default to None: unset, they come from the plan (the defaults, or the paper's)
    parser.add_argument("--data", default=None,
                        help="'digits' (default, offline) or cifar-10-python.tar.gz / its extracted folder "
                             "(paper scale: cifar-10-python.tar.gz)")
    parser.add_argument("--paper-scale", action="store_true",
                        help="the paper's setting: CIFAR-10 (--data cifar-10-python.tar.gz unless given), 300 "
                             "training epochs; the other options keep their defaults")
    add_samples(parser, default=300, what="inputs captured at every layer")
    parser.add_argument("--pair-samples", type=int, default=300,
                        help="inputs every pair of layers is compared on (default 300)")
    parser.add_argument("--agw-samples", type=int, default=100,
                        help="inputs AGW compares on (default 100; AGW is ~20 fused-GW solves per pair)")
    parser.add_argument("--epochs", type=int, default=None, help="training epochs (default 2; paper scale 300)")
    parser.add_argument("--batch-size", type=int, default=32, help="training batch size (default 32)")
    parser.add_argument("--optimizer", choices=("adam", "sgd"), default="adam", help="AdamW (default) or SGD")
    parser.add_argument("--lr", type=float, default=None,
                        help="peak learning rate of the one-cycle schedule (default 2e-3 adam, 0.05 sgd)")
    parser.add_argument("--measures", nargs="+", default=None, metavar="NAME",
                        help="measures (default: every one that handles different widths)")
    parser.add_argument("--groups", type=int, default=None, help="number of sub-networks (default: best silhouette)")
    add_bootstrap(parser, default=2, samples=150, old=("--boot", "--boot-samples"))
    add_seed(parser, what="the data split, training and every subsample")
    parser.add_argument("--no-report", action="store_true", help="do not write report.html")
    add_quiet(parser)
    parser.set_defaults(func=run)


def config_from_args(args: argparse.Namespace):
    """The :class:`VisionConfig` the flags ask for: ``VisionConfig.paper()`` under ``--paper-scale``
    (else the defaults), with every option given explicitly on top."""
    from ..studies.vision import VisionConfig

    options = dict(data=args.data, samples=args.samples, pair_samples=args.pair_samples, epochs=args.epochs,
                   batch_size=args.batch_size, optimizer=args.optimizer, max_lr=args.lr, measures=args.measures,
                   agw_samples=args.agw_samples, n_groups=args.groups, bootstrap=args.bootstrap,
                   bootstrap_samples=args.bootstrap_samples, seed=args.seed, report=not args.no_report,
                   progress=not args.quiet)
    given = {name: value for name, value in options.items() if value is not None}  # None: the plan's value
    return (VisionConfig.paper if args.paper_scale else VisionConfig)(**given)


def run(args: argparse.Namespace) -> int:
    from ..studies.vision import run as run_study

    run_study(args.out, config_from_args(args))
    return 0
