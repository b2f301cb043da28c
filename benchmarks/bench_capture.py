"""Benchmark: capture every representation of the 3-block modular transformer (93 of them).

    python benchmarks/bench_capture.py                 # n = 1000 inputs, 3 repeats
    python benchmarks/bench_capture.py --n 3481 --json capture.json

The model is randomly initialised (capture cost does not depend on training). Printed and
written (``--json``): seconds per capture (best and median of the repeats), representations,
total floats captured and the peak resident memory of the process.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="number of inputs (a, b) pairs (≤ 3481)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args(argv)

    import torch

    from subnetscope import capture
    from subnetscope._system import peak_rss_mb
    from subnetscope.models import ModularTransformer

    torch.manual_seed(0)
    model = ModularTransformer(n_inputs=59, n_classes=17, n_blocks=3)
    pairs = torch.cartesian_prod(torch.arange(59), torch.arange(59))[: args.n]
    seconds, reps = [], None
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        reps = capture(model, pairs, "transformer")
        seconds.append(time.perf_counter() - t0)
    floats = sum(int(reps[name].size) for name in reps)
    result = {
        "n_inputs": int(pairs.shape[0]), "representations": len(reps), "floats_captured": floats,
        "best_s": min(seconds), "median_s": statistics.median(seconds), "repeats": args.repeats,
        "peak_rss_mib": peak_rss_mb(),
        "torch": torch.__version__, "python": platform.python_version(), "threads": torch.get_num_threads(),
    }
    print(f"| inputs | representations | floats | best s | median s | peak RSS MiB |\n|---|---|---|---|---|---|\n"
          f"| {result['n_inputs']} | {result['representations']} | {floats:,} | {result['best_s']:.2f} | "
          f"{result['median_s']:.2f} | {result['peak_rss_mib']:.0f} |")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
