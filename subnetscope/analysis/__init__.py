"""From a layer × layer distance matrix to answers: sub-networks, boundaries, stability,
distances to known targets and probes."""

from .boundaries import LayerChanges, layer_changes
from .dynamics import LayerDynamics, Separation
from .probes import ProbeResult, probe
from .stability import bootstrap_subnetworks
from .subnetworks import Subnetworks, find_subnetworks
from .targets import TargetDistances, embed_target, to_target

__all__ = ["LayerChanges", "LayerDynamics", "ProbeResult", "Separation", "Subnetworks", "TargetDistances", "bootstrap_subnetworks",
           "embed_target", "find_subnetworks", "layer_changes", "probe", "to_target"]
