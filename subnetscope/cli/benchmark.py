"""`subnetscope benchmark`: score every measure on networks whose sub-networks are known."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._flags import add_out, add_quiet, add_seed


def register(sub) -> None:
    parser = sub.add_parser(
        "benchmark", help="score every measure on networks with known sub-networks (leaderboard)",
        description="Make networks whose sub-networks are known by construction (stage-wise trained MLPs and "
        "transformers, stitched networks, frozen prefix / fine-tuned suffix, planted chains, negative controls, "
        "Model L), compare their layers with every measure, find sub-networks (spectral and contiguous, number "
        "of groups given and automatic) and score them against the truth. Writes a run folder with a "
        "leaderboard (tables/leaderboard.json, benchmark/leaderboard.json, report.html) and figures. A rerun "
        "into the same folder resumes: only missing case x measure results are computed.")
    parser.add_argument("--quick", action="store_true",
                        help="one small case per family at n = 120 (measured 3.2 min on 2 busy cores) instead of the full run")
    from ..studies.benchmark.suite import PRESETS

    parser.add_argument("--preset", choices=tuple(PRESETS), default=None,
                        help="case list and sizes (default: full, or quick with --quick; tiny: the test suite's)")
    parser.add_argument("--measures", nargs="+", default=None, metavar="NAME",
                        help="measures to score (default: every registered one plus gw-pot-start, GW from POT's "
                        "product start alone; gw-mean, GW with mean-normalised distances, only when named)")
    add_out(parser, note="default: runs/benchmark-<preset>")
    add_seed(parser, what="subsamples and clustering")
    parser.add_argument("--no-report", action="store_true", help="do not write report.html")
    add_quiet(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..studies.benchmark import run_benchmark

    if args.quick and args.preset not in (None, "quick"):
        raise ValueError(f"--quick and --preset {args.preset} contradict each other; give one")
    preset = args.preset or ("quick" if args.quick else "full")
    out = args.out or Path(f"runs/benchmark-{preset}")
    result = run_benchmark(out, preset=preset, measures=args.measures, seed=args.seed, report=not args.no_report,
                           progress=not args.quiet)
    print(f"benchmark ({preset}): {len(result.records)} case x measure records "
          f"({sum(m is not None for _, m in result.computed)} computed now), {len(result.dropped)} cases dropped; "
          f"leaderboard in {out / 'tables' / 'leaderboard.json'}")
    return 0
