"""How fast one stage of Model L (modular sum) generalises, for a choice of optimiser settings.

    python benchmarks/modsum_training.py --stage 1                      # defaults: lr 1e-3, wd 1, batch 256, MSE
    python benchmarks/modsum_training.py --stage 2 --loss cross_entropy  # the plateau at ~84%
    python benchmarks/modsum_training.py --stage 2 --lr 3e-3 --seconds 600
    python benchmarks/modsum_training.py --stage 1 --batch-size 0       # the paper's full batch

Stage 1 trains the embeddings, block 1 and a head for (c1, b) from scratch. Stage k > 1 takes
the embeddings and blocks 1..k-1 from the Model L checkpoint shipped with subnetscope (frozen),
re-initialises block k and trains it with a new head for (c2, b) (stage 2) or the unembedding
for c (stage 3), exactly as :func:`subnetscope.studies.modsum.train_modsum_model` does. Every
``--every`` epochs it prints seconds, epoch, training loss and the validation accuracy of the
stage's main target (c1, c2 or c); it stops at 100% or after ``--seconds``. One torch thread.
With ``--json`` the trajectory is written there.
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
    parser.add_argument("--stage", type=int, choices=(1, 2, 3), default=1)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--weight-decay", type=float, default=1.0)
    parser.add_argument("--batch-size", type=int, default=256, help="0 = full batch")
    parser.add_argument("--loss", choices=("mse", "cross_entropy"), default="mse",
                        help="the stage's training loss (default mse; see TrainConfig)")
    parser.add_argument("--seconds", type=float, default=300.0, help="wall-clock budget")
    parser.add_argument("--every", type=int, default=20, help="report every this many epochs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)

    import torch

    from subnetscope.studies import modsum as M
    from subnetscope.studies.modsum import training as T

    torch.set_num_threads(1)
    data = M.modsum_data("mod3")
    config = M.TrainConfig(seed=args.seed, loss=args.loss)
    model = T._new_model("L", data, config)
    k = args.stage - 1
    if k:
        shipped = M.load_or_train("L", data, M.TrainConfig(), progress=False, shipped=True)
        if shipped.source != "shipped":
            raise SystemExit("stages 2 and 3 need the shipped Model L checkpoint")
        keep = ("embed_a.", "embed_b.") + tuple(f"blocks.{i}." for i in range(k))
        state = {n: v for n, v in shipped.model.state_dict().items() if n.startswith(keep)}
        model.load_state_dict(state, strict=False)
    torch.manual_seed(args.seed + k)
    spec = T._stage_specs("L", data)[k]
    params, read, _ = T._stage_setup(model, spec, data, config)
    optimiser = torch.optim.AdamW(params, lr=args.lr, weight_decay=args.weight_decay, betas=config.betas)
    tokens = torch.as_tensor(data.tokens)
    targets = {t: torch.as_tensor(v) for t, v in data.targets.items()}
    train, val = torch.as_tensor(data.train), torch.as_tensor(data.val)
    main_target = spec["outputs"][0][1]

    def loss_of(idx):
        logits = read(model.residual(tokens[idx], k + 1))
        return sum(T.stage_loss(args.loss, lg, targets[t][idx]) for lg, (_, t) in zip(logits, spec["outputs"]))

    print(f"Model L stage {args.stage} ({spec['name']}): lr {args.lr}, weight decay {args.weight_decay}, "
          f"batch {args.batch_size or 'full'}, loss {args.loss}")
    history, start, epoch = [], time.perf_counter(), 0
    while time.perf_counter() - start < args.seconds:
        epoch += 1
        perm = train[torch.randperm(len(train))]
        for batch in perm.split(args.batch_size or len(perm)):
            loss = loss_of(batch)
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
        if epoch % args.every == 0:
            with torch.no_grad():
                logits = read(model.residual(tokens[val], k + 1))[0]
                acc = float((logits.argmax(-1) == targets[main_target][val]).float().mean())
            seconds = time.perf_counter() - start
            history.append({"epoch": epoch, "seconds": round(seconds, 1), "loss": float(loss.detach()), "val_accuracy": acc})
            print(f"{seconds:7.1f} s  epoch {epoch:5d}  loss {float(loss.detach()):.4f}  validation accuracy ({main_target}) "
                  f"{acc:.3f}", flush=True)
            if acc == 1.0:
                break
    if args.json:
        args.json.write_text(json.dumps({"args": {k_: str(v) for k_, v in vars(args).items()},
                                         "history": history}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
