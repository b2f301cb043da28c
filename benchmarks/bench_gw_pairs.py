"""Benchmark: single GW pairs of the modular transformer, POT against each assignment solver.

    python benchmarks/bench_gw_pairs.py                  # n = 500, three characteristic pairs
    python benchmarks/bench_gw_pairs.py --n 1000 --json pairs.json
    python benchmarks/bench_gw_pairs.py --source modular # the random-init model instead

The 3-block modular transformer is Model L as shipped (``--source trained``, default) or
randomly initialised (``modular``, seed 0), with the representations of
``bench_pairwise.make_modular``. For each pair: wall time and value of
``ot.gromov.gromov_wasserstein2`` (the paper's call) and of ``subnetscope.gromov_wasserstein``
with ``assignment`` sap / lap / emd (``auto`` is ``sap`` when numba is installed), with the
winning start and the Frank-Wolfe iterations of the winner and of all starts.
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
    parser.add_argument("--source", choices=("trained", "modular"), default="trained",
                        help="Model L as shipped (default) or the random-init model")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args(argv)

    import ot

    from bench_pairwise import load_solver, make_modular

    from subnetscope import gromov_wasserstein, intra_distances

    reps = make_modular(args.n, 0, trained=args.source == "trained")
    label = "trained Model L" if args.source == "trained" else "random-init modular transformer"
    load_solver()
    print(f"{label}, n = {args.n}")
    print("| pair | POT s | POT value | solver | ours s | our value | start | iterations (winner/all) |")
    print("|---|---|---|---|---|---|---|---|")
    results = []
    for a, b in PAIRS:
        C1, C2 = intra_distances(reps[a]), intra_distances(reps[b])
        p = np.full(args.n, 1.0 / args.n)
        t0 = time.perf_counter()
        pot = float(ot.gromov.gromov_wasserstein2(C1, C2, p, p, "square_loss"))
        pot_s = time.perf_counter() - t0
        for assignment in ("sap", "lap", "emd"):
            t0 = time.perf_counter()
            ours = gromov_wasserstein(C1, C2, assignment=assignment)
            ours_s = time.perf_counter() - t0
            row = {"pair": [a, b], "pot_s": pot_s, "pot_value": pot, "assignment": assignment, "ours_s": ours_s,
                   "ours_value": ours.value, "start": ours.start, "n_iter": ours.n_iter, "total_iter": ours.total_iter}
            results.append(row)
            print(f"| {a} vs {b} | {pot_s:.2f} | {pot:.5f} | {assignment} | {ours_s:.2f} | {ours.value:.5f} | "
                  f"{ours.start} | {ours.n_iter}/{ours.total_iter} |", flush=True)
    if args.json:
        args.json.write_text(json.dumps({"n": args.n, "model": label, "pairs": results}, indent=2))
    return results


if __name__ == "__main__":
    main()
