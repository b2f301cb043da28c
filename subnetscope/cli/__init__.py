"""The `subnetscope` command: a thin layer over the public API.

Each sub-command lives in its own module with ``register(subparsers)`` that adds a
parser and sets ``func``; the list below is the only place that names them. A module only
parses and calls the library. The convention every command follows (``--out RUN_DIR``, the
shared flags, deprecated spellings) is in ``_flags.py``.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .. import __version__

COMMANDS = ("capture", "pairwise", "compare", "measures", "subnetworks", "study", "report", "demo", "benchmark")


class _Parser(argparse.ArgumentParser):
    """argparse, with close matches suggested for a mistyped command or choice."""

    def _check_value(self, action, value):
        if action.choices is not None and value not in action.choices:
            from .._validation import close_matches

            choices = [str(c) for c in action.choices]
            hits = close_matches(str(value), choices)
            hint = f"; did you mean {' or '.join(map(repr, hits))}?" if hits else ""
            raise argparse.ArgumentError(
                action, f"invalid choice: {value!r} (choose from {', '.join(choices)}){hint}")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="subnetscope",
        description="Find functionally distinct sub-networks in trained neural networks "
        "with Gromov-Wasserstein distances between layer representations.",
    )
    parser.add_argument("--version", action="version", version=f"subnetscope {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"{__name__}.{name.replace('-', '_')}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # what run.json records as the command
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except (ValueError, TypeError, KeyError, OSError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        if isinstance(exc, OSError) and exc.filename is not None:  # raised by the OS: say which path and why
            message = f"{exc.strerror or exc}: {exc.filename!r}"
        print(f"subnetscope {args.command}: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"subnetscope {args.command}: interrupted; finished work is kept", file=sys.stderr)
        return 130
