"""The registry of layer-comparison measures, with the metadata every other part reads.

A measure is split in two so that all-pairs work is done once per layer, not per pair:
``prepare(Y, **options) -> state`` (e.g. the intra-layer distance matrix) and
``compare(state1, state2, **options) -> float``. Both must be pure functions of
picklable arguments, so the engine can ship them to other processes or machines.
Every measure returns a *distance*: 0 for identical layers, larger for less similar.

The entry also says what the all-pairs engine needs, so that every measure, built in or
registered by a user, is run the same way: ``compare_pair`` (a pair with an optional start,
returning a :class:`PairResult`), whether it takes a warm start, whether its pairs run in
threads, which run options it checks (``check_run``), how a cached plan is checked
(``check_plan``) and what its solver statistics add up to (``solver_stats``).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any, Callable, Literal, Mapping

import numpy as np

from .._options import check_values
from .._validation import check_options, close_matches

__all__ = ["Measure", "PairResult", "register_measure", "get_measure", "list_measures", "measure_table"]

INVARIANCES = ("permutation", "rotation", "translation", "scaling")


def _keyword_defaults(function: Callable) -> dict[str, Any]:
    # Options are the keyword-only parameters; the data arguments come first, positionally.
    params = inspect.signature(function).parameters.values()
    return {p.name: p.default for p in params if p.kind == p.KEYWORD_ONLY}


@dataclass
class PairResult:
    """What comparing one pair of prepared layers gives the engine.

    Attributes
    ----------
    value : float
        The distance.
    plan : array of shape (n,) or None
        For a measure that takes warm starts: the pair's coupling as a permutation (sample i of
        the first layer goes to sample ``plan[i]`` of the second); the engine composes the
        plans of neighbouring pairs into the next pairs' starts and keeps them in the cache.
    stats : dict
        Solver statistics of this pair, summed over a run by the entry's ``solver_stats``.
    """

    value: float
    plan: np.ndarray | None = None
    stats: Mapping[str, Any] = field(default_factory=dict)


def as_number(value: Any) -> float:
    """A measure's value as a float, or a TypeError that says what the measure returned."""
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(f"a measure's compare must return a number, it returned {type(value).__name__} "
                        f"{value!r:.80}") from None


@dataclass(frozen=True)
class Measure:
    """A registered measure and what it promises.

    Attributes
    ----------
    name : str
        The name users pass as ``measure=``.
    prepare, compare : callables
        ``prepare(Y (n, d) float64, **options) -> state``;
        ``compare(state1, state2, **options) -> float``.
    definition : str
        One line: what is computed.
    handles_different_dims : bool
        Whether layers of different widths can be compared.
    kind : {"distance", "similarity"}
        What the underlying quantity is; similarities are turned into distances as
        ``as_distance`` says.
    as_distance : str
        How the returned distance is made, e.g. ``"1 - CKA"``.
    symmetric : bool
        ``d(A, B) == d(B, A)`` (up to solver tolerance for GW-type measures).
    paired : bool
        Needs sample i of one layer to be the same input as sample i of the other.
    invariances : tuple of str
        Transformations of one layer's space under which the distance is unchanged,
        among ``permutation`` (of features), ``rotation``, ``translation``, ``scaling``.
    stochastic : bool
        Uses random numbers (fixed by a ``seed`` option).
    option_specs : mapping of str to subnetscope._options.Option
        What each option accepts (kind, range or choices): ``pairwise``, ``distance`` and
        ``to_target`` check given values against it before any layer is prepared, with the
        option's name in the message. Options without a spec are checked by name only.
    non_negative : bool
        Every value is ≥ 0 (a distance): the engine refuses a negative value, computed or
        read back from a cache, naming the pair.
    compare_pair : callable, optional
        ``compare_pair(state1, state2, *, init=None, threads=1, **options) -> PairResult``:
        what the engine calls per pair (``init``: a warm start, a permutation of the samples,
        or None; ``threads``: cores the pair may use; the result must not depend on it). It
        takes the options of ``compare`` and is responsible for symmetry. Without it the
        engine calls ``compare`` (and, for ``symmetric=False``, averages both orders).
    warm_start : bool
        ``compare_pair`` takes ``init`` and returns the pair's permutation as
        ``PairResult.plan``: ``pairwise(warm_start=True)`` then starts each pair from the
        plans of its neighbours (see :mod:`subnetscope.engine.schedule`).
    threads : bool or callable
        Pairs run one per core in threads of this process when ``n_jobs=1`` (``compare_pair``
        releases the GIL and is BLAS-bound); a callable decides from the compare options
        (GW: not on a torch device). Such a measure's pairs also run with one BLAS thread
        when they run one at a time on small states.
    check_run : callable, optional
        ``check_run(compare_options, *, jobs, distributed) -> compare_options``: checks the
        options once, before any layer is prepared, and resolves what every worker must use
        alike (GW: ``assignment="auto"`` becomes the solver it stands for). What it returns
        is also the record of the run (and of its cache).
    check_plan : callable, optional
        ``check_plan(state1, state2, value, plan) -> bool``: whether a pair read back from
        a cache is consistent (GW: the value is that of the permutation).
    solver_stats : callable, optional
        A factory of an object that sums the pairs' ``PairResult.stats`` over a run:
        ``add(stats)``, ``info(compare_options, *, warm_start) -> dict`` (added to
        ``LayerDistances.info``) and ``summary() -> str`` (appended to the summary line).
    """

    name: str
    prepare: Callable[..., Any]
    compare: Callable[..., float]
    definition: str
    handles_different_dims: bool
    kind: Literal["distance", "similarity"] = "distance"
    as_distance: str = "the distance itself"
    symmetric: bool = True
    paired: bool = True
    invariances: tuple[str, ...] = ()
    stochastic: bool = False
    option_specs: Mapping[str, Any] = field(default_factory=dict)
    non_negative: bool = True
    compare_pair: Callable[..., PairResult] | None = None
    warm_start: bool = False
    threads: bool | Callable[[Mapping[str, Any]], bool] = False
    check_run: Callable[..., dict] | None = None
    check_plan: Callable[..., bool] | None = None
    solver_stats: Callable[[], Any] | None = None
    prepare_options: Mapping[str, Any] = field(default_factory=dict, init=False)
    compare_options: Mapping[str, Any] = field(default_factory=dict, init=False)

    def __post_init__(self):
        for inv in self.invariances:
            if inv not in INVARIANCES:
                raise ValueError(f"`invariances` entries must be among {INVARIANCES}, got {inv!r}")
        object.__setattr__(self, "prepare_options", _keyword_defaults(self.prepare))
        object.__setattr__(self, "compare_options", _keyword_defaults(self.compare))
        unknown = sorted(set(self.option_specs) - set(self.options))
        if unknown:
            raise ValueError(f"`option_specs` names {unknown}, which are not options of measure {self.name!r} "
                             f"(its options: {sorted(self.options)})")

    def runs_in_threads(self, compare_options: Mapping[str, Any]) -> bool:
        """Whether, with ``compare_options``, pairs may run in threads of this process."""
        return bool(self.threads(compare_options) if callable(self.threads) else self.threads)

    def compare_states(self, state1: Any, state2: Any, options: Mapping[str, Any], *,
                       init: np.ndarray | None = None, threads: int = 1) -> PairResult:
        """One pair of prepared layers, as the engine runs it (see ``compare_pair``)."""
        if self.compare_pair is not None:
            result = self.compare_pair(state1, state2, init=init, threads=threads, **options)
            return PairResult(as_number(result.value), result.plan, result.stats)
        value = as_number(self.compare(state1, state2, **options))
        if not self.symmetric:
            value = 0.5 * (value + as_number(self.compare(state2, state1, **options)))
        return PairResult(value)

    @property
    def options(self) -> dict[str, Any]:
        """Every option with its default."""
        return {**self.prepare_options, **self.compare_options}

    def split_options(self, options: Mapping[str, Any]) -> tuple[dict, dict]:
        """Check ``options`` and split them into (prepare, compare) keyword arguments."""
        check_options(options, self.options, f"measure {self.name!r}")
        check_values(options, self.option_specs, f"measure {self.name!r}")
        prep = {k: v for k, v in options.items() if k in self.prepare_options}
        comp = {k: v for k, v in options.items() if k in self.compare_options}
        return prep, comp

    def resolved_options(self, options: Mapping[str, Any]) -> dict[str, Any]:
        """Defaults overridden by ``options``: the full record of what was used."""
        self.split_options(options)
        return {**self.options, **options}


