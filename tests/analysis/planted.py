"""Representations with a planted sub-network structure, built independently of the package.

Group g has a base X_g (n, d); X_{g+1} is a strong non-linear map of X_g. Each layer of
group g is an isometric copy of X_g (random rotation into a random width, translation,
sample order kept) plus small noise, so layers within a group are near-isometric and
layers of different groups are not.
"""

from __future__ import annotations

import numpy as np

from tests.conftest import random_rotation


def planted_reps(sizes=(3, 2, 4), n=40, d=4, noise=0.01, seed=0):
    rng = np.random.default_rng(seed)
    base = rng.normal(size=(n, d))
    reps, truth = {}, []
    for g, size in enumerate(sizes):
        if g > 0:  # a strong non-linear map between groups
            W = rng.normal(size=(d, d)) * 2.5
            base = np.sin(base @ W) + 0.5 * np.abs(base[:, ::-1]) ** 1.5
            base = base / base.std()
        for j in range(size):
            width = d + int(rng.integers(0, 4))
            Q = random_rotation(width, rng)[:, :d].T  # d x width, orthonormal rows
            Y = base @ Q + rng.normal(size=width) + noise * rng.normal(size=(n, width))
            reps[f"g{g}.l{j}"] = Y
            truth.append(g)
    return reps, np.array(truth)
