"""The flags every command spells the same way, each defined once here.

The convention: every command that writes takes ``--out RUN_DIR`` and writes a run folder
(:class:`subnetscope.runs.RunFolder`) that the next command reads, so a chain passes one
folder along::

    subnetscope capture MODEL INPUTS --layers hf-blocks --out RUN_DIR
    subnetscope pairwise --out RUN_DIR
    subnetscope subnetworks --out RUN_DIR
    subnetscope report --out RUN_DIR

``--quiet``, ``--jobs``, ``--seed``, ``--samples``, ``--cache`` and ``--bootstrap`` /
``--bootstrap-samples`` mean the same on every command that has them. Old spellings stay
accepted through :func:`renamed`, which prints one note naming the new flag.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

#: The flags defined here; a command that has one of them has it from here (tests check).
SHARED = ("--out", "--quiet", "--jobs", "--seed", "--samples", "--cache", "--bootstrap", "--bootstrap-samples")


def deprecation_note(command: str, old: str, new: str) -> None:
    """One line on stderr: ``old`` still works, ``new`` is the spelling to use."""
    print(f"{command}: note: {old} is deprecated (it still works); use {new}", file=sys.stderr)


class _Renamed(argparse.Action):
    """An old spelling of a flag: stores into the new flag's dest and prints a deprecation note."""

    def __init__(self, option_strings, dest, new: str = "", **kwargs):
        self.new = new
        super().__init__(option_strings, dest, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        deprecation_note(parser.prog, f"`{option_string}`", f"`{self.new}`")
        setattr(namespace, self.dest, self.const if self.nargs == 0 else values)


def renamed(parser: argparse.ArgumentParser, old: str, new: str, *, dest: str, switch: bool = False,
            type: Any = None) -> None:
    """Accept ``old`` as a hidden alias of ``new`` (a switch when ``switch``, else one value)."""
    parser.add_argument(old, dest=dest, action=_Renamed, new=new, nargs=0 if switch else None,
                        const=True if switch else None, type=type, default=argparse.SUPPRESS,
                        help=argparse.SUPPRESS)


def given_flags(args: argparse.Namespace, names) -> dict[str, Any]:
    """The options among ``names`` that were given on the command line.

    A study command leaves such options at ``None`` when they are not given, so that
    ``--paper-scale`` can tell "not given: the paper's value" from "given: this value" (the
    modsum and NLP study commands build their configs from this).
    """
    return {name: getattr(args, name) for name in names if getattr(args, name, None) is not None}


def _shared(action: argparse.Action) -> argparse.Action:
    action.shared = True  # marks a flag made here (see tests/test_cli_convention.py)
    return action


def add_out(parser: argparse.ArgumentParser, *, default: Path | None = None, required: bool = False,
            note: str = "") -> None:
    """``--out RUN_DIR``: the run folder this command writes into (and reads, when given no input)."""
    if default is not None:
        note = note or f"default: {default}"
    _shared(parser.add_argument(
        "--out", type=Path, default=default, required=required, metavar="RUN_DIR",
        help="the run folder: what earlier commands wrote there is read, this command's results are "
             "written into it for the next" + (f" ({note})" if note else "")))


def add_quiet(parser: argparse.ArgumentParser, *, old_no_progress: bool = False) -> None:
    """``--quiet``: no progress bars or progress lines (results are still printed)."""
    _shared(parser.add_argument("--quiet", "-q", action="store_true", help="no progress bars or progress lines"))
    if old_no_progress:
        renamed(parser, "--no-progress", "--quiet", dest="quiet", switch=True)


def add_jobs(parser: argparse.ArgumentParser, *, default: int = 1, what: str = "the all-pairs distances") -> None:
    """``--jobs N`` / ``-j N``: local worker processes (``n_jobs`` in the API)."""
    _shared(parser.add_argument(
        "--jobs", "-j", type=int, default=default, metavar="N",
        help=f"worker processes for {what}, -1 = one per core (default: {default}); the result is the "
             "same as with 1"))


def add_seed(parser: argparse.ArgumentParser, *, what: str = "the input subsample") -> None:
    """``--seed S``: the one seed of every random choice the command makes."""
    _shared(parser.add_argument("--seed", type=int, default=0, metavar="S", help=f"seed of {what} (default: 0)"))


def add_samples(parser: argparse.ArgumentParser, *, default: int | None = None,
                what: str = "compare on N inputs drawn once with --seed", old: str | None = None,
                shown: str | None = None) -> None:
    """``--samples N``: how many inputs (rows) are used (``n_samples`` in the API)."""
    shown = shown or ("all" if default is None else str(default))
    _shared(parser.add_argument("--samples", type=int, default=default, metavar="N",
                                help=f"{what} (default: {shown})"))
    if old:
        renamed(parser, old, "--samples", dest="samples", type=int)


def add_cache(parser: argparse.ArgumentParser, *, what: str = "every finished pair",
              default_note: str = "none", old: str | None = None) -> None:
    """``--cache DIR``: where finished work is kept, so that a rerun resumes."""
    _shared(parser.add_argument("--cache", type=Path, default=None, metavar="DIR",
                                help=f"keep {what} in DIR; rerunning resumes a killed run (default: {default_note})"))
    if old:
        renamed(parser, old, "--cache", dest="cache", type=Path)


def add_bootstrap(parser: argparse.ArgumentParser, *, default: int = 0, samples: int | None = None,
                  samples_note: str = "--samples", old: tuple[str, str] | None = None) -> None:
    """``--bootstrap B`` and ``--bootstrap-samples N``: replicates of the sub-network search over
    re-drawn inputs, and inputs per replicate (``B`` and ``n_samples`` of ``bootstrap_subnetworks``)."""
    _shared(parser.add_argument("--bootstrap", type=int, default=default, metavar="B",
                                help=f"bootstrap replicates of the sub-network search (0: none; default: {default})"))
    _shared(parser.add_argument("--bootstrap-samples", type=int, default=samples, metavar="N",
                                help="inputs drawn per bootstrap replicate "
                                     f"(default: {samples_note if samples is None else samples})"))
    if old:
        renamed(parser, old[0], "--bootstrap", dest="bootstrap", type=int)
        renamed(parser, old[1], "--bootstrap-samples", dest="bootstrap_samples", type=int)


def out_from_positional(args: argparse.Namespace, name: str, command: str, default: Path | None = None) -> Path:
    """The run folder of a command that used to take it positionally: ``--out``, else the old
    positional (with a deprecation note), else ``default``; both given and different is an error."""
    old = getattr(args, name)
    if old is not None:
        deprecation_note(command, f"the positional {name.upper()} ({str(old)!r})", f"--out {old}")
        if args.out is not None and Path(old) != Path(args.out):
            raise ValueError(f"give the run folder once: --out {str(args.out)!r} and the positional "
                             f"{name.upper()} {str(old)!r} differ")
        return Path(old)
    if args.out is None:
        if default is None:
            raise ValueError("--out RUN_DIR is required: the run folder to read and write")
        return default
    return args.out
