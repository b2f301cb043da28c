"""Benchmark: the paper's POT loop vs `subnetscope.pairwise`, same representations, one run.

    python benchmarks/bench_pairwise.py --quick                 # ~1 minute
    python benchmarks/bench_pairwise.py --n 1000 --layers 12 --json bench.json
    python benchmarks/bench_pairwise.py --source chain --n 1000 --layers 24
    python benchmarks/bench_pairwise.py --paper-setting --json paper.json   # 93 layers, n = 1000 (hours)

Representations (``--source``):

* ``trained`` (default): the 93 representations of the paper's 3-block modular-sum
  transformer, Model L as trained by ``subnetscope study modsum`` (the checkpoint shipped
  with subnetscope; capture preset ``"transformer"``) on n of the 59² inputs (a, b).
  ``--layers K`` keeps K of the 93, evenly spaced in capture order (0 = all 93).
* ``modular``: the same architecture, **randomly initialised** (seed 0).
* ``chain``: a synthetic feed-forward chain of ``--layers`` layers of mixed widths (tanh of
  random linear maps of the previous layer).

Each layer's intra-layer distance matrix (Euclidean, divided by its max) is computed once
and shared by both sides.

(a) POT: for every pair, ``ot.gromov.gromov_wasserstein2(C1, C2, p, q, "square_loss")``
    with uniform p, q, exactly as the paper did.
(b) ours: ``pairwise(reps)`` with its defaults; with POT's start and the warm start only
    (``starts="product"``, serially: the fast setting, CLI ``-o starts=product``); the
    defaults with ``n_jobs=-1``; and POT's start only (``starts="product",
    warm_start=False, n_jobs=-1``): the same local search as POT with our iteration, to
    separate solver speed from the extra starts.

``--paper-setting`` is what a user of the paper runs: all 93 representations of Model L at
n = 1000 (4278 pairs). The POT loop runs on a seeded random sample of ``--pot-pairs`` pairs
(default 60) and its time is scaled to all pairs; then the whole matrix is computed once with
``pairwise``'s defaults (``--cache DIR`` makes that part resumable; a resumed run's time is
not a timing). The sample's pairs are checked for value against POT.

Printed and written (``--json``): wall time of each, the ratio, the fraction of pairs where
ours is lower or equal, the mean and worst relative objective difference (ours - POT) / POT,
and peak memory (max resident set size of the process).
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

from subnetscope._system import peak_rss_mb  # noqa: E402
from subnetscope.engine.pairwise import pairwise  # noqa: E402
from subnetscope.measures.gw import gromov_wasserstein, intra_distances, resolve_assignment  # noqa: E402


def make_modular(n: int, layers: int, seed: int = 0, trained: bool = False) -> dict[str, np.ndarray]:
    """``layers`` (0 = all) evenly spaced representations of a 3-block ModularTransformer:
    random-init (seed ``seed``), or ``trained``: Model L from the checkpoint shipped with
    subnetscope (an error if there is none for the default training settings)."""
    import torch

    from subnetscope.capture import capture
    from subnetscope.models import ModularTransformer

    if trained:
        from subnetscope.studies import modsum

        data = modsum.modsum_data("mod3")
        name = modsum.checkpoint_name("L", data, modsum.TrainConfig())
        if not (modsum.SHIPPED_CHECKPOINTS / name).exists():
            raise SystemExit(f"--source trained needs the shipped checkpoint {modsum.SHIPPED_CHECKPOINTS / name}")
        model = modsum.load_or_train("L", data, progress=False).model
    else:
        torch.manual_seed(seed)
        model = ModularTransformer(59, 59, n_blocks=3)
    a, b = np.meshgrid(np.arange(59), np.arange(59), indexing="ij")
    tokens = torch.tensor(np.c_[a.ravel(), b.ravel()])
    reps = capture(model, tokens, "transformer", n_samples=n, seed=seed)
    names = list(reps.keys())
    if layers and layers < len(names):
        names = [names[k] for k in np.unique(np.linspace(0, len(names) - 1, layers).round().astype(int))]
    return {name: np.asarray(reps[name], dtype=np.float64) for name in names}


def load_solver() -> None:
    """Load (on a fresh checkout: compile) the numba assignment solver outside the timings."""
    C = intra_distances(np.arange(8.0).reshape(4, 2))
    gromov_wasserstein(C, C)


def make_chain(n: int, layers: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    widths = [int(w) for w in rng.choice([16, 32, 64, 128, 256], size=layers)]
    h = rng.normal(size=(n, widths[0]))
    reps = {"layer00": h}
    for k, width in enumerate(widths[1:], start=1):
        W = rng.normal(size=(h.shape[1], width)) / np.sqrt(h.shape[1])
        h = np.tanh(2.0 * h @ W)
        reps[f"layer{k:02d}"] = h
    return reps


def pot_loop(reps: dict[str, np.ndarray]) -> tuple[np.ndarray, float]:
    import ot

    Cs = [intra_distances(Y) for Y in reps.values()]
    L = len(Cs)
    M = np.zeros((L, L))
    t0 = time.perf_counter()
    for i in range(L):
        for j in range(i + 1, L):
            p = np.full(Cs[i].shape[0], 1.0 / Cs[i].shape[0])
            q = np.full(Cs[j].shape[0], 1.0 / Cs[j].shape[0])
            M[i, j] = M[j, i] = float(ot.gromov.gromov_wasserstein2(Cs[i], Cs[j], p, q, "square_loss"))
    return M, time.perf_counter() - t0


def sample_pairs(layers: int, pairs: int, seed: int) -> list[tuple[int, int]]:
    """``pairs`` pairs (i < j) of ``layers`` layers drawn with ``seed``, in matrix order (the
    paper-setting benchmark's POT sample; benchmarks/profile_paper_setting.py reuses it)."""
    iu = np.triu_indices(layers, 1)
    pick = np.sort(np.random.default_rng([seed, 22]).choice(len(iu[0]), size=min(pairs, len(iu[0])), replace=False))
    return [(int(iu[0][k]), int(iu[1][k])) for k in pick]


def pot_sample(reps: dict[str, np.ndarray], pairs: int, seed: int) -> tuple[list, np.ndarray, float]:
    """The POT loop on ``pairs`` pairs drawn with ``seed``: (pairs, values, seconds)."""
    import ot

    chosen = sample_pairs(len(reps), pairs, seed)
    names = list(reps)
    Cs = {}
    values, t0 = [], time.perf_counter()
    for i, j in chosen:  # intra-distances count in POT's time, as in the loop above (they are cheap)
        for k in (i, j):
            if k not in Cs:
                Cs[k] = intra_distances(reps[names[k]])
        p = np.full(Cs[i].shape[0], 1.0 / Cs[i].shape[0])
        values.append(float(ot.gromov.gromov_wasserstein2(Cs[i], Cs[j], p, p, "square_loss")))
    return chosen, np.array(values), time.perf_counter() - t0


def paper_setting(args) -> int:
    """93 layers at n = 1000: POT on a sample, scaled; ours on the whole matrix."""
    n = args.n or 1000
    reps = make_modular(n, 0, args.seed, trained=True)
    L = len(reps)
    total = L * (L - 1) // 2
    load = os.getloadavg()
    print(f"Model L (trained, shipped checkpoint): {L} layers, {total} pairs, n = {n}, {os.cpu_count()} cores, "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", flush=True)
    load_solver()
    chosen, pot_values, t_sample = pot_sample(reps, args.pot_pairs, args.seed)
    t_pot = t_sample * total / len(chosen)
    print(f"POT loop on {len(chosen)} sampled pairs: {t_sample:.1f} s ({t_sample / len(chosen):.2f} s/pair) "
          f"-> {t_pot / 3600:.2f} h for all {total} pairs", flush=True)
    t0 = time.perf_counter()
    d = pairwise(reps, progress=not args.quiet, cache_dir=args.cache)
    seconds = time.perf_counter() - t0
    ours = np.array([d.matrix[i, j] for i, j in chosen])
    rel = (ours - pot_values) / np.maximum(np.abs(pot_values), 1e-300)
    result = {
        "setting": "paper: Model L, all representations", "n": n, "layers": L, "pairs": total,
        "pot_sample_pairs": len(chosen), "pot_sample_seconds": t_sample, "pot_seconds_scaled": t_pot,
        "ours_seconds": seconds, "speedup_vs_pot": t_pot / seconds, "resumed_from_cache": d.info.get("n_cached", 0),
        "fraction_ours_le_pot": float(np.mean(ours <= pot_values * (1 + 1e-12) + 1e-15)),
        "mean_rel_diff": float(rel.mean()), "worst_rel_diff": float(rel.max()), "best_rel_diff": float(rel.min()),
        "gw_iterations": d.info.get("gw_iterations"), "gw_wins": d.info.get("gw_wins"),
        "scheduler": d.info.get("scheduler"), "cores": os.cpu_count(), "machine": platform.platform(),
        "load_average_start": list(load), "load_average_end": list(os.getloadavg()), "peak_rss_mib": peak_rss_mb(),
    }
    row = {"seconds": seconds, **{k: result[k] for k in ("speedup_vs_pot", "fraction_ours_le_pot", "mean_rel_diff",
                                                        "worst_rel_diff")}}
    return print_table(f"POT loop (paper), scaled from {len(chosen)} pairs", t_pot,
                       {f"defaults, all {total} pairs (value check on the sample)": row}, result, args.json)


def print_table(pot_label: str, t_pot: float, runs: dict, result: dict, json_path: Path | None) -> int:
    """The short table every run prints, and the JSON."""
    print("\n| run | seconds | vs POT loop | ours <= POT | mean rel. diff | worst rel. diff |")
    print("|---|---|---|---|---|---|")
    print(f"| {pot_label} | {t_pot:.1f} | 1x | - | - | - |")
    for label, r in runs.items():
        print(f"| {label} | {r['seconds']:.1f} | {r['speedup_vs_pot']:.2f}x | "
              f"{100 * r['fraction_ours_le_pot']:.1f}% | {r['mean_rel_diff']:+.2%} | {r['worst_rel_diff']:+.1e} |")
    print(f"peak memory (max RSS of this process): {result['peak_rss_mib']:.0f} MiB")
    if json_path is not None:
        json_path.write_text(json.dumps(result, indent=2) + "\n")
    return 0


def compare(ours: np.ndarray, pot: np.ndarray) -> dict[str, float]:
    iu = np.triu_indices_from(ours, 1)
    a, b = ours[iu], pot[iu]
    rel = (a - b) / np.maximum(np.abs(b), 1e-300)
    return {
        "fraction_ours_le_pot": float(np.mean(a <= b * (1 + 1e-12) + 1e-15)),
        "mean_rel_diff": float(rel.mean()),
        "worst_rel_diff": float(rel.max()),
        "best_rel_diff": float(rel.min()),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small run: n=200, 8 layers")
    parser.add_argument("--source", choices=("trained", "modular", "chain"), default="trained",
                        help="representations: the trained Model L (default), the random-init 3-block modular "
                             "transformer, or a synthetic chain")
    parser.add_argument("--n", type=int, default=None, help="inputs per layer (default 1000; quick 200)")
    parser.add_argument("--layers", type=int, default=None,
                        help="layers: modular = how many of the 93, evenly spaced (0 = all; default 12, quick 8); "
                             "chain = chain length (default 24, quick 8)")
    parser.add_argument("--emd", action="store_true",
                        help="also run the defaults with assignment='emd' (POT's network simplex, the old solver)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    parser.add_argument("--no-parallel", action="store_true", help="skip the n_jobs=-1 run")
    parser.add_argument("--paper-setting", action="store_true",
                        help="all 93 layers of Model L at n = 1000: POT on a sample of pairs (scaled), ours on all")
    parser.add_argument("--pot-pairs", type=int, default=60, help="--paper-setting: POT's sample of pairs (default 60)")
    parser.add_argument("--cache", type=Path, default=None, help="--paper-setting: cache folder for our matrix")
    parser.add_argument("--quiet", action="store_true", help="--paper-setting: no progress bar")
    parser.add_argument("--blas-threads", type=int, default=None,
                        help="cap BLAS threads for the whole run (both sides), e.g. 1 on a busy machine")
    args = parser.parse_args(argv)
    if args.blas_threads is not None:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=args.blas_threads, user_api="blas"):
            return _run(args)
    return _run(args)


def _run(args) -> int:
    if args.paper_setting:
        return paper_setting(args)
    n = args.n or (200 if args.quick else 1000)
    if args.layers is not None:
        layers = args.layers
    else:
        layers = 8 if args.quick else (24 if args.source == "chain" else 12)
    if args.source in ("trained", "modular"):
        trained = args.source == "trained"
        reps = make_modular(n, layers, args.seed, trained=trained)
        source = ("Model L (trained, shipped checkpoint)" if trained
                  else "3-block ModularTransformer, random init (seed %d)" % args.seed)
    else:
        reps = make_chain(n, layers, args.seed)
        source = "synthetic tanh chain (seed %d)" % args.seed
    L = len(reps)
    load = os.getloadavg()
    print(f"{source}: {L} layers, {L * (L - 1) // 2} pairs, n = {n}, {os.cpu_count()} cores, "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; assignment solver "
          f"{resolve_assignment('auto')!r}", flush=True)

    load_solver()
    pot, t_pot = pot_loop(reps)
    print(f"POT loop: {t_pot:.1f} s ({t_pot / (L * (L - 1) / 2):.3f} s/pair)", flush=True)
    runs = {}
    configs = {"defaults": {}, "starts='product' (+ warm start)": {"starts": ("product",)}}
    if args.emd:
        configs["defaults, assignment='emd'"] = {"assignment": "emd"}
    if not args.no_parallel:
        configs["n_jobs=-1"] = {"n_jobs": -1}
        # POT's start only (same local search as POT, our iteration and first step): solver speed alone
        configs["POT start only, n_jobs=-1"] = {"n_jobs": -1, "starts": ("product",), "warm_start": False}
    for label, kwargs in configs.items():
        t0 = time.perf_counter()
        d = pairwise(reps, progress=False, **kwargs)
        seconds = time.perf_counter() - t0
        runs[label] = {"seconds": seconds, "speedup_vs_pot": t_pot / seconds, **compare(d.matrix, pot),
                       "gw_iterations": d.info["gw_iterations"], "gw_wins": d.info["gw_wins"],
                       "options": {k: v for k, v in d.options.items() if k in ("assignment", "starts")},
                       "load_average_after": list(os.getloadavg())}
        r = runs[label]
        print(f"ours ({label}): {seconds:.1f} s, {r['speedup_vs_pot']:.2f}x POT; ours <= POT on "
              f"{100 * r['fraction_ours_le_pot']:.1f}% of pairs; relative difference mean "
              f"{r['mean_rel_diff']:+.2%}, worst {r['worst_rel_diff']:+.2e}, best {r['best_rel_diff']:+.2%}; "
              f"best start {r['gw_wins']}", flush=True)
    result = {
        "blas_threads": args.blas_threads, "source": source, "layer_names": list(reps), "assignment": resolve_assignment("auto"),
        "load_average_start": list(load), "load_average_end": list(os.getloadavg()),
        "n": n, "layers": L, "pairs": L * (L - 1) // 2, "cores": os.cpu_count(),
        "machine": platform.platform(), "pot_seconds": t_pot, "ours": runs,
        "peak_rss_mib": peak_rss_mb(),
    }
    return print_table("POT loop (paper)", t_pot, runs, result, args.json)


if __name__ == "__main__":
    raise SystemExit(main())
