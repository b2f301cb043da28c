"""How well a found partition of the layers matches the true one.

Every score compares two label vectors over the same layers in network order (``truth`` and
``found``, any integer labels) and is documented with its convention for the edge cases:

* :func:`adjusted_rand` — scikit-learn's adjusted Rand index (1: the same partition up to
  renaming; about 0 for chance; one group against one group is 1).
* :func:`boundaries` — indices where a new run of consecutive same-label layers starts.
* :func:`boundary_scores` — precision and recall of the found boundaries against the true
  ones, exact and within ``tolerance`` layers (one-to-one matching, so one found boundary
  cannot claim two true ones). Precision is undefined (None) when nothing was found and recall
  when there is nothing to find; they are left out of means rather than counted as 0 or 1.
* :func:`coassignment_agreement` — bootstrap stability: 1 − mean |coassignment − reference
  co-membership| over pairs of layers (1: every replicate reproduced the reference partition).
* :func:`boundary_step_auc` — does the matrix itself step at the true boundaries? The
  probability that the distance between two consecutive layers across a true boundary exceeds
  that between two consecutive layers of one group (ties count half; 0.5: no signal, 1: every
  boundary step is larger than every step inside a group). It judges the measure apart from
  the clustering. None without both kinds of steps.
* :func:`mean_interval` — mean and 95% t-interval over cases and seeds.
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence

import numpy as np

__all__ = ["adjusted_rand", "boundaries", "boundary_scores", "boundary_step_auc", "coassignment_agreement",
           "mean_interval", "score_partition"]


def _labels(labels: Any, name: str) -> np.ndarray:
    out = np.asarray(labels)
    if out.ndim != 1 or out.size == 0 or not np.issubdtype(out.dtype, np.integer):
        raise ValueError(f"`{name}` must be a non-empty 1-D array of integer labels, got {out!r}")
    return out


def _pair(truth: Any, found: Any) -> tuple[np.ndarray, np.ndarray]:
    t, f = _labels(truth, "truth"), _labels(found, "found")
    if t.shape != f.shape:
        raise ValueError(f"`truth` and `found` must label the same layers, got {t.size} and {f.size} labels")
    return t, f


def adjusted_rand(truth: Any, found: Any) -> float:
    """Adjusted Rand index of two partitions of the same layers (scikit-learn)."""
    from sklearn.metrics import adjusted_rand_score

    t, f = _pair(truth, found)
    return float(adjusted_rand_score(t, f))


def boundaries(labels: Any) -> list[int]:
    """Indices i where layer i starts a new run (label differs from layer i − 1); never 0."""
    lab = _labels(labels, "labels")
    return [int(i) for i in np.flatnonzero(lab[1:] != lab[:-1]) + 1]


def _matched(truth_b: Sequence[int], found_b: Sequence[int], tolerance: int) -> int:
    """Largest one-to-one matching of boundaries at most ``tolerance`` apart.

    Both lists are sorted; on a line, matching each true boundary to the earliest unused
    found one within reach, left to right, is a maximum matching.
    """
    used = [False] * len(found_b)
    count = 0
    for b in truth_b:
        for j, c in enumerate(found_b):
            if not used[j] and abs(c - b) <= tolerance:
                used[j] = True
                count += 1
                break
    return count


def boundary_scores(truth: Any, found: Any, tolerance: int = 1) -> dict[str, float | None]:
    """Boundary precision and recall, exact and within ``tolerance`` layers.

    Returns ``{"precision", "recall", "precision_near", "recall_near"}``; None where undefined
    (no found boundary for precision, no true boundary for recall).
    """
    t, f = _pair(truth, found)
    if isinstance(tolerance, bool) or not isinstance(tolerance, (int, np.integer)) or tolerance < 0:
        raise ValueError(f"`tolerance` must be an integer ≥ 0 (layers), got {tolerance!r}")
    tb, fb = boundaries(t), boundaries(f)
    out: dict[str, float | None] = {}
    for suffix, tol in (("", 0), ("_near", int(tolerance))):
        m = _matched(tb, fb, tol)
        out["precision" + suffix] = m / len(fb) if fb else None
        out["recall" + suffix] = m / len(tb) if tb else None
    return out


def coassignment_agreement(reference: Any, coassignment: Any) -> float:
    """1 − mean over pairs i < j of |coassignment[i, j] − [reference_i == reference_j]|."""
    ref = _labels(reference, "reference")
    C = np.asarray(coassignment, dtype=float)
    if C.shape != (ref.size, ref.size):
        raise ValueError(f"`coassignment` must be {ref.size} x {ref.size} (one row per layer), got {C.shape}")
    if ref.size < 2:
        return 1.0
    same = (ref[:, None] == ref[None, :]).astype(float)
    iu = np.triu_indices(ref.size, 1)
    return float(1.0 - np.mean(np.abs(C[iu] - same[iu])))


def boundary_step_auc(matrix: Any, truth: Any) -> float | None:
    """P(step across a true boundary > step inside a group), ties half; steps are D[i - 1, i]."""
    t = _labels(truth, "truth")
    D = np.asarray(matrix, dtype=float)
    if D.shape != (t.size, t.size):
        raise ValueError(f"`matrix` must be {t.size} x {t.size} (one row per layer of `truth`), got {D.shape}")
    steps = D[np.arange(1, t.size), np.arange(t.size - 1)]
    across = steps[t[1:] != t[:-1]]
    inside = steps[t[1:] == t[:-1]]
    if across.size == 0 or inside.size == 0:
        return None
    wins = (across[:, None] > inside[None, :]).sum() + 0.5 * (across[:, None] == inside[None, :]).sum()
    return float(wins / (across.size * inside.size))


def score_partition(truth: Any, found: Any, tolerance: int = 1) -> dict[str, Any]:
    """All partition scores of ``found`` against ``truth`` in one record."""
    t, f = _pair(truth, found)
    k_true, k_found = len(np.unique(t)), len(np.unique(f))
    return {"ari": adjusted_rand(t, f), **boundary_scores(t, f, tolerance),
            "k_true": k_true, "k_found": k_found, "k_error": abs(k_found - k_true)}


def mean_interval(values: Iterable[float | None], level: float = 0.95) -> dict[str, Any]:
    """Mean of the defined values and its t-interval: ``{"mean", "low", "high", "n"}``.

    None and NaN are left out (``n`` counts the rest). With fewer than two values the
    interval is None; with none the mean is None too.
    """
    from scipy import stats

    vals = np.array([v for v in values if v is not None and np.isfinite(v)], dtype=float)
    n = int(vals.size)
    if n == 0:
        return {"mean": None, "low": None, "high": None, "n": 0}
    mean = float(vals.mean())
    if n < 2:
        return {"mean": mean, "low": None, "high": None, "n": n}
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * vals.std(ddof=1) / np.sqrt(n))
    return {"mean": mean, "low": mean - half, "high": mean + half, "n": n}
