"""Re-partition a benchmark run's stored matrices after a monotone transform of the distances.

Why: the clustering sees the numbers, not just their order. GW's value is the square-loss
objective (a squared distance, POT's convention); its square root is the GW distance
proper. If a measure loses on the benchmark because a few outlying layers set the scale, the
square root or the ranks of the entries change the partition without recomputing anything.

    python benchmarks/benchmark_rescore.py runs/benchmark-full --measures gw rsa cka

Prints, for each measure × transform × setting, the mean ARI over the cases with a true
partition (and per family), and writes the same as JSON with --json.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from subnetscope.analysis import find_subnetworks
from subnetscope.studies.benchmark import Case, adjusted_rand
from subnetscope.studies.benchmark.runner import SETTINGS


def _rank(D: np.ndarray) -> np.ndarray:
    from scipy.stats import rankdata

    iu = np.triu_indices(len(D), 1)
    out = np.zeros_like(D)
    out[iu] = rankdata(D[iu]) / len(iu[0])
    return out + out.T


TRANSFORMS = {"none": lambda D: D, "sqrt": np.sqrt, "rank": _rank}


def rescore(run_dir: Path, measures: list[str]) -> dict:
    bench = run_dir / "benchmark"
    out: dict = defaultdict(lambda: defaultdict(list))
    for path in sorted(bench.glob("scores/*/*.json")):
        record = json.loads(path.read_text())
        if record["label"] not in measures or record.get("status") != "ok" or record["k_true"] < 2:
            continue
        truth = np.asarray(record.get("truth") or Case.load(bench / "cases" / f"{record['case']}.npz").truth.tolist())
        D = np.asarray(record["matrix"])
        for tname, transform in TRANSFORMS.items():
            M = transform(np.maximum(D, 0.0))
            np.fill_diagonal(M, 0.0)
            dist = SimpleNamespace(names=[str(i) for i in range(len(M))], matrix=M, measure=record["label"])
            for method, how in SETTINGS:
                found = find_subnetworks(dist, int(record["k_true"]) if how == "given" else None, method, 0)
                ari = adjusted_rand(truth, found.labels)
                out[(record["label"], tname, f"{method}/{how}")][record["family"]].append(ari)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--measures", nargs="+", default=["gw", "gw-pot-start", "rsa", "cka"])
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    result = rescore(args.run_dir, args.measures)
    families = sorted({f for v in result.values() for f in v})
    print(f"{'measure':13s} {'transform':9s} {'setting':17s} {'all':>5s} " + " ".join(f"{f[:12]:>12s}" for f in families))
    rows = []
    for (label, tname, setting), fams in sorted(result.items()):
        every = [a for v in fams.values() for a in v]
        per = {f: float(np.mean(v)) for f, v in fams.items()}
        rows.append({"measure": label, "transform": tname, "setting": setting, "ari": float(np.mean(every)),
                     "cases": len(every), "ari_by_family": per})
        print(f"{label:13s} {tname:9s} {setting:17s} {np.mean(every):5.2f} "
              + " ".join(f"{per[f]:12.2f}" if f in per else f"{'—':>12s}" for f in families))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
