"""`subnetscope demo`: the default run (`make demo`)."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub) -> None:
    parser = sub.add_parser(
        "demo",
        help="run the default study and write a run folder",
        description="The default run. Until the modular-sum study lands: an MLP trained on "
        "scikit-learn's digits, every layer compared with GW, written to OUT.",
    )
    parser.add_argument("--out", type=Path, default=Path("runs/demo"), help="run folder (default: runs/demo)")
    parser.add_argument("--samples", type=int, default=500, help="inputs compared (default: 500)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import numpy as np
    from sklearn.datasets import load_digits
    from sklearn.neural_network import MLPClassifier

    from ..engine.pairwise import pairwise
    from ..plots import plot_distances, save_figure

    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    model = MLPClassifier(hidden_layer_sizes=(64, 64, 32, 32), max_iter=300, random_state=0).fit(X, y)
    reps = {"input": X}
    h = X
    for k, (W, b) in enumerate(zip(model.coefs_, model.intercepts_), start=1):
        pre = h @ W + b
        reps[f"layer{k}.pre"] = pre
        if k < len(model.coefs_):
            h = np.maximum(pre, 0.0)
            reps[f"layer{k}.relu"] = h
    distances = pairwise(reps, "gw", n_samples=args.samples, seed=0, progress=True)
    args.out.mkdir(parents=True, exist_ok=True)
    distances.save(args.out / "distances.npz")
    save_figure(plot_distances(distances).figure, args.out / "heatmap.png")
    print(f"digits MLP (train accuracy {model.score(X, y):.3f}), GW on {distances.n_samples} samples:")
    width = max(map(len, distances.names))
    for name, row in zip(distances.names, distances.matrix):
        print(f"  {name:>{width}}  " + " ".join(f"{v:.3f}" for v in row))
    print(f"wrote {args.out}/distances.npz and heatmap.png")
    return 0
