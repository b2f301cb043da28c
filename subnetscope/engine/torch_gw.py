"""Deprecated location of the GW solver's torch backend: it lives next to the solver now,
in :mod:`subnetscope.measures.gw.torch_backend`; importing it from here still works."""

from __future__ import annotations

import warnings

from ..measures.gw.torch_backend import TorchProblem, resolve_device

__all__ = ["TorchProblem", "resolve_device"]

warnings.warn("subnetscope.engine.torch_gw moved to subnetscope.measures.gw.torch_backend",
              DeprecationWarning, stacklevel=2)
