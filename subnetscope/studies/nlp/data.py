"""Labelled text for the NLP study: generated sets, local files, or `datasets`.

The default (``data=None``) is :func:`~.compositional.compositional_sentiment`, generated
offline: sentiment that depends on negation, contrast and nesting, with the intermediate
quantities of every sentence. The older smoke set (``data="smoke"``) is **not SST-2**: a few
hundred template sentences whose label is fixed by one sentiment word.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

__all__ = ["TextData", "smoke_sentiment", "load_text_data", "SMOKE_NOTE", "COMPOSITIONAL_NOTE"]

SMOKE_NOTE = ("data: the project's generated smoke sentiment set (templates x positive/negative words), "
              "NOT SST-2 or Yelp; numbers on it only show the pipeline works")
COMPOSITIONAL_NOTE = ("data: the project's generated compositional sentiment set (negation, contrast, nesting, "
                      "comparison; no single word decides), NOT SST-2 or Yelp")

_TEXT_COLUMNS = ("sentence", "text", "review", "content")
_LABEL_COLUMNS = ("label", "labels", "sentiment", "stars")

_POSITIVE = ("wonderful", "great", "excellent", "delightful", "superb", "charming", "brilliant",
             "enjoyable", "moving", "fantastic", "lovely", "impressive")
_NEGATIVE = ("terrible", "awful", "boring", "dreadful", "dull", "horrible", "disappointing",
             "tedious", "painful", "mediocre", "annoying", "bland")
_TEMPLATES = ("the movie was {w} .", "i found the acting {w} and the plot too .",
              "what a {w} film , honestly .", "the service at this place was {w} .",
              "overall the book felt {w} to me .", "our dinner last night was {w} .",
              "the ending of the story is {w} .", "my friends thought the show was {w} .",
              "this restaurant is {w} , we will tell everyone .", "the soundtrack was simply {w} .",
              "a {w} experience from start to finish .", "the hotel staff were {w} all week .",
              "honestly the sequel is {w} .", "the new album sounds {w} .",
              "it was a {w} evening at the theatre .", "the characters are {w} throughout .",
              "this game is {w} to play .", "the tour guide was {w} .",
              "the coffee here tastes {w} .", "the lecture was {w} and long .",
              "every episode is {w} .", "the director made something {w} .",
              "the food and the view were {w} .", "i think the design is {w} .",
              "the first half was {w} .")


@dataclass(frozen=True)
class TextData:
    """Texts with integer labels, split into train and test.

    Attributes
    ----------
    train_texts, test_texts : list of str
    train_labels, test_labels : int array of shape (n_train,), (n_test,)
    classes : tuple of str
        ``classes[k]`` is the original label that integer ``k`` stands for.
    source : str
        Where the data came from, including the generated-set warning when it applies.
    test_quantities : dict of str to array of shape (n_test,), optional
        Known intermediate quantities of the test sentences (the compositional set), else None.
    """

    train_texts: list[str]
    train_labels: np.ndarray
    test_texts: list[str]
    test_labels: np.ndarray
    classes: tuple[str, ...]
    source: str
    test_quantities: dict[str, np.ndarray] | None = None

    @property
    def n_classes(self) -> int:
        return len(self.classes)


def _split(texts: Sequence[str], labels: Sequence, test_fraction: float, seed: int, max_examples: int | None,
           source: str) -> TextData:
    if not 0 < test_fraction < 1:
        raise ValueError(f"`test_fraction` must be in (0, 1), got {test_fraction!r}")
    if len(texts) != len(labels):
        raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
    classes = tuple(sorted({str(y) for y in labels}, key=lambda s: (not s.lstrip("-").isdigit(), s.zfill(8))))
    if len(classes) < 2:
        raise ValueError(f"{source}: needs at least 2 distinct labels, found {list(classes)}")
    index = {c: k for k, c in enumerate(classes)}
    y = np.array([index[str(v)] for v in labels], dtype=np.int64)
    order = np.random.default_rng(seed).permutation(len(texts))
    if max_examples is not None:
        if max_examples < 4:
            raise ValueError(f"`max_examples` must be at least 4 or None, got {max_examples!r}")
        order = order[:max_examples]
    n_test = max(2, int(round(test_fraction * len(order))))
    if len(order) - n_test < 2:
        raise ValueError(f"{source}: only {len(order)} examples; need at least {n_test + 2} for a train/test split")
    test, train = order[:n_test], order[n_test:]
    return TextData([texts[i] for i in train], y[train], [texts[i] for i in test], y[test], classes, source)


def smoke_sentiment(n_per_class: int = 300, *, test_fraction: float = 0.3, seed: int = 0) -> TextData:
    """Generate the offline smoke sentiment set (NOT SST-2): templates × sentiment words.

    Parameters
    ----------
    n_per_class : int
        Sentences per label (at most len(templates) × 12 = 300), label 1 positive, 0 negative.
    test_fraction : float
        Share held out for testing and for the representation analysis.
    seed : int
        Which template/word combinations are drawn and how they are split.
    """
    combos = len(_TEMPLATES) * len(_POSITIVE)
    if not isinstance(n_per_class, (int, np.integer)) or not 2 <= n_per_class <= combos:
        raise ValueError(f"`n_per_class` must be an integer in [2, {combos}], got {n_per_class!r}")
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for label, words in ((0, _NEGATIVE), (1, _POSITIVE)):
        for flat in rng.choice(combos, size=n_per_class, replace=False):
            template, word = divmod(int(flat), len(words))
            texts.append(_TEMPLATES[template].format(w=words[word]))
            labels.append(label)
    return _split(texts, labels, test_fraction, seed, None, f"smoke set ({2 * n_per_class} sentences); {SMOKE_NOTE}")


def _pick(columns: Sequence[str], wanted: str | None, defaults: Sequence[str], what: str, path: Path) -> str:
    if wanted is not None:
        if wanted not in columns:
            raise ValueError(f"`{what}_column` {wanted!r} is not a column of {path}; columns: {list(columns)}")
        return wanted
    for name in defaults:
        if name in columns:
            return name
    raise ValueError(f"{path} has no {what} column (looked for {list(defaults)}; columns: {list(columns)}); "
                     f"name it with `{what}_column`")


def _read_rows(path: Path) -> list[dict]:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".json"):
        rows = []
        with path.open(encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                if line.strip():
                    try:
                        rows.append(json.loads(line))
                    except json.JSONDecodeError as exc:
                        raise ValueError(f"{path} line {number} is not JSON: {exc}") from None
        return rows
    if suffix not in (".tsv", ".csv", ".txt"):
        raise ValueError(f"`data` {str(path)!r}: expected a .tsv, .csv or .jsonl file, got suffix {suffix!r}")
    delimiter = "," if suffix == ".csv" else "\t"
    with path.open(encoding="utf-8", newline="") as f:
        # SST-2 sentences contain quotes that are not CSV quoting, so TSV is read verbatim.
        reader = csv.DictReader(f, delimiter=delimiter, quoting=csv.QUOTE_MINIMAL if suffix == ".csv" else csv.QUOTE_NONE)
        return list(reader)


def load_text_data(
    data: str | Path | None = None,
    *,
    text_column: str | None = None,
    label_column: str | None = None,
    split: str = "train",
    test_fraction: float = 0.3,
    max_examples: int | None = 600,
    seed: int = 0,
) -> TextData:
    """Load labelled text: a generated set, a local file, or a `datasets` name.

    Parameters
    ----------
    data : path or str, optional
        None: :func:`~.compositional.compositional_sentiment` with ``max_examples`` sentences
        (default 4000 when None) split by ``test_fraction``. ``"smoke"``: :func:`smoke_sentiment`.
        A ``.tsv``/``.csv``/``.jsonl`` file with a header (the
        GLUE SST-2 ``train.tsv`` has ``sentence<TAB>label``). Any other string is passed to
        ``datasets.load_dataset(data, split=split)`` when `datasets` is installed.
    text_column, label_column : str, optional
        Column names; by default the first of sentence/text/review/content and
        label/labels/sentiment/stars present.
    test_fraction : float
        Share held out for testing and for the representation analysis.
    max_examples : int, optional
        Random subset kept before splitting (CPU fine-tuning is slow); None keeps all. For the
        smoke set: ``max_examples // 2`` sentences per label (at most 300).
    """
    if data is None:
        from .compositional import compositional_sentiment

        generated = compositional_sentiment(seed, 4000 if max_examples is None else max_examples,
                                            test_fraction=test_fraction)
        rows = generated.texts
        return TextData([rows[i] for i in generated.train], generated.labels[generated.train],
                        [rows[i] for i in generated.test], generated.labels[generated.test], ("0", "1"),
                        f"compositional set ({len(rows)} sentences, seed {seed}); {COMPOSITIONAL_NOTE}",
                        {k: v[generated.test] for k, v in generated.quantities.items()})
    if data == "smoke":
        combos = len(_TEMPLATES) * len(_POSITIVE)
        if max_examples is not None and max_examples < 4:
            raise ValueError(f"`max_examples` must be at least 4 or None, got {max_examples!r}")
        per_class = combos if max_examples is None else min(combos, max_examples // 2)
        return smoke_sentiment(per_class, test_fraction=test_fraction, seed=seed)
    path = Path(data)
    if path.exists():
        if path.is_dir():
            raise ValueError(f"`data` {str(path)!r} is a folder; give the .tsv/.csv/.jsonl file itself")
        rows = _read_rows(path)
        if not rows:
            raise ValueError(f"`data` {str(path)!r} has no rows")
        columns = list(rows[0].keys())
        text_key = _pick(columns, text_column, _TEXT_COLUMNS, "text", path)
        label_key = _pick(columns, label_column, _LABEL_COLUMNS, "label", path)
        rows = [r for r in rows if r.get(text_key) not in (None, "") and r.get(label_key) not in (None, "")]
        return _split([str(r[text_key]) for r in rows], [r[label_key] for r in rows], test_fraction, seed,
                      max_examples, f"file {path}")
    looks_like_file = path.suffix.lower() in (".tsv", ".csv", ".jsonl", ".json", ".txt")
    try:
        import datasets
    except ImportError:
        datasets = None
    if looks_like_file or datasets is None:
        why = "no such file" + ("" if looks_like_file else " and the `datasets` package is not installed")
        raise FileNotFoundError(f"`data` {str(data)!r}: {why}; give a local .tsv/.csv/.jsonl file with text "
                                f"and label columns, or leave it out for the offline generated set")
    table = datasets.load_dataset(str(data), split=split)
    columns = list(table.column_names)
    text_key = _pick(columns, text_column, _TEXT_COLUMNS, "text", Path(str(data)))
    label_key = _pick(columns, label_column, _LABEL_COLUMNS, "label", Path(str(data)))
    return _split(list(table[text_key]), list(table[label_key]), test_fraction, seed, max_examples,
                  f"datasets.load_dataset({str(data)!r}, split={split!r})")
