"""A small but complete run folder, made the way a study makes one."""

from __future__ import annotations

import pytest

from subnetscope.engine.pairwise import pairwise
from subnetscope.runs import RunFolder
from tests.conftest import layer_chain


def subnetwork_record(names, boundaries, supports, measure="gw"):
    """A hand-made ``Subnetworks.to_dict()`` record (the analysis schema) for contiguous groups."""
    starts = [0, *boundaries]
    stops = [*boundaries, len(names)]
    labels = [g for g, (a, b) in enumerate(zip(starts, stops)) for _ in range(a, b)]
    return {
        "method": "spectral", "measure": measure, "n_groups": len(starts), "names": list(names),
        "labels": labels, "groups": [list(names[a:b]) for a, b in zip(starts, stops)],
        "ranges": [{"group": g, "first": names[a], "last": names[b - 1], "start": a, "stop": b,
                    "size": b - a, "support": s} for g, (a, b, s) in enumerate(zip(starts, stops, supports))],
        "selection": {"criterion": "eigengap", "scores": {"2": 0.61, "3": 0.22}, "chosen": len(starts)},
        "boundaries": list(boundaries), "boundary_support": {str(b): 0.9 for b in boundaries},
        "coassignment": None, "n_bootstrap": 20,
    }


@pytest.fixture
def run_folder(tmp_path):
    from subnetscope.plots import plot_distances

    reps = layer_chain(24, (4, 6, 6, 8, 5, 5), seed=4)
    run = RunFolder(tmp_path / "run")
    gw = pairwise(reps, "gw")
    run.save_distances("gw", gw)
    run.save_distances("gw.mean", pairwise(reps, "gw", normalize="mean"))
    run.save_subnetworks("gw", subnetwork_record(gw.names, [3], [0.95, None]))
    run.save_table("probe", "Probe accuracy per layer", ["layer", "accuracy"],
                   [[name, 0.5 + 0.05 * k] for k, name in enumerate(gw.names)], note="held-out split")
    run.save_figure("gw_heatmap", plot_distances(gw, boundaries=[3]).figure,
                    caption="GW between layers <with> the boundary & its support")
    run.update_meta(study="toy-chain", command="subnetscope demo --samples 24 --out runs/toy",
                    options={"measure": "gw", "samples": 24, "seed": 0},
                    timings={"pairwise": 0.42, "subnetworks": 0.05}, summary={"groups": 2})
    return run
