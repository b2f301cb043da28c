"""Vision study: CIFAR-10 loader, digits stand-in, layer streaming, exact reduction, analyses."""

from __future__ import annotations

import io
import pickle
import tarfile

import numpy as np
import pytest

from subnetscope.studies.vision.data import DIGITS_LABEL, load_cifar10, load_digits_upscaled
from subnetscope.studies.vision.features import (
    RESNET9_LAYERS, channel_means, gram_matrix, sample_space, stream_layers,
)

BATCHES = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]


def _fake_batches(rng, per_batch=3):
    return {name: {b"data": rng.integers(0, 256, size=(per_batch, 3072), dtype=np.uint8),
                   b"labels": rng.integers(0, 10, size=per_batch).tolist(), b"batch_label": name.encode()}
            for name in BATCHES}


def _write_archive(path, batches, skip=()):
    with tarfile.open(path, "w:gz") as tar:
        for name, batch in batches.items():
            if name in skip:
                continue
            raw = pickle.dumps(batch)
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))
    return path


def _pixel(data_row, channel, row, col):
    # CIFAR-10's documented layout: 1024 red, 1024 green, 1024 blue values, each row-major 32×32.
    return data_row[channel * 1024 + row * 32 + col] / 255.0


def test_cifar10_archive_and_folder(tmp_path, rng):
    batches = _fake_batches(rng)
    archive = _write_archive(tmp_path / "cifar-10-python.tar.gz", batches)
    data = load_cifar10(archive)
    assert data.x_train.shape == (15, 3, 32, 32) and data.x_test.shape == (3, 3, 32, 32)
    assert data.x_train.dtype == np.float32 and data.label == "CIFAR-10"
    expected_labels = sum((batches[f"data_batch_{i}"][b"labels"] for i in range(1, 6)), [])
    np.testing.assert_array_equal(data.y_train, expected_labels)
    np.testing.assert_array_equal(data.y_test, batches["test_batch"][b"labels"])
    second_batch_first_image = batches["data_batch_2"][b"data"][0]
    for channel, row, col in [(0, 0, 0), (1, 5, 31), (2, 31, 7), (2, 17, 3)]:
        assert data.x_train[3, channel, row, col] == pytest.approx(_pixel(second_batch_first_image, channel, row, col))
    # the extracted folder, and a folder that contains it, give the same arrays
    with tarfile.open(archive) as tar:
        tar.extractall(tmp_path / "extracted", filter="data")
    for folder in (tmp_path / "extracted", tmp_path / "extracted" / "cifar-10-batches-py"):
        again = load_cifar10(folder)
        np.testing.assert_array_equal(again.x_train, data.x_train)
        np.testing.assert_array_equal(again.y_test, data.y_test)
    limited = load_cifar10(archive, limit_train=4, limit_test=2)
    assert len(limited.x_train) == 4 and len(limited.y_test) == 2


def test_cifar10_bad_inputs(tmp_path, rng):
    batches = _fake_batches(rng)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_cifar10(tmp_path / "nowhere.tar.gz")
    with pytest.raises(FileNotFoundError, match=r"lacks \['test_batch'\]"):
        load_cifar10(_write_archive(tmp_path / "partial.tar.gz", batches, skip=("test_batch",)))
    batches["data_batch_3"][b"data"] = np.zeros((3, 100), dtype=np.uint8)
    with pytest.raises(ValueError, match=r"data_batch_3: b'data' must be uint8 of shape \(N, 3072\)"):
        load_cifar10(_write_archive(tmp_path / "bad.tar.gz", batches))
    batches = _fake_batches(rng)
    batches["test_batch"][b"labels"] = [1, 2]
    with pytest.raises(ValueError, match="test_batch has 3 images but 2 labels"):
        load_cifar10(_write_archive(tmp_path / "labels.tar.gz", batches))
    (tmp_path / "junk.tar.gz").write_bytes(b"not a tar file at all")
    with pytest.raises(ValueError, match="not a readable tar archive"):
        load_cifar10(tmp_path / "junk.tar.gz")


def test_digits_upscaled():
    from sklearn.datasets import load_digits

    data = load_digits_upscaled(seed=0)
    assert data.label == DIGITS_LABEL == "digits (upscaled), not CIFAR-10"
    assert data.x_train.shape[1:] == (3, 32, 32) and len(data.x_train) + len(data.x_test) == 1797
    assert data.x_train.min() >= 0 and data.x_train.max() <= 1
    np.testing.assert_array_equal(data.x_train[:, 0], data.x_train[:, 2])
    # every 4×4 block is one original pixel: downsampling recovers an original digit exactly
    small = data.x_test[0, 0, ::4, ::4] * 16
    originals = load_digits().images
    assert np.any(np.all(np.isclose(originals, small), axis=(1, 2)))
    with pytest.raises(ValueError, match=r"`test_size` must be in \(0, 1\)"):
        load_digits_upscaled(test_size=1.5)


