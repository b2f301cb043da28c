"""Exact optimal transport (earth mover's distance) between two layers' point clouds.

Samples are *not* paired: the plan may send sample i of one layer to any sample of the
other, so the measure is invariant to reordering the inputs of one layer, but it compares
coordinates, so both layers must have the same width. The ``scale`` option (see
:mod:`subnetscope.measures.paired`) defaults to ``"none"``, the paper's baseline.
"""

from __future__ import annotations

import numpy as np

from .paired import SCALE_OPTIONS, Scale, scale_layer
from .registry import Measure, register_measure

__all__ = ["wasserstein", "wasserstein_prepare", "wasserstein_compare"]

_EMD_MAX_ITER = 10_000_000
_COST_RANGE = (2.0**-20, 2.0**40)  # largest ground cost solved as given (accurate to 1e-15, measured)


def wasserstein(A: np.ndarray, B: np.ndarray) -> float:
    r"""1-Wasserstein distance between the empirical measures of ``A`` and ``B``.

    .. math::
        W(A, B) = \min_{\pi \in \Pi(\frac1n 1, \frac1m 1)} \sum_{i,j} \pi_{ij}\, \|a_i - b_j\|_2

    Uniform weights, Euclidean (not squared) ground cost, solved exactly with POT's
    network simplex (``ot.emd2``).

    Parameters
    ----------
    A : array of shape (n, d)
    B : array of shape (m, d)
    """
    if A.shape[1] != B.shape[1]:
        raise ValueError(
            f"measure 'wasserstein' needs layers of equal width, but they have {A.shape[1]} "
            f"and {B.shape[1]} features; use a measure that handles different widths (e.g. 'gw')"
        )
    import ot  # imports torch; keep `import subnetscope` light

    from scipy.spatial.distance import cdist

    M = cdist(A, B, metric="euclidean")
    a = np.full(A.shape[0], 1.0 / A.shape[0])
    b = np.full(B.shape[0], 1.0 / B.shape[0])
    top = float(M.max())
    shift = 0
    if top > 0 and not _COST_RANGE[0] <= top <= _COST_RANGE[1]:
        # The network simplex compares costs with absolute tolerances: costs below ~1e-13 came
        # out 21% off. W1 scales linearly, so solve on costs divided by a power of two (exact)
        # and scale the value back. Costs within _COST_RANGE are solved as given.
        shift = int(np.frexp(top)[1])
        M = np.ldexp(M, -shift)
    return max(float(np.ldexp(float(ot.emd2(a, b, M, numItermax=_EMD_MAX_ITER)), shift)), 0.0)


def wasserstein_prepare(Y: np.ndarray, *, scale: Scale = "none") -> np.ndarray:
    """Per-layer state of ``wasserstein``: the (optionally rescaled) samples."""
    return np.ascontiguousarray(scale_layer(Y, scale))


def wasserstein_compare(A: np.ndarray, B: np.ndarray) -> float:
    """``wasserstein`` between two prepared layers."""
    return wasserstein(A, B)


register_measure(
    Measure(
        name="wasserstein",
        prepare=wasserstein_prepare,
        compare=wasserstein_compare,
        definition="exact optimal transport (ot.emd2) between the two point clouds, Euclidean ground cost, uniform weights",
        handles_different_dims=False,
        as_distance="the W1 cost itself (raw scale unless scale='rms')",
        paired=False,
        invariances=(),
        option_specs=SCALE_OPTIONS,
    ),
    overwrite=True,
)
