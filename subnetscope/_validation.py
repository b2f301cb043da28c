"""Input checks shared by every entry point.

Each helper raises a ``ValueError`` (or ``TypeError``) whose message names the
argument, what was expected and what came, so that the Python API and the CLI
fail the same way. Options are checked once, at the boundary.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

#: Largest |value| accepted in a representation (and 1 / MAX_MAGNITUDE the smallest largest
#: |value| of a non-zero one): beyond, sums of squares over- or underflow float64.
MAX_MAGNITUDE = 1e100

__all__ = [
    "as_representation",
    "check_choice",
    "check_distance_matrix",
    "check_options",
    "check_same_samples",
    "close_matches",
]


#: Words people write for a name that spelling alone does not reach ("gromov" is far from "gw").
ALIASES = {
    "gromov": "gw", "gromov-wasserstein": "gw", "gromov_wasserstein": "gw", "gromovwasserstein": "gw",
    "gw-distance": "gw", "augmented-gw": "agw", "augmented_gw": "agw", "linear-cka": "cka", "svcca": "cca",
    "pwcca": "cca", "emd": "wasserstein", "ot": "wasserstein", "l2": "euclidean",
}


def close_matches(word: str, choices: Iterable[str], n: int = 3) -> list[str]:
    """Up to ``n`` entries of ``choices`` that look like ``word`` (for 'did you mean'); a known
    other name of a choice (:data:`ALIASES`, e.g. "gromov" for "gw") comes first."""
    choices = [str(c) for c in choices]
    lowered = {c.lower(): c for c in choices}
    alias = ALIASES.get(str(word).lower().strip())
    hits = difflib.get_close_matches(str(word).lower(), list(lowered), n=n, cutoff=0.5)
    if alias in lowered:
        hits = [alias] + [h for h in hits if h != alias][:n - 1]
    return [lowered[h] for h in hits]


def _suggestion(word: str, choices: Iterable[str]) -> str:
    hits = close_matches(word, choices)
    return f"; did you mean {' or '.join(repr(h) for h in hits)}?" if hits else ""


def check_choice(value: Any, name: str, choices: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``choices``, else raise naming ``name``."""
    choices = list(choices)
    if not isinstance(value, str) or value not in choices:
        raise ValueError(
            f"`{name}` must be one of {choices}, got {value!r}"
            + (_suggestion(value, choices) if isinstance(value, str) else "")
        )
    return value


def check_options(options: Mapping[str, Any], allowed: Iterable[str], context: str) -> None:
    """Refuse option names that ``context`` does not know, suggesting close ones."""
    allowed = sorted(allowed)
    for key in options:
        if key not in allowed:
            known = ", ".join(allowed) if allowed else "none"
            raise TypeError(
                f"unknown option {key!r} for {context} (known options: {known})"
                + _suggestion(key, allowed)
            )


def as_representation(Y: Any, name: str = "Y", *, min_samples: int = 2) -> np.ndarray:
    """Return ``Y`` as a C-contiguous float64 array of shape (n, d).

    ``Y`` may be a NumPy array, a torch tensor or a nested sequence of shape
    (n, ...); every axis after the first is flattened. Integer, boolean and
    low-precision float inputs are converted to float64. NaN or Inf, fewer
    than ``min_samples`` samples, 1-D, empty and complex inputs are refused, and so are
    values beyond ±``MAX_MAGNITUDE`` (1e100) or a non-zero layer whose largest |value| is
    below 1e-100 (their squares over- or underflow). The conversion to float64 is checked
    against the memory budget first (see :mod:`subnetscope._memory`).
    """
    if hasattr(Y, "detach") and hasattr(Y, "cpu"):  # torch tensor, without importing torch
        Y = Y.detach().cpu()
        if str(Y.dtype) in ("torch.bfloat16", "torch.float16"):
            Y = Y.float()
        Y = Y.numpy()
    try:
        array = np.asarray(Y)
    except (ValueError, TypeError) as exc:
        ragged = "inhomogeneous" in str(exc) or "sequence" in str(exc)
        raise TypeError(
            f"`{name}` must be an array of shape (n_samples, ...), got {type(Y).__name__}"
            + (" whose rows have different lengths (a ragged list); every sample must have the same shape"
               if ragged else f": {exc}")) from exc
    if array.dtype == object or array.dtype.kind not in "biuf":
        raise TypeError(
            f"`{name}` must hold real numbers (float, int or bool), got dtype {array.dtype}"
        )
    if array.ndim < 2:
        hint = " (use Y.reshape(-1, 1) for one feature per sample)" if array.ndim == 1 else ""
        raise ValueError(
            f"`{name}` must have shape (n_samples, n_features, ...) with at least 2 axes, "
            f"got shape {array.shape}{hint}"
        )
    n_samples = array.shape[0]
    if n_samples < min_samples:
        raise ValueError(f"`{name}` needs at least {min_samples} samples (rows), got {n_samples}")
    array = array.reshape(n_samples, -1)
    if array.shape[1] == 0:
        raise ValueError(f"`{name}` has no features: shape {array.shape}")
    if array.dtype != np.float64 or not array.flags.c_contiguous:
        from ._memory import check_memory

        check_memory(
            8.0 * array.size, f"`{name}` as float64 ({n_samples} samples × {array.shape[1]} features × 8 B)",
            "compare on fewer samples (n_samples=, CLI --samples) or reduce the layer's features first "
            "(e.g. pool or project it)",
        )
    array = np.ascontiguousarray(array, dtype=np.float64)
    finite = np.isfinite(array)
    if not finite.all():
        n_nan = int(np.isnan(array).sum())
        n_inf = int((~finite).sum()) - n_nan
        rows = int((~finite.all(axis=1)).sum())
        raise ValueError(
            f"`{name}` contains {n_nan} NaN and {n_inf} Inf values in {rows} of its "
            f"{n_samples} samples; representations must be finite"
        )
    largest = max(abs(float(array.max())), abs(float(array.min())))  # no n × d temporary
    if largest > MAX_MAGNITUDE or 0 < largest < 1 / MAX_MAGNITUDE:
        raise ValueError(
            f"`{name}` has values of magnitude up to {largest:.3g}; squared distances of such values "
            f"overflow or underflow float64, so representations must lie within ±{MAX_MAGNITUDE:.0e} "
            f"with a largest |value| ≥ {1 / MAX_MAGNITUDE:.0e} (or all zero); rescale the layer, "
            "e.g. Y / np.abs(Y).max()"
        )
    return array


