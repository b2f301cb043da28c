"""Registers the built-in measures. One module per family; each adds its own entries here."""

from __future__ import annotations

from .gw import gw_compare, gw_prepare
from .registry import Measure, register_measure

register_measure(
    Measure(
        name="gw",
        prepare=gw_prepare,
        compare=gw_compare,
        definition="Gromov-Wasserstein between intra-layer distance matrices (square loss, uniform weights)",
        handles_different_dims=True,
        kind="distance",
        as_distance="the GW objective (POT's convention)",
        symmetric=True,
        paired=False,
        invariances=("permutation", "rotation", "translation", "scaling"),
    ),
    overwrite=True,
)
