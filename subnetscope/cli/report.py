"""`subnetscope report --out RUN_DIR`: write RUN_DIR/report.html."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._flags import add_out, add_quiet, deprecation_note, out_from_positional


def register(sub) -> None:
    parser = sub.add_parser(
        "report",
        help="write the self-contained HTML report of a run folder",
        description="Write RUN_DIR/report.html: the sub-networks found, interactive heatmaps, figures, "
        "tables, options, timings, versions and the command to reproduce. One offline file.",
    )
    parser.add_argument("run_dir", type=Path, nargs="?", default=None, metavar="RUN_DIR",
                        help=argparse.SUPPRESS)  # the old spelling of --out RUN_DIR (deprecated)
    add_out(parser, note="a run folder from capture/pairwise/subnetworks, compare, a study or `demo`")
    parser.add_argument("--html", type=Path, default=None, metavar="FILE",
                        help="where to write the page (default: RUN_DIR/report.html)")
    add_quiet(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..report import write_report

    html = args.html
    if args.run_dir is not None and args.out is not None and Path(args.out) != Path(args.run_dir):
        # the old form `report RUN_DIR --out FILE.html`: --out named the page
        deprecation_note("subnetscope report", f"`--out {args.out}` for the page", f"--html {args.out}")
        if html is not None:
            raise ValueError(f"give the page once: --html {str(html)!r} and the old --out {str(args.out)!r} differ")
        html, args.out = args.out, None
    run_dir = out_from_positional(args, "run_dir", "subnetscope report")
    path = write_report(run_dir, html)
    if not args.quiet:
        print(f"wrote {path}")
    return 0
