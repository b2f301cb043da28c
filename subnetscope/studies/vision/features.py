"""ResNet9 layer outputs on many inputs, with bounded memory.

A forward pass that hooks every layer holds all 27 outputs of a batch at once, and keeping them
for n = 1000 inputs would take about 11 GB (float32; module 4's Conv2d/BatchNorm/ReLU alone are
256×32×32 = 262k features, 1 GB each). Instead :func:`stream_layers` runs the network *layer by
layer over all inputs* (each sub-module applied to all n inputs in batches, by the library's
:func:`subnetscope.capture.stream_layers`) and yields each layer's output as soon as it exists;
only the residual input and the current layer are alive.

:func:`sample_space` then replaces a wide layer ``X`` (n × d, d > n) by ``X V`` (n × n), its
coordinates in its own row space (``X = U S Vᵀ``, so ``X V = U S``). This is an isometry of
the samples: every inter-sample distance, the Gram matrix, linear CKA, RSA/RSM, MSID, SVCCA and
GW are exactly unchanged (they are invariant to rotations of a layer's space). It is computed
from the Gram matrix, accumulated over feature chunks in float64, so memory stays at
n × n plus one chunk. Measures that are *not* rotation invariant must not be given these
coordinates; the study gives them the spatial mean of each channel instead (:func:`channel_means`).
"""

from __future__ import annotations

from typing import Iterator

import numpy as np

__all__ = ["RESNET9_LAYERS", "stream_layers", "sample_space", "channel_means", "gram_matrix"]

_KINDS = (("conv", "Conv2d"), ("bn", "BatchNorm"), ("relu", "ReLU"))


def _layer_names() -> tuple[str, ...]:
    names = []
    for k in range(8):
        names += [f"{k}.{label}" for _, label in _KINDS]
        if k == 4:
            names.append("4.MaxPool")
        if k == 7:
            names.append("7.AdaptivePool")
    return tuple(names + ["8.Linear"])


RESNET9_LAYERS: tuple[str, ...] = _layer_names()
"""Table 3's 27 layer names in network order (the names the ``resnet9`` capture preset uses)."""


def stream_layers(model, images, *, batch_size: int = 100) -> Iterator[tuple[str, "torch.Tensor"]]:
    """Yield ``(name, output)`` for each of ResNet9's 27 layers, in network order.

    The library's :func:`subnetscope.capture.stream_layers` with the ``"resnet9"`` preset does
    the work (each module on all inputs before the next module); this checks the study's inputs.

    Parameters
    ----------
    model : subnetscope.models.ResNet9
        Run in eval mode (BatchNorm uses its running statistics); its mode is restored after.
    images : array or tensor of shape (n, C, 32, 32)
    batch_size : int
        Inputs per forward call of one sub-module.

    Yields
    ------
    name : str
        Table 3's name, e.g. ``"2.ReLU"`` (the output of module 2's ReLU, before the residual sum).
    output : torch.Tensor of shape (n, ...)
        float32 on the CPU. Drop it before asking for the next layer to keep memory bounded.
    """
    import torch

    from ...capture import stream_layers as stream_each_layer

    if not hasattr(model, "_modules") or not all(str(k) in model._modules for k in range(9)):
        raise TypeError(f"`model` must be a subnetscope ResNet9 (sub-modules '0'..'8'), got {type(model).__name__}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"`batch_size` must be a positive integer, got {batch_size!r}")
    x = torch.as_tensor(np.asarray(images, dtype=np.float32) if not torch.is_tensor(images) else images).float()
    if x.ndim != 4:
        raise ValueError(f"`images` must have shape (n, channels, height, width), got {tuple(x.shape)}")
    yield from stream_each_layer(model, x, "resnet9", batch_size=int(batch_size))


def gram_matrix(X, *, chunk_features: int = 16384) -> np.ndarray:
    """``X Xᵀ`` in float64 for X of shape (n, ...), accumulated over feature chunks.

    Memory: the n × n result plus one float64 chunk of n × ``chunk_features``.
    """
    X = np.asarray(X).reshape(len(X), -1)
    n, d = X.shape
    G = np.zeros((n, n))
    for start in range(0, d, chunk_features):
        block = np.asarray(X[:, start:start + chunk_features], dtype=np.float64)
        G += block @ block.T
    return G


def sample_space(X, *, chunk_features: int = 16384) -> np.ndarray:
    r"""An isometric copy of the samples of ``X`` with at most n coordinates.

    Parameters
    ----------
    X : array or tensor of shape (n, ...)
        One layer's outputs; axes after the first are flattened to d features.

    Returns
    -------
    Z : array of shape (n, min(n, d)), float64
        ``X`` itself (flattened) when d ≤ n; otherwise ``U S`` from ``X = U S Vᵀ``, i.e.
        ``X V``: :math:`Z Z^\top = X X^\top`, so all distances and inner products between
        samples are those of ``X``.
    """
    if hasattr(X, "detach"):
        X = X.detach().cpu().numpy()
    X = np.asarray(X).reshape(len(X), -1)
    n, d = X.shape
    if not np.isfinite(X).all():
        raise ValueError("`X` contains NaN or Inf; the layer's outputs are not finite")
    if d <= n:
        return X.astype(np.float64)
    G = gram_matrix(X, chunk_features=chunk_features)
    eigenvalues, U = np.linalg.eigh(G)
    order = np.argsort(eigenvalues)[::-1]
    return U[:, order] * np.sqrt(np.clip(eigenvalues[order], 0.0, None))


def channel_means(X) -> np.ndarray:
    """Spatial mean of every channel: (n, C, H, W) → (n, C); (n, d) is returned as is (float64)."""
    if hasattr(X, "detach"):
        X = X.detach().cpu().numpy()
    X = np.asarray(X)
    return (X.mean(axis=(2, 3)) if X.ndim == 4 else X.reshape(len(X), -1)).astype(np.float64)
