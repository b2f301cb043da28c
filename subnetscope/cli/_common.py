"""Helpers shared by the sub-commands."""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from ..capture.loading import load_representations as load_reps  # noqa: F401  (the old name, re-exported)
from ._flags import add_cache, add_jobs, add_quiet, add_samples, add_seed


def command_line(args: argparse.Namespace) -> str:
    """The command as typed: ``subnetscope`` and the arguments ``main`` parsed, shell-quoted."""
    import shlex

    return shlex.join(["subnetscope", *getattr(args, "argv", [])])


def measure_choices() -> list[str]:
    from ..measures.registry import list_measures

    return list_measures()


def parse_option(text: str) -> tuple[str, Any]:
    """``key=value`` with value parsed as int, float, bool, None, comma list or string."""
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"options are key=value, got {text!r}")
    key, raw = text.split("=", 1)
    return key.strip().replace("-", "_"), _parse_value(raw.strip())


def _parse_value(raw: str) -> Any:
    lowered = raw.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "none":
        return None
    if "," in raw:
        return tuple(_parse_value(part) for part in raw.split(",") if part)
    for cast in (int, float):
        try:
            return cast(raw)
        except ValueError:
            pass
    return raw


def add_engine_arguments(parser: argparse.ArgumentParser) -> None:
    """The all-pairs engine's flags (rows, seed, measure options, jobs, Dask, cache, device,
    warm starts, memory), shared by `pairwise` and `compare`."""
    add_samples(parser)
    add_seed(parser)
    parser.add_argument("--option", "-o", action="append", type=parse_option, default=[], metavar="KEY=VALUE",
                        help="measure option, repeatable, e.g. -o normalize=mean; for GW "
                             "-o starts=product is the fast setting (POT's start and the warm start)")
    add_quiet(parser, old_no_progress=True)
    add_jobs(parser, what="the pairs")
    add_cache(parser)
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="run the pairs on a Dask cluster, e.g. tcp://host:8786")
    parser.add_argument("--device", default=None,
                        help="GW only: run the solver's matrix products on this torch device (cuda, cpu)")
    parser.add_argument("--no-warm-start", action="store_true",
                        help="GW only: do not start pairs from their neighbours' permutations")
    parser.add_argument("--max-memory", default=None, metavar="SIZE",
                        help="memory budget, e.g. 16GB or off (default: $SUBNETSCOPE_MAX_MEMORY, else the "
                        "memory available now); a run that would not fit is refused before it starts")


def run_engine(function, args: argparse.Namespace, *reps: dict[str, np.ndarray]):
    """Call ``function(*reps, measure, ...)`` (pairwise or cross_pairwise) with the engine's
    flags, on a Dask cluster when --scheduler names one."""
    options = dict(args.option)
    if args.device is not None:
        if args.measure != "gw":
            raise ValueError(f"--device applies to the gw measure only, got --measure {args.measure}")
        options["device"] = args.device
    client = None
    if args.scheduler is not None:
        if not args.scheduler.startswith(("tcp://", "tls://", "inproc://", "ucx://")):
            raise ValueError(f"--scheduler must be a Dask scheduler address such as tcp://host:8786, "
                             f"got {args.scheduler!r}")
        from distributed import Client

        try:
            client = Client(args.scheduler, timeout="20s")
        except OSError as exc:
            raise ValueError(f"--scheduler {args.scheduler}: cannot reach the Dask scheduler ({exc})") from exc
    try:
        return function(*reps, args.measure, n_samples=args.samples, seed=args.seed,
                        progress=not args.quiet, n_jobs=args.jobs, client=client, cache_dir=args.cache,
                        warm_start=not args.no_warm_start, max_memory=args.max_memory, **options)
    finally:
        if client is not None:
            client.close()
