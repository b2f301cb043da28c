"""Reference models the studies train: the paper's ReLU transformer and ResNet9.

Imported lazily by ``subnetscope`` (they need torch).
"""

from .resnet9 import ResNet9
from .transformer import HookPoint, ModularTransformer

__all__ = ["HookPoint", "ModularTransformer", "ResNet9"]
