"""ResNet9 exactly as the paper's Table 3.

Modules ``0``–``7`` are each Conv2d → BatchNorm2d → ReLU (``4`` adds MaxPool2d(2), ``7`` an
adaptive average pool to 1×1); ``8`` is Linear(128, 10). Modules 2–3 and 5–6 are residual
branches: ``x1 + m3(m2(x1))`` and ``x4 + m6(m5(x4))``. Sub-module names are ``conv``, ``bn``,
``relu`` and ``pool``, which the ``resnet9`` capture preset maps to Table 3's names
(``2.ReLU``, ``4.MaxPool``, ``8.Linear`` ...).
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

__all__ = ["ResNet9"]


def _conv_block(c_in: int, c_out: int, kernel: int, pool: nn.Module | None = None) -> nn.Sequential:
    layers = OrderedDict(
        conv=nn.Conv2d(c_in, c_out, kernel_size=kernel, padding=kernel // 2, bias=False),
        bn=nn.BatchNorm2d(c_out),
        relu=nn.ReLU(inplace=False),
    )
    if pool is not None:
        layers["pool"] = pool
    return nn.Sequential(layers)


class ResNet9(nn.Module):
    """The paper's ResNet9 for 3×32×32 images.

    Examples
    --------
    >>> ResNet9()(torch.zeros(2, 3, 32, 32)).shape
    torch.Size([2, 10])
    """

    def __init__(self, n_classes: int = 10, in_channels: int = 3):
        super().__init__()
        specs = [
            (in_channels, 64, 3, None),
            (64, 128, 5, None),
            (128, 128, 3, None),
            (128, 128, 3, None),
            (128, 256, 3, nn.MaxPool2d(2)),
            (256, 256, 3, None),
            (256, 256, 3, None),
            (256, 128, 3, nn.AdaptiveAvgPool2d(1)),
        ]
        for index, (c_in, c_out, kernel, pool) in enumerate(specs):
            self.add_module(str(index), _conv_block(c_in, c_out, kernel, pool))
        self.add_module("8", nn.Linear(128, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        m = self._modules
        x1 = m["1"](m["0"](x))
        x3 = x1 + m["3"](m["2"](x1))
        x4 = m["4"](x3)
        x6 = x4 + m["6"](m["5"](x4))
        return m["8"](torch.flatten(m["7"](x6), 1))
