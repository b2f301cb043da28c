"""Image data for the vision study: CIFAR-10 from the user's files, or an offline stand-in.

CIFAR-10 comes as the standard "python version" archive (``cifar-10-python.tar.gz``) or its
extracted folder ``cifar-10-batches-py/`` with ``data_batch_1`` … ``data_batch_5`` and
``test_batch``: pickled dicts whose ``b"data"`` is uint8 of shape (N, 3072) (1024 red, then
1024 green, then 1024 blue values, each a row-major 32×32 plane) and ``b"labels"`` a list of N
ints. The batches are read with a restricted unpickler that admits only what this format
holds (dicts, lists, bytes, strings, numbers and NumPy arrays) and refuses any other class by
name, so a crafted archive cannot run code. Nothing is ever downloaded. Without CIFAR-10 the
study uses scikit-learn's bundled digits (8×8 grey, 1797 images) upscaled to 3×32×32, and says
so in every output.
"""

from __future__ import annotations

import pickle
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

__all__ = ["ImageData", "load_cifar10", "load_digits_upscaled", "load_images", "DIGITS_LABEL", "CIFAR_LABEL"]

DIGITS_LABEL = "digits (upscaled), not CIFAR-10"
CIFAR_LABEL = "CIFAR-10"
CIFAR_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
_TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
_TEST_BATCH = "test_batch"


