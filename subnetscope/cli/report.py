"""`subnetscope report RUN_DIR`: write RUN_DIR/report.html."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub) -> None:
    parser = sub.add_parser(
        "report",
        help="write the self-contained HTML report of a run folder",
        description="Write RUN_DIR/report.html: the sub-networks found, interactive heatmaps, figures, "
        "tables, options, timings, versions and the command to reproduce. One offline file.",
    )
    parser.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="a run folder (from a study or `demo`)")
    parser.add_argument("--out", type=Path, default=None, help="where to write (default: RUN_DIR/report.html)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..report import write_report

    path = write_report(args.run_dir, args.out)
    print(f"wrote {path}")
    return 0
