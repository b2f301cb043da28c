"""Where the time of the paper setting goes: POT's loop, our defaults and POT's start alone on
the same sampled pairs of Model L's 93 representations at n = 1000, serially, one BLAS thread.

    python benchmarks/bench_pairwise.py --paper-setting --cache CACHE --json paper.json
    python benchmarks/profile_paper_setting.py --cache CACHE --json profile.json   # ~10 minutes

The pairs are the benchmark's seeded sample (``--pairs`` of its 60, same ``--seed``). With
``--cache`` (the benchmark's ``--cache`` folder) each pair gets the warm start ``pairwise`` gave
it (composed from its neighbours' permutations); without it, the defaults run without one.
Per pair: POT's ``gromov_wasserstein2`` (the paper's loop), ``gromov_wasserstein`` with the
defaults, and with POT's start only; for ours the seconds spent in exact assignments and in
gradient products (every other cost is the rest), and the Frank-Wolfe steps. Printed: a table
by kind of pair (attention scores/patterns, the 24 nearly one-dimensional layers, or the
others); written (``--json``): every pair and the table.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_pairwise import make_modular, sample_pairs  # noqa: E402
from subnetscope.engine.schedule import warm_init  # noqa: E402
from subnetscope.measures.gw import gromov_wasserstein, intra_distances  # noqa: E402
from subnetscope.measures.gw import problem as gw_problem  # noqa: E402

TIMES = {"assign": 0.0, "grad": 0.0, "n_assign": 0, "n_grad": 0}
_DEPTH = [0]


def _time_method(name: str, key: str) -> None:
    """Add the time of ``Problem.<name>`` to ``TIMES[key]`` (a timed method calling another,
    as ``grad_step`` calls ``grad_perm`` for large moves, counts once)."""
    original = getattr(gw_problem.Problem, name)

    def timed(self, *args, **kwargs):
        if _DEPTH[0]:
            return original(self, *args, **kwargs)
        _DEPTH[0] += 1
        t0 = time.perf_counter()
        try:
            return original(self, *args, **kwargs)
        finally:
            _DEPTH[0] -= 1
            TIMES[key] += time.perf_counter() - t0
            TIMES["n_" + key] += 1

    setattr(gw_problem.Problem, name, timed)


def kind(name: str) -> str:
    return "attention" if name.rsplit(".", 1)[-1] in ("attn", "attn_pre") else "other"


def cached_permutations(cache: Path | None) -> dict:
    perms = {}
    if cache is not None:
        for f in cache.rglob("pairs/*.npz"):
            with np.load(f) as z:
                perms[tuple(int(x) for x in z["pair"])] = z["permutation"]
    return perms


def table(rows: list[dict]) -> dict:
    groups: dict[str, list] = {}
    for r in rows:
        groups.setdefault("+".join(sorted(kind(n) for n in r["names"])), []).append(r)
    groups["all"] = rows
    out = {}
    print("| pairs | count | POT s/pair | defaults s/pair | POT's start s/pair | POT / defaults | POT / POT's start "
          "| assignments | products | steps, defaults | steps, POT's start | defaults vs POT |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for g, rs in groups.items():
        secs = sum(r["defaults"]["seconds"] for r in rs)
        o = {"count": len(rs), "pot": np.mean([r["pot_seconds"] for r in rs]),
             "defaults": secs / len(rs), "pot_start": np.mean([r["pot_start"]["seconds"] for r in rs]),
             "assign_share": sum(r["defaults"]["assign"] for r in rs) / secs,
             "grad_share": sum(r["defaults"]["grad"] for r in rs) / secs,
             "steps": np.mean([r["defaults"]["steps"] for r in rs]),
             "steps_pot_start": np.mean([r["pot_start"]["steps"] for r in rs]),
             "rel_diff": np.mean([(r["defaults"]["value"] - r["pot_value"]) / r["pot_value"] for r in rs])}
        out[g] = {k: float(v) for k, v in o.items()}
        print(f"| {g} | {o['count']} | {o['pot']:.2f} | {o['defaults']:.2f} | {o['pot_start']:.2f} | "
              f"{o['pot'] / o['defaults']:.1f}x | {o['pot'] / o['pot_start']:.1f}x | {o['assign_share']:.0%} | "
              f"{o['grad_share']:.0%} | {o['steps']:.1f} | {o['steps_pot_start']:.1f} | {o['rel_diff']:+.2%} |")
    for label in ("defaults", "pot_start"):
        a = sum(r[label]["assign"] for r in rows)
        na = sum(r[label]["n_assign"] for r in rows)
        g = sum(r[label]["grad"] for r in rows)
        ng = sum(r[label]["n_grad"] for r in rows)
        out[f"{label}_per_call_ms"] = {"assignment": 1000 * a / na, "product": 1000 * g / ng,
                                       "assignments": na, "products": ng}
        print(f"{label}: {na} assignments, {1000 * a / na:.1f} ms each; {ng} gradient products, "
              f"{1000 * g / ng:.1f} ms each")
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path, default=None, help="bench_pairwise.py --paper-setting's cache folder")
    parser.add_argument("--pairs", type=int, default=60, help="how many of the benchmark's sampled pairs (default 60)")
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)

    import ot
    from threadpoolctl import threadpool_limits

    _time_method("direction", "assign")
    for name in ("grad_perm", "grad_step", "grad_dense"):
        _time_method(name, "grad")
    reps = make_modular(args.n, 0, args.seed, trained=True)
    names = list(reps)
    chosen = sample_pairs(len(names), 60, args.seed)[: args.pairs]
    perms = cached_permutations(args.cache)
    Cs: dict[int, np.ndarray] = {}
    rows = []
    with threadpool_limits(1):
        for i, j in chosen:
            for k in (i, j):
                if k not in Cs:
                    Cs[k] = intra_distances(reps[names[k]])
            p = np.full(len(Cs[i]), 1.0 / len(Cs[i]))
            t0 = time.perf_counter()
            pot = float(ot.gromov.gromov_wasserstein2(Cs[i], Cs[j], p, p, "square_loss"))
            row = {"pair": [i, j], "names": [names[i], names[j]], "pot_seconds": time.perf_counter() - t0,
                   "pot_value": pot}
            for label, kwargs in (("defaults", {"init": warm_init(i, j, perms)}), ("pot_start", {"starts": "product"})):
                TIMES.update(assign=0.0, grad=0.0, n_assign=0, n_grad=0)
                t0 = time.perf_counter()
                result = gromov_wasserstein(Cs[i], Cs[j], check_input=False, **kwargs)
                row[label] = {"seconds": time.perf_counter() - t0, "value": result.value, "start": result.start,
                              "steps": result.total_iter, **TIMES}
            rows.append(row)
            print(f"{names[i]:>22} {names[j]:>22}  POT {row['pot_seconds']:5.2f} s  defaults "
                  f"{row['defaults']['seconds']:5.2f} s  POT's start {row['pot_start']['seconds']:5.2f} s", flush=True)
    summary = table(rows)
    if args.json is not None:
        args.json.write_text(json.dumps({"n": args.n, "pairs": rows, "table": summary,
                                         "warm_starts_from": str(args.cache)}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
