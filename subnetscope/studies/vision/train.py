"""Brief CPU training of ResNet9: AdamW (or SGD with Nesterov momentum) and a one-cycle schedule."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from ..._validation import check_choice

__all__ = ["TrainResult", "train_resnet9", "accuracy"]


@dataclass
class TrainResult:
    """What training did.

    Attributes
    ----------
    seconds : float
        Wall-clock training time.
    test_accuracy : float
        Fraction of test images classified correctly after training.
    history : list of dict
        Per epoch: ``epoch``, ``loss`` (mean training loss), ``test_accuracy``.
    """

    seconds: float
    test_accuracy: float
    history: list[dict] = field(default_factory=list)


def accuracy(model, images: np.ndarray, labels: np.ndarray, *, batch_size: int = 200) -> float:
    """Fraction of ``images`` (n, C, H, W) that ``model`` (in eval mode) labels correctly."""
    import torch

    was_training = model.training
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(images), batch_size):
            logits = model(torch.as_tensor(images[i:i + batch_size]))
            correct += int((logits.argmax(1).numpy() == labels[i:i + batch_size]).sum())
    model.train(was_training)
    return correct / max(1, len(images))


def train_resnet9(model, x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, y_test: np.ndarray, *,
                  epochs: int = 2, batch_size: int = 32, optimizer: Literal["adam", "sgd"] = "adam",
                  max_lr: float | None = None, weight_decay: float = 5e-4, seed: int = 0, augment: bool = True,
                  progress: bool = False) -> TrainResult:
    """Train ``model`` in place with cross-entropy and a one-cycle learning-rate schedule.

    Parameters
    ----------
    x_train, x_test : arrays of shape (N, 3, 32, 32), float32
    y_train, y_test : arrays of shape (N,), int class indices
    epochs : int
        Passes over the training set.
    optimizer : {"adam", "sgd"}
        Adam (decoupled weight decay, AdamW) or SGD with Nesterov momentum 0.9.
    max_lr : float, optional
        Peak learning rate (default 2e-3 for Adam, 0.05 for SGD).
    augment : bool
        Random shifts of up to 2 pixels (reflect-padded); no flips, which would change digits.
    """
    import torch

    for name, value in (("epochs", epochs), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"`{name}` must be a positive integer, got {value!r}")
    if len(x_train) != len(y_train):
        raise ValueError(f"`x_train` has {len(x_train)} images but `y_train` has {len(y_train)} labels")
    generator = torch.Generator().manual_seed(seed)
    x = torch.as_tensor(x_train, dtype=torch.float32)
    y = torch.as_tensor(y_train, dtype=torch.long)
    steps = int(np.ceil(len(x) / batch_size))
    check_choice(optimizer, "optimizer", ("adam", "sgd"))
    if max_lr is None:
        max_lr = 2e-3 if optimizer == "adam" else 0.05
    if optimizer == "adam":
        opt = torch.optim.AdamW(model.parameters(), lr=max_lr, weight_decay=weight_decay)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=max_lr, momentum=0.9, nesterov=True, weight_decay=weight_decay)
    schedule = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=max_lr, total_steps=epochs * steps)
    history = []
    t0 = time.perf_counter()
    for epoch in range(1, epochs + 1):
        model.train()
        order = torch.randperm(len(x), generator=generator)
        losses = []
        for step in range(steps):
            idx = order[step * batch_size:(step + 1) * batch_size]
            xb = _shift(x[idx], generator) if augment else x[idx]
            loss = torch.nn.functional.cross_entropy(model(xb), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            schedule.step()
            losses.append(float(loss.detach()))
        history.append({"epoch": epoch, "loss": float(np.mean(losses)),
                        "test_accuracy": accuracy(model, x_test, y_test)})
        if progress:
            print(f"  epoch {epoch}/{epochs}: loss {history[-1]['loss']:.3f}, "
                  f"test accuracy {history[-1]['test_accuracy']:.4f} ({time.perf_counter() - t0:.0f} s)", flush=True)
    model.eval()
    return TrainResult(time.perf_counter() - t0, history[-1]["test_accuracy"], history)


def _shift(xb, generator, pad: int = 2):
    import torch

    padded = torch.nn.functional.pad(xb, (pad, pad, pad, pad), mode="reflect")
    dx, dy = (int(v) for v in torch.randint(0, 2 * pad + 1, (2,), generator=generator))
    return padded[:, :, dy:dy + xb.shape[2], dx:dx + xb.shape[3]]
