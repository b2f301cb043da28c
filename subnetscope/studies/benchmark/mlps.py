"""Small ReLU MLPs with known sub-networks: stage-wise trained, stitched, and random controls.

Inputs are every pair (a, b) of ``0..p-1``, one-hot encoded side by side (2p features); the
networks are trained on all p² pairs (the case is about representations that compute a known
function, not about generalisation) and captured on ``n`` of them (a seeded subsample).

* :func:`stagewise_mlp` — Model L's construction in miniature: stage 1 learns a function of
  (a, b), stage k > 1 learns a function of stage k − 1's target from stage k − 1's last
  layer (:func:`~subnetscope.studies.benchmark.cases.chain_targets`), each stage with its own
  width and depth and a head that is discarded, and is frozen before the next one trains.
  Truth: the stage of each hidden layer.
* :func:`stitched_mlp` — modules trained separately on their own data (module 1 on (a, b);
  module m > 1 on noisy one-hot codes of the previous module's classes), then composed by a
  trained linear stitch with the modules frozen. Truth: the module of each hidden layer.
* :func:`random_mlp` — a randomly initialised MLP (negative control: one group).

A network that does not reach ``target_accuracy`` on all p² inputs raises
:class:`~subnetscope.studies.benchmark.cases.CaseDropped`.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .cases import Case, CaseDropped, chain_targets

__all__ = ["stagewise_mlp", "stitched_mlp", "random_mlp", "fit_until"]


def modular_inputs(p: int, n: int, seed: int):
    """(a, b, one-hot X of all p² pairs, rows of the n captured ones)."""
    a, b = np.divmod(np.arange(p * p), p)
    X = np.zeros((p * p, 2 * p), dtype=np.float32)
    X[np.arange(p * p), a] = 1.0
    X[np.arange(p * p), p + b] = 1.0
    rng = np.random.default_rng([seed, 7])
    rows = np.arange(p * p) if n >= p * p else np.sort(rng.choice(p * p, size=n, replace=False))
    return a, b, X, rows


def fit_until(params, predict, X, y, *, target_accuracy: float, max_epochs: int, lr: float = 3e-3,
              check_every: int = 25) -> tuple[float, int]:
    """Full-batch Adam on cross-entropy until accuracy ≥ target; returns (accuracy, epochs).

    ``predict(X) -> logits``; ``y`` integer classes. Stops at ``max_epochs``.
    """
    import torch

    opt = torch.optim.Adam(params, lr=lr)
    yt = torch.as_tensor(y, dtype=torch.long)
    acc = 0.0
    for epoch in range(1, max_epochs + 1):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(predict(X), yt)
        loss.backward()
        opt.step()
        if epoch % check_every == 0 or epoch == max_epochs:
            with torch.no_grad():
                acc = float((predict(X).argmax(-1) == yt).float().mean())
            if acc >= target_accuracy:
                return acc, epoch
    return acc, max_epochs


def _stack(d_in: int, width: int, depth: int):
    from torch import nn

    layers, d = [], d_in
    for _ in range(depth):
        layers += [nn.Linear(d, width), nn.ReLU()]
        d = width
    return nn.Sequential(*layers)


def _hidden(stack, x):
    """Outputs of every ReLU of ``stack`` on x (list) and the last one."""
    outs = []
    for module in stack:
        x = module(x)
        if module.__class__.__name__ == "ReLU":
            outs.append(x)
    return outs, x


def _chain_setup(count: int, name: str, least: int, p: int, n: int, seed: int, salt: int):
    """Seeded generator, inputs (NumPy and torch), captured rows and the chain of targets."""
    import torch

    if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or not least <= count <= 6:
        raise ValueError(f"`{name}` must be an integer between {least} and 6, got {count!r}")
    rng = np.random.default_rng([seed, salt])
    torch.manual_seed(seed)
    a, b, X, rows = modular_inputs(p, n, seed)
    funcs, targets = chain_targets(a, b, p, count, rng)
    return rng, X, torch.as_tensor(X), rows, funcs, targets


def _capture(stacks, x, prefix: str, links=()):
    """Every ReLU output of ``stacks`` run in order on x (``links[m - 1]`` between stacks m - 1
    and m), named ``<prefix><m>.relu<j>``, and the index of its stack (the truth)."""
    import torch

    reps, truth = {}, []
    with torch.no_grad():
        for m, stack in enumerate(stacks):
            if m > 0 and links:
                x = links[m - 1](x)
            outs, x = _hidden(stack, x)
            for j, h in enumerate(outs):
                reps[f"{prefix}{m + 1}.relu{j + 1}"] = h.numpy().astype(float)
                truth.append(m)
    return reps, np.array(truth)


def _freeze(module) -> None:
    for p in module.parameters():
        p.requires_grad_(False)


def _shape(rng: np.random.Generator, widths: Sequence[int], depths: Sequence[int]) -> tuple[int, int]:
    return int(rng.integers(widths[0], widths[1] + 1)), int(rng.integers(depths[0], depths[1] + 1))


def stagewise_mlp(n_stages: int = 3, *, p: int = 17, n: int = 250, widths: Sequence[int] = (24, 64),
                  depths: Sequence[int] = (2, 3), target_accuracy: float = 1.0, max_epochs: int = 2000,
                  seed: int = 0) -> Case:
    """An MLP trained stage by stage, each stage on its own function of the previous one's output."""
    import torch
    from torch import nn

    rng, X, Xt, rows, funcs, targets = _chain_setup(n_stages, "n_stages", 1, p, n, seed, salt=11)
    stages, meta_stages, d_in, feed = [], [], X.shape[1], Xt
    for k, (fname, y) in enumerate(zip(funcs, targets)):
        width, depth = _shape(rng, widths, depths)
        stack, head = _stack(d_in, width, depth), nn.Linear(width, int(y.max()) + 1)
        acc, epochs = fit_until(list(stack.parameters()) + list(head.parameters()),
                                lambda inp, s=stack, h=head: h(s(inp)), feed, y,
                                target_accuracy=target_accuracy, max_epochs=max_epochs)
        meta_stages.append({"function": fname, "classes": int(y.max()) + 1, "width": width, "depth": depth,
                            "accuracy": acc, "epochs": epochs})
        if acc < target_accuracy:
            raise CaseDropped(f"stage {k + 1} ({fname}) reached accuracy {acc:.3f} < {target_accuracy}",
                              {"stages": meta_stages})
        _freeze(stack)
        with torch.no_grad():
            feed = stack(feed)
        stages.append(stack)
        d_in = width
    reps, truth = _capture(stages, Xt[rows], "stage")
    meta = {"generator": "stagewise_mlp", "p": p, "n": len(rows), "seed": seed, "stages": meta_stages,
            "target_accuracy": target_accuracy}
    return Case(f"mlp-{n_stages}stages-s{seed}", "stagewise-mlp", reps, truth, meta)


