"""The vision study (paper §5.4, App. N): ResNet9 random vs trained on CIFAR-10 or offline digits.

Public entry point: :func:`run_vision_study` (CLI: ``subnetscope study vision``). Pieces:
:mod:`.data` (CIFAR-10 loader, upscaled digits), :mod:`.train`, :mod:`.features` (layer-by-layer
streaming and exact sample-space reduction), :mod:`.analyses`, :mod:`.figures`. The run folder,
the trained checkpoint (keyed by a hash of everything that shapes it) and the cached pairs go
through the studies' shared skeleton, :mod:`subnetscope.studies._run`.
"""

from .data import ImageData, load_cifar10, load_digits_upscaled, load_images
from .features import RESNET9_LAYERS, channel_means, sample_space, stream_layers
from .study import run_vision_study

__all__ = ["ImageData", "load_cifar10", "load_digits_upscaled", "load_images", "RESNET9_LAYERS",
           "channel_means", "sample_space", "stream_layers", "run_vision_study"]
