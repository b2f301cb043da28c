"""`subnetscope study NAME ...`: the paper's experiments as runnable pipelines.

Each study registers its own sub-parser from ``subnetscope/cli/study_<name>.py`` (a light
module: arguments here, heavy imports inside its ``run``).
"""

from __future__ import annotations

import importlib

STUDIES = ("modsum", "nlp", "vision")


def register(sub) -> None:
    parser = sub.add_parser("study", help="run one of the paper's studies (modsum, nlp, vision)",
                            description="Run one of the paper's studies end to end into a run folder.")
    studies = parser.add_subparsers(dest="study", metavar="STUDY", required=True)
    for name in STUDIES:
        try:
            module = importlib.import_module(f"{__package__}.study_{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__package__}.study_{name}":
                raise
            continue
        module.register(studies)
