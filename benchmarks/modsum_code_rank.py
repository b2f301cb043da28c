"""How many dimensions each stage of Model L uses for its output: the rank of its class means.

    python benchmarks/modsum_code_rank.py                       # the shipped Model L (MSE stages)
    python benchmarks/modsum_code_rank.py --loss cross_entropy  # trains the cross-entropy Model L (~15 min)
    python benchmarks/modsum_code_rank.py --model E             # the shipped Model E, block by block

For stage k of Model L, the residual stream after block k at the position the stage's head
reads (c1 and c2 at position 0, c at position 1) is averaged over the inputs that share a value
of the stage's target; the singular values of those class means (centred), relative to the
largest, show how many directions the code of the target uses. A rank far below the number of
classes minus one means a few Fourier frequencies: the next stage cannot read residues of the
target linearly (docs/results/modsum.md, "Why MSE"). Also prints a linear probe's validation
accuracy for the residue the next stage needs (c1 mod 31, c2 mod 17), read off that layer.

Then, for either model (``--model E``: the end-to-end Model E, which has no stages), after
every block and at both positions: the rank of the class means of c1 and linear probes for
c1 mod 31 and for the wrap-around t = [a + b >= 59], the two handles block 2 needs to compute
c2 (docs/results/modsum.md, "Models 0 and E").
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=("L", "E"), default="L")
    parser.add_argument("--loss", choices=("mse", "cross_entropy"), default="mse")
    parser.add_argument("--cache-dir", type=Path, default=Path("runs/checkpoints"),
                        help="where a model that is not shipped is trained and kept")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)

    import torch
    from sklearn.linear_model import LogisticRegression

    from subnetscope.studies import modsum as M

    torch.set_num_threads(1)
    data = M.modsum_data("mod3")
    config = dataclasses.replace(M.recipe(args.model), loss=args.loss)
    trained = M.load_or_train(args.model, data, config, cache_dir=args.cache_dir)
    tokens = torch.as_tensor(data.tokens)
    a, b = data.tokens[:, 0], data.tokens[:, 1]

    def code(k, pos, target, probes):
        with torch.no_grad():
            X = trained.model.residual(tokens, k)[:, pos].numpy().astype(np.float64)
        y = data.targets[target]
        means = np.stack([X[y == v].mean(0) for v in range(data.n_classes[target])])
        s = np.linalg.svd(means - means.mean(0), compute_uv=False)
        rel = s / s[0]
        row = {"block": k, "position": pos, "target": target, "classes": data.n_classes[target],
               "rank_5pct": int((rel > 0.05).sum()), "rank_1pct": int((rel > 0.01).sum()),
               "singular_values": [round(float(v), 3) for v in rel[:12]]}
        for name, z in probes.items():
            probe = LogisticRegression(max_iter=3000).fit(X[data.train], z[data.train])
            row[f"{name} linear probe (validation)"] = float(probe.score(X[data.val], z[data.val]))
        print(json.dumps(row))
        return row

    rows = []
    if args.model == "L":
        for k, (target, pos, residue) in enumerate((("c1", 0, 31), ("c2", 0, 17), ("c", 1, None)), start=1):
            y = data.targets[target]
            rows.append(code(k, pos, target, {f"{target} mod {residue}": y % residue} if residue else {}))
    c1 = data.targets["c1"]
    probes = {"c1 mod 31": c1 % 31, "t = [a + b >= 59]": (a + b >= data.p).astype(int)}
    rows += [code(k, pos, "c1", probes) for k in (1, 2, 3) for pos in (0, 1)]
    if args.json:
        args.json.write_text(json.dumps({"model": args.model, "loss": args.loss, "stages": trained.stages, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
