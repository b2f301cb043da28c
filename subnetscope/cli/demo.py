"""`subnetscope demo`: the default run (`make demo`) — the modular-sum study on Model L."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._flags import add_out
from .study_modsum import DEFAULT_SAMPLES, add_arguments


def register(sub) -> None:
    parser = sub.add_parser(
        "demo", help="train or load Model L (modular sum) and find its sub-networks",
        description="The default run: Model L of the paper (three blocks trained layer-wise on "
        "c1 = (a+b) mod 59, c2 = (c1+b) mod 31, c = (c2+b) mod 17) is loaded (from RUN_DIR/checkpoints, "
        "else the checkpoint shipped with subnetscope, else trained here), its 93 representations "
        "compared with GW (all cores), sub-networks found, the layers closest to c1, c2, c listed "
        "(Table 1 analogue), probes run, and a run folder with figures and report written. "
        "`subnetscope study modsum` has every option.")
    from ..studies.modsum.data import MODEL_KINDS

    add_out(parser, default=Path("runs/demo"))
    parser.add_argument("--model", default="L", choices=MODEL_KINDS, help="which model (default: L)")
    add_arguments(parser, samples=DEFAULT_SAMPLES, probes="linear", probe_samples=500, jobs=-1)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from .study_modsum import run_args

    summary = run_args(args, args.model)
    stages = {k: v for k, v in summary["timings_s"].items() if k != "total"}
    total = summary["timings_s"].get("total", sum(stages.values()))  # the skeleton records the whole run
    print(f"\nwrote {args.out} in {total:.0f} s ({', '.join(f'{k} {v:.0f} s' for k, v in stages.items())})")
    return 0
