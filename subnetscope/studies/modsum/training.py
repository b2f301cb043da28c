"""Training Models 0, E and L: stage specs, the training loop and its configuration."""

from __future__ import annotations

import json
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Literal

import numpy as np

from ..._validation import check_choice
from .data import MODEL_KINDS, ModelKind, ModSumData

__all__ = ["LOSSES", "TrainConfig", "TrainResult", "recipe", "stage_accuracies", "stage_loss", "train_modsum_model"]

LOSSES = ("mse", "cross_entropy")


def stage_loss(kind: str, logits, target):
    """The training loss of one output: ``"mse"`` against the one-hot code, or cross-entropy.

    ``"mse"`` is the squared error summed over classes and averaged over samples.
    """
    from torch import nn

    if kind == "cross_entropy":
        return nn.functional.cross_entropy(logits, target)
    one_hot = nn.functional.one_hot(target, logits.shape[-1]).to(logits.dtype)
    return ((logits - one_hot) ** 2).sum(-1).mean()


@dataclass(frozen=True)
class TrainConfig:
    """How a model is trained. Training stops early once validation accuracy has been 100% for
    ``patience`` consecutive epochs (300 by default: the epochs after generalising are when
    weight decay cleans up what was memorised, and the next stage of Model L needs that clean
    code; with 20, stage 3 stopped at 98.6%; docs/results/modsum.md).

    The paper (App. B): AdamW lr 1e-3, weight decay 2, full batch, up to 26,000 epochs. Our
    defaults keep AdamW lr 1e-3, weight decay 1, betas (0.9, 0.98) but take minibatches of 256
    (11 steps per epoch): full-batch training memorised stage 1 of Model L and had not
    generalised after 1,300 epochs on this CPU, while with minibatches it reaches 100%
    validation accuracy in ~300 epochs (docs/results/modsum.md has the measured epochs and
    seconds). ``batch_size=None`` is the paper's full batch.

    ``loss`` is what each stage's output is trained with. ``"mse"`` (the default) regresses the
    logits onto the one-hot code of the target; ``"cross_entropy"`` is the usual classifier loss.
    The paper does not say which it used. We measured that it decides whether Model L can be
    trained layer by layer: with cross-entropy, stage 1 writes c1 into the residual stream with
    a handful of Fourier frequencies (the class means span 6–8 of 58 dimensions), from which
    block 2 cannot read c1 mod 31 linearly, and stage 2 levels off at 84% validation accuracy;
    with MSE the code of c1 has full rank (58 of 58) and stage 2 reaches 100%
    (docs/results/modsum.md, "Why MSE").

    ``grokfast_alpha`` (None = off) turns on the Grokfast-EMA gradient filter (Lee et al. 2024):
    before each optimiser step every gradient g becomes ``g + grokfast_lamb * EMA_alpha(g)``.
    This deviates from the paper's plain AdamW; it only changes how fast training gets there.
    """

    lr: float = 1e-3
    weight_decay: float = 1.0
    max_epochs: int = 4000
    patience: int = 300
    seed: int = 0
    d_model: int = 128
    n_heads: int = 4
    d_head: int = 32
    d_mlp: int = 512
    betas: tuple = (0.9, 0.98)
    batch_size: int | None = 256
    grokfast_alpha: float | None = None
    grokfast_lamb: float = 2.0
    loss: Literal["mse", "cross_entropy"] = "mse"

    def __post_init__(self):
        check_choice(self.loss, "loss", LOSSES)

    def key(self, kind: str, data: ModSumData) -> str:
        """A short hash of everything that shapes the trained weights."""
        record = {"kind": kind, "task": data.task, "p": data.p, "split_seed": data.seed,
                  "n_classes": data.n_classes, **asdict(self)}
        from .._run import settings_key

        return settings_key(record)


