"""The NLP study's figures (Fig. 4-6, 12-13, App. F, J analogues), written into the run folder."""

from __future__ import annotations

from ..._io import save_npy

__all__ = ["write_figures"]


def write_figures(run, matrices, found, checkpoint_matrices, training, reps_by, cross_values, cross, boundary, seeds):
    from ... import plots
    from ...measures.gw import gromov_wasserstein, intra_distances

    bounds = {k: v.to_dict() for k, v in found.items()}
    main = [k for k in matrices if not k.startswith("finetuned.seed")]
    fig = plots.plot_distances_grid({k: matrices[k] for k in main}, bounds)
    run.save_figure("nlp_models", fig, "Block-output GW: pre-trained, fine-tuned and sparse models "
                    "(Fig. 4/12/13 analogue), found boundaries drawn")
    if checkpoint_matrices:
        run.save_figure("nlp_checkpoints", plots.plot_checkpoint_matrices(checkpoint_matrices),
                        "GW matrices over fine-tuning checkpoints (Fig. 5 analogue)")
        c = training.checkpoints
        ax = plots.plot_training_curves([r["step"] for r in c], [r["mean_gw"] for r in c],
                                        accuracy=[r["accuracy"] for r in c], loss=[r["loss"] for r in c])
        run.save_figure("nlp_training_curves", ax.figure, "Mean GW vs step with test accuracy and loss (Fig. 6)")
    for name, values in cross_values.items():
        a, b = cross[name]
        ax = plots.plot_cross_distances(values, list(reps_by[a]), list(reps_by[b]), row_label=a, col_label=b)
        run.save_figure(f"nlp_cross_{name}", ax.figure, f"Cross-model GW, {a} vs {b} (App. J)")
    tuned = reps_by["finetuned"]
    hist = plots.intra_histograms(tuned)
    run.save_figure("nlp_histograms", plots.plot_intra_histograms(hist),
                    "Pairwise-distance histograms per block of the fine-tuned model, KL to the previous (App. F)")
    emb = plots.tsne_embeddings(tuned, seed=seeds[0], max_iter=250)
    first = list(tuned)[0]
    overlap = plots.neighbour_overlap(emb, k=5, reference=first, samples=range(min(10, len(emb[first]))))
    record = overlap.to_table()
    run.save_table("nlp_jaccard", record["title"], record["columns"], record["rows"], record["note"])
    run.save_figure("nlp_tsne", plots.plot_tsne(emb), "t-SNE of each block of the fine-tuned model (App. F)")
    names = list(tuned)
    b = boundary if boundary and 2 <= boundary <= len(names) else len(names)
    plan = gromov_wasserstein(intra_distances(tuned[f"block{b - 1}"]), intra_distances(tuned[f"block{b}"])).plan
    save_npy(run.path / "tables" / "transport_plan.npy", plan)
    ax = plots.plot_transport_plan(plan, row_label=f"block{b - 1} samples", col_label=f"block{b} samples")
    run.save_figure("nlp_transport_plan", ax.figure, f"GW transport plan between block{b - 1} and block{b} (App. F)")
