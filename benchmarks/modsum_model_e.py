"""Model E (modular sum, three blocks trained end to end): one training variant and its curve.

    python benchmarks/modsum_model_e.py --seconds 600                       # the defaults (minibatch 256, wd 1)
    python benchmarks/modsum_model_e.py --weight-decay 2 --batch-size 0     # the paper's recipe (full batch)
    python benchmarks/modsum_model_e.py --seed 1 --epochs 1500
    python benchmarks/modsum_model_e.py --grokfast 0.98 --weight-decay 2 --batch-size 0
    python benchmarks/modsum_model_e.py --from-shipped --weight-decay 2 --batch-size 0   # continue the shipped E
    python benchmarks/modsum_model_e.py --no-norm --weight-decay 2                   # no LayerNorm (Nanda et al.)

It runs the library's training loop (``train_modsum_model``). From scratch it trains
``TrainConfig`` with the given settings, exactly as ``subnetscope study modsum --model E``
would; ``--from-shipped`` instead continues the Model E checkpoint shipped with subnetscope with
a fresh AdamW (a batch-size or weight-decay schedule); ``--no-norm`` and ``--init-scale`` change
the model it starts from.
Every ``--every`` epochs it prints seconds, epoch, training loss, validation accuracy of c and
the weights' norm; it stops once validation accuracy has been 100% for ``--patience`` epochs,
after ``--epochs`` epochs or after ``--seconds``. One torch thread. With ``--json`` the curve is
written there. docs/results/modsum.md ("Models 0 and E") has the curves we measured.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--weight-decay", type=float, default=1.0)
    parser.add_argument("--batch-size", type=int, default=256, help="0 = full batch (the paper's)")
    parser.add_argument("--loss", choices=("mse", "cross_entropy"), default="mse")
    parser.add_argument("--grokfast", type=float, default=None, metavar="ALPHA",
                        help="Grokfast-EMA filter with this alpha (lambda 2); default off")
    parser.add_argument("--seed", type=int, default=0, help="initialisation and shuffling (the split stays)")
    parser.add_argument("--no-norm", action="store_true",
                        help="no LayerNorm in the blocks (Nanda et al.'s grokking transformer has none)")
    parser.add_argument("--init-scale", type=float, default=1.0,
                        help="multiply every initial weight by this (Omnigrok: a smaller start can generalise)")
    parser.add_argument("--from-shipped", action="store_true", help="continue the shipped Model E")
    parser.add_argument("--epochs", type=int, default=26000)
    parser.add_argument("--patience", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=600.0, help="wall-clock budget")
    parser.add_argument("--every", type=int, default=50, help="report every this many epochs")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    for name in ("lr", "epochs", "every", "seconds", "init_scale"):
        if getattr(args, name) <= 0:
            parser.error(f"--{name.replace('_', '-')} must be > 0, got {getattr(args, name)}")

    import torch

    from subnetscope.studies import modsum
    from subnetscope.studies.modsum.training import TrainConfig, _new_model

    torch.set_num_threads(1)
    data = modsum.modsum_data("mod3")
    config = TrainConfig(lr=args.lr, weight_decay=args.weight_decay, batch_size=args.batch_size or None,
                         loss=args.loss, seed=args.seed, grokfast_alpha=args.grokfast, patience=args.patience,
                         max_epochs=args.epochs)
    if args.from_shipped:
        model = modsum.load_or_train("E", data, progress=False).model
    else:
        model = _new_model("E", data, config, norm=not args.no_norm)
    if args.init_scale != 1.0:
        with torch.no_grad():
            for p in model.parameters():
                p.mul_(args.init_scale)
    curve, start = [], time.perf_counter()
    print(f"{'seconds':>8} {'epoch':>6} {'loss':>10} {'val acc':>8} {'norm':>7}")

    def on_epoch(epoch, loss, accuracy):
        seconds = time.perf_counter() - start
        over = seconds > args.seconds
        if epoch % args.every == 0 or over or epoch == args.epochs:
            norm = float(sum((p.detach() ** 2).sum() for p in model.parameters())) ** 0.5
            curve.append({"seconds": round(seconds, 1), "epoch": epoch, "loss": loss, "val_accuracy": accuracy,
                          "norm": round(norm, 3)})
            print(f"{seconds:8.1f} {epoch:6d} {loss:10.3g} {accuracy:8.4f} {norm:7.2f}", flush=True)
        return over

    result = modsum.train_modsum_model("E", data, config, progress=False, model=model, on_epoch=on_epoch)
    stage = result.stages[0]
    print(f"stopped after {stage['epochs']} epochs: validation accuracy {stage['val_accuracy']:.4f}"
          + (f", 100% held {args.patience} epochs" if stage["reached_100"] else ""))
    if args.json is not None:
        args.json.write_text(json.dumps({"settings": vars(args) | {"json": str(args.json)}, "curve": curve,
                                         "final": stage}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
