"""Capture every layer's representation of a PyTorch model on the same inputs.

Data flows ``model → capture → Representations → pairwise``:

>>> from subnetscope.capture import capture
>>> # reps = capture(model, tokens, "transformer")   # 31 representations per 4-head block
>>> # reps["block1.head2.attn"].shape                 # (n_samples, n_features)

``core`` holds ``capture``; ``forward`` the hooks and batching; ``pooling`` the token pooling;
``presets`` the paper's search spaces (``"transformer"``, ``"hf-blocks"``, ``"hf-all"``,
``"resnet9"``); ``store`` the streaming on-disk store; ``representations`` the read-only result
mapping; ``streaming`` holds ``stream_layers`` (each layer on all inputs, one layer at a time,
for layers too wide to keep together).
"""

from __future__ import annotations

from .core import Pooling, capture, hooks, unwrap_output
from .presets import PRESETS, resolve_layers
from .representations import Representations
from .streaming import stream_layers

__all__ = ["PRESETS", "Pooling", "Representations", "capture", "hooks", "resolve_layers", "stream_layers",
           "unwrap_output"]


def _make_callable() -> None:
    """Let ``subnetscope.capture(...)`` work even after ``import subnetscope.capture``.

    Importing the sub-package binds the *module* to ``subnetscope.capture``, shadowing the
    function of the same name; a callable module keeps both spellings working.
    """
    import sys
    import types

    class _CallableModule(types.ModuleType):
        def __call__(self, *args, **kwargs):
            return capture(*args, **kwargs)

    sys.modules[__name__].__class__ = _CallableModule


_make_callable()
