"""A generated sentiment set whose label depends on sentence structure, not on any one word.

Every sentence holds one or two *clauses*; a clause says something about a subject with a
sentiment adjective (40 positive, 40 negative), maybe an intensifier or a hedge (which never
change the polarity), and zero, one or two negations. A clause's polarity is the adjective's
polarity flipped once per negation (so "it is not true that the plot was not clever" is
positive). One clause *decides* the label:

- ``single``: "the plot was not clever ." -- the only clause;
- ``but``: "C1 , but C2 ." -- the second;
- ``although``: "although C1 , C2 ." -- the main clause, second;
- ``even_though``: "C1 , even though C2 ." -- the main clause, first;
- ``relative`` (nested): "the plot , which my friend called dull , was brilliant ." -- the main
  clause, whose adjective comes second;
- ``comparison``: "the plot was less clever than i expected ." -- "less"/"not as … as" flips.

The non-deciding clause has an independent random polarity, negation and adjective, so the
words it contributes carry no information about the label. Every adjective, negator,
connective and subject appears about equally often with either label, so no single word decides
(the best one-word rule is right on 52 % of the sentences) and a bag of words stays near 0.55
(docs/results/nlp.md).

Per sentence the generator records the intermediate quantities (``.quantities``): each clause's
adjective polarity, negation count, whether it is negated and its resulting polarity (clause 1
is the first in the text; 0 where a sentence has one clause), which clause decides, the
deciding adjective's polarity and whether the deciding clause is negated (label = the first
XOR the second, like c1 and c2 of the modular-sum study), the construction and the label.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["CompositionalSentiment", "compositional_sentiment", "CONSTRUCTIONS", "vocabulary"]

POSITIVE = ("good", "great", "excellent", "wonderful", "brilliant", "charming", "delightful", "superb", "lovely",
            "clever", "moving", "enjoyable", "fantastic", "impressive", "beautiful", "fun", "pleasant", "gripping",
            "elegant", "fresh", "funny", "warm", "memorable", "solid", "smart", "stunning", "touching", "rich",
            "inventive", "satisfying", "exciting", "polished", "sharp", "likeable", "perfect", "graceful",
            "thrilling", "heartfelt", "genuine", "vivid")
NEGATIVE = ("bad", "terrible", "awful", "boring", "dull", "dreadful", "horrible", "tedious", "painful", "bland",
            "mediocre", "annoying", "clumsy", "weak", "lifeless", "messy", "shallow", "stale", "tiresome", "ugly",
            "silly", "flat", "forgettable", "sloppy", "pointless", "predictable", "cheap", "awkward", "hollow",
            "irritating", "slow", "confusing", "lazy", "grim", "pretentious", "cold", "crude", "joyless",
            "unpleasant", "disappointing")
SUBJECTS = ("the film", "the movie", "the plot", "the acting", "the script", "the ending", "the soundtrack",
            "the book", "the sequel", "the show", "the dialogue", "the cast", "the meal", "the service",
            "the hotel", "the album", "the game", "the tour", "the lecture", "the play", "the concert",
            "the design", "the story", "the pacing", "the finale", "the camera work", "the menu", "the staff",
            "the room", "the opening", "the interview", "the novel", "the episode", "the music", "the humour",
            "the lead", "the villain", "the trailer", "the coffee", "the second half")
VERBS = ("was", "is", "seemed", "felt", "looked", "sounded")
MODIFIERS = ("", "", "", "very", "really", "truly", "extremely", "incredibly", "so", "quite", "somewhat",
             "rather", "fairly", "a bit", "slightly", "mostly", "kind of")
OPINION_HOLDERS = ("my friend", "the critics", "everyone", "my sister", "the reviewers", "some people", "my dad")
EXPECTATIONS = ("i expected", "the first one", "the trailer suggested", "i had hoped", "the book", "last time")
CONSTRUCTIONS = ("single", "but", "although", "even_though", "relative", "comparison")
_WEIGHTS = (0.2, 0.2, 0.15, 0.15, 0.15, 0.15)

# one negation of "{subj} {verb} {mod} {adj}" ...
_NEGATED = ("{s} {v} not {m}{a}", "{s} {v} never {m}{a}", "{s} {v} hardly {m}{a}", "{s} {v} far from {m}{a}",
            "{s} {v} not at all {a}", "i do not think {s} {v} {m}{a}", "nobody would say {s} {v} {m}{a}",
            "{s} {v} in no way {m}{a}")
# ... and two (a negated clause inside a negated frame): the polarity is the adjective's again
_DOUBLE = ("it is not true that {s} {v} not {m}{a}", "i would not say {s} {v} not {m}{a}",
           "nobody could say {s} {v} not {m}{a}", "i do not think {s} {v} never {m}{a}",
           "it is not that {s} {v} not {m}{a}")
_PLAIN = ("{s} {v} {m}{a}", "honestly {s} {v} {m}{a}", "i think {s} {v} {m}{a}", "to me {s} {v} {m}{a}")


@dataclass(frozen=True)
class CompositionalSentiment:
    """Sentences, labels (1 positive), per-sentence quantities and a train/test split.

    Attributes
    ----------
    texts : list of str
    labels : int array of shape (n,)
    quantities : dict of str to int array of shape (n,)
        See the module docstring; ``"label"`` is among them.
    train, test : int arrays of row indices (disjoint, together every row)
    seed : int
    """

    texts: list[str]
    labels: np.ndarray
    quantities: dict[str, np.ndarray]
    train: np.ndarray
    test: np.ndarray
    seed: int

    def __len__(self) -> int:
        return len(self.texts)


def vocabulary() -> list[str]:
    """Every word the generator can write (for tokenizers built offline, e.g. in tests)."""
    parts = [*POSITIVE, *NEGATIVE, *SUBJECTS, *VERBS, *MODIFIERS, *OPINION_HOLDERS, *EXPECTATIONS,
             *_NEGATED, *_DOUBLE, *_PLAIN, "although , but even though which called found was than less more "
             "not as . it"]
    words = {w for p in parts for w in p.replace("{m}", " ").split() if "{" not in w}
    return sorted(words)


class _Writer:
    def __init__(self, rng: np.random.Generator):
        self.rng = rng

    def pick(self, options):
        return options[int(self.rng.integers(len(options)))]

    def adjective(self, polarity: int) -> str:
        return self.pick(POSITIVE if polarity > 0 else NEGATIVE)

    def modifier(self) -> str:
        m = self.pick(MODIFIERS)
        return f"{m} " if m else ""

    def clause(self, polarity: int, negations: int, subject: str | None = None) -> str:
        forms = (_PLAIN, _NEGATED, _DOUBLE)[negations]
        return self.pick(forms).format(s=subject or self.pick(SUBJECTS), v=self.pick(VERBS), m=self.modifier(),
                                       a=self.adjective(polarity))


def _negations(rng: np.random.Generator) -> int:
    """0, 1 or 2 negations: negated 35 % of the time, one in five un-negated clauses doubly negated."""
    if rng.random() < 0.35:
        return 1
    return 2 if rng.random() < 0.2 else 0


def _sentence(w: _Writer, kind: str):
    """(text, clause records in text order, index of the deciding clause)."""
    rng = w.rng
    clauses = [{"polarity": int(rng.choice((-1, 1))), "negations": _negations(rng)} for _ in range(2)]
    c1, c2 = clauses
    if kind == "single":
        return w.clause(c1["polarity"], c1["negations"]) + " .", clauses[:1], 0
    if kind == "but":
        return f"{w.clause(c1['polarity'], c1['negations'])} , but {w.clause(c2['polarity'], c2['negations'])} .", \
            clauses, 1
    if kind == "although":
        return f"although {w.clause(c1['polarity'], c1['negations'])} , " \
               f"{w.clause(c2['polarity'], c2['negations'])} .", clauses, 1
    if kind == "even_though":
        return f"{w.clause(c1['polarity'], c1['negations'])} , even though " \
               f"{w.clause(c2['polarity'], c2['negations'])} .", clauses, 0
    if kind == "relative":  # the nested clause is an opinion (never negated); the main clause decides
        c1["negations"] = 0
        subject = w.pick(SUBJECTS)
        verb = w.pick(("called", "found"))
        inner = f"{subject} , which {w.pick(OPINION_HOLDERS)} {verb} {w.adjective(c1['polarity'])} ,"
        return w.clause(c2["polarity"], c2["negations"], subject=inner) + " .", clauses, 1
    # comparison: "more X than" keeps X's polarity; "less X than" and "not as X as" flip it
    c1["negations"] = int(rng.random() < 0.5)
    subject, verb, adj = w.pick(SUBJECTS), w.pick(VERBS), w.adjective(c1["polarity"])
    ref = w.pick(EXPECTATIONS)
    if c1["negations"]:
        text = f"{subject} {verb} less {adj} than {ref} ." if rng.random() < 0.5 else \
            f"{subject} {verb} not as {adj} as {ref} ."
    else:
        text = f"{subject} {verb} {w.pick(('more', 'even more', 'much more'))} {adj} than {ref} ."
    return text, clauses[:1], 0


def compositional_sentiment(seed: int = 0, n: int = 4000, *, test_fraction: float = 0.25) -> CompositionalSentiment:
    """Generate ``n`` sentences (seeded, offline) whose sentiment depends on their structure.

    Parameters
    ----------
    seed : int
        Fixes every sentence and the split.
    n : int
        Number of sentences (at least 20). Duplicate sentences are redrawn, so all are distinct.
    test_fraction : float
        Share of rows in ``.test`` (0 < test_fraction < 1).
    """
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 20:
        raise ValueError(f"`n` must be an integer of at least 20, got {n!r}")
    if not 0 < test_fraction < 1:
        raise ValueError(f"`test_fraction` must be in (0, 1), got {test_fraction!r}")
    rng = np.random.default_rng(seed)
    w = _Writer(rng)
    keys = ("adj1_polarity", "negations1", "negated1", "clause1_polarity", "adj2_polarity", "negations2",
            "negated2", "clause2_polarity", "n_clauses", "deciding_clause", "deciding_adj_polarity",
            "deciding_negated", "construction", "label")
    columns: dict[str, list[int]] = {k: [] for k in keys}
    texts: list[str] = []
    seen: set[str] = set()
    kinds = rng.choice(len(CONSTRUCTIONS), size=n, p=_WEIGHTS)
    for kind in kinds:
        while True:
            text, clauses, decides = _sentence(w, CONSTRUCTIONS[kind])
            if text not in seen:
                break
        seen.add(text)
        texts.append(text)
        row = {"n_clauses": len(clauses), "deciding_clause": decides + 1, "construction": int(kind)}
        for i in (0, 1):
            c = clauses[i] if i < len(clauses) else None
            row[f"adj{i + 1}_polarity"] = c["polarity"] if c else 0
            row[f"negations{i + 1}"] = c["negations"] if c else 0
            row[f"negated{i + 1}"] = c["negations"] % 2 if c else 0
            row[f"clause{i + 1}_polarity"] = c["polarity"] * (-1) ** c["negations"] if c else 0
        deciding = clauses[decides]
        row["deciding_adj_polarity"] = deciding["polarity"]
        row["deciding_negated"] = deciding["negations"] % 2
        row["label"] = int(deciding["polarity"] * (-1) ** deciding["negations"] > 0)
        for k in keys:
            columns[k].append(row[k])
    quantities = {k: np.asarray(v, dtype=np.int64) for k, v in columns.items()}
    order = np.random.default_rng([seed, 1]).permutation(n)
    n_test = max(1, int(round(test_fraction * n)))
    return CompositionalSentiment(texts, quantities["label"].copy(), quantities, np.sort(order[n_test:]),
                                  np.sort(order[:n_test]), seed)
