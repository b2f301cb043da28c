"""`subnetscope study modsum`: the modular-sum study (paper §5.1, App. B–D)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._flags import add_bootstrap, add_cache, add_jobs, add_out, add_quiet, add_samples, add_seed, given_flags

DEFAULT_SAMPLES = 200
#: The flags of ModSumConfig options that --paper-scale sets unless they are given.
_STUDY_OPTIONS = ("samples", "probes", "probe_samples", "embedding", "bootstrap", "bootstrap_samples", "compare_starts")


def add_arguments(parser: argparse.ArgumentParser, *, samples: int = DEFAULT_SAMPLES,
                  epochs: int | None = None, probes: str = "linear,mlp", probe_samples: int = 1000,
                  jobs: int = 1) -> None:
    """Arguments shared by `study modsum` and `demo`."""
    from ..studies.modsum import recipe
    from ..studies.modsum.pipeline import TARGET_EMBEDDINGS
    from ..studies.modsum.training import LOSSES

    def default(field: str) -> str:
        """The recipe's value of ``field``, per model where the shipped models differ."""
        values = {kind: getattr(recipe(kind), field) for kind in ("0", "L", "E")}
        values = {kind: "full batch" if value is None else value for kind, value in values.items()}
        if len(set(values.values())) == 1:
            return str(values["L"])
        return "; ".join(f"Model {kind}: {value}" for kind, value in values.items())

    add_samples(parser, default=samples, what="inputs compared by GW (the paper used 1000)")
    add_seed(parser, what="the split, training and sampling")
    parser.add_argument("--epochs", type=int, default=epochs,
                        help="most epochs per training stage (default: %s)" % (epochs or default("max_epochs")))
    parser.add_argument("--lr", type=float, default=None, help=f"AdamW learning rate (default: {default('lr')})")
    parser.add_argument("--weight-decay", type=float, default=None,
                        help=f"AdamW weight decay (default: {default('weight_decay')})")
    parser.add_argument("--batch-size", type=int, default=None,
                        help=f"minibatch size, 0 = full batch as in the paper (default: {default('batch_size')})")
    parser.add_argument("--loss", default=None, choices=LOSSES,
                        help=f"training loss of each stage (default: {default('loss')}; see docs/results/modsum.md)")
    add_cache(parser, what="the trained checkpoints", default_note="RUN_DIR/checkpoints", old="--cache-dir")
    parser.add_argument("--probes", default=probes,
                        help=f"probe kinds, comma separated, or 'none' (default: {probes})")
    parser.add_argument("--probe-samples", type=int, default=probe_samples,
                        help=f"inputs used by the probes (default: {probe_samples})")
    parser.add_argument("--embedding", default="value",
                        help=f"how a target becomes a representation for GW: {', '.join(TARGET_EMBEDDINGS)} "
                             "(stage: as each stage was trained to output it), comma separated (default: value)")
    parser.add_argument("--baselines", default="",
                        help="other measures computed all-pairs, comma separated (Fig. 8), e.g. cka,rsa")
    add_bootstrap(parser)
    parser.add_argument("--groups", type=int, default=None, help="number of sub-networks (default: best silhouette)")
    parser.add_argument("--compare-starts", type=int, default=0, metavar="K",
                        help="also run GW with POT's default start on K evenly spaced layers and compare")
    add_jobs(parser, default=jobs)
    parser.add_argument("--retrain", action="store_true",
                        help="train even when a checkpoint with these settings exists (cached or shipped)")
    parser.add_argument("--no-report", action="store_true", help="do not write report.html")
    add_quiet(parser)
    # The study's options default to None in the parsed flags, so that config_from_args can tell
    # a flag given explicitly (which overrides --paper-scale) from one left at its default (the
    # help text above shows the default; config_from_args fills it in from study_defaults).
    defaults = {name: parser.get_default(name) for name in _STUDY_OPTIONS}
    parser.set_defaults(**{name: None for name in defaults}, study_defaults=defaults)


def register(studies) -> None:
    parser = studies.add_parser(
        "modsum", help="modular-sum transformers (Models 0, E, L)",
        description="Train (or load) Model 0, E or L on the modular sum, compare its representations "
        "with GW, find sub-networks, compare with the known targets and probes; write a run folder.")
    from ..studies.modsum.data import MODEL_KINDS

    parser.add_argument("--model", default="L", choices=MODEL_KINDS, help="which model (default: L)")
    add_out(parser, default=Path("runs/modsum"))
    parser.add_argument("--paper-scale", action="store_true",
                        help="the paper's setting: GW at n = 1000, Table 1 under every embedding, probes on "
                             "all inputs, POT's start on 31 layers, 5 bootstrap replicates of 200 inputs "
                             "(over an hour for Models E and L on 2 cores; resumes when run again)")
    add_arguments(parser)
    parser.set_defaults(func=run)


def config_from_args(args: argparse.Namespace, model: str):
    """The :class:`ModSumConfig` the flags ask for: ``ModSumConfig.paper()`` under ``--paper-scale``
    (else the defaults of this command), with every option given explicitly on top."""
    from dataclasses import replace

    from ..studies.modsum import ModSumConfig, recipe

    config = replace(recipe(model), seed=args.seed)
    for field, value in (("max_epochs", args.epochs), ("lr", args.lr), ("weight_decay", args.weight_decay),
                         ("batch_size", args.batch_size), ("loss", args.loss)):
        if value is not None:
            config = replace(config, **{field: None if field == "batch_size" and value == 0 else value})
    given = given_flags(args, args.study_defaults)
    paper = getattr(args, "paper_scale", False)
    options = given if paper else {**args.study_defaults, **given}
    if isinstance(options.get("probes"), str):
        options["probes"] = tuple(p for p in options["probes"].split(",") if p and p != "none")
    if isinstance(options.get("embedding"), str):
        options["embedding"] = tuple(e for e in options["embedding"].split(",") if e)
    baselines = tuple(b for b in args.baselines.split(",") if b)
    rest = dict(model=model, seed=args.seed, train_config=config, cache_dir=args.cache,
                baselines=baselines, n_groups=args.groups, retrain=args.retrain, n_jobs=args.jobs,
                report=not args.no_report, progress=not args.quiet)
    return ModSumConfig.paper(**options, **rest) if paper else ModSumConfig(**options, **rest)


def run_args(args: argparse.Namespace, model: str) -> dict:
    from ..studies.modsum import run as run_study

    return run_study(args.out, config_from_args(args, model)).read_meta()["summary"]


def run(args: argparse.Namespace) -> int:
    run_args(args, args.model)
    print(f"wrote {args.out}")
    return 0
