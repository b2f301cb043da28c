"""The modular-sum data: every pair (a, b) with f_mod / f_mod3 targets and an 80/20 split."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Sequence

import numpy as np

from ..._validation import check_choice

__all__ = ["MODULI", "MODEL_KINDS", "ModelKind", "ModSumData", "f_mod", "f_mod3", "modsum_data"]

MODULI: tuple[int, int, int] = (59, 31, 17)
ModelKind = Literal["0", "E", "L"]
MODEL_KINDS = ("0", "E", "L")


def f_mod(a: np.ndarray, b: np.ndarray, p: int = 59) -> np.ndarray:
    """c = (a + b) mod p, elementwise."""
    return (np.asarray(a) + np.asarray(b)) % p


def f_mod3(a: np.ndarray, b: np.ndarray, moduli: Sequence[int] = MODULI) -> dict[str, np.ndarray]:
    """The three-level modular sum: c1 = (a+b) mod p1, c2 = (c1+b) mod p2, c = (c2+b) mod p3.

    Returns
    -------
    dict
        ``{"c1": (n,), "c2": (n,), "c": (n,)}`` integer arrays.
    """
    p1, p2, p3 = moduli
    b = np.asarray(b)
    c1 = (np.asarray(a) + b) % p1
    c2 = (c1 + b) % p2
    return {"c1": c1, "c2": c2, "c": (c2 + b) % p3}


@dataclass(frozen=True)
class ModSumData:
    """All (a, b) pairs with their targets and a train/validation split.

    Attributes
    ----------
    task : {"mod", "mod3"}
    tokens : ndarray of shape (p², 2)
        (a, b) for every pair, a-major.
    targets : dict of str to ndarray of shape (p²,)
        ``{"c": ...}`` for f_mod, ``{"c1", "c2", "c"}`` for f_mod3 (plus ``"a"``, ``"b"``).
    train, val : ndarray of int
        Row indices of the split (disjoint, together all rows).
    n_classes : dict of str to int
        Number of classes of each target.
    """

    task: str
    p: int
    tokens: np.ndarray
    targets: dict
    train: np.ndarray
    val: np.ndarray
    n_classes: dict
    seed: int


def modsum_data(task: Literal["mod", "mod3"] = "mod3", *, p: int = 59, moduli: Sequence[int] = MODULI,
                train_fraction: float = 0.8, seed: int = 0) -> ModSumData:
    """The modular-sum data set with its 80/20 split (paper App. B).

    Parameters
    ----------
    task : {"mod", "mod3"}
        f_mod (c = (a+b) mod p) or f_mod3 (three levels with ``moduli``; a, b < moduli[0]).
    p : int
        Alphabet size of f_mod (f_mod3 uses ``moduli[0]``).
    moduli : sequence of 3 int
        (p1, p2, p3) of f_mod3.
    train_fraction : float
        Share of the pairs used for training, in (0, 1).
    seed : int
        Seed of the random split.

    Returns
    -------
    ModSumData
    """
    check_choice(task, "task", ("mod", "mod3"))
    if not 0 < train_fraction < 1:
        raise ValueError(f"`train_fraction` must be in (0, 1), got {train_fraction!r}")
    moduli = tuple(int(m) for m in moduli)
    if len(moduli) != 3 or min(moduli) < 2:
        raise ValueError(f"`moduli` must be three integers ≥ 2, got {moduli!r}")
    size = moduli[0] if task == "mod3" else int(p)
    if size < 2:
        raise ValueError(f"`p` must be an integer ≥ 2, got {p!r}")
    a, b = np.divmod(np.arange(size * size), size)
    tokens = np.stack([a, b], axis=1).astype(np.int64)
    if task == "mod":
        targets = {"c": f_mod(a, b, size)}
        n_classes = {"c": size}
    else:
        targets = f_mod3(a, b, moduli)
        n_classes = {"c1": moduli[0], "c2": moduli[1], "c": moduli[2]}
    targets = {**targets, "a": a, "b": b}
    n_classes = {**n_classes, "a": size, "b": size}
    order = np.random.default_rng(seed).permutation(len(tokens))
    n_train = int(round(train_fraction * len(tokens)))
    return ModSumData(task, size, tokens, targets, np.sort(order[:n_train]), np.sort(order[n_train:]),
                      n_classes, seed)
