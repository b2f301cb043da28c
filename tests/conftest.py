"""Shared fixtures: small synthetic layer chains with known structure."""

from __future__ import annotations

import numpy as np
import pytest


def random_rotation(d: int, rng: np.random.Generator) -> np.ndarray:
    Q, R = np.linalg.qr(rng.normal(size=(d, d)))
    return Q * np.sign(np.diag(R))


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


def layer_chain(n: int = 60, widths=(5, 8, 8, 12, 6), seed: int = 0) -> dict[str, np.ndarray]:
    """A toy feed-forward chain: each layer a random non-linear map of the previous one."""
    rng = np.random.default_rng(seed)
    h = rng.normal(size=(n, widths[0]))
    reps = {"layer0": h}
    for k, width in enumerate(widths[1:], start=1):
        W = rng.normal(size=(h.shape[1], width)) / np.sqrt(h.shape[1])
        h = np.tanh(2.0 * h @ W)
        reps[f"layer{k}"] = h
    return reps
