"""Distance of every layer to a known target quantity (paper §3.3, Table 1).

The target T, e.g. the intermediate value c1 = (a + b) mod 59, is turned into a
representation (n, k) and compared with each layer like another layer would be.
How a target becomes a representation matters for GW, which sees only distances
between samples:

* ``"value"`` — T as numbers, (n,) -> (n, 1). Right for quantities whose order and
  differences mean something (a regression target).
* ``"onehot"`` — one column per category: every two different categories are at the
  same distance √2. Right for unordered classes.
* ``"circular"`` — (cos 2πT/p, sin 2πT/p) with period p (given, or max + 1): values
  p − 1 and 0 are neighbours. Right for modular quantities, whose networks are known to
  represent them on circles (Nanda et al. 2023).

A target of shape (n, k) is embedded column by column and the columns are concatenated.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from .. import _options as opt
from .._validation import as_representation, check_choice, check_labels

__all__ = ["TargetDistances", "embed_target", "to_target", "EMBEDDINGS"]

EMBEDDINGS = ("value", "onehot", "circular")


@dataclass
class TargetDistances:
    """Distance of each layer to a target.

    Attributes
    ----------
    names : tuple of str
    distances : array of shape (L,)
    measure, embedding : str
    options : dict
        Measure options and the period used by a circular embedding.
    """

    names: tuple[str, ...]
    distances: np.ndarray
    measure: str
    embedding: str
    options: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, float]:
        """Layer name -> distance."""
        return {n: float(v) for n, v in zip(self.names, self.distances)}

    def ranking(self) -> list[tuple[str, float]]:
        """(name, distance) pairs, closest first (ties keep layer order)."""
        order = np.argsort(self.distances, kind="stable")
        return [(self.names[i], float(self.distances[i])) for i in order]

    @property
    def best(self) -> str:
        """The layer closest to the target."""
        return self.ranking()[0][0]

    def to_dict(self) -> dict[str, Any]:
        return {"names": list(self.names), "distances": [float(v) for v in self.distances],
                "measure": self.measure, "embedding": self.embedding, "options": self.options}


def _target_columns(target: Any) -> np.ndarray:
    array = np.asarray(target.detach().cpu().numpy() if hasattr(target, "detach") else target)
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2:
        raise ValueError(f"`target` must have shape (n,) or (n, k), got shape {array.shape}")
    return check_labels(array, "target")


def embed_target(
    target: Any,
    embedding: Literal["value", "onehot", "circular"] = "value",
    *,
    period: float | None = None,
) -> np.ndarray:
    """The target as a representation of shape (n, k'); see the module docstring."""
    check_choice(embedding, "embedding", EMBEDDINGS)
    opt.check_value(period, "period", opt.number(0, low_open=True, optional=True))
    columns = _target_columns(target)
    if embedding == "value":
        return as_representation(columns, "target")
    parts = []
    for c in range(columns.shape[1]):
        column = columns[:, c]
        if embedding == "onehot":
            _, codes = np.unique(column, return_inverse=True)
            parts.append(np.eye(codes.max() + 1)[codes.ravel()])
            continue
        values = as_representation(column[:, None], "target")[:, 0]
        p = float(values.max() + 1) if period is None else float(period)
        if not np.isfinite(p) or p <= 0:
            raise ValueError(f"`period` must be a positive number, got {period!r} (inferred as max + 1 when None)")
        angle = 2 * np.pi * values / p
        parts.append(np.stack([np.cos(angle), np.sin(angle)], axis=1))
    return as_representation(np.concatenate(parts, axis=1), "target")


def to_target(
    reps: Mapping[str, Any],
    target: Any,
    measure: str = "gw",
    embedding: Literal["value", "onehot", "circular"] = "value",
    *,
    period: float | None = None,
    **options: Any,
) -> TargetDistances:
    """Distance of every layer of ``reps`` to ``target``.

    Parameters
    ----------
    reps : mapping of str to array of shape (n, ...)
    target : array of shape (n,) or (n, k)
        The quantity, one row per input (same inputs, same order as ``reps``).
    measure : str
        A registered measure (default ``"gw"``).
    embedding : {"value", "onehot", "circular"}
        How the target becomes a representation (module docstring).
    period : float, optional
        Period of a circular target (default max + 1).
    **options
        Options of the measure.

    Returns
    -------
    TargetDistances
        ``.distances`` in layer order, ``.ranking()`` closest first, ``.best``.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.arange(30) % 7
    >>> reps = {"noise": np.random.default_rng(0).normal(size=(30, 3)),
    ...         "angle": np.c_[np.cos(2 * np.pi * a / 7), np.sin(2 * np.pi * a / 7)] * 3}
    >>> to_target(reps, a, embedding="circular").best
    'angle'
    """
    from ..engine.layers import prepare_layers
    from ..measures.registry import get_measure

    measure_obj = get_measure(measure)
    T = embed_target(target, embedding, period=period)
    prep_opts, comp_opts = measure_obj.split_options(options)
    names, states, n_used = prepare_layers(reps, measure_obj, prepare_options=prep_opts)
    if n_used != T.shape[0]:
        raise ValueError(f"`target` has {T.shape[0]} samples but the layers have {n_used}; "
                         "give one target value per input")
    if not measure_obj.handles_different_dims:
        widths = {np.prod(np.shape(Y)[1:]) for Y in reps.values()}
        if widths != {T.shape[1]}:
            raise ValueError(f"measure {measure_obj.name!r} needs equal widths, but the target embeds "
                             f"into {T.shape[1]} columns and the layers have {sorted(widths)}")
    from ..engine.checks import check_value
    from ..measures.registry import as_number

    target_state = measure_obj.prepare(T, **prep_opts)
    values = []
    for name, state in zip(names, states):
        value = as_number(measure_obj.compare(state, target_state, **comp_opts))
        if not measure_obj.symmetric:
            value = 0.5 * (value + as_number(measure_obj.compare(target_state, state, **comp_opts)))
        check_value(value, measure_obj, name, "target")
        values.append(value)
    resolved = dict(measure_obj.resolved_options(options))
    if embedding == "circular":
        resolved["period"] = period if period is not None else "max + 1"
    return TargetDistances(tuple(names), np.array(values), measure_obj.name, embedding, resolved)
