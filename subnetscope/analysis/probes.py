"""Probes: how well can a target be read out of each layer? (paper App. C, Table 4)

For every layer a model is trained on a seeded train split to predict the target from the
layer's (standardised) features and scored on the held-out split:

* classification (integer, boolean or string target): error = 1 − accuracy;
* regression (float target, or (n, k)): error = 1 − R² = MSE / variance of the held-out
  target (0 is perfect, 1 is no better than predicting the mean).

``kind="linear"``: logistic regression (classification) or ridge regression, both with
scikit-learn's default L2 penalty (C = 1, alpha = 1) so that wide layers (d > n) do not
interpolate the training split. For these L2-penalised linear models the solution lies in
the span of the training rows (representer theorem), so a layer wider than its training
split is first rotated onto that span (an exact SVD reduction to at most n_train
columns); this is what makes 93 layers × d = 4000 fast. ``kind="mlp"``: scikit-learn's
MLPClassifier / MLPRegressor with their defaults (100 hidden units, Adam, 200 epochs), as
the paper; ``max_iter`` can be lowered for speed and is recorded.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from .. import _options as opt
from .._validation import as_representation, check_choice, check_labels

__all__ = ["ProbeResult", "probe"]


@dataclass
class ProbeResult:
    """Held-out error of a probe trained on each layer.

    Attributes
    ----------
    names : tuple of str
    errors : array of shape (L,)
        1 − accuracy (classification) or 1 − R² (regression) on the test split.
    kind : {"linear", "mlp"}
    task : {"classification", "regression"}
    info : dict
        Split sizes, models, settings and the layers whose solver did not converge.
    """

    names: tuple[str, ...]
    errors: np.ndarray
    kind: str
    task: str
    info: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, float]:
        return {n: float(e) for n, e in zip(self.names, self.errors)}

    def ranking(self) -> list[tuple[str, float]]:
        """(name, error) pairs, lowest error first (ties keep layer order)."""
        order = np.argsort(self.errors, kind="stable")
        return [(self.names[i], float(self.errors[i])) for i in order]

    @property
    def best(self) -> str:
        return self.ranking()[0][0]

    def to_dict(self) -> dict[str, Any]:
        return {"names": list(self.names), "errors": [float(e) for e in self.errors],
                "kind": self.kind, "task": self.task, "info": self.info}


def _infer_task(y: np.ndarray) -> str:
    if y.ndim == 1 and y.dtype.kind in "biuUSO":
        return "classification"
    if y.dtype.kind in "biuf":
        return "regression"
    raise TypeError(f"`target` must hold numbers, booleans or strings, got dtype {y.dtype}")


def _model(kind: str, task: str, seed: int, max_iter: int | None):
    if kind == "linear":
        if task == "classification":
            from sklearn.linear_model import LogisticRegression

            return LogisticRegression(**({"max_iter": max_iter} if max_iter else {}))
        from sklearn.linear_model import Ridge

        return Ridge(alpha=1.0)
    if task == "classification":
        from sklearn.neural_network import MLPClassifier

        return MLPClassifier(random_state=seed, **({"max_iter": max_iter} if max_iter else {}))
    from sklearn.neural_network import MLPRegressor

    return MLPRegressor(random_state=seed, **({"max_iter": max_iter} if max_iter else {}))


def _standardise(train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = train.mean(axis=0)
    scale = train.std(axis=0)
    scale[scale == 0] = 1.0  # constant features carry nothing; avoid dividing by zero
    return (train - mean) / scale, (test - mean) / scale


def _span_reduce(train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # train = U S Vt; an L2-penalised linear model's weights lie in the row space (V),
    # so (train V, test V) gives the same predictions with at most n_train columns.
    # train is centred already (standardised), so the intercept is unaffected.
    _, s, vt = np.linalg.svd(train, full_matrices=False)
    keep = s > s.max() * 1e-10 if s.size and s.max() > 0 else np.zeros(s.size, dtype=bool)
    basis = vt[keep].T
    return train @ basis, test @ basis


def probe(
    reps: Mapping[str, Any],
    target: Any,
    kind: Literal["linear", "mlp"] = "linear",
    test_size: float = 0.2,
    seed: int = 0,
    *,
    task: Literal["auto", "classification", "regression"] = "auto",
    max_iter: int | None = None,
) -> ProbeResult:
    """Held-out error of a probe predicting ``target`` from each layer.

    Parameters
    ----------
    reps : mapping of str to array of shape (n, ...)
    target : array of shape (n,) or (n, k)
        Integer, boolean or string -> classification; float or (n, k) -> regression
        (override with ``task``).
    kind : {"linear", "mlp"}
        Linear model or scikit-learn's default MLP (module docstring).
    test_size : float
        Fraction of inputs held out (0 < test_size < 1); the split is stratified by
        class when every class has at least 2 inputs.
    seed : int
        Seed of the split and of the MLP's initialisation.
    task : {"auto", "classification", "regression"}
    max_iter : int, optional
        Iteration cap of the solver (default: scikit-learn's 100 for logistic regression and
        200 epochs for the MLP).

    Returns
    -------
    ProbeResult
        ``.errors`` in layer order, ``.ranking()``, ``.best``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 3, size=120)
    >>> reps = {"noise": rng.normal(size=(120, 4)), "label": np.eye(3)[y] + 0.1 * rng.normal(size=(120, 3))}
    >>> probe(reps, y).best
    'label'
    """
    check_choice(kind, "kind", ("linear", "mlp"))
    check_choice(task, "task", ("auto", "classification", "regression"))
    opt.check_value(seed, "seed", opt.seed(), "probe")
    if not isinstance(test_size, (int, float)) or not 0 < test_size < 1:
        raise ValueError(f"`test_size` must be a fraction strictly between 0 and 1, got {test_size!r}")
    if max_iter is not None and (isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or max_iter < 1):
        raise ValueError(f"`max_iter` must be a positive integer or None, got {max_iter!r}")
    if not isinstance(reps, Mapping) or not reps:
        raise TypeError(f"`reps` must be a non-empty mapping of layer name -> array (n, ...), got {type(reps).__name__}")
    y = np.asarray(target.detach().cpu().numpy() if hasattr(target, "detach") else target)
    if y.ndim not in (1, 2):
        raise ValueError(f"`target` must have shape (n,) or (n, k), got shape {y.shape}")
    check_labels(y, "target")
    task = _infer_task(y) if task == "auto" else task
    if task == "classification" and y.ndim != 1:
        raise ValueError(f"a classification `target` must have shape (n,), got shape {y.shape}")
    if task == "regression":
        y = as_representation(y.reshape(len(y), -1), "target")
        y = y[:, 0] if y.shape[1] == 1 else y
    n = len(y)
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import train_test_split

    stratify = None
    if task == "classification":
        _, counts = np.unique(y, return_counts=True)
        if len(counts) < 2:
            raise ValueError(f"`target` has a single class ({y[0]!r}); a classifier needs at least 2")
        n_test = int(np.ceil(test_size * n))
        if counts.min() >= 2 and n_test >= len(counts) and n - n_test >= len(counts):
            stratify = y
    train_idx, test_idx = train_test_split(np.arange(n), test_size=test_size, random_state=seed, stratify=stratify)
    names, errors, not_converged = [], [], []
    for name, Y in reps.items():
        X = as_representation(Y, f"reps[{str(name)!r}]")
        if X.shape[0] != n:
            raise ValueError(f"`reps[{str(name)!r}]` has {X.shape[0]} samples but `target` has {n}; "
                             "give one target value per input")
        train, test = _standardise(X[train_idx], X[test_idx])
        if kind == "linear" and train.shape[1] > train.shape[0]:
            train, test = _span_reduce(train, test)
        model = _model(kind, task, seed, max_iter)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            model.fit(train, y[train_idx])
        if any(issubclass(w.category, ConvergenceWarning) for w in caught):
            not_converged.append(str(name))
        prediction = model.predict(test)
        if task == "classification":
            error = float(np.mean(prediction != y[test_idx]))
        else:
            truth = y[test_idx]
            residual = np.mean((truth - prediction) ** 2)
            variance = np.mean((truth - truth.mean(axis=0)) ** 2)
            error = float(residual / variance) if variance > 0 else float(residual > 0)
        names.append(str(name))
        errors.append(error)
    info = {"n_train": len(train_idx), "n_test": len(test_idx), "stratified": stratify is not None,
            "model": type(_model(kind, task, seed, max_iter)).__name__, "max_iter": max_iter,
            "seed": seed, "not_converged": not_converged,
            "error": "1 - accuracy" if task == "classification" else "1 - R^2 (MSE / variance)"}
    return ProbeResult(tuple(names), np.array(errors), kind, task, info)
