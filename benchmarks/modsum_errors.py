"""Where a shipped modular-sum model fails: validation accuracy per value of c1 = (a + b) mod 59.

    python benchmarks/modsum_errors.py --model E

Loads the checkpoint for the default settings (shipped or cached; trains nothing unless none
exists), reads c at position 1 as the study does, and prints overall accuracies, the values of
c1 whose validation accuracy is below ``--below``, and how accuracy varies with a and b. Writes
JSON with ``--json``.
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import torch


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=["0", "E", "L"], default="E")
    parser.add_argument("--below", type=float, default=0.8, help="report c1 values under this accuracy")
    parser.add_argument("--json", help="write the result here")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    from subnetscope.studies import modsum as M

    data = M.modsum_data("mod" if args.model == "0" else "mod3")
    result = M.load_or_train(args.model, data, progress=False)
    with torch.no_grad():
        pred = result.model(torch.as_tensor(data.tokens))[:, 1].argmax(-1).numpy()
    ok = pred == data.targets["c"]
    val, a, b = data.val, data.tokens[:, 0], data.tokens[:, 1]
    c1 = (a + b) % data.p
    per = lambda key: np.array([ok[val][key[val] == v].mean() for v in range(data.p)])
    per_c1, per_a, per_b = per(c1), per(a), per(b)
    out = {"model": args.model, "source": result.source, "train_accuracy": float(ok[data.train].mean()),
           "val_accuracy": float(ok[val].mean()), "val_errors": int((~ok[val]).sum()),
           "per_c1_median": float(np.median(per_c1)),
           "c1_below": {int(v): round(float(per_c1[v]), 3) for v in np.flatnonzero(per_c1 < args.below)},
           "per_a_range": [float(per_a.min()), float(per_a.max())],
           "per_b_range": [float(per_b.min()), float(per_b.max())]}
    print(f"Model {args.model} ({result.source}): train {out['train_accuracy']:.4f}, "
          f"validation {out['val_accuracy']:.4f} ({out['val_errors']} errors of {len(val)})")
    print(f"validation accuracy per c1: median {out['per_c1_median']:.2f}; below {args.below}: {out['c1_below']}")
    print(f"per a: {per_a.min():.2f}-{per_a.max():.2f}; per b: {per_b.min():.2f}-{per_b.max():.2f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)
    return out


if __name__ == "__main__":
    main()
