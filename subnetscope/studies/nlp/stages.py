"""Pieces of the NLP study's pipeline: torch threads, cross-model GW, the boundary, Tables 6 and 7."""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np

from .models import truncate_blocks

__all__ = ["cross_distances", "boundary_block"]


@contextmanager
def _torch_threads(threads: int | None):
    """Run with ``threads`` intra-op torch threads (None: leave torch's default), then restore."""
    import torch

    if threads is None:
        yield
        return
    if not isinstance(threads, int) or threads < 1:
        raise ValueError(f"`threads` must be a positive integer or None, got {threads!r}")
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def cross_distances(reps_a: dict[str, np.ndarray], reps_b: dict[str, np.ndarray]) -> np.ndarray:
    """GW between every layer of model A (rows) and every layer of model B (columns), App. J.

    Returns an array of shape (L_a, L_b); both models must see the same n inputs in the same order.
    The matrix of :func:`subnetscope.cross_pairwise`, which also keeps the layer names.
    """
    from ...engine.cross import cross_pairwise

    return cross_pairwise(reps_a, reps_b, "gw", progress=False).matrix


def boundary_block(subnetworks) -> int | None:
    """First block (1-based ``blockN`` name) of the last sub-network, or None with one group."""
    if subnetworks.n_groups < 2:
        return None
    return int(subnetworks.names[subnetworks.boundaries[-1]].removeprefix("block"))


def _downstream(study, new_net, train, score, boundary, n_blocks, settings, caveat, log):
    """Tables 6 and 7: fine-tune with the blocks before N frozen, and with only the first n kept.

    Each row is a stage record keyed by ``settings`` (the fine-tuning's) and the row, so a killed
    study trains only the rows it had not finished.
    """
    seed = settings["seed"]

    def row(first: int = 1, keep: int | None = None):
        def compute():
            net = new_net(seed, first)
            if keep is not None:
                truncate_blocks(net, keep)
            result = train(net, seed)
            return {"accuracy": score(net)["accuracy"], "trainable_parameters": result.trainable_parameters,
                    "seconds": result.seconds}, None

        name = f"table6-first{first}" if keep is None else f"table7-keep{keep}"
        return study.memo(name, {**settings, "first_trained": first, "keep": keep}, compute)[0]

    freeze_rows, keep_rows = [], []
    for first in range(1, n_blocks + 1):
        done = row(first=first)
        trained = "all" if first == 1 else f"{first}–{n_blocks} + C"
        mark = "◀ boundary" if first == boundary else ""
        freeze_rows.append([trained, round(done["accuracy"], 4), done["trainable_parameters"],
                            round(done["seconds"], 1), mark])
        log(f"[nlp] Table 6 trained {trained}: accuracy {freeze_rows[-1][1]:.3f} {mark}")
    for keep in range(1, n_blocks + 1):
        done = row(keep=keep)
        mark = "◀ boundary − 1 (last block before it)" if keep == boundary - 1 else ""
        keep_rows.append([f"1–{keep} + C", round(done["accuracy"], 4), round(done["seconds"], 1), mark])
        log(f"[nlp] Table 7 kept {keep_rows[-1][0]}: accuracy {keep_rows[-1][1]:.3f} {mark}")
    study.timings["downstream"] = sum(r[3] for r in freeze_rows) + sum(r[2] for r in keep_rows)
    study.folder.save_table("table6_freeze", f"Table 6 analogue: blocks before N frozen, N–{n_blocks} + classifier "
                            f"fine-tuned (boundary found at block {boundary})",
                            ["trained blocks", "test accuracy", "trainable parameters", "seconds", "analysis"],
                            freeze_rows, note=caveat)
    study.folder.save_table("table7_truncate", "Table 7 analogue: keep only the first n blocks + a new classifier, "
                            "fine-tuned", ["kept blocks", "test accuracy", "seconds", "analysis"], keep_rows,
                            note=caveat)
