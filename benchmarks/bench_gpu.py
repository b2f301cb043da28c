"""Benchmark: GW all-pairs on the CPU (NumPy) against a torch device, same pairs, one run.

    python benchmarks/bench_gpu.py                      # 12 of Model L's layers at n = 1000, cuda if present
    python benchmarks/bench_gpu.py --device cpu --n 200 # the torch path on the CPU (a smoke run)

The representations are the trained Model L's (the checkpoint shipped with subnetscope;
``--layers K`` evenly spaced of the 93). Both sides run ``subnetscope.pairwise`` with the
defaults; the device side adds ``device=DEVICE`` (the torch backend: products on the device,
the exact assignments on the CPU). Printed and written (``--json``): seconds of each, the
ratio, and whether the device's values equal the CPU's (largest relative difference, share of
pairs where the device is lower or equal). Meant to finish within 5 minutes on one GPU.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_pairwise import load_solver, make_modular  # noqa: E402

from subnetscope._system import peak_rss_mb  # noqa: E402
from subnetscope.engine.pairwise import pairwise  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="inputs per layer (default 1000)")
    parser.add_argument("--layers", type=int, default=12, help="layers of Model L, evenly spaced (0 = all 93)")
    parser.add_argument("--device", default=None, help="torch device (default: cuda if available, else cpu)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)

    import torch

    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    reps = make_modular(args.n, args.layers, args.seed, trained=True)
    L = len(reps)
    name = torch.cuda.get_device_name(0) if device.startswith("cuda") else platform.processor() or "cpu"
    print(f"Model L: {L} layers, {L * (L - 1) // 2} pairs, n = {args.n}; device {device} ({name})", flush=True)
    load_solver()
    t0 = time.perf_counter()
    cpu = pairwise(reps, progress=False)
    t_cpu = time.perf_counter() - t0
    print(f"CPU (NumPy): {t_cpu:.1f} s", flush=True)
    t0 = time.perf_counter()
    dev = pairwise(reps, progress=False, device=device)
    t_dev = time.perf_counter() - t0
    iu = np.triu_indices(L, 1)
    a, b = dev.matrix[iu], cpu.matrix[iu]
    rel = (a - b) / np.maximum(np.abs(b), 1e-300)
    result = {"n": args.n, "layers": L, "pairs": len(a), "device": device, "device_name": name,
              "cpu_seconds": t_cpu, "device_seconds": t_dev, "speedup": t_cpu / t_dev,
              "fraction_device_le_cpu": float(np.mean(a <= b * (1 + 1e-9) + 1e-15)),
              "max_abs_rel_diff": float(np.abs(rel).max()), "mean_rel_diff": float(rel.mean()),
              "cores": os.cpu_count(), "load_average": list(os.getloadavg()), "peak_rss_mib": peak_rss_mb()}
    print("\n| run | seconds | vs CPU | device <= CPU | largest relative difference |")
    print("|---|---|---|---|---|")
    print(f"| CPU (NumPy) | {t_cpu:.1f} | 1x | - | - |")
    print(f"| {device} | {t_dev:.1f} | {result['speedup']:.2f}x | {100 * result['fraction_device_le_cpu']:.1f}% | "
          f"{result['max_abs_rel_diff']:.1e} |")
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
