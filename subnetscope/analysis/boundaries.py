"""Each layer's distance to its predecessor (the paper's Fig. 7) and change points in it.

Change-point rule (documented in docs/analysis.md): a step ``s_i = D[i-1, i]`` is a change
point when its modified z-score (Iglewicz & Hoaglin 1993)
:math:`0.6745 (s_i - \\mathrm{median}(s)) / \\mathrm{MAD}(s)` exceeds ``z`` (default 3.5),
i.e. the step is far larger than a typical step between consecutive layers. Median and
MAD, not mean and standard deviation, so that the few large steps being looked for do
not inflate the yardstick. Alternatively ``n_changes`` takes the largest steps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["LayerChanges", "distance_to_previous", "layer_changes"]


def _subdiagonal(D: np.ndarray) -> np.ndarray:
    """``D[i, i - 1]`` for i = 1..L-1: the one place the distance to the previous layer is read off."""
    L = len(D)
    return D[np.arange(1, L), np.arange(L - 1)].copy()


def distance_to_previous(distances: Any) -> np.ndarray:
    """``d[k] = matrix[k + 1, k]``: each layer's distance to the previous one (paper Fig. 7).

    Parameters
    ----------
    distances : LayerDistances

    Returns
    -------
    d : array of shape (L - 1,)
        ``d[k]`` is the distance from layer ``k + 1`` to layer ``k``; the values of ``matrix``
        as they are (:func:`layer_changes` holds the same steps, with NaN for the first layer).
    """
    M = getattr(distances, "matrix", None)
    if M is None or np.ndim(M) != 2:
        raise TypeError(f"`distances` must be a LayerDistances (a square matrix with layer names), "
                        f"got {type(distances).__name__}")
    if M.shape[0] < 2:
        raise ValueError(f"distance to the previous layer needs at least 2 layers, got {M.shape[0]}")
    return _subdiagonal(np.asarray(M))


@dataclass
class LayerChanges:
    """Distance of each layer to the previous one, and the detected change points.

    Attributes
    ----------
    names : tuple of str
        Layer names in order.
    steps : array of shape (L,)
        ``steps[i] = D[i - 1, i]``; ``steps[0]`` is NaN (the first layer has no predecessor).
    change_points : list of int
        Indices i where layer i starts something new (a large step from layer i - 1).
    scores : array of shape (L,)
        Modified z-score of each step (NaN for the first layer).
    rule : str
        The rule that selected the change points.
    measure : str
    """

    names: tuple[str, ...]
    steps: np.ndarray
    change_points: list[int]
    scores: np.ndarray
    rule: str
    measure: str = "gw"

    def to_dict(self) -> dict[str, Any]:
        def clean(values):
            return [None if not np.isfinite(v) else float(v) for v in values]

        return {"names": list(self.names), "steps": clean(self.steps), "scores": clean(self.scores),
                "change_points": [int(i) for i in self.change_points], "rule": self.rule,
                "measure": self.measure}


def layer_changes(distances: Any, *, z: float = 3.5, n_changes: int | None = None) -> LayerChanges:
    """Distance of every layer to its predecessor, with change points.

    Parameters
    ----------
    distances : LayerDistances
        Layer × layer matrix, layers in network order.
    z : float
        Threshold on the modified z-score of a step (used when ``n_changes`` is None).
    n_changes : int, optional
        Take exactly this many largest steps as change points instead.

    Returns
    -------
    LayerChanges

    Examples
    --------
    >>> import numpy as np
    >>> from subnetscope import LayerDistances
    >>> x = np.array([0., .1, .2, 3., 3.1, 3.2])
    >>> layer_changes(LayerDistances(tuple("abcdef"), abs(x[:, None] - x[None]))).change_points
    [3]
    """
    from .subnetworks import _unpack

    names, D, measure = _unpack(distances)
    L = len(names)
    steps = np.full(L, np.nan)
    steps[1:] = _subdiagonal(D)
    valid = steps[1:]
    scores = np.full(L, np.nan)
    if valid.size:
        median = np.median(valid)
        mad = np.median(np.abs(valid - median))
        if mad > 0:
            scores[1:] = 0.6745 * (valid - median) / mad
        else:  # more than half the steps equal: anything larger is infinitely unusual
            scores[1:] = np.where(valid > median, np.inf, 0.0)
    if n_changes is not None:
        if isinstance(n_changes, bool) or not isinstance(n_changes, (int, np.integer)) or not 0 <= n_changes < L:
            raise ValueError(f"`n_changes` must be an integer between 0 and {L - 1}, got {n_changes!r}")
        order = np.argsort(-valid, kind="stable")[: int(n_changes)] + 1
        points = sorted(int(i) for i in order)
        rule = f"the {n_changes} largest steps"
    else:
        if not isinstance(z, (int, float)) or not np.isfinite(z) or z <= 0:
            raise ValueError(f"`z` must be a positive number, got {z!r}")
        points = [int(i) for i in np.flatnonzero(scores > z)]
        rule = f"modified z-score of the step > {z} (median/MAD of all steps)"
    return LayerChanges(names, steps, points, scores, rule, measure)