@dataclass(frozen=True)
class ImageData:
    """Images split into train and test.

    Attributes
    ----------
    x_train, x_test : arrays of shape (N, 3, 32, 32), float32 in [0, 1]
    y_train, y_test : arrays of shape (N,), int64 class indices
    label : str
        What the data is, as written into every output (e.g. ``"digits (upscaled), not CIFAR-10"``).
    classes : tuple of str
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    label: str
    classes: tuple[str, ...]


#: The only globals a CIFAR-10 batch may name: how NumPy pickles an array (every NumPy layout),
#: and how pickle protocol 2 writes bytes from Python 3 (_codecs.encode: text to bytes, nothing else).
_ALLOWED_GLOBALS = frozenset({
    ("_codecs", "encode"),
    ("numpy", "ndarray"), ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"),
})


class _BatchUnpickler(pickle.Unpickler):
    """Unpickles dicts, lists, bytes, strings, numbers and NumPy arrays only: any other class or
    function a file names (os.system, builtins.eval ...) is refused by name, never imported."""

    def find_class(self, module: str, name: str):
        if (module, name) in _ALLOWED_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f"it names {module}.{name}, which a CIFAR-10 batch never holds (only dicts, lists, bytes, strings, "
            "numbers and NumPy arrays are read); refused without importing it"
        )


def _read_batch(raw: bytes, where: str) -> tuple[np.ndarray, np.ndarray]:
    import io

    try:
        batch = _BatchUnpickler(io.BytesIO(raw), encoding="bytes").load()
    except Exception as exc:  # pickle raises many kinds on corrupt input
        raise ValueError(f"CIFAR-10 batch {where} is not a readable pickle: {exc}") from exc
    if not isinstance(batch, dict) or b"data" not in batch or b"labels" not in batch:
        keys = sorted(batch) if isinstance(batch, dict) else type(batch).__name__
        raise ValueError(f"CIFAR-10 batch {where} must be a dict with b'data' and b'labels', got {keys}")
    data = np.asarray(batch[b"data"])
    labels = np.asarray(batch[b"labels"], dtype=np.int64)
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072:
        raise ValueError(
            f"CIFAR-10 batch {where}: b'data' must be uint8 of shape (N, 3072), got {data.dtype} {data.shape}"
        )
    if labels.shape != (data.shape[0],):
        raise ValueError(f"CIFAR-10 batch {where} has {data.shape[0]} images but {labels.size} labels")
    if labels.size and (labels.min() < 0 or labels.max() > 9):
        raise ValueError(f"CIFAR-10 batch {where}: labels must be in 0..9, got {labels.min()}..{labels.max()}")
    return data, labels


def _batches(path: Path, names: tuple[str, ...]) -> list[tuple[np.ndarray, np.ndarray]]:
    if path.is_dir():
        folder = path / "cifar-10-batches-py" if (path / "cifar-10-batches-py").is_dir() else path
        missing = [n for n in names if not (folder / n).is_file()]
        if missing:
            raise FileNotFoundError(f"CIFAR-10 folder {str(folder)!r} lacks {missing}")
        return [_read_batch((folder / n).read_bytes(), str(folder / n)) for n in names]
    if not path.is_file():
        raise FileNotFoundError(
            f"`path` {str(path)!r} does not exist; give cifar-10-python.tar.gz or its extracted folder"
        )
    try:
        with tarfile.open(path, "r:*") as tar:
            members = {Path(m.name).name: m for m in tar.getmembers() if m.isfile()}
            missing = [n for n in names if n not in members]
            if missing:
                raise FileNotFoundError(f"CIFAR-10 archive {str(path)!r} lacks {missing}")
            return [_read_batch(tar.extractfile(members[n]).read(), f"{path}:{n}") for n in names]
    except tarfile.TarError as exc:
        raise ValueError(f"`path` {str(path)!r} is not a readable tar archive: {exc}") from exc


def _to_images(data: np.ndarray) -> np.ndarray:
    return (data.reshape(-1, 3, 32, 32).astype(np.float32) / 255.0)


def load_cifar10(path: str | Path, *, limit_train: int | None = None, limit_test: int | None = None) -> ImageData:
    """CIFAR-10 from the python-version archive or its extracted folder (never downloads).

    Parameters
    ----------
    path : str or Path
        ``cifar-10-python.tar.gz`` (any tar compression), the folder ``cifar-10-batches-py``,
        or a folder that contains it.
    limit_train, limit_test : int, optional
        Keep only the first so many images of each split.

    Returns
    -------
    ImageData
        ``x_*`` of shape (N, 3, 32, 32) float32 in [0, 1], channels red, green, blue.
    """
    path = Path(path)
    train = _batches(path, _TRAIN_BATCHES)
    (test,) = _batches(path, (_TEST_BATCH,))
    x_train = _to_images(np.concatenate([d for d, _ in train]))
    y_train = np.concatenate([y for _, y in train])
    x_test, y_test = _to_images(test[0]), test[1]
    return ImageData(x_train[:limit_train], y_train[:limit_train], x_test[:limit_test], y_test[:limit_test],
                     CIFAR_LABEL, CIFAR_CLASSES)


def load_digits_upscaled(*, test_size: float = 0.2, seed: int = 0) -> ImageData:
    """scikit-learn's bundled digits as 3×32×32 images: the offline stand-in for CIFAR-10.

    Each 8×8 grey image (values 0–16) is scaled to [0, 1], enlarged 4× by pixel repetition and
    copied into three channels. The split is stratified by class.
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    if not 0.0 < test_size < 1.0:
        raise ValueError(f"`test_size` must be in (0, 1), got {test_size!r}")
    digits = load_digits()
    grey = digits.images.astype(np.float32) / 16.0
    big = np.kron(grey, np.ones((1, 4, 4), dtype=np.float32))
    images = np.repeat(big[:, None], 3, axis=1)
    x_train, x_test, y_train, y_test = train_test_split(
        images, digits.target.astype(np.int64), test_size=test_size, random_state=seed, stratify=digits.target
    )
    return ImageData(x_train, y_train, x_test, y_test, DIGITS_LABEL, tuple(str(d) for d in range(10)))


def load_images(data: Literal["digits"] | str | Path = "digits", *, seed: int = 0) -> ImageData:
    """``"digits"`` (offline default) or a path to CIFAR-10 (archive or folder)."""
    if isinstance(data, str) and data == "digits":
        return load_digits_upscaled(seed=seed)
    return load_cifar10(data)
