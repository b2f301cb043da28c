"""The engine runs every registry entry alike: a GW variant a user registers gets warm starts
and the thread runner as the built-in ``gw`` does, and pairs come back as PairResult records."""

from __future__ import annotations

import dataclasses
import functools
import os

import numpy as np
import pytest

from subnetscope.engine.pairwise import pairwise
from subnetscope.engine.runners import ProcessRunner, SerialRunner, ThreadRunner, make_runner
from subnetscope.measures.gw import gw_compare, gw_compare_pair
from subnetscope.measures.registry import Measure, PairResult, get_measure, register_measure
from tests.conftest import layer_chain

_CALLS: list[tuple[bool, int]] = []


def _recording_gw_pair(C1, C2, *, init=None, threads=1, **options) -> PairResult:
    _CALLS.append((init is not None, threads))
    return gw_compare_pair(C1, C2, init=init, threads=threads, **options)


@pytest.fixture
def gw_variant():
    gw = get_measure("gw")
    variant = register_measure(dataclasses.replace(
        gw, name="gw-product-test", definition="GW from POT's start only (a user's variant)",
        compare=functools.partial(gw_compare, starts="product"),
        compare_pair=functools.partial(_recording_gw_pair, starts="product"),
    ), overwrite=True)
    yield variant
    from subnetscope.measures.registry import _REGISTRY

    _REGISTRY.pop(variant.name, None)


def test_a_registered_gw_variant_gets_warm_starts_and_threads_like_gw(gw_variant, monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    reps = layer_chain(n=30, widths=(5, 8, 8, 12, 6, 7))
    _CALLS.clear()
    mine = pairwise(reps, gw_variant.name, progress=False)
    builtin = pairwise(reps, "gw", starts="product", progress=False)
    assert mine.info["scheduler"] == builtin.info["scheduler"] == "threads"
    assert mine.info["warm_start"] is True and mine.info["gw_assignment"] == builtin.info["gw_assignment"]
    # every pair (i, j) with j - i >= 2 got a start composed from its neighbours' plans
    assert sum(warm for warm, _ in _CALLS) == 6 * 5 // 2 - 5 and len(_CALLS) == 15
    np.testing.assert_array_equal(mine.matrix, builtin.matrix)
    assert mine.info["gw_wins"] == builtin.info["gw_wins"] and "init" in mine.info["gw_wins"]
    # the variant's default is recorded with its options, so a cache tells it from gw
    assert mine.options["starts"] == "product"
    cold = pairwise(reps, gw_variant.name, warm_start=False, progress=False)
    assert cold.info["warm_start"] is False and "init" not in cold.info["gw_wins"]


def test_a_variant_without_warm_starts_gets_no_init_and_runs_serially(gw_variant, monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    plain = register_measure(dataclasses.replace(gw_variant, name="gw-plain-test", warm_start=False, threads=False),
                             overwrite=True)
    try:
        _CALLS.clear()
        d = pairwise(layer_chain(n=30), plain.name, progress=False)
    finally:
        from subnetscope.measures.registry import _REGISTRY

        _REGISTRY.pop(plain.name, None)
    assert d.info["scheduler"] == "serial" and d.info["warm_start"] is False
    assert _CALLS and not any(warm for warm, _ in _CALLS)


def test_runner_follows_the_entry_not_the_measure_name(monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    states = [np.zeros((10, 10))] * 3
    gw = get_measure("gw")
    assert isinstance(make_runner(states, gw, {}), ThreadRunner)
    assert isinstance(make_runner(states, gw, {}, jobs=2), ProcessRunner)
    assert isinstance(make_runner(states, get_measure("rsm"), {}), SerialRunner)
    assert isinstance(make_runner(states, dataclasses.replace(get_measure("rsm"), threads=True), {}), ThreadRunner)


def test_pairs_come_back_as_pair_results():
    reps = layer_chain(n=20, widths=(5, 8, 6))
    gw = get_measure("gw")
    C = [gw.prepare(np.asarray(Y, dtype=float)) for Y in reps.values()]
    result = gw.compare_states(C[0], C[1], {})
    assert isinstance(result, PairResult)
    assert result.value == gw.compare(C[0], C[1])
    assert np.array_equal(np.sort(result.plan), np.arange(20))
    assert set(result.stats) == {"start", "iterations"}

    def prep(Y):
        return np.asarray(Y, dtype=float).mean(axis=0)

    def comp(a, b):
        return float(np.abs(a).sum() - 0.5 * np.abs(b).sum()) + 10.0

    one_way = Measure("one-way-test", prep, comp, "asymmetric", handles_different_dims=False, symmetric=False)
    a, b = np.ones(3), 2 * np.ones(3)
    pair = one_way.compare_states(a, b, {})
    assert pair == PairResult(0.5 * (comp(a, b) + comp(b, a)))
    assert pair.plan is None and pair.stats == {}
