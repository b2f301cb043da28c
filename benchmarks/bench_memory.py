"""Peak memory (max RSS) of the memory-heavy steps, each measured in a fresh process.

Cases (see docs/reliability.md for the numbers and what they mean):

* ``layers93``: 93 layers of width 64 at n = 1000 — pairwise's preparation (every layer's
  1000 × 1000 intra-distance matrix is held: 93 × 8 MB) and a few GW pairs.
* ``wide``: one 65,536-dimensional float32 layer at n = 1000 — its intra-distance matrix,
  with the features processed in blocks of 4096 (the default) and, for comparison, in one
  block (``FEATURE_BLOCK`` raised: the earlier behaviour).

Each case runs in its own Python process; it reports VmRSS after the data are made (baseline)
and VmHWM (the peak) at the end, from /proc/self/status (Linux only).

    python benchmarks/bench_memory.py               # all cases, table + benchmarks/results/memory.json
    python benchmarks/bench_memory.py --n 300       # smaller, quicker
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MB = 1e6


def _status(field: str) -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024 / MB
    raise RuntimeError(f"no {field} in /proc/self/status")


def _child(case: str, n: int, layers: int, width: int, d: int, pairs: int) -> dict:
    sys.path.insert(0, str(ROOT))
    import numpy as np

    from subnetscope.engine.pairwise import prepare_layers
    from subnetscope.measures import gw
    from subnetscope.measures.registry import get_measure

    rng = np.random.default_rng(0)
    warm = gw.intra_distances(rng.normal(size=(8, 3)))
    gw.gw_compare(warm, warm[::-1, ::-1])  # load every library first: the baseline then holds them
    out: dict = {"case": case, "n": n}
    if case == "layers93":
        reps = {f"layer{k:02d}": np.tanh(rng.normal(size=(n, width)) * (1 + k / layers)) for k in range(layers)}
        base = _status("VmRSS")
        t0 = time.perf_counter()
        names, states, _ = prepare_layers(reps, get_measure("gw"))
        t_prep = time.perf_counter() - t0
        after_prepare = _status("VmHWM")
        held_mb = sum(s.nbytes for s in states) / MB
        rss_prepared = _status("VmRSS")
        t0 = time.perf_counter()
        for i in range(pairs):
            gw.gw_compare(states[i], states[i + 1])
        out.update(layers=layers, width=width, pairs=pairs, seconds_prepare=t_prep,
                   rss_after_prepare_mb=rss_prepared,
                   seconds_pairs=time.perf_counter() - t0, baseline_mb=base, peak_after_prepare_mb=after_prepare,
                   predicted_states_mb=layers * 8 * n * n / MB, states_mb=held_mb)
    else:
        Y = rng.standard_normal(size=(n, d), dtype=np.float32)
        if case == "wide-one-block":
            gw.FEATURE_BLOCK = 10**9
        base = _status("VmRSS")
        t0 = time.perf_counter()
        D = gw.intra_distances(Y)
        out.update(d=d, dtype="float32", feature_block=min(gw.FEATURE_BLOCK, d), seconds=time.perf_counter() - t0,
                   baseline_mb=base, input_mb=Y.nbytes / MB,
                   predicted_extra_mb=(8 * n * d + 8 * n * min(gw.FEATURE_BLOCK, d) + 3 * 8 * n * n) / MB)
        assert np.isfinite(D).all()
    out["peak_mb"] = _status("VmHWM")
    out["peak_minus_baseline_mb"] = out["peak_mb"] - out["baseline_mb"]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="samples (default 1000)")
    parser.add_argument("--layers", type=int, default=93)
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--d", type=int, default=65536, help="width of the wide layer (default 65536)")
    parser.add_argument("--pairs", type=int, default=3, help="GW pairs computed after preparing (default 3)")
    parser.add_argument("--cases", default="layers93,wide,wide-one-block")
    parser.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results" / "memory.json")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(args.child, args.n, args.layers, args.width, args.d, args.pairs)))
        return 0
    results = []
    for case in args.cases.split(","):
        cmd = [sys.executable, __file__, "--child", case, "--n", str(args.n), "--layers", str(args.layers),
               "--width", str(args.width), "--d", str(args.d), "--pairs", str(args.pairs)]
        env = {**os.environ, "SUBNETSCOPE_MAX_MEMORY": "off"}
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    load = os.getloadavg()
    print(f"peak memory (max RSS), n = {args.n}; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"{'case':<16} {'baseline MB':>12} {'peak MB':>9} {'peak-base MB':>13} {'predicted MB':>13} {'seconds':>8}")
    print("  (layers93: predicted = the L held n × n states, L × 8 n²; wide: predicted extra = float64 copy 8 n d"
          " + one centred block 8 n × block + 3 × 8 n²)")
    for r in results:
        predicted = r.get("predicted_states_mb", r.get("predicted_extra_mb"))
        seconds = r.get("seconds", r.get("seconds_prepare", 0) + r.get("seconds_pairs", 0))
        print(f"{r['case']:<16} {r['baseline_mb']:>12.0f} {r['peak_mb']:>9.0f} {r['peak_minus_baseline_mb']:>13.0f} "
              f"{predicted:>13.0f} {seconds:>8.1f}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    from subnetscope._io import write_json  # noqa: E402  (after the children: keeps the parent light)

    sys.path.insert(0, str(ROOT))
    write_json(args.json, {"n": args.n, "load_average": load, "results": results})
    print(f"-> {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
