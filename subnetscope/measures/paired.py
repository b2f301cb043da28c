"""Paired point-wise baselines: Euclidean and cosine distance between sample i of each layer.

Both compare raw coordinates, so they need layers of equal width and are only
meaningful when the two layers share a coordinate system (e.g. the residual stream).
Layer scale matters to ``euclidean``: the ``scale`` option can divide each layer by its
root-mean-square sample norm first. The default is ``"none"`` because that is the
paper's baseline (GW with the identity plan and raw coordinates); use ``"rms"`` when
layers of very different magnitude should not be told apart by magnitude alone.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from .._validation import check_choice, check_paired_samples
from .. import _options as opt
from .registry import Measure, register_measure

__all__ = ["Scale", "scale_layer", "check_equal_width", "euclidean_compare", "cosine_compare", "paired_prepare"]

Scale = Literal["none", "rms"]


def scale_layer(Y: np.ndarray, scale: Scale = "none") -> np.ndarray:
    """``Y`` unchanged (``"none"``) or divided by ``sqrt(mean_i ||y_i||²)`` (``"rms"``).

    An all-zero layer is returned unchanged rather than divided by zero.
    """
    check_choice(scale, "scale", ("none", "rms"))
    if scale == "none":
        return Y
    rms = float(np.sqrt(np.mean(np.sum(Y * Y, axis=1))))
    return Y / rms if rms > 0 else Y


def check_equal_width(A: np.ndarray, B: np.ndarray, measure: str) -> None:
    """Raise if two prepared layers differ in sample count or width (for direct calls)."""
    check_paired_samples(A.shape[0], B.shape[0], measure)
    if A.shape[1] != B.shape[1]:
        raise ValueError(
            f"measure {measure!r} needs layers of equal width, but they have {A.shape[1]} "
            f"and {B.shape[1]} features; use a measure that handles different widths (e.g. 'gw')"
        )


def paired_prepare(Y: np.ndarray, *, scale: Scale = "none") -> np.ndarray:
    """Per-layer state of ``euclidean`` / ``cosine``: the (optionally rescaled) samples, shape (n, d)."""
    return np.ascontiguousarray(scale_layer(Y, scale))


def euclidean_compare(A: np.ndarray, B: np.ndarray) -> float:
    r"""Mean Euclidean distance between paired samples.

    .. math:: d(A, B) = \frac1n \sum_i \|a_i - b_i\|_2

    Parameters
    ----------
    A, B : arrays of shape (n, d)
        Prepared layers (same n, same d).
    """
    check_equal_width(A, B, "euclidean")
    return float(np.mean(np.linalg.norm(A - B, axis=1)))


def cosine_compare(A: np.ndarray, B: np.ndarray) -> float:
    r"""Mean cosine distance between paired samples, in [0, 2].

    .. math:: d(A, B) = \frac1n \sum_i \Bigl(1 - \frac{\langle a_i, b_i\rangle}{\|a_i\|\,\|b_i\|}\Bigr)

    A zero vector has no direction: paired with another zero vector it counts as
    identical (distance 0), paired with a non-zero vector as orthogonal (distance 1).
    """
    check_equal_width(A, B, "cosine")
    na = np.linalg.norm(A, axis=1)
    nb = np.linalg.norm(B, axis=1)
    dots = np.einsum("ij,ij->i", A, B)
    both = (na > 0) & (nb > 0)
    cos = np.zeros(A.shape[0])
    cos[both] = dots[both] / (na[both] * nb[both])
    cos[(na == 0) & (nb == 0)] = 1.0
    return float(np.mean(1.0 - np.clip(cos, -1.0, 1.0)))


def euclidean_prepare(Y: np.ndarray, *, scale: Scale = "none") -> np.ndarray:
    """Per-layer state of ``euclidean``."""
    return paired_prepare(Y, scale=scale)


def cosine_prepare(Y: np.ndarray) -> np.ndarray:
    """Per-layer state of ``cosine`` (scale-free by construction, so no ``scale`` option)."""
    return np.ascontiguousarray(Y)


#: The ``scale`` option of the raw-coordinate measures (euclidean, wasserstein).
SCALE_OPTIONS = {"scale": opt.choice("none", "rms")}


register_measure(
    Measure(
        name="euclidean",
        prepare=euclidean_prepare,
        compare=euclidean_compare,
        definition="mean over samples of ‖y1_i − y2_i‖₂ (GW's identity plan on raw coordinates)",
        handles_different_dims=False,
        as_distance="the distance itself (raw scale unless scale='rms')",
        paired=True,
        invariances=(),
        option_specs=SCALE_OPTIONS,
    ),
    overwrite=True,
)


register_measure(
    Measure(
        name="cosine",
        prepare=cosine_prepare,
        compare=cosine_compare,
        definition="mean over samples of 1 − cos(y1_i, y2_i)",
        handles_different_dims=False,
        kind="similarity",
        as_distance="1 − cosine similarity, averaged",
        paired=True,
        invariances=("scaling",),
    ),
    overwrite=True,
)
