"""The generated compositional sentiment set: labels by construction, quantities, no single word decides."""

import numpy as np
import pytest

from subnetscope.studies.nlp import compositional_sentiment, load_text_data
from subnetscope.studies.nlp.compositional import CONSTRUCTIONS, NEGATIVE, POSITIVE
from subnetscope.studies.nlp.readouts import bow_baseline, cls_diagnostic

_NEGATORS = {"not", "never", "hardly", "nobody", "no", "far", "less"}


def reference_label(text: str) -> int:
    """An independent reading of a sentence: find the main clause, count its negators, flip the adjective."""
    words = text.removesuffix(" .").split()
    joined = " ".join(words)
    if " , but " in joined:
        clause = joined.split(" , but ")[1]
    elif joined.startswith("although "):
        clause = joined.split(" , ", 1)[1]
    elif " , even though " in joined:
        clause = joined.split(" , even though ")[0]
    elif " , which " in joined:  # drop the nested opinion: "S , which H called A , REST"
        head, rest = joined.split(" , which ", 1)
        clause = head + " " + rest.split(" , ", 1)[1]
    else:
        clause = joined
    tokens = clause.split()
    adjectives = [t for t in tokens if t in POSITIVE or t in NEGATIVE]
    assert len(adjectives) == 1, (text, adjectives)
    polarity = 1 if adjectives[0] in POSITIVE else -1
    flips = sum(t in _NEGATORS for t in tokens)
    return int(polarity * (-1) ** flips > 0)


@pytest.mark.parametrize("text, label", [
    ("the plot was clever .", 1),
    ("the plot was not clever .", 0),
    ("it is not true that the plot was not clever .", 1),
    ("nobody would say the cast was really awful .", 1),
    ("the film was great , but the ending felt dull .", 0),
    ("although the film was dull , the music is not bland .", 1),
    ("the music is great , even though the film was far from polished .", 1),
    ("the sequel , which my dad called brilliant , was hardly fun .", 0),
    ("the hotel was less pleasant than i expected .", 0),
    ("the hotel was not as ugly as the book .", 1),
    ("the hotel was much more ugly than last time .", 0),
])
def test_the_reference_reading_on_hand_checked_sentences(text, label):
    assert reference_label(text) == label


@pytest.fixture(scope="module")
def data():
    return compositional_sentiment(0, 3000)


def test_every_label_matches_an_independent_reading_of_its_sentence(data):
    assert len(data) == len(data.labels) == 3000 and len(set(data.texts)) == 3000
    assert [reference_label(t) for t in data.texts] == data.labels.tolist()
    q = data.quantities
    kinds = np.bincount(q["construction"], minlength=len(CONSTRUCTIONS))
    assert np.all(kinds > 300)  # every construction is common
    assert 0.45 < data.labels.mean() < 0.55
    assert np.all(q["negations1"][q["n_clauses"] == 2] <= 2) and (q["negations2"] == 2).sum() > 50  # double negation


def test_quantities_are_consistent_with_the_labels(data):
    q = data.quantities
    assert set(q) >= {"adj1_polarity", "negated1", "clause1_polarity", "clause2_polarity", "deciding_clause",
                      "deciding_adj_polarity", "deciding_negated", "label"}
    assert all(len(v) == 3000 for v in q.values())
    np.testing.assert_array_equal(q["label"], data.labels)
    for i in (1, 2):
        present = q["n_clauses"] >= i
        np.testing.assert_array_equal(q[f"clause{i}_polarity"][present],
                                      q[f"adj{i}_polarity"][present] * (-1) ** q[f"negations{i}"][present])
        np.testing.assert_array_equal(q[f"negated{i}"], q[f"negations{i}"] % 2)
    assert np.all(q["clause2_polarity"][q["n_clauses"] == 1] == 0)
    deciding = np.where(q["deciding_clause"] == 1, q["clause1_polarity"], q["clause2_polarity"])
    np.testing.assert_array_equal(deciding > 0, data.labels == 1)
    np.testing.assert_array_equal(q["label"], (q["deciding_adj_polarity"] * (-1) ** q["deciding_negated"] > 0))
    # the other clause carries no information about the label
    two = q["n_clauses"] == 2
    other = np.where(q["deciding_clause"] == 1, q["clause2_polarity"], q["clause1_polarity"])[two]
    assert abs(np.mean((other > 0) == (data.labels[two] == 1)) - 0.5) < 0.05


def test_no_single_word_decides_and_a_bag_of_words_stays_low(data):
    vocabulary = sorted({w for t in data.texts for w in t.split()})
    assert len(vocabulary) > 150
    present = np.array([[w in set(t.split()) for w in vocabulary] for t in data.texts])
    y = data.labels[:, None] == 1
    best = np.maximum((present == y).mean(0), (present != y).mean(0)).max()
    assert best < 0.6
    bow = bow_baseline([data.texts[i] for i in data.train], data.labels[data.train],
                       [data.texts[i] for i in data.test], data.labels[data.test], ngrams=(1, 1))
    assert bow["train_accuracy"] > 0.6 and bow["test_accuracy"] < 0.7  # it fits the words, not the structure


def test_seeded_split_and_errors():
    a, b = compositional_sentiment(3, 200), compositional_sentiment(3, 200)
    assert a.texts == b.texts and np.array_equal(a.train, b.train)
    assert compositional_sentiment(4, 200).texts != a.texts
    assert len(a.test) == 50 and sorted(np.concatenate([a.train, a.test]).tolist()) == list(range(200))
    with pytest.raises(ValueError, match=r"`n` must be an integer of at least 20, got 5"):
        compositional_sentiment(0, 5)
    with pytest.raises(ValueError, match=r"`test_fraction` must be in \(0, 1\), got 1.5"):
        compositional_sentiment(0, 100, test_fraction=1.5)
    loaded = load_text_data(None, max_examples=200, seed=3, test_fraction=0.25)
    assert loaded.test_texts == [a.texts[i] for i in a.test] and "compositional" in loaded.source
    np.testing.assert_array_equal(loaded.test_quantities["label"], loaded.test_labels)


def test_cls_diagnostic_sees_a_constant_token_and_an_informative_mean():
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1], 50)
    informative = rng.normal(size=(100, 8)) + 3.0 * labels[:, None]
    constant = np.ones((100, 8)) + 1e-6 * rng.normal(size=(100, 8))
    rows = cls_diagnostic({"block1": constant, "block2": informative}, {"block1": informative, "block2": informative},
                          labels, pooler=np.tanh)
    assert rows[0][0] == "block1" and rows[0][1] < 1e-5 and rows[0][2] <= 0.6 and rows[0][4] == 1.0
    assert rows[1][1] > 0.5 and rows[1][2] == 1.0 and rows[1][3] == 1.0
