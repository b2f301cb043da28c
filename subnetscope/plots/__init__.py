"""Figures. Single-panel functions take ``ax=None`` and return the Axes; grids take ``fig=None``
and return the Figure. matplotlib loads lazily (on the first call, Agg backend)."""

from .boundaries import plot_layer_changes
from .heatmap import boundaries_of, plot_cross_distances, plot_distances, plot_distances_grid, save_figure
from .histograms import IntraHistograms, intra_histograms, kl_divergence, plot_intra_histograms
from .neighbours import NeighbourOverlap, neighbour_overlap, plot_tsne, top_neighbours, tsne_embeddings
from .profiles import distance_to_previous, plot_distance_to_previous
from .training import mean_distance, plot_checkpoint_matrices, plot_dynamics, plot_separation, plot_training_curves
from .transport import plot_transport_plan

__all__ = [
    "plot_distances", "plot_layer_changes", "plot_distances_grid", "plot_cross_distances", "save_figure",
    "boundaries_of", "distance_to_previous", "plot_distance_to_previous",
    "IntraHistograms", "intra_histograms", "kl_divergence", "plot_intra_histograms",
    "tsne_embeddings", "top_neighbours", "NeighbourOverlap", "neighbour_overlap", "plot_tsne",
    "plot_transport_plan", "mean_distance", "plot_checkpoint_matrices", "plot_training_curves",
    "plot_dynamics", "plot_separation",
]
