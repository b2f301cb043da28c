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
        "scikit-learn's digits upscaled to 3x32x32 (not CIFAR-10); pass --data for CIFAR-10.")
    add_out(parser, default=Path("runs/vision"))
    parser.add_argument("--data", default="digits",
                        help="'digits' (default, offline) or cifar-10-python.tar.gz / its extracted folder")
    add_samples(parser, default=300, what="inputs captured at every layer")
    parser.add_argument("--pair-samples", type=int, default=300,
                        help="inputs every pair of layers is compared on (default 300)")
    parser.add_argument("--agw-samples", type=int, default=100,
                        help="inputs AGW compares on (default 100; AGW is ~20 fused-GW solves per pair)")
    parser.add_argument("--epochs", type=int, default=2, help="training epochs (default 2)")
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


def run(args: argparse.Namespace) -> int:
    from ..studies.vision import VisionConfig, run as run_study

    run_study(args.out, VisionConfig(data=args.data, samples=args.samples, pair_samples=args.pair_samples,
                                     epochs=args.epochs, batch_size=args.batch_size, optimizer=args.optimizer,
                                     max_lr=args.lr, measures=args.measures, agw_samples=args.agw_samples,
                                     n_groups=args.groups, bootstrap=args.bootstrap,
                                     bootstrap_samples=args.bootstrap_samples,
                                     seed=args.seed, report=not args.no_report,
                                     progress=not args.quiet))
    return 0