def stitched_mlp(n_modules: int = 2, *, p: int = 17, n: int = 250, widths: Sequence[int] = (24, 64),
                 depths: Sequence[int] = (2, 3), target_accuracy: float = 1.0, max_epochs: int = 2000,
                 noise: float = 0.1, copies: int = 20, seed: int = 0) -> Case:
    """Modules trained apart, each on its own task and data, composed with trained linear stitches."""
    import torch
    from torch import nn

    rng, X, Xt, rows, funcs, targets = _chain_setup(n_modules, "n_modules", 2, p, n, seed, salt=13)
    modules, heads, meta_modules = [], [], []
    for m, (fname, y) in enumerate(zip(funcs, targets)):
        width, depth = _shape(rng, widths, depths)
        if m == 0:
            data, labels = Xt, y
        else:  # its own data: noisy one-hot codes u of the previous classes, labelled f(u)
            K = int(targets[m - 1].max()) + 1
            u = np.repeat(np.arange(K), copies)
            codes = np.eye(K, dtype=np.float32)[u] + noise * rng.normal(size=(u.size, K)).astype(np.float32)
            # f as a function of the previous class: read it off the chain (well defined by construction)
            table = np.zeros(K, dtype=int)
            table[targets[m - 1]] = y
            data, labels = torch.as_tensor(codes), table[u]
        stack, head = _stack(data.shape[1], width, depth), nn.Linear(width, int(y.max()) + 1)
        acc, epochs = fit_until(list(stack.parameters()) + list(head.parameters()),
                                lambda inp, s=stack, h=head: h(s(inp)), data, labels,
                                target_accuracy=target_accuracy, max_epochs=max_epochs)
        meta_modules.append({"function": fname, "width": width, "depth": depth, "accuracy_alone": acc,
                             "epochs": epochs})
        if acc < target_accuracy:
            raise CaseDropped(f"module {m + 1} ({fname}) reached accuracy {acc:.3f} < {target_accuracy} alone",
                              {"modules": meta_modules})
        _freeze(stack)
        _freeze(head)
        modules.append(stack)
        heads.append(head)
    stitches = []
    for m in range(1, n_modules):
        stitch = nn.Linear(modules[m - 1][-2].out_features, modules[m][0].in_features)

        def composed(inp, upto=m, s=stitch):
            x = modules[0](inp)
            for j in range(1, upto):
                x = modules[j](stitches[j - 1](x))
            return heads[upto](modules[upto](s(x)))

        acc, epochs = fit_until(list(stitch.parameters()), composed, Xt, targets[m],
                                target_accuracy=target_accuracy, max_epochs=max_epochs, lr=1e-2)
        meta_modules[m]["stitch_accuracy"], meta_modules[m]["stitch_epochs"] = acc, epochs
        if acc < target_accuracy:
            raise CaseDropped(f"stitch into module {m + 1} reached accuracy {acc:.3f} < {target_accuracy}",
                              {"modules": meta_modules})
        _freeze(stitch)
        stitches.append(stitch)
    reps, truth = _capture(modules, Xt[rows], "module", stitches)  # a stitch is a layer of neither module
    meta = {"generator": "stitched_mlp", "p": p, "n": len(rows), "seed": seed, "modules": meta_modules,
            "target_accuracy": target_accuracy}
    return Case(f"stitched-{n_modules}modules-s{seed}", "stitched", reps, truth, meta)


def random_mlp(n_layers: int = 8, *, p: int = 17, n: int = 250, widths: Sequence[int] = (24, 64),
               seed: int = 0) -> Case:
    """A randomly initialised ReLU MLP (PyTorch's default init): one group, a negative control."""
    import torch

    rng = np.random.default_rng([seed, 17])
    torch.manual_seed(seed)
    _, _, X, rows = modular_inputs(p, n, seed)
    reps, d_in, used = {}, X.shape[1], []
    x = torch.as_tensor(X[rows])
    with torch.no_grad():
        for j in range(n_layers):
            width = int(rng.integers(widths[0], widths[1] + 1))
            x = torch.relu(torch.nn.Linear(d_in, width)(x))
            reps[f"relu{j + 1}"] = x.numpy().astype(float)
            d_in = width
            used.append(width)
    meta: dict[str, Any] = {"generator": "random_mlp", "p": p, "n": len(rows), "seed": seed, "widths": used}
    return Case(f"random-mlp{n_layers}-s{seed}", "control", reps, np.zeros(n_layers, dtype=int), meta)
