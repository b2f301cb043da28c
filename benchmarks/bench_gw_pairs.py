"""Benchmark: single GW pairs of the modular transformer, POT against each assignment solver.

    python benchmarks/bench_gw_pairs.py                  # n = 500, three characteristic pairs
    python benchmarks/bench_gw_pairs.py --n 1000 --json pairs.json

The 3-block modular transformer is randomly initialised (seed 0; labelled so in the output).
For each pair: wall time and value of ``ot.gromov.gromov_wasserstein2`` (the paper's call) and of
``subnetscope.gromov_wasserstein`` with ``assignment`` auto / lap / emd, with the winning start
and the Frank-Wolfe iterations of the winner and of all starts.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PAIRS = [("block1.resid_post", "block2.resid_post"), ("block1.resid_post", "block1.head1.attn"),
         ("block1.head2.attn_pre", "block2.head1.attn")]


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500, help="inputs (a, b), at most 3481 (default 500)")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args(argv)

    import ot
    import torch

    from subnetscope import capture, gromov_wasserstein, intra_distances
    from subnetscope.models import ModularTransformer

    torch.manual_seed(0)
    model = ModularTransformer(59, 17, n_blocks=3)
    grid = torch.cartesian_prod(torch.arange(59), torch.arange(59))
    inputs = grid[np.random.default_rng(0).choice(len(grid), args.n, replace=False)]
    reps = capture(model, inputs, "transformer")
    print(f"random-init modular transformer, n = {args.n}")
    print("| pair | POT s | POT value | solver | ours s | our value | start | iterations (winner/all) |")
    print("|---|---|---|---|---|---|---|---|")
    results = []
    for a, b in PAIRS:
        C1, C2 = intra_distances(reps[a]), intra_distances(reps[b])
        p = np.full(args.n, 1.0 / args.n)
        t0 = time.perf_counter()
        pot = float(ot.gromov.gromov_wasserstein2(C1, C2, p, p, "square_loss"))
        pot_s = time.perf_counter() - t0
        for assignment in ("auto", "lap", "emd"):
            t0 = time.perf_counter()
            ours = gromov_wasserstein(C1, C2, assignment=assignment)
            ours_s = time.perf_counter() - t0
            row = {"pair": [a, b], "pot_s": pot_s, "pot_value": pot, "assignment": assignment, "ours_s": ours_s,
                   "ours_value": ours.value, "start": ours.start, "n_iter": ours.n_iter, "total_iter": ours.total_iter}
            results.append(row)
            print(f"| {a} vs {b} | {pot_s:.2f} | {pot:.5f} | {assignment} | {ours_s:.2f} | {ours.value:.5f} | "
                  f"{ours.start} | {ours.n_iter}/{ours.total_iter} |", flush=True)
    if args.json:
        args.json.write_text(json.dumps({"n": args.n, "model": "random-init", "pairs": results}, indent=2))
    return results


if __name__ == "__main__":
    main()
