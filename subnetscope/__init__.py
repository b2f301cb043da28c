"""subnetscope: find functionally distinct sub-networks inside trained neural networks.

Capture every layer's representation on the same inputs, compare every pair of layers
with the Gromov-Wasserstein distance (or a baseline measure), and turn the layer × layer
matrix into sub-networks, figures and a report.

>>> import subnetscope as ss
>>> # d = ss.pairwise({"layer1": Y1, "layer2": Y2}); ss.find_subnetworks(d)

Public names are re-exported here and imported on first use, so ``import subnetscope``
stays light (no matplotlib, transformers or dask until they are needed).
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS = {
    "intra_distances": "subnetscope.measures.gw",
    "gromov_wasserstein": "subnetscope.measures.gw",
    "GWResult": "subnetscope.measures.gw",
    "Measure": "subnetscope.measures.registry",
    "register_measure": "subnetscope.measures.registry",
    "get_measure": "subnetscope.measures.registry",
    "list_measures": "subnetscope.measures.registry",
    "measure_table": "subnetscope.measures.registry",
    "augmented_gw": "subnetscope.measures.agw",
    "distance": "subnetscope.engine.pairwise",
    "pairwise": "subnetscope.engine.pairwise",
    "cross_pairwise": "subnetscope.engine.cross",
    "LayerDistances": "subnetscope.engine.layer_distances",
    "RunFolder": "subnetscope.runs",
    "Subnetworks": "subnetscope.analysis.subnetworks",
    "find_subnetworks": "subnetscope.analysis.subnetworks",
    "bootstrap_subnetworks": "subnetscope.analysis.stability",
    "LayerChanges": "subnetscope.analysis.boundaries",
    "layer_changes": "subnetscope.analysis.boundaries",
    "LayerDynamics": "subnetscope.analysis.dynamics",
    "TargetDistances": "subnetscope.analysis.targets",
    "to_target": "subnetscope.analysis.targets",
    "ProbeResult": "subnetscope.analysis.probes",
    "probe": "subnetscope.analysis.probes",
    "write_report": "subnetscope.report.html",
    "run_modsum": "subnetscope.studies.modsum",
    "modsum_data": "subnetscope.studies.modsum",
    "train_modsum_model": "subnetscope.studies.modsum",
    "render_report": "subnetscope.report.html",
    "capture": "subnetscope.capture",
    "Representations": "subnetscope.capture",
    "run_vision_study": "subnetscope.studies.vision",
    "load_cifar10": "subnetscope.studies.vision",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'subnetscope' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
