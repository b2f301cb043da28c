"""The vision study (paper §5.4, App. N): ResNet9 random vs trained on CIFAR-10 or offline digits.

Public entry point: ``run(out, VisionConfig(...))`` (CLI: ``subnetscope study vision``), every
option a field of the frozen :class:`VisionConfig` (``VisionConfig.paper()``: CIFAR-10, 300
epochs); :func:`run_vision_study` takes the same options as keywords. Pieces:
:mod:`.data` (CIFAR-10 loader, upscaled digits), :mod:`.train`, :mod:`.features` (layer-by-layer
streaming and exact sample-space reduction), :mod:`.analyses`, :mod:`.figures`. The run folder,
the trained checkpoint (keyed by a hash of everything that shapes it) and the cached pairs go
through the studies' shared skeleton, :mod:`subnetscope.studies._run`.
"""

from .config import VisionConfig
from .data import ImageData, load_cifar10, load_digits_upscaled, load_images
from .features import RESNET9_LAYERS, channel_means, sample_space, stream_layers
from .study import run, run_vision_study

__all__ = ["ImageData", "load_cifar10", "load_digits_upscaled", "load_images", "RESNET9_LAYERS",
           "channel_means", "sample_space", "stream_layers", "VisionConfig", "run", "run_vision_study"]
