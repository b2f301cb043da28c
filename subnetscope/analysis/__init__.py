"""From a layer × layer distance matrix to answers: sub-networks, boundaries, stability,
distances to known targets and probes."""

from .boundaries import LayerChanges, distance_to_previous, layer_changes
from .dynamics import LayerDynamics, Separation, mean_distance
from .histograms import IntraHistograms, intra_histograms, kl_divergence
from .neighbours import NeighbourOverlap, neighbour_overlap, top_neighbours, tsne_embeddings
from .probes import ProbeResult, probe
from .stability import bootstrap_subnetworks
from .subnetworks import Subnetworks, find_subnetworks
from .targets import TargetDistances, embed_target, to_target

__all__ = ["IntraHistograms", "LayerChanges", "LayerDynamics", "NeighbourOverlap", "ProbeResult", "Separation",
           "Subnetworks", "TargetDistances", "bootstrap_subnetworks", "distance_to_previous", "embed_target",
           "find_subnetworks", "intra_histograms", "kl_divergence", "layer_changes", "mean_distance",
           "neighbour_overlap", "probe", "to_target", "top_neighbours", "tsne_embeddings"]
