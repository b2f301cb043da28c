"""The modular-sum study (paper §5.1, App. B–D): networks whose functions we know.

Data: every pair (a, b), a, b ∈ 0..p-1 (p = 59, 3481 pairs), split 80/20 into train and
validation. ``f_mod``: c = (a + b) mod 59. ``f_mod3``: c1 = (a + b) mod 59,
c2 = (c1 + b) mod 31, c = (c2 + b) mod 17.

Models (:class:`subnetscope.models.transformer.ModularTransformer`, d = 128, 4 heads of 32,
MLP 512):

- ``"0"``: one block, f_mod, c read at position 1.
- ``"E"``: three blocks, f_mod3, trained end to end for c at position 1.
- ``"L"``: three blocks, f_mod3, trained layer-wise. Stage 1 trains the embeddings, block 1 and
  a linear head that reads c1 at position 0 and b at position 1; stage 2 freezes all of that,
  drops the head and trains block 2 with a new head for (c2, b); stage 3 freezes blocks 1–2
  and trains block 3 and the unembedding for c at position 1.

Training is AdamW on minibatches until the validation accuracy has been 100% for
``patience`` consecutive epochs (or ``max_epochs``). The paper used full batches, lr 1e-3,
weight decay 2 and 26,000 epochs; with our defaults (minibatches of 256, lr 1e-3, weight
decay 1) stage 1 of Model L reaches 100% validation accuracy in ~300 epochs on a CPU, while
stages 2 and 3 level off below it (84% and 23%) — docs/results/modsum.md gives the measured
epochs, seconds and what was tried.

The pipeline (:func:`run_modsum`) trains or loads a model (checkpoints keyed by the
settings, so a second run skips training), captures its 31 representations per block,
computes all-pairs GW, GW to the known targets (Table 1), probes (Table 4), sub-networks with
bootstrap stability and figures, and writes a run folder with a report.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal, Mapping, Sequence

import numpy as np

from .._validation import check_choice

__all__ = [
    "MODULI",
    "ModSumData",
    "TrainConfig",
    "TrainResult",
    "f_mod",
    "f_mod3",
    "modsum_data",
    "train_modsum_model",
    "load_or_train",
    "checkpoint_name",
    "SHIPPED_CHECKPOINTS",
    "capture_modsum",
    "representation_names",
    "run_modsum",
]

MODULI: tuple[int, int, int] = (59, 31, 17)
ModelKind = Literal["0", "E", "L"]
MODEL_KINDS = ("0", "E", "L")

# the 31 representations of one block, in the paper's order (Table 2, indices 0..30)
_HEAD_KINDS = ("k", "q", "v", "attn_pre", "attn", "z")
_BLOCK_TAIL = ("attn_out", "resid_mid", "pre", "post", "mlp_out", "resid_post")
_PAPER_NAMES = {"resid_pre": "Resid-Pre", "attn_pre": "Attn-Pre", "attn": "Attn", "attn_out": "Attn-Out",
                "resid_mid": "Resid-Mid", "pre": "Pre", "post": "Post", "mlp_out": "MLP-Out",
                "resid_post": "Resid-Post", "k": "k", "q": "q", "v": "v", "z": "z"}


# ---------------------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------------------
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


# ---------------------------------------------------------------------------------------
# training
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TrainConfig:
    """How a model is trained. Training stops early once validation accuracy has been 100% for
    ``patience`` consecutive epochs.

    The paper (App. B): AdamW lr 1e-3, weight decay 2, full batch, up to 26,000 epochs. Our
    defaults keep AdamW lr 1e-3, weight decay 1, betas (0.9, 0.98) but take minibatches of 256
    (11 steps per epoch): full-batch training memorised stage 1 of Model L and had not
    generalised after 1,300 epochs on this CPU, while with minibatches it reaches 100%
    validation accuracy in ~300 epochs (docs/results/modsum.md has the measured epochs and
    seconds, and the stages that level off below 100%). ``batch_size=None`` is the paper's
    full batch.

    ``grokfast_alpha`` (None = off) turns on the Grokfast-EMA gradient filter (Lee et al. 2024):
    before each optimiser step every gradient g becomes ``g + grokfast_lamb * EMA_alpha(g)``.
    This deviates from the paper's plain AdamW; it only changes how fast training gets there.
    """

    lr: float = 1e-3
    weight_decay: float = 1.0
    max_epochs: int = 2000
    patience: int = 20
    seed: int = 0
    d_model: int = 128
    n_heads: int = 4
    d_head: int = 32
    d_mlp: int = 512
    betas: tuple = (0.9, 0.98)
    batch_size: int | None = 256
    grokfast_alpha: float | None = None
    grokfast_lamb: float = 2.0

    def key(self, kind: str, data: ModSumData) -> str:
        """A short hash of everything that shapes the trained weights."""
        record = {"kind": kind, "task": data.task, "p": data.p, "split_seed": data.seed,
                  "n_classes": data.n_classes, **asdict(self)}
        return hashlib.sha1(json.dumps(record, sort_keys=True, default=str).encode()).hexdigest()[:12]


@dataclass
class TrainResult:
    """A trained model and its history (one record per stage)."""

    model: Any
    kind: str
    stages: list = field(default_factory=list)
    from_cache: bool = False
    source: str = "trained"

    @property
    def val_accuracy(self) -> float:
        return self.stages[-1]["val_accuracy"]

    def summary(self) -> dict[str, Any]:
        return {"kind": self.kind, "from_cache": self.from_cache, "source": self.source, "stages": self.stages}


def _stage_specs(kind: str, data: ModSumData) -> list[dict[str, Any]]:
    """What each stage trains and predicts: (position, target) pairs."""
    if kind == "0":
        return [{"name": "model0", "blocks": [0], "train_embed": True, "outputs": [(1, "c")], "head": None}]
    if kind == "E":
        return [{"name": "end-to-end", "blocks": [0, 1, 2], "train_embed": True, "outputs": [(1, "c")],
                 "head": None}]
    return [
        {"name": "stage1 (c1, b)", "blocks": [0], "train_embed": True, "outputs": [(0, "c1"), (1, "b")],
         "head": True},
        {"name": "stage2 (c2, b)", "blocks": [1], "train_embed": False, "outputs": [(0, "c2"), (1, "b")],
         "head": True},
        {"name": "stage3 c", "blocks": [2], "train_embed": False, "outputs": [(1, "c")], "head": None},
    ]


def _new_model(kind: str, data: ModSumData, config: TrainConfig):
    import torch

    from ..models.transformer import ModularTransformer

    torch.manual_seed(config.seed)
    n_blocks = 1 if kind == "0" else 3
    return ModularTransformer(data.p, data.n_classes["c"], n_blocks=n_blocks, d_model=config.d_model,
                              n_heads=config.n_heads, d_head=config.d_head, d_mlp=config.d_mlp)


def _stage_setup(model, spec: dict, data: ModSumData, config: TrainConfig):
    """Freeze ``model`` except what stage ``spec`` trains (a new head where it has one).

    Returns the trainable parameters and ``read(residual) -> [logits per output]``.
    """
    from torch import nn

    for p in model.parameters():
        p.requires_grad_(False)
    trainable = [model.blocks[i] for i in spec["blocks"]]
    if spec["train_embed"]:
        trainable += [model.embed_a, model.embed_b]
    if spec["head"]:
        heads = nn.ModuleList(nn.Linear(config.d_model, data.n_classes[t]) for _, t in spec["outputs"])
        trainable.append(heads)

        def read(res):
            return [h(res[:, pos]) for h, (pos, _) in zip(heads, spec["outputs"])]
    else:
        trainable.append(model.unembed)

        def read(res):
            return [model.unembed(res[:, pos]) for pos, _ in spec["outputs"]]
    params = [p for m in trainable for p in m.parameters()]
    for p in params:
        p.requires_grad_(True)
    return params, read


def train_modsum_model(kind: ModelKind, data: ModSumData, config: TrainConfig = TrainConfig(), *,
                       progress: bool = True) -> TrainResult:
    """Train Model 0, E or L (module docstring) on ``data``.

    Parameters
    ----------
    kind : {"0", "E", "L"}
    data : ModSumData
        ``modsum_data("mod")`` for Model 0, ``modsum_data("mod3")`` for E and L.
    config : TrainConfig
    progress : bool
        Show a tqdm bar per stage (loss and validation accuracy).

    Returns
    -------
    TrainResult
        ``.model`` (in eval mode, every parameter frozen) and ``.stages``: epochs, seconds,
        final train/validation accuracy and loss of each stage.
    """
    import torch
    from torch import nn

    check_choice(kind, "kind", MODEL_KINDS)
    needed = "mod" if kind == "0" else "mod3"
    if data.task != needed:
        raise ValueError(f"Model {kind} is trained on f_{needed}; `data` holds f_{data.task} "
                         f"(use modsum_data({needed!r}))")
    model = _new_model(kind, data, config)
    tokens = torch.as_tensor(data.tokens)
    targets = {k: torch.as_tensor(v) for k, v in data.targets.items()}
    train, val = torch.as_tensor(data.train), torch.as_tensor(data.val)
    stages = []
    for spec in _stage_specs(kind, data):
        torch.manual_seed(config.seed + len(stages))
        params, read = _stage_setup(model, spec, data, config)
        depth = max(spec["blocks"]) + 1
        optimiser = torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay,
                                      betas=config.betas)

        def evaluate(idx):
            with torch.no_grad():
                logits = read(model.residual(tokens[idx], depth))
                loss = sum(nn.functional.cross_entropy(lg, targets[t][idx])
                           for lg, (_, t) in zip(logits, spec["outputs"]))
                correct = torch.ones(len(idx), dtype=torch.bool)
                for lg, (_, t) in zip(logits, spec["outputs"]):
                    correct &= lg.argmax(-1) == targets[t][idx]
            return float(loss), float(correct.float().mean())

        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=config.max_epochs, desc=f"Model {kind} {spec['name']}", leave=True)
        start, streak, epoch = time.perf_counter(), 0, 0
        emas: dict = {}
        model.train()
        for epoch in range(1, config.max_epochs + 1):
            perm = train[torch.randperm(len(train))]  # shuffled; one batch by default (paper App. B)
            for batch in perm.split(config.batch_size or len(perm)):
                logits = read(model.residual(tokens[batch], depth))
                loss = sum(nn.functional.cross_entropy(lg, targets[t][batch])
                           for lg, (_, t) in zip(logits, spec["outputs"]))
                optimiser.zero_grad(set_to_none=True)
                loss.backward()
                if config.grokfast_alpha is not None:
                    for p in params:
                        if p.grad is None:
                            continue
                        ema = emas.get(p)
                        if ema is None:
                            ema = emas[p] = p.grad.detach().clone()
                        else:
                            ema.mul_(config.grokfast_alpha).add_(p.grad.detach(), alpha=1 - config.grokfast_alpha)
                        p.grad.add_(ema, alpha=config.grokfast_lamb)
                optimiser.step()
            val_loss, val_acc = evaluate(val)
            streak = streak + 1 if val_acc == 1.0 else 0
            if bar is not None:
                bar.update(1)
                if epoch % 10 == 0:
                    bar.set_postfix(loss=f"{float(loss.detach()):.3g}", val_acc=f"{val_acc:.4f}")
            if streak >= config.patience:
                break
        if bar is not None:
            bar.close()
        seconds = time.perf_counter() - start
        train_loss, train_acc = evaluate(train)
        val_loss, val_acc = evaluate(val)
        stages.append({"stage": spec["name"], "epochs": epoch, "seconds": round(seconds, 2),
                       "train_accuracy": train_acc, "val_accuracy": val_acc,
                       "train_loss": train_loss, "val_loss": val_loss,
                       "reached_100": streak >= config.patience})
    for p in model.parameters():
        p.requires_grad_(False)
    model.eval()
    return TrainResult(model, kind, stages)


#: Checkpoints that ship with the package (trained with the default :class:`TrainConfig` by
#: ``subnetscope study modsum --model K``; see docs/results/modsum.md), so that the demo can
#: skip the CPU training. Found by the same file name as a cache entry, so only for exactly
#: the settings they were trained with.
SHIPPED_CHECKPOINTS = Path(__file__).resolve().parent / "checkpoints"


def checkpoint_name(kind: str, data: ModSumData, config: TrainConfig) -> str:
    """``model<kind>-<hash of data, split and config>.pt``."""
    return f"model{kind}-{config.key(kind, data)}.pt"


def load_or_train(kind: ModelKind, data: ModSumData, config: TrainConfig = TrainConfig(), *,
                  cache_dir: str | Path | None = None, progress: bool = True,
                  shipped: bool = True, retrain: bool = False) -> TrainResult:
    """Load Model ``kind`` trained with the same settings, else train it.

    Looks in ``cache_dir``, then (``shipped=True``) among the checkpoints shipped with the
    package (:data:`SHIPPED_CHECKPOINTS`); a shipped one is copied into ``cache_dir``. The
    checkpoint ``model<kind>-<key>.pt`` holds the weights and the training history; the key
    hashes the data set, split and :class:`TrainConfig`, so changing any of them retrains.
    ``.source`` of the result says which: ``"trained"``, ``"cache"`` or ``"shipped"``.
    ``retrain=True`` trains regardless and overwrites the cache entry.
    """
    import shutil

    import torch

    from .._io import atomic_path

    check_choice(kind, "kind", MODEL_KINDS)
    name = checkpoint_name(kind, data, config)
    path = None if cache_dir is None else Path(cache_dir) / name
    found, source = None, "trained"
    if not retrain and path is not None and path.exists():
        found, source = path, "cache"
    elif not retrain and shipped and (SHIPPED_CHECKPOINTS / name).exists():
        found, source = SHIPPED_CHECKPOINTS / name, "shipped"
    if found is not None:
        saved = torch.load(found, map_location="cpu", weights_only=True)
        model = _new_model(kind, data, config)
        model.load_state_dict(saved["state_dict"])
        for p in model.parameters():
            p.requires_grad_(False)
        model.eval()
        if source == "shipped" and path is not None:
            with atomic_path(path, suffix=".pt") as tmp:
                shutil.copyfile(found, tmp)
        return TrainResult(model, kind, json.loads(saved["stages"]), from_cache=True, source=source)
    result = train_modsum_model(kind, data, config, progress=progress)
    if path is not None:
        with atomic_path(path, suffix=".pt") as tmp:
            torch.save({"state_dict": result.model.state_dict(), "stages": json.dumps(result.stages)}, tmp)
    return result


# ---------------------------------------------------------------------------------------
# representations
# ---------------------------------------------------------------------------------------
def representation_names(n_blocks: int, n_heads: int = 4) -> list[str]:
    """Names of the 31 (for 4 heads) representations per block, in the paper's order.

    ``block{l}.resid_pre``, ``block{l}.head{h}.k`` (h = 1..H), then q, v, attn_pre, attn, z,
    then ``attn_out, resid_mid, pre, post, mlp_out, resid_post`` — the names of the capture
    preset ``"transformer"``.
    """
    names = []
    for l in range(1, n_blocks + 1):
        names.append(f"block{l}.resid_pre")
        names += [f"block{l}.head{h}.{k}" for k in _HEAD_KINDS for h in range(1, n_heads + 1)]
        names += [f"block{l}.{k}" for k in _BLOCK_TAIL]
    return names


def paper_name(name: str) -> str:
    """``block2.resid_post`` -> ``Resid-Post2``; ``block1.head3.attn_pre`` -> ``Attn-Pre1 (head 3)``."""
    parts = name.split(".")
    block = parts[0].removeprefix("block")
    if len(parts) == 3:
        return f"{_PAPER_NAMES[parts[2]]}{block} (head {parts[1].removeprefix('head')})"
    return f"{_PAPER_NAMES[parts[1]]}{block}"


def capture_modsum(model, tokens: np.ndarray, *, batch_size: int = 1024) -> dict[str, np.ndarray]:
    """Every representation of ``model`` on ``tokens``, flattened per input, in paper order.

    The library's :func:`subnetscope.capture` with the ``"transformer"`` preset (one capture
    path for studies and users).

    Parameters
    ----------
    model : ModularTransformer
    tokens : array of shape (n, 2)
        (a, b) pairs.

    Returns
    -------
    dict of str to ndarray of shape (n, d)
        31 entries per block (:func:`representation_names`), float32 as the model computes
        them. Per-head tensors are split by head (k/q/v/z: (n, 2·d_head); attn_pre/attn: (n, 2·2)).
    """
    import torch

    from ..capture import capture

    tokens = np.asarray(tokens)
    if tokens.ndim != 2 or tokens.shape[1] != 2:
        raise ValueError(f"`tokens` must have shape (n, 2) holding (a, b), got {tokens.shape}")
    reps = capture(model, torch.as_tensor(tokens, dtype=torch.long), "transformer", batch_size=batch_size)
    return {name: reps[name] for name in reps}


# ---------------------------------------------------------------------------------------
# the pipeline
# ---------------------------------------------------------------------------------------
_SOURCES = {"trained": "", "cache": " (checkpoint from the cache)",
            "shipped": " (checkpoint shipped with subnetscope; --retrain to train it here)"}


def target_table(distances: Mapping[str, Mapping[str, float]], *, tolerance: float = 0.005,
                 names=paper_name) -> list[list[Any]]:
    """Table 1/4 rows: target, closest layers (those within ``tolerance`` of the best), D_min.

    ``distances`` maps target -> {layer: value}. Layers are shown with their paper names.
    """
    rows = []
    for target, values in distances.items():
        finite = {k: v for k, v in values.items() if np.isfinite(v)}
        if not finite:
            rows.append([target, "", float("nan"), 0])
            continue
        best = min(finite.values())
        close = sorted((k for k, v in finite.items() if v <= best + tolerance), key=finite.get)
        shown = ", ".join(names(k) for k in close[:3])
        if len(close) > 3:
            shown += f" and {len(close) - 3} others"
        rows.append([target, shown, round(float(best), 4), len(close)])
    return rows


def run_modsum(
    out: str | Path,
    *,
    model: ModelKind = "L",
    samples: int = 200,
    seed: int = 0,
    train_config: TrainConfig = TrainConfig(),
    cache_dir: str | Path | None = None,
    targets: bool = True,
    embedding: Literal["value", "onehot", "circular"] = "value",
    probes: Sequence[str] = ("linear", "mlp"),
    probe_samples: int = 1000,
    baselines: Sequence[str] = (),
    bootstrap: int = 0,
    n_groups: int | None = None,
    compare_starts: int = 0,
    retrain: bool = False,
    n_jobs: int = 1,
    report: bool = True,
    progress: bool = True,
    log=print,
) -> dict[str, Any]:
    """Train or load Model ``model`` and run the study's analyses into the run folder ``out``.

    Parameters
    ----------
    out : path
        Run folder (:class:`subnetscope.RunFolder`); created if missing.
    model : {"0", "E", "L"}
    samples : int
        Inputs (of the 3481) compared by GW, drawn with ``seed`` (the paper: 1000).
    train_config : TrainConfig
    cache_dir : path, optional
        Where checkpoints live (default ``out/checkpoints``).
    targets : bool
        GW from every layer to the known targets (Table 1 analogue).
    embedding : {"value", "onehot", "circular"}
        How a target becomes a representation (:func:`subnetscope.to_target`).
    probes : sequence of {"linear", "mlp"}
        Probe kinds for the Table 4 analogue (empty: none).
    probe_samples : int
        Inputs used by the probes (80/20 held-out split inside).
    baselines : sequence of str
        Other measures computed all-pairs (Fig. 8), e.g. ``("cka", "rsa")``.
    bootstrap : int
        Bootstrap replicates of the sub-network search (0: none; each costs one all-pairs GW).
    n_groups : int, optional
        Number of sub-networks (default: chosen by the silhouette, see find_subnetworks).
    compare_starts : int
        If > 0, recompute GW on this many evenly spaced layers with POT's default start only
        (``starts=("product",), warm_start=False``) and compare with our multi-start values.
    retrain : bool
        Train even when a checkpoint with these settings exists (cached or shipped).
    n_jobs : int
        Processes for the all-pairs GW (-1: every core); the matrix is the same as serial.

    Returns
    -------
    dict
        The summary also stored in run.json under ``"summary"``.
    """
    from ..analysis import find_subnetworks, probe, to_target
    from ..engine.pairwise import _check_n_jobs, pairwise
    from ..runs import RunFolder

    check_choice(model, "model", MODEL_KINDS)
    for kind in probes:
        check_choice(kind, "probes", ("linear", "mlp"))
    if isinstance(samples, bool) or not isinstance(samples, (int, np.integer)) or not 2 <= samples <= 3481:
        raise ValueError(f"`samples` must be an integer in 2..3481, got {samples!r}")
    if not 10 <= probe_samples <= 3481:
        raise ValueError(f"`probe_samples` must be an integer in 10..3481, got {probe_samples!r}")
    _check_n_jobs(n_jobs)  # before training, not after
    run = RunFolder(out)
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name):
        nonlocal clock
        now = time.perf_counter()
        timings[name] = round(now - clock, 2)
        clock = now

    run.update_meta(study="modsum", options={
        "model": model, "samples": samples, "seed": seed, "train": asdict(train_config),
        "embedding": embedding, "probes": list(probes), "probe_samples": probe_samples,
        "baselines": list(baselines), "bootstrap": bootstrap, "n_groups": n_groups,
        "compare_starts": compare_starts, "n_jobs": n_jobs})
    data = modsum_data("mod" if model == "0" else "mod3", seed=seed)
    trained = load_or_train(model, data, train_config, cache_dir=run.checkpoints if cache_dir is None else cache_dir,
                            progress=progress, retrain=retrain)
    lap("train")
    for stage in trained.stages:
        log(f"Model {model} {stage['stage']}: {stage['epochs']} epochs, {stage['seconds']} s, "
            f"validation accuracy {stage['val_accuracy']:.4f}" + _SOURCES[trained.source])
        if not stage["reached_100"]:
            log(f"WARNING: Model {model} {stage['stage']} stopped after {stage['epochs']} epochs at "
                f"{stage['val_accuracy']:.1%} validation accuracy, short of 100% (the paper: 100% within "
                "26,000 epochs); the analyses below describe a network that has only partly generalised "
                "(docs/results/modsum.md).")

    rng = np.random.default_rng(seed)
    rows = rng.permutation(len(data.tokens))[: max(samples, probe_samples if probes else 0)]
    all_reps = capture_modsum(trained.model, data.tokens[rows])
    reps = {k: v[:samples] for k, v in all_reps.items()}
    lap("capture")
    label = "gw"
    distances = pairwise(reps, "gw", cache_dir=run.path / "cache" / label, progress=progress, n_jobs=n_jobs)
    run.save_distances(label, distances)
    lap("gw")

    if bootstrap:
        from ..analysis import bootstrap_subnetworks

        subnetworks = bootstrap_subnetworks(reps, bootstrap, measure="gw", n_groups=n_groups, seed=seed,
                                            progress=progress, n_jobs=n_jobs)
    else:
        subnetworks = find_subnetworks(distances, n_groups, seed=seed)
    run.save_subnetworks(label, subnetworks)
    lap("subnetworks")
    summary: dict[str, Any] = {"model": model, "samples": samples, "training": trained.summary(),
                               "subnetworks": subnetworks.ranges()}
    log(f"\nSub-networks of Model {model} (GW, n = {samples}):")
    log(subnetworks.table())

    tgt_names = ["c"] if model == "0" else ["c1", "c2", "c"]
    if targets:
        values = {}
        for t in tgt_names:
            values[t] = to_target(reps, data.targets[t][rows[:samples]], "gw", embedding=embedding).as_dict()
        table = target_table(values)
        run.save_table("table1_gw_targets", f"GW distance to the targets, Model {model} (Table 1 analogue)",
                       ["target", "most similar layers", "D_min", "layers within 0.005"], table,
                       note=f"n = {samples}, target embedding {embedding!r}; paper (Model L, n = 1000): "
                            "c1 Resid-Post1 0.02, c2 Resid-Post2 0.03, c Resid-Post2, Resid-Post3 and 7 others 0.04")
        summary["table1"] = table
        summary["target_distances"] = values
        log(f"\nGW to the targets (Table 1 analogue, n = {samples}):")
        for r in table:
            log(f"  {r[0]:>3}: {r[1]}  D_min = {r[2]:.4f}")
        lap("targets")

    if probes:
        preps = {k: v[:probe_samples] for k, v in all_reps.items()}
        rows4 = []
        for kind in probes:
            for t in tgt_names:
                res = probe(preps, data.targets[t][rows[:probe_samples]], kind, seed=seed).as_dict()
                r = target_table({t: res}, tolerance=0.0)[0]
                rows4.append([kind, *r])
                log(f"  {kind} probe {t}: best {r[1]}  held-out error {r[2]:.3f}")
        run.save_table("table4_probes", f"Probe held-out error, Model {model} (Table 4 analogue)",
                       ["probe", "target", "best layers", "min error", "layers at min"], rows4,
                       note=f"{probe_samples} inputs, 20% held out")
        summary["table4"] = rows4
        lap("probes")

    for measure in baselines:
        run.save_distances(measure, pairwise(reps, measure, progress=progress, n_jobs=n_jobs))
        lap(f"baseline {measure}")

    if compare_starts:
        idx = np.unique(np.linspace(0, len(reps) - 1, int(compare_starts)).round().astype(int))
        sub = {k: reps[k] for k in np.array(list(reps))[idx]}
        # POT's default start alone: no warm start either (it would be a second start)
        pot = pairwise(sub, "gw", progress=progress, starts=("product",), warm_start=False, n_jobs=n_jobs)
        ours = distances.subset(list(sub))
        run.save_distances("gw_pot_start", pot)
        diff = pot.matrix - ours.matrix
        iu = np.triu_indices(len(idx), 1)
        summary["starts"] = {"layers": len(idx), "pairs": len(iu[0]),
                             "ours_lower": int((diff[iu] > 1e-12).sum()),
                             "equal": int((np.abs(diff[iu]) <= 1e-12).sum()),
                             "mean_gap": float(diff[iu].mean()), "max_gap": float(diff[iu].max()),
                             "silhouette_pot": find_subnetworks(pot, n_groups, seed=seed).score,
                             "silhouette_ours": find_subnetworks(ours, n_groups, seed=seed).score}
        lap("compare_starts")

    _figures(run, distances, subnetworks, summary, model, samples)
    lap("figures")
    summary["timings_s"] = timings
    run.update_meta(summary=summary, timings=timings)
    if report:
        try:
            from ..report import write_report
        except ImportError:
            pass
        else:
            path = write_report(run.path)
            log(f"report: {path}")
    return summary


def _figures(run, distances, subnetworks, summary, model, samples) -> None:
    from ..plots import plot_distances, plot_layer_changes

    ax = plot_distances(distances, boundaries=subnetworks.boundaries,
                        title=f"Model {model}: GW between all {len(distances.names)} representations (n = {samples})")
    run.save_figure("gw_heatmap", ax.figure, caption="All-pairs GW (Fig. 3 analogue) with the found "
                    "sub-network boundaries (between groups of consecutive layers).")
    ax = plot_layer_changes(distances)
    run.save_figure("gw_layer_changes", ax.figure, caption="GW distance of each layer to its predecessor.")
    if "target_distances" in summary:
        from ..plots._common import pyplot

        plt = pyplot()
        fig, ax = plt.subplots(figsize=(10, 3.5))
        for t, values in summary["target_distances"].items():
            ax.plot(list(values.values()), label=t, marker=".")
        ax.set_xlabel("layer index (31 per block)")
        ax.set_ylabel("GW to target")
        ax.legend()
        run.save_figure("gw_to_targets", fig, caption="GW from every layer to each known target (Table 1).")