@pytest.fixture(scope="module")
def small_resnet():
    import torch

    from subnetscope.models.resnet9 import ResNet9

    torch.manual_seed(0)
    model = ResNet9().eval()
    # non-trivial BatchNorm statistics, so eval mode matters
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
    images = torch.rand(5, 3, 32, 32)
    return model, images


def test_stream_layers_matches_hooks(small_resnet):
    import torch

    model, images = small_resnet
    modules = {}
    for k in range(8):
        block = model._modules[str(k)]
        modules.update({f"{k}.Conv2d": block.conv, f"{k}.BatchNorm": block.bn, f"{k}.ReLU": block.relu})
    modules["4.MaxPool"] = model._modules["4"].pool
    modules["7.AdaptivePool"] = model._modules["7"].pool
    modules["8.Linear"] = model._modules["8"]
    hooked = {}
    handles = [m.register_forward_hook(lambda mod, inp, out, name=name: hooked.__setitem__(name, out.detach()))
               for name, m in modules.items()]
    try:
        with torch.no_grad():
            logits = model(images)
    finally:
        for h in handles:
            h.remove()
    model.train()
    streamed = list(stream_layers(model, images, batch_size=2))
    assert model.training, "stream_layers must restore the model's mode"
    model.eval()
    assert [name for name, _ in streamed] == list(RESNET9_LAYERS) and len(RESNET9_LAYERS) == 27
    for name, out in streamed:
        torch.testing.assert_close(out, hooked[name], rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(streamed[-1][1], logits, rtol=1e-5, atol=1e-5)
    assert dict(streamed)["4.Conv2d"].shape == (5, 256, 32, 32)


def test_stream_layers_bad_inputs(small_resnet):
    model, images = small_resnet
    with pytest.raises(ValueError, match="`batch_size` must be a positive integer, got 0"):
        next(stream_layers(model, images, batch_size=0))
    with pytest.raises(ValueError, match=r"`images` must have shape \(n, channels, height, width\)"):
        next(stream_layers(model, np.zeros((5, 3072))))
    with pytest.raises(TypeError, match="must be a subnetscope ResNet9"):
        next(stream_layers(object(), images))


def _linear_cka(X, Y):
    # Kornblith et al. (2019), feature-space form: ||Yᶜᵀ Xᶜ||_F² / (||Xᶜᵀ Xᶜ||_F ||Yᶜᵀ Yᶜ||_F)
    X = X - X.mean(0)
    Y = Y - Y.mean(0)
    return np.linalg.norm(Y.T @ X) ** 2 / (np.linalg.norm(X.T @ X) * np.linalg.norm(Y.T @ Y))


def test_sample_space_is_an_isometry(rng):
    from scipy.spatial.distance import pdist

    from subnetscope.engine.pairwise import distance

    n = 12
    X = rng.normal(size=(n, 2, 5, 7)).astype(np.float32)  # d = 70 > n
    Y = np.tanh(rng.normal(size=(n, 40)) + X.reshape(n, -1)[:, :40])
    ZX, ZY = sample_space(X, chunk_features=16), sample_space(Y)
    assert ZX.shape == (n, n) and ZX.dtype == np.float64
    flat = X.reshape(n, -1).astype(np.float64)
    np.testing.assert_allclose(ZX @ ZX.T, flat @ flat.T, atol=1e-9)
    np.testing.assert_allclose(pdist(ZX), pdist(flat), atol=1e-9)
    assert _linear_cka(ZX, ZY) == pytest.approx(_linear_cka(flat, Y), abs=1e-9)
    assert distance(ZX, ZY) == pytest.approx(distance(flat, Y), abs=1e-9)
    # narrow layers are returned unchanged
    narrow = rng.normal(size=(n, 4))
    np.testing.assert_array_equal(sample_space(narrow), narrow)
    bad = flat.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="contains NaN or Inf"):
        sample_space(bad)


def test_gram_and_channel_means(rng):
    X = rng.normal(size=(6, 3, 4, 4)).astype(np.float32)
    flat = X.reshape(6, -1).astype(np.float64)
    np.testing.assert_allclose(gram_matrix(X, chunk_features=5), flat @ flat.T, atol=1e-10)
    expected = np.array([[X[i, c].sum() / 16 for c in range(3)] for i in range(6)])
    np.testing.assert_allclose(channel_means(X), expected, atol=1e-6)
    np.testing.assert_array_equal(channel_means(flat[:, :5]), flat[:, :5])
