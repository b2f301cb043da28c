"""stream_layers(): each layer on all inputs, one layer at a time — the values of capture(), in
bounded memory."""

from __future__ import annotations

import weakref

import numpy as np
import pytest
import torch
from torch import nn

from subnetscope.capture import capture, stream_layers
from subnetscope.models import ModularTransformer
from subnetscope.models.resnet9 import ResNet9

from .test_core import Reused  # calls one Linear twice per forward


class Residual(nn.Module):
    """c(h + b(h)) with h = a(x): ``a``'s output is read again after ``b``."""

    def __init__(self):
        super().__init__()
        self.a, self.b, self.c = nn.Linear(4, 4), nn.Linear(4, 4), nn.Linear(4, 2)

    def forward(self, x):
        h = self.a(x)
        return self.c(h + self.b(h))


class Branching(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(3, 3)

    def forward(self, x):
        return self.lin(x) if x.sum() > 0 else -self.lin(x)


@pytest.fixture(scope="module")
def resnet():
    torch.manual_seed(0)
    model = ResNet9().eval()
    for module in model.modules():  # non-trivial statistics, so that eval mode matters
        if isinstance(module, nn.BatchNorm2d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
    return model, torch.rand(7, 3, 32, 32)


@pytest.mark.parametrize("batch_size", [3, 7])
def test_resnet9_layers_are_capture_s_bit_for_bit_in_their_own_shape(resnet, batch_size):
    model, images = resnet
    reps = capture(model, images, "resnet9", batch_size=batch_size, progress=False)
    streamed = [(name, output.clone()) for name, output in stream_layers(model, images, "resnet9",
                                                                         batch_size=batch_size)]
    assert [name for name, _ in streamed] == list(reps)
    for name, output in streamed:
        np.testing.assert_array_equal(output.reshape(len(images), -1).numpy(), reps[name])
    shapes = {name: tuple(output.shape) for name, output in streamed}
    assert shapes["4.Conv2d"] == (7, 256, 32, 32) and shapes["4.MaxPool"] == (7, 256, 16, 16)
    with torch.no_grad():  # the logits of model(batch), batch after batch
        logits = torch.cat([model(images[i:i + batch_size]) for i in range(0, len(images), batch_size)])
    np.testing.assert_array_equal(streamed[-1][1].numpy(), logits.numpy())


def test_a_layer_is_released_once_no_later_layer_reads_it():
    torch.manual_seed(0)
    layers = stream_layers(Residual(), torch.randn(10, 4), ["a", "b", "c"], batch_size=3)
    name, output = next(layers)
    a = weakref.ref(output)
    del output
    name, output = next(layers)
    assert name == "b" and a() is not None, "h = a(x) is read again by h + b(h)"
    b = weakref.ref(output)
    del output
    name, output = next(layers)
    assert name == "c" and a() is None and b() is None, "after h + b(h), neither a nor b is needed"


def test_chain_holds_one_layer_and_keeps_the_values_of_an_in_place_relu_s_input():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 6), nn.ReLU(inplace=True), nn.Linear(6, 2))
    x = torch.randn(40, 5)
    expected = capture(model, x, ["0", "1", "2"], batch_size=16, progress=False)
    assert (expected["0.Linear"] < 0).any()  # the in-place ReLU will overwrite these
    refs = []
    for name, output in stream_layers(model, x, ["0", "1", "2"], batch_size=16):
        assert all(ref() is None for ref in refs), f"{name}: an earlier layer is still held"
        np.testing.assert_array_equal(output.numpy(), expected[name])  # valid when yielded
        refs.append(weakref.ref(output))
        del output
    assert len(refs) == 3


def test_reused_module_gives_one_layer_per_call():
    torch.manual_seed(0)
    model, x = Reused(), torch.randn(9, 3)
    reps = capture(model, x, ["lin"], batch_size=4, progress=False)
    streamed = {name: output.clone() for name, output in stream_layers(model, x, ["lin"], batch_size=4)}
    assert list(streamed) == list(reps) == ["lin#0", "lin#1"]
    for name in reps:
        np.testing.assert_array_equal(streamed[name].numpy(), reps[name])


def test_modes_are_eval_while_streaming_and_restored_after_and_on_close(resnet):
    model, images = resnet
    model.train()
    try:
        layers = stream_layers(model, images, "resnet9", batch_size=4)
        assert model.training, "nothing runs before the first layer is asked for"
        next(layers)
        assert not any(m.training for m in model.modules())
        layers.close()
        assert all(m.training for m in model.modules())
        for _ in stream_layers(model, images, "resnet9", batch_size=4):
            pass
        assert all(m.training for m in model.modules())
    finally:
        model.eval()


def test_refusals_name_the_argument_and_the_way_out(resnet):
    model, images = resnet
    with pytest.raises(ValueError, match=r"`batch_size` must be a positive integer, got 0"):
        stream_layers(model, images, "resnet9", batch_size=0)
    with pytest.raises(TypeError, match=r"`inputs` must be one tensor or array .* got dict; capture\(\) takes"):
        stream_layers(model, {"x": images}, "resnet9")
    with pytest.raises(ValueError, match=r"`inputs` must have shape \(n, \.\.\.\).*got \(5,\)"):
        stream_layers(nn.Sequential(nn.Linear(5, 2)), torch.zeros(5), ["0"])
    with pytest.raises(TypeError, match="`model` must be a torch.nn.Module, got str"):
        stream_layers("resnet", images, "resnet9")
    with pytest.raises(ValueError, match=r"cannot be traced \(TraceError.*capture\(\) runs any forward pass"):
        stream_layers(Branching(), torch.randn(4, 3), ["lin"])
    with pytest.raises(ValueError, match=r"cannot be traced .*control flow on tensor values or shapes"):
        stream_layers(ModularTransformer(7, 7, n_blocks=1), torch.randint(0, 7, (6, 2)), "transformer")
    unused = Residual()
    unused.spare = nn.Linear(4, 4)
    with pytest.raises(ValueError, match=r"never calls: \['spare'\]"):
        stream_layers(unused, torch.randn(4, 4), ["a", "spare"])
    hooked = Residual()
    handle = hooked.register_forward_pre_hook(lambda module, args: None)
    with pytest.raises(ValueError, match=r"modules \['Residual'\] have forward hooks, which a traced forward"):
        stream_layers(hooked, torch.randn(4, 4), ["a"])
    handle.remove()
    inner = Residual()
    inner.a.register_forward_hook(lambda module, args, output: None)  # a runs as one node: its hook runs
    assert [name for name, _ in stream_layers(inner, torch.randn(4, 4), ["a", "c"])] == ["a", "c"]


def test_numpy_inputs_run_in_the_model_s_float_type():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh())
    x = np.random.default_rng(0).normal(size=(6, 3))  # float64
    (name, output), = stream_layers(model, x, ["1"], batch_size=4)
    assert name == "1.Tanh" and output.dtype == torch.float32
    np.testing.assert_array_equal(output.numpy(), capture(model, x, ["1"], batch_size=4, progress=False)["1.Tanh"])
