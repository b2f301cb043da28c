"""All-pairs comparison of layers: the layer × layer distance matrix."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import numpy as np

from .._validation import as_representation, check_same_samples
from ..measures.registry import Measure, get_measure
from .layer_distances import LayerDistances

__all__ = ["distance", "pairwise", "prepare_layers", "subsample_rows"]


def subsample_rows(n: int, n_samples: int | None, seed: int) -> np.ndarray | None:
    """Row indices shared by every layer (sorted), or None to keep all ``n`` rows."""
    if n_samples is None or n_samples >= n:
        if n_samples is not None and n_samples > n:
            raise ValueError(f"`n_samples` is {n_samples} but the layers have only {n} samples")
        return None
    if not isinstance(n_samples, (int, np.integer)) or n_samples < 2:
        raise ValueError(f"`n_samples` must be an integer ≥ 2 or None, got {n_samples!r}")
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n, size=int(n_samples), replace=False))


def _check_dims(measure: Measure, shapes: Mapping[str, tuple[int, int]]) -> None:
    if measure.handles_different_dims:
        return
    widths = {name: shape[1] for name, shape in shapes.items()}
    if len(set(widths.values())) > 1:
        (a, da), (b, db) = [next(iter(widths.items()))] + [
            (k, v) for k, v in widths.items() if v != next(iter(widths.values()))
        ][:1]
        from ..measures.registry import list_measures

        raise ValueError(
            f"measure {measure.name!r} needs layers of equal width, but {a!r} has {da} features "
            f"and {b!r} has {db}; measures that handle different widths: "
            f"{list_measures(handles_different_dims=True)}"
        )


def prepare_layers(
    reps: Mapping[str, Any],
    measure: Measure,
    *,
    n_samples: int | None = None,
    seed: int = 0,
    prepare_options: Mapping[str, Any] | None = None,
) -> tuple[list[str], list[Any], int]:
    """Validate ``reps``, subsample rows and run ``measure.prepare`` once per layer.

    Returns (names, states, n_used).
    """
    if not isinstance(reps, Mapping):
        raise TypeError(f"`reps` must map layer name -> array (n_samples, ...), got {type(reps).__name__}")
    if len(reps) == 0:
        raise ValueError("`reps` is empty; give at least one layer")
    shapes = {}
    for name, Y in reps.items():
        shape = getattr(Y, "shape", None)
        if shape is None:
            shape = np.shape(Y)
        if len(shape) < 2:
            as_representation(Y, f"reps[{name!r}]")  # raises the precise error
        shapes[str(name)] = (int(shape[0]), int(np.prod(shape[1:])))
    n = check_same_samples(shapes)
    _check_dims(measure, shapes)
    rows = subsample_rows(n, n_samples, seed)
    names, states = [], []
    for name, Y in reps.items():
        if rows is not None:
            Y = Y[rows]
        X = as_representation(Y, f"reps[{str(name)!r}]")
        names.append(str(name))
        states.append(measure.prepare(X, **(prepare_options or {})))
    return names, states, (n if rows is None else rows.size)


def pairwise(
    reps: Mapping[str, Any],
    measure: str | Measure = "gw",
    *,
    n_samples: int | None = None,
    seed: int = 0,
    progress: bool = False,
    **options: Any,
) -> LayerDistances:
    """Compare every pair of layers with ``measure``.

    Parameters
    ----------
    reps : mapping of str to array of shape (n, ...)
        Layer name -> that layer's outputs on the same n inputs (row i = input i).
    measure : str or Measure
        A name from :func:`subnetscope.list_measures` (default ``"gw"``).
    n_samples : int, optional
        Compare on this many rows, drawn once (with ``seed``) and shared by every layer.
    seed : int
        Seed of the row subsample.
    progress : bool
        Show a progress bar (pairs done / total, ETA).
    **options
        Options of the measure (see ``subnetscope measures``), e.g. ``normalize="mean"``.

    Returns
    -------
    LayerDistances
        ``.names`` in input order, ``.matrix`` (L × L, symmetric, zero diagonal).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(50, 4))
    >>> d = pairwise({"a": X, "b": 2 * X + 1, "c": np.tanh(3 * X)})
    >>> round(d["a", "b"], 9), d["a", "c"] > 0
    (0.0, True)
    """
    measure = get_measure(measure)
    prep_opts, comp_opts = measure.split_options(options)
    t0 = time.perf_counter()
    names, states, n_used = prepare_layers(
        reps, measure, n_samples=n_samples, seed=seed, prepare_options=prep_opts
    )
    t_prepare = time.perf_counter() - t0
    L = len(names)
    pairs = [(i, j) for i in range(L) for j in range(i + 1, L)]
    matrix = np.zeros((L, L))
    bar = _progress_bar(len(pairs), progress, f"{measure.name} pairs")
    for i, j in pairs:
        value = float(measure.compare(states[i], states[j], **comp_opts))
        if not measure.symmetric:
            value = 0.5 * (value + float(measure.compare(states[j], states[i], **comp_opts)))
        matrix[i, j] = matrix[j, i] = value
        bar.update(1)
    bar.close()
    return LayerDistances(
        names=tuple(names),
        matrix=matrix,
        measure=measure.name,
        options=measure.resolved_options(options),
        n_samples=n_used,
        seed=seed if n_samples is not None else None,
        info={
            "seconds_prepare": t_prepare,
            "seconds_total": time.perf_counter() - t0,
            "n_pairs": len(pairs),
        },
    )


def distance(Y1: Any, Y2: Any, measure: str | Measure = "gw", **options: Any) -> float:
    """Distance between two representations of the same inputs.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(40, 3))
    >>> round(distance(X, X @ np.linalg.qr(np.ones((3, 3)) + np.eye(3))[0]), 9)
    0.0
    """
    measure = get_measure(measure)
    prep_opts, comp_opts = measure.split_options(options)
    A = as_representation(Y1, "Y1")
    B = as_representation(Y2, "Y2")
    if measure.paired and A.shape[0] != B.shape[0]:
        raise ValueError(
            f"`Y1` has {A.shape[0]} samples but `Y2` has {B.shape[0]}; measure {measure.name!r} "
            "compares sample i with sample i, so both must see the same inputs"
        )
    if not measure.handles_different_dims and A.shape[1] != B.shape[1]:
        _check_dims(measure, {"Y1": A.shape, "Y2": B.shape})
    value = float(measure.compare(measure.prepare(A, **prep_opts), measure.prepare(B, **prep_opts), **comp_opts))
    if not measure.symmetric:
        value = 0.5 * (value + float(measure.compare(measure.prepare(B, **prep_opts), measure.prepare(A, **prep_opts), **comp_opts)))
    return value


class _NoBar:
    def update(self, k: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def _progress_bar(total: int, enabled: bool, desc: str):
    if not enabled or total == 0:
        return _NoBar()
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="pair", dynamic_ncols=True)
