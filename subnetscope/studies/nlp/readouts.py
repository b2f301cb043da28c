"""What the NLP study reads off besides the block matrices: a bag-of-words baseline, probes and
GW-to-target for the generated set's known quantities, and the [CLS] diagnostic behind Table 7.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

__all__ = ["bow_baseline", "quantity_readouts", "cls_diagnostic", "PROBED_QUANTITIES"]

#: The compositional set's quantities the study looks for in the blocks (label last).
PROBED_QUANTITIES = ("deciding_adj_polarity", "deciding_negated", "clause1_polarity", "clause2_polarity",
                     "negated1", "deciding_clause", "construction", "label")


def bow_baseline(train_texts: Sequence[str], train_labels, test_texts: Sequence[str], test_labels,
                 *, ngrams: tuple[int, int] = (1, 2)) -> dict[str, float]:
    """Held-out accuracy of a bag-of-words (word n-gram counts) logistic regression.

    Tokens are the whitespace-separated words; ``ngrams=(1, 2)`` adds word pairs, which is
    stronger than a pure bag of words (it sees "not good"). Returns train and test accuracy.
    """
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = CountVectorizer(ngram_range=ngrams, token_pattern=r"[^ ]+", lowercase=True)
    x_train = vectorizer.fit_transform(list(train_texts))
    model = LogisticRegression(max_iter=5000).fit(x_train, np.asarray(train_labels))
    x_test = vectorizer.transform(list(test_texts))
    return {"train_accuracy": float(model.score(x_train, np.asarray(train_labels))),
            "test_accuracy": float(model.score(x_test, np.asarray(test_labels))),
            "features": int(x_train.shape[1])}


def quantity_readouts(probe_reps: Mapping[str, np.ndarray], probe_quantities: Mapping[str, np.ndarray],
                      gw_reps: Mapping[str, np.ndarray] | None = None,
                      gw_quantities: Mapping[str, np.ndarray] | None = None, *, seed: int = 0,
                      names: Sequence[str] = PROBED_QUANTITIES,
                      measures: Sequence[str] = ("gw", "cka")) -> dict[str, Any]:
    """Linear-probe accuracy and distance to the one-hot target, per layer, for every named quantity.

    ``probe_reps`` / ``probe_quantities``: the inputs the probes see (80/20 held-out split inside
    :func:`subnetscope.analysis.probes.probe`). ``gw_reps`` / ``gw_quantities``: the (smaller)
    set whose distance to each target is computed with each of ``measures``
    (:func:`subnetscope.analysis.targets.to_target`); None skips them. Returns
    ``{"layers": [...], "probe": {q: [acc per layer]}, "targets": {measure: {q: [...]}}}``.

    GW compares metric shapes without the sample correspondence, and a one-hot target's shape
    is fixed by its class sizes: two quantities with the same class sizes are at the same GW from
    every layer. CKA uses the correspondence, so it tells the quantities apart.
    """
    from ...analysis.probes import probe
    from ...analysis.targets import to_target

    out: dict[str, Any] = {"layers": list(probe_reps), "probe": {}, "targets": {m: {} for m in measures}}
    for name in names:
        if name not in probe_quantities:
            continue
        values = np.asarray(probe_quantities[name])
        if len(np.unique(values)) < 2:
            continue
        result = probe(probe_reps, values, "linear", seed=seed, task="classification", max_iter=2000)
        out["probe"][name] = [round(1.0 - float(e), 4) for e in result.errors]
        if gw_reps is not None and gw_quantities is not None:
            for measure in measures:
                target = to_target(gw_reps, np.asarray(gw_quantities[name]), measure, embedding="onehot")
                out["targets"][measure][name] = [round(float(d), 5) for d in target.distances]
    return out


def cls_diagnostic(cls_reps: Mapping[str, np.ndarray], mean_reps: Mapping[str, np.ndarray], labels, pooler=None,
                   *, seed: int = 0) -> list[list]:
    """Per block: how much the [CLS] output varies across sentences, and what a probe reads from it.

    Rows ``[block, cls spread, probe acc. from [CLS], from pooler([CLS]), from the token mean]``.
    The spread is the mean distance of a sentence's [CLS] vector to the mean [CLS] vector,
    relative to the mean vector's norm: near 0 means every sentence gets the same [CLS] output,
    so a classifier that reads it (the HF default, and every truncated model) sees nothing.
    ``pooler``: a callable mapping an (n, d) float array to the pooler output (e.g. the
    pre-trained dense + tanh), or None to skip that column.
    """
    from ...analysis.probes import probe

    labels = np.asarray(labels)
    from_cls = probe(cls_reps, labels, "linear", seed=seed, task="classification", max_iter=2000).errors
    from_mean = probe(mean_reps, labels, "linear", seed=seed, task="classification", max_iter=2000).errors
    pooled_acc = [None] * len(cls_reps)
    if pooler is not None:
        pooled = {k: pooler(v) for k, v in cls_reps.items()}
        pooled_acc = [round(1.0 - float(e), 4) for e in
                      probe(pooled, labels, "linear", seed=seed, task="classification", max_iter=2000).errors]
    rows = []
    for i, (name, reps) in enumerate(cls_reps.items()):
        centre = reps.mean(0)
        spread = float(np.linalg.norm(reps - centre, axis=1).mean() / max(np.linalg.norm(centre), 1e-12))
        rows.append([name, round(spread, 4), round(1.0 - float(from_cls[i]), 4), pooled_acc[i],
                     round(1.0 - float(from_mean[i]), 4)])
    return rows


def write_cls_table(run, net, tokenizer, texts, labels, max_length: int, head: str, seed: int, note: str) -> list:
    """Save the :func:`cls_diagnostic` of ``net`` (the pre-trained model) as table ``cls_diagnostic``."""
    import torch

    from .models import block_outputs

    cls = block_outputs(net, tokenizer, texts, pooling="cls", max_length=max_length)
    mean = block_outputs(net, tokenizer, texts, pooling="mean", max_length=max_length)
    dense = getattr(getattr(net.base_model, "pooler", None), "dense", None)  # None once the mean head replaced it
    pooler = None
    if dense is not None:
        def pooler(x):
            with torch.no_grad():
                return torch.tanh(dense(torch.as_tensor(x, dtype=dense.weight.dtype))).double().numpy()
    rows = cls_diagnostic(cls, mean, labels, pooler, seed=seed)
    run.save_table("cls_diagnostic", "Table 7 explained: what a classifier cut after block n can read, in the "
                   "pre-trained model (linear probes of the label, 80/20 split)",
                   ["block", "[CLS] spread (relative)", "probe acc. [CLS]", "probe acc. pooler([CLS])",
                    "probe acc. token mean"], rows,
                   note=f"{len(texts)} test sentences; the study's classifier reads: "
                        f"{'the token mean' if head == 'mean' else 'pooler([CLS])'}. "
                        f"pooler column empty when the model has no pre-trained pooler. {note}")
    return rows


def write_quantity_tables(run, label: str, net, tokenizer, texts, quantities, gw_reps, max_length: int, seed: int,
                          note: str) -> dict:
    """Probe accuracy and GW-to-target of each known quantity in every block of ``net``, as tables."""
    from .models import block_outputs

    reps = block_outputs(net, tokenizer, texts, pooling="mean", max_length=max_length, embeddings=True)
    q = {k: np.asarray(v)[:len(texts)] for k, v in quantities.items()}
    gw_q = {k: np.asarray(v)[:len(next(iter(gw_reps.values())))] for k, v in quantities.items()}
    found = quantity_readouts(reps, q, gw_reps, gw_q, seed=seed)
    run.save_table(f"probes_{label}", f"Linear-probe accuracy of each known quantity per block, {label} model "
                   f"(mean-pooled block outputs, 80/20 split of {len(texts)} test sentences)",
                   ["quantity", *found["layers"]], [[k, *v] for k, v in found["probe"].items()], note=note)
    rows = [[k, m, *v] for m, per in found["targets"].items() for k, v in per.items()]
    if rows:
        run.save_table(f"targets_{label}", f"Distance from each block to each known quantity (one-hot), {label} "
                       f"model, {len(next(iter(gw_reps.values())))} analysed sentences",
                       ["quantity", "measure", *gw_reps], rows,
                       note="GW ignores which sentence is which: for a one-hot target it only sees the class "
                            "sizes, so equal-sized quantities get equal GW; CKA uses the correspondence. " + note)
    return found