def check_labels(array: np.ndarray, name: str = "target") -> np.ndarray:
    """Refuse an object array with missing values (None, NaN) or values that cannot be ordered
    (mixed types), naming ``name``; other arrays pass unchanged."""
    if array.dtype != object:
        return array
    flat = array.ravel().tolist()
    missing = [i for i, v in enumerate(flat) if v is None or isinstance(v, float) and v != v]
    if missing:
        raise ValueError(f"`{name}` has {len(missing)} missing values (None or NaN), the first at position "
                         f"{missing[0]}; give a value for every input")
    try:
        np.unique(array)
    except TypeError:
        kinds = sorted({type(v).__name__ for v in flat})
        raise TypeError(f"`{name}` mixes values of types {kinds} that cannot be compared; give numbers "
                        "or strings of one kind") from None
    return array


def check_same_samples(shapes: Mapping[str, tuple[int, ...]], arg: str = "reps") -> int:
    """Check every layer has the same number of samples; return it."""
    counts = {name: shape[0] for name, shape in shapes.items()}
    if not counts:
        raise ValueError(f"`{arg}` is empty; give at least one layer")
    values = list(counts.values())
    majority = max(set(values), key=values.count)
    for name, count in counts.items():
        if count != majority:
            raise ValueError(
                f"`{arg}[{name!r}]` has {count} samples but the other layers have {majority}; "
                "every layer must see the same inputs"
            )
    return majority


def check_distance_matrix(C: Any, name: str = "C", *, atol: float = 1e-8, what: str = "samples") -> np.ndarray:
    """Return ``C`` as a float64 square, symmetric, finite matrix, or raise.

    ``what`` names the rows in messages ("samples", or "layers" for a layer × layer matrix).
    """
    array = np.asarray(C.detach().cpu().numpy() if hasattr(C, "detach") else C)
    if array.dtype == object or array.dtype.kind not in "biuf":
        raise TypeError(f"`{name}` must be a real matrix, got dtype {array.dtype}")
    if array.ndim != 2 or array.shape[0] != array.shape[1]:
        raise ValueError(f"`{name}` must be a square (n, n) distance matrix, got shape {array.shape}")
    if array.shape[0] < 2:
        raise ValueError(f"`{name}` needs at least 2 {what}, got shape {array.shape}")
    array = np.ascontiguousarray(array, dtype=np.float64)
    if not np.isfinite(array).all():
        raise ValueError(f"`{name}` contains {int((~np.isfinite(array)).sum())} NaN or Inf entries")
    asym = float(np.max(np.abs(array - array.T)))
    scale = max(float(np.max(np.abs(array))), 1.0)
    if asym > atol * scale:
        raise ValueError(
            f"`{name}` must be symmetric, but |C - C.T| reaches {asym:.3g}; "
            "symmetrise it, e.g. (C + C.T) / 2"
        )
    return array


def check_paired_samples(n1: int, n2: int, measure: str) -> None:
    """Raise unless two prepared layers of a paired measure hold the same number of inputs."""
    if n1 != n2:
        raise ValueError(
            f"measure {measure!r} compares sample i of one layer with sample i of the other, but "
            f"the layers have {n1} and {n2} samples; both must see the same inputs"
        )