def recipe(kind: ModelKind) -> TrainConfig:
    """How the shipped Model ``kind`` was trained: what :func:`load_or_train` and the study use
    when given no :class:`TrainConfig` (so they load the shipped checkpoint and train nothing).

    Today all three are ``TrainConfig()``. A model that ships trained otherwise gets its own
    entry here, and the study, the CLI's training flags and :func:`load_or_train` follow it.
    (Model E stays at the default: the paper's full-batch recipe, run for its 26,000 epochs,
    levels off at the same 0.93 as every recipe we tried; docs/results/modsum.md, "Models 0
    and E".)
    """
    check_choice(kind, "kind", MODEL_KINDS)
    return _RECIPES[kind]


@dataclass
class TrainResult:
    """A trained model and its history (one record per stage).

    ``heads`` holds, per stage, the state of the linear head it was trained with (None for a
    stage that reads through the unembedding), so that :func:`stage_accuracies` can check
    every stage from the weights.
    """

    model: Any
    kind: str
    stages: list = field(default_factory=list)
    from_cache: bool = False
    source: str = "trained"
    heads: list = field(default_factory=list)

    @property
    def val_accuracy(self) -> float:
        return self.stages[-1]["val_accuracy"]

    def summary(self) -> dict[str, Any]:
        return {"kind": self.kind, "from_cache": self.from_cache, "source": self.source, "stages": self.stages}


_RECIPES: dict[str, TrainConfig] = {"0": TrainConfig(), "L": TrainConfig(), "E": TrainConfig()}


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


def _new_model(kind: str, data: ModSumData, config: TrainConfig, *, norm: bool = True):
    """A fresh Model ``kind`` seeded by ``config.seed`` (``norm=False``: no LayerNorm, for the
    Model E variant in benchmarks/modsum_model_e.py; the shipped models all have it)."""
    import torch

    from ...models.transformer import ModularTransformer

    torch.manual_seed(config.seed)
    n_blocks = 1 if kind == "0" else 3
    return ModularTransformer(data.p, data.n_classes["c"], n_blocks=n_blocks, d_model=config.d_model,
                              n_heads=config.n_heads, d_head=config.d_head, d_mlp=config.d_mlp, norm=norm)


def _stage_setup(model, spec: dict, data: ModSumData, config: TrainConfig, *, trainable_only: bool = True):
    """Freeze ``model`` except what stage ``spec`` trains (a new head where it has one).

    Returns the trainable parameters, ``read(residual) -> [logits per output]`` and the new
    head (an ``nn.ModuleList`` with one linear layer per output, or None when the stage reads
    through the model's unembedding). ``trainable_only=False`` builds the head and reader only.
    """
    from torch import nn

    heads = None
    if spec["head"]:
        heads = nn.ModuleList(nn.Linear(config.d_model, data.n_classes[t]) for _, t in spec["outputs"])

        def read(res):
            return [h(res[:, pos]) for h, (pos, _) in zip(heads, spec["outputs"])]
    else:
        def read(res):
            return [model.unembed(res[:, pos]) for pos, _ in spec["outputs"]]
    if not trainable_only:
        return [], read, heads
    for p in model.parameters():
        p.requires_grad_(False)
    trainable = [model.blocks[i] for i in spec["blocks"]]
    if spec["train_embed"]:
        trainable += [model.embed_a, model.embed_b]
    trainable.append(model.unembed if heads is None else heads)
    params = [p for m in trainable for p in m.parameters()]
    for p in params:
        p.requires_grad_(True)
    return params, read, heads


def stage_accuracies(result: "TrainResult", data: ModSumData, rows=None) -> list[float]:
    """Each stage's accuracy recomputed from the weights (every output of the stage right).

    Uses the trained model and the heads kept with it (``result.heads``), on the validation
    rows of ``data`` by default. Checks a checkpoint's record: the value for the last epoch
    of each stage equals ``stages[i]["val_accuracy"]``.
    """
    import torch

    rows = data.val if rows is None else np.asarray(rows)
    tokens = torch.as_tensor(data.tokens[rows])
    config = TrainConfig(d_model=result.model.config["d_model"])
    accuracies = []
    for i, spec in enumerate(_stage_specs(result.kind, data)):
        _, read, heads = _stage_setup(result.model, spec, data, config, trainable_only=False)
        if heads is not None:
            if not result.heads or result.heads[i] is None:
                raise ValueError(f"stage {i + 1} of Model {result.kind} has no saved head; retrain the model "
                                 "(checkpoints made before heads were kept cannot be checked)")
            heads.load_state_dict(result.heads[i])
        with torch.no_grad():
            logits = read(result.model.residual(tokens, max(spec["blocks"]) + 1))
        correct = np.ones(len(rows), dtype=bool)
        for lg, (_, t) in zip(logits, spec["outputs"]):
            correct &= lg.argmax(-1).numpy() == data.targets[t][rows]
        accuracies.append(float(correct.mean()))
    return accuracies


