"""The transformers ``Trainer`` side of :class:`~subnetscope.analysis.dynamics.LayerDynamics`.

Imports transformers, so it is imported only by :meth:`LayerDynamics.trainer_callback`.
"""

from __future__ import annotations

from typing import Any

from transformers import TrainerCallback

__all__ = ["LayerDynamicsCallback"]


class LayerDynamicsCallback(TrainerCallback):
    """Records the layer matrix at step 0, every ``dynamics.every`` optimiser steps and at the
    end of training, with the latest logged numbers (loss, learning rate, eval metrics) as metrics.

    >>> # trainer = Trainer(model, args, ..., callbacks=[dynamics.trainer_callback()])
    """

    def __init__(self, dynamics: Any):
        self.dynamics = dynamics
        self.logs: dict[str, float] = {}

    def _record(self, model: Any, step: int) -> None:
        if model is None:
            raise ValueError("the Trainer passed no `model` to the callback; LayerDynamics needs it to capture")
        if self.dynamics.history and self.dynamics.history[-1].step >= step:
            return  # this step is already recorded (the last step is also the end of training)
        self.dynamics.record(model, step, **self.logs)

    def on_log(self, args, state, control, logs=None, **kwargs):
        numbers = {k: float(v) for k, v in (logs or {}).items()
                   if isinstance(v, (int, float)) and not isinstance(v, bool)}
        self.logs.update(numbers)

    def on_evaluate(self, args, state, control, metrics=None, **kwargs):
        self.on_log(args, state, control, logs=metrics)

    def on_train_begin(self, args, state, control, model=None, **kwargs):
        self._record(model, state.global_step)

    def on_step_end(self, args, state, control, model=None, **kwargs):
        if state.global_step % self.dynamics.every == 0:
            self._record(model, state.global_step)

    def on_train_end(self, args, state, control, model=None, **kwargs):
        self._record(model, state.global_step)