_REGISTRY: dict[str, Measure] = {}


def register_measure(measure: Measure, *, overwrite: bool = False) -> Measure:
    """Add ``measure`` to the registry so every entry point accepts its name.

    Examples
    --------
    >>> import numpy as np
    >>> def prep(Y):
    ...     return Y.mean(axis=0)
    >>> def comp(a, b):
    ...     return float(np.abs(a - b).sum())
    >>> m = register_measure(Measure("mean-l1", prep, comp, "L1 between mean vectors",
    ...                              handles_different_dims=False), overwrite=True)
    """
    if not isinstance(measure, Measure):
        raise TypeError(f"`measure` must be a subnetscope.Measure, got {type(measure).__name__}")
    if measure.name in _REGISTRY and not overwrite:
        raise ValueError(f"a measure named {measure.name!r} is already registered; pass overwrite=True")
    _REGISTRY[measure.name] = measure
    return measure


def _load_builtin() -> None:
    # Importing the family modules registers their measures.
    from . import builtin  # noqa: F401


def get_measure(name: str | Measure) -> Measure:
    """The registered :class:`Measure` called ``name``."""
    if isinstance(name, Measure):
        return name
    _load_builtin()
    if name not in _REGISTRY:
        hits = close_matches(str(name), _REGISTRY)
        hint = f"; did you mean {' or '.join(repr(h) for h in hits)}?" if hits else ""
        raise ValueError(f"`measure` must be one of {sorted(_REGISTRY)}, got {name!r}{hint}")
    return _REGISTRY[name]


def list_measures(*, handles_different_dims: bool | None = None) -> list[str]:
    """Names of the registered measures, in registration order.

    ``handles_different_dims=True`` keeps only those that compare layers of different widths.
    """
    _load_builtin()
    return [
        name
        for name, m in _REGISTRY.items()
        if handles_different_dims is None or m.handles_different_dims == handles_different_dims
    ]


def measure_table() -> str:
    """A Markdown table of the registry (used for docs/measures.md and `subnetscope measures`)."""
    rows = [
        "| name | definition | different dims | native kind → distance | symmetric | invariances | options |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in list_measures():
        m = _REGISTRY[name]
        opts = ", ".join(f"{k}={v!r}" for k, v in m.options.items()) or "—"
        rows.append(
            f"| {name} | {m.definition} | {'yes' if m.handles_different_dims else 'no'} | "
            f"{m.kind} → {m.as_distance} | {'yes' if m.symmetric else 'no'} | "
            f"{', '.join(m.invariances) or '—'} | {opts} |"
        )
    return "\n".join(rows)