def train_modsum_model(kind: ModelKind, data: ModSumData, config: TrainConfig = TrainConfig(), *,
                       progress: bool = True, resume: str | Path | None = None,
                       save_every: int = 100, model: Any = None,
                       on_epoch: Callable[[int, float, float], bool | None] | None = None) -> TrainResult:
    """Train Model 0, E or L (module docstring) on ``data``.

    Parameters
    ----------
    kind : {"0", "E", "L"}
    data : ModSumData
        ``modsum_data("mod")`` for Model 0, ``modsum_data("mod3")`` for E and L.
    config : TrainConfig
    progress : bool
        Show a tqdm bar per stage (loss and validation accuracy).
    resume : path, optional
        A file where training keeps its state every ``save_every`` epochs (weights, optimiser,
        heads, random-number state, finished stages; read with ``weights_only=True``); when it
        exists and was written for the same kind, data and config, training continues from
        it with the same result as an uninterrupted run. Deleted when training ends.
        :func:`load_or_train` passes ``<checkpoint>.partial.pt`` in its ``cache_dir``.
    model : ModularTransformer, optional
        Train this model instead of a new one from ``config`` (e.g. to continue a trained
        model, or to try another architecture); trained in place. Not with ``resume``, whose
        file records only the config.
    on_epoch : callable, optional
        Called after every epoch as ``on_epoch(epoch, loss, val_accuracy)`` (``loss``: the
        last step's training loss); returning True ends the stage there.

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
    if model is None:
        model = _new_model(kind, data, config)
    elif resume is not None:
        raise ValueError("`resume` cannot be combined with `model`: the resume file records the config, "
                         "not the model training started from; give one of them")
    tokens = torch.as_tensor(data.tokens)
    targets = {k: torch.as_tensor(v) for k, v in data.targets.items()}
    train, val = torch.as_tensor(data.train), torch.as_tensor(data.val)
    stages, stage_heads = [], []
    key = config.key(kind, data)
    state = _read_partial(resume, key)
    if state is not None:
        model.load_state_dict(state["model"])
        stages, stage_heads = json.loads(state["stages"]), [h or None for h in state["stage_heads"]]

    def save_state(epoch: int, **running: Any) -> None:
        """Keep what a resumed run needs: the finished stages, and with ``epoch`` > 0 the
        ``running`` stage's optimiser, heads, filter and random state."""
        _write_partial(resume, {"key": key, "epoch": epoch, "model": model.state_dict(), "stages": json.dumps(stages),
                                "stage_heads": [h or {} for h in stage_heads], **running})

    for index, spec in enumerate(_stage_specs(kind, data)):
        if index < len(stages):
            continue  # finished before the interruption; its weights are in the model
        torch.manual_seed(config.seed + len(stages))
        params, read, heads = _stage_setup(model, spec, data, config)
        depth = max(spec["blocks"]) + 1
        optimiser = torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay,
                                      betas=config.betas)
        first, streak, spent, emas = 1, 0, 0.0, {}
        if state is not None and state["epoch"] > 0:
            optimiser.load_state_dict(state["optimiser"])
            if heads is not None:
                heads.load_state_dict(state["heads"])
            emas = {p: e for p, e in zip(params, state["emas"])}
            first, streak, spent = state["epoch"] + 1, int(state["streak"]), float(state["seconds"])
            torch.set_rng_state(state["rng"])
        state = None

        def evaluate(idx):
            with torch.no_grad():
                logits = read(model.residual(tokens[idx], depth))
                loss = sum(stage_loss(config.loss, lg, targets[t][idx])
                           for lg, (_, t) in zip(logits, spec["outputs"]))
                correct = torch.ones(len(idx), dtype=torch.bool)
                for lg, (_, t) in zip(logits, spec["outputs"]):
                    correct &= lg.argmax(-1) == targets[t][idx]
            return float(loss), float(correct.float().mean())

        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=config.max_epochs, desc=f"Model {kind} {spec['name']}", leave=True)
        start, epoch = time.perf_counter() - spent, first - 1
        if bar is not None:
            bar.update(epoch)
        model.train()
        for epoch in range(first, config.max_epochs + 1):
            perm = train[torch.randperm(len(train))]  # shuffled; one batch by default (paper App. B)
            for batch in perm.split(config.batch_size or len(perm)):
                logits = read(model.residual(tokens[batch], depth))
                loss = sum(stage_loss(config.loss, lg, targets[t][batch])
                           for lg, (_, t) in zip(logits, spec["outputs"]))
                optimiser.zero_grad(set_to_none=True)
                loss.backward()
                if config.grokfast_alpha is not None:
                    grokfast_filter(params, emas, config.grokfast_alpha, config.grokfast_lamb)
                optimiser.step()
            val_loss, val_acc = evaluate(val)
            streak = streak + 1 if val_acc == 1.0 else 0
            if bar is not None:
                bar.update(1)
                if epoch % 10 == 0:
                    bar.set_postfix(loss=f"{float(loss.detach()):.3g}", val_acc=f"{val_acc:.4f}")
            if streak >= config.patience:
                break
            if on_epoch is not None and on_epoch(epoch, float(loss.detach()), val_acc):
                break
            if resume is not None and epoch % save_every == 0 and epoch < config.max_epochs:
                save_state(epoch, streak=streak, seconds=time.perf_counter() - start, optimiser=optimiser.state_dict(),
                           heads={} if heads is None else heads.state_dict(), emas=[emas.get(p) for p in params],
                           rng=torch.get_rng_state())
        if bar is not None:
            bar.close()
        seconds = time.perf_counter() - start
        train_loss, train_acc = evaluate(train)
        val_loss, val_acc = evaluate(val)
        stages.append({"stage": spec["name"], "epochs": epoch, "seconds": round(seconds, 2),
                       "train_accuracy": train_acc, "val_accuracy": val_acc,
                       "train_loss": train_loss, "val_loss": val_loss,
                       "reached_100": streak >= config.patience})
        stage_heads.append(None if heads is None else {k: v.detach().clone() for k, v in heads.state_dict().items()})
        if resume is not None:  # a finished stage: a resumed run starts at the next one
            save_state(0)
    for p in model.parameters():
        p.requires_grad_(False)
    model.eval()
    if resume is not None:
        Path(resume).unlink(missing_ok=True)
    return TrainResult(model, kind, stages, heads=stage_heads)


def grokfast_filter(params, emas: dict, alpha: float, lamb: float) -> None:
    """Grokfast-EMA (Lee et al. 2024) on the gradients of ``params``, in place: each gradient g
    becomes ``g + lamb * EMA_alpha(g)``; ``emas`` (parameter -> running average) persists
    between steps."""
    for p in params:
        if p.grad is None:
            continue
        ema = emas.get(p)
        if ema is None:
            ema = emas[p] = p.grad.detach().clone()
        else:
            ema.mul_(alpha).add_(p.grad.detach(), alpha=1 - alpha)
        p.grad.add_(ema, alpha=lamb)


def _write_partial(path: str | Path, state: dict) -> None:
    import torch

    from ..._io import atomic_path

    with atomic_path(Path(path), suffix=".pt") as tmp:
        torch.save(state, tmp)


def _read_partial(path: str | Path | None, key: str) -> dict | None:
    """The state a killed training left in ``path``, if it was written for these settings."""
    if path is None or not Path(path).exists():
        return None
    import torch

    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # a damaged file: train from the start (it is overwritten)
        warnings.warn(f"ignoring the unreadable training state {path} ({error}); training from the start")
        return None
    return state if isinstance(state, dict) and state.get("key") == key else None
