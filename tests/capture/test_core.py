"""capture(): hooks, unwrapping, call indices, modes, pooling, masked scores, inputs, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from subnetscope.capture import Representations, capture, hooks, unwrap_output
from subnetscope.models.transformer import Block, HookPoint


def _hook_count(model: nn.Module) -> int:
    return sum(len(m._forward_hooks) for m in model.modules())


class Reused(nn.Module):
    """Calls the same Linear twice per forward."""

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(3, 3)

    def forward(self, x):
        return self.lin(torch.tanh(self.lin(x)))


class TupleOut(nn.Module):
    def __init__(self):
        super().__init__()
        self.inner = nn.Linear(4, 3)

    def forward(self, x):
        return self.inner(x), "extra"


class TupleModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.pair = TupleOut()

    def forward(self, x):
        return self.pair(x)[0].sum()


def test_inplace_relu_does_not_overwrite_captured_linear_output():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 6), nn.ReLU(inplace=True), nn.Linear(6, 2))
    x = torch.randn(40, 5)
    reps = capture(model, x, ["0", "1"])
    expected = (x @ model[0].weight.T + model[0].bias).detach().numpy()
    assert (expected < 0).any()  # the in-place ReLU would have zeroed these
    np.testing.assert_allclose(reps["0"], expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(reps["1"], np.maximum(expected, 0), rtol=1e-5, atol=1e-6)


def test_reused_module_keyed_by_call_index():
    torch.manual_seed(0)
    model = Reused()
    x = torch.randn(10, 3)
    reps = capture(model, x, ["lin"], batch_size=4)
    assert list(reps) == ["lin#0", "lin#1"]
    first = model.lin(x)
    np.testing.assert_allclose(reps["lin#0"], first.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(reps["lin#1"], model.lin(torch.tanh(first)).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_tuple_and_mapping_outputs_are_unwrapped():
    torch.manual_seed(0)
    model = TupleModel()
    x = torch.randn(6, 4)
    reps = capture(model, x, ["pair"])
    np.testing.assert_allclose(reps["pair"], model.pair.inner(x).detach().numpy(), rtol=1e-6)
    t = torch.ones(2, 2)
    assert unwrap_output({"last_hidden_state": t, "x": None}) is t
    assert unwrap_output(((t, 1), 2)) is t
    with pytest.raises(TypeError, match="holds no tensor"):
        unwrap_output("text", where="module 'a'")


def test_hooks_removed_and_modes_restored_even_on_error():
    model = nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.5), nn.Linear(4, 2))
    model.train()
    model[2].eval()  # a mixed state must come back exactly
    x = torch.randn(20, 3)
    reps = capture(model, x, ["1"])
    # eval(): dropout is the identity, so the capture is deterministic and equals the eval output
    np.testing.assert_allclose(reps["1"], model[0](x).detach().numpy(), rtol=1e-6)
    assert [m.training for m in model] == [True, True, False] and model.training
    assert _hook_count(model) == 0
    with pytest.raises(ValueError, match=r"rejected `inputs` batch 0 .*shape \(20, 7\)"):
        capture(model, torch.randn(20, 7), ["1"])
    assert _hook_count(model) == 0
    assert [m.training for m in model] == [True, True, False]


def test_no_grad_during_capture():
    seen = []

    class Probe(nn.Module):
        def forward(self, x):
            seen.append(torch.is_grad_enabled())
            return x * 2

    model = nn.Sequential(nn.Linear(2, 2), Probe())
    capture(model, torch.randn(4, 2), ["1"])
    assert seen == [False] and torch.is_grad_enabled()


def test_hooks_context_manager_removes_on_exception():
    model = nn.Sequential(nn.Linear(2, 2))
    got = []
    with pytest.raises(RuntimeError, match="boom"):
        with hooks(model, ["0"], lambda name, out: got.append(name)):
            model(torch.zeros(1, 2))
            raise RuntimeError("boom")
    assert got == ["0"] and _hook_count(model) == 0


def test_batch_size_input_kinds_and_subsample_agree():
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(3, 5), nn.Tanh())
    x = torch.randn(23, 3)
    full = capture(model, x, ["0", "1"], batch_size=100)
    for other in (capture(model, x, ["0", "1"], batch_size=4),
                  capture(model, x.numpy(), ["0", "1"], batch_size=5),
                  capture(model, list(x), ["0", "1"], batch_size=6),
                  capture(model, torch.utils.data.DataLoader(
                      torch.utils.data.TensorDataset(x, torch.zeros(23)), batch_size=7), ["0", "1"])):
        for name in full:
            np.testing.assert_allclose(other[name], full[name], rtol=1e-6, atol=1e-7)
    sub = capture(model, x, ["0", "1"], n_samples=9, seed=3)
    index = sub.settings["sample_indices"]
    assert len(index) == 9 and index == sorted(set(index))
    np.testing.assert_allclose(sub["1"], full["1"][index], rtol=1e-6)
    assert capture(model, x, ["1"], n_samples=9, seed=3).settings["sample_indices"] == index
    assert capture(model, x, ["1"], n_samples=9, seed=4).settings["sample_indices"] != index
    loader = torch.utils.data.DataLoader(x, batch_size=5)
    np.testing.assert_allclose(capture(model, loader, ["1"], n_samples=12)["1"], full["1"][:12], rtol=1e-6)


def test_filter_layers_and_representation_is_read_only():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    reps = capture(model, torch.randn(5, 2), lambda name, module: isinstance(module, nn.Linear))
    # children of an nn.Sequential are named with their type; the bare index stays accepted
    assert list(reps) == ["0.Linear", "2.Linear"] and reps.shapes == {"0.Linear": (5, 3), "2.Linear": (5, 1)}
    np.testing.assert_array_equal(reps["0"], reps["0.Linear"])
    assert capture(model, torch.randn(5, 2), lambda name: name == "1").shapes == {"1.ReLU": (5, 3)}
    assert list(capture(model, torch.randn(5, 2), ["0.Linear", "1"])) == ["0.Linear", "1.ReLU"]
    with pytest.raises(ValueError, match="read-only"):
        reps["0"][0, 0] = 1.0
    with pytest.raises(KeyError, match=r"did you mean '0'"):
        reps["00"]
    assert isinstance(reps, Representations) and reps.settings["pooling"] == "flatten"


@pytest.mark.parametrize("layers, match", [
    (["blocks.0.hook_resid_pr"], r"does not have; close matches: 'blocks.0.hook_resid_pre'"),
    ("transfomer", r"did you mean 'transformer'"),
    ([], "non-empty list"),
    ([3], r"module names \(str\), got 3"),
    (lambda name: False, "selected none"),
])
def test_bad_layers(layers, match):
    from subnetscope.models import ModularTransformer

    with pytest.raises((ValueError, TypeError), match=match):
        capture(ModularTransformer(5, 5, d_model=8, n_heads=2, d_head=4, d_mlp=8), torch.zeros(3, 2, dtype=torch.long), layers)


def test_layer_never_reached_and_bad_options():
    class Skips(nn.Module):
        def __init__(self):
            super().__init__()
            self.used, self.unused = nn.Linear(2, 2), nn.Linear(2, 2)

        def forward(self, x):
            return self.used(x)

    model = Skips()
    x = torch.randn(4, 2)
    with pytest.raises(ValueError, match=r"never reached: \['unused'\]"):
        capture(model, x, ["used", "unused"])
    assert _hook_count(model) == 0
    model = nn.Sequential(nn.Linear(2, 2))
    with pytest.raises(ValueError, match=r"`pooling` must be one of .*did you mean 'mean'"):
        capture(model, x, ["0"], pooling="maen")
    with pytest.raises(ValueError, match="`batch_size` must be a positive integer, got 0"):
        capture(model, x, ["0"], batch_size=0)
    with pytest.raises(ValueError, match=r"`n_samples` \(10\) exceeds the number of inputs \(4\)"):
        capture(model, x, ["0"], n_samples=10)
    with pytest.raises(TypeError, match="`tokenizer=`"):
        capture(model, ["a b", "c"], ["0"])
    with pytest.raises(TypeError, match="`model` must be a torch.nn.Module"):
        capture(lambda x: x, x, ["0"])


def test_non_finite_and_not_batch_first_outputs_are_refused():
    class Bad(nn.Module):
        def forward(self, x):
            return torch.log(x)  # NaN for negative inputs

    class Transposed(nn.Module):
        def forward(self, x):
            return x.T

    with pytest.raises(ValueError, match=r"layer '0.Bad' gave \d+ NaN or \+Inf values"):
        capture(nn.Sequential(Bad()), -torch.ones(3, 2), ["0"])
    with pytest.raises(ValueError, match="first axis must be the batch of 3 samples"):
        capture(nn.Sequential(Transposed()), torch.ones(3, 2), ["0"])


class CausalBlock(nn.Module):
    def __init__(self, T: int = 4):
        super().__init__()
        self.block = Block(8, 2, 4, 16)
        self.register_buffer("mask", torch.tril(torch.ones(T, T, dtype=torch.bool)))

    def forward(self, x):
        return self.block(x, self.mask)


def test_masked_scores_become_the_documented_finite_value():
    torch.manual_seed(0)
    model, T, B = CausalBlock(), 4, 6
    x = torch.randn(B, T, 8)
    name = "block.attn.hook_attn_scores"
    reps = capture(model, x, [name, "block.attn.hook_pattern"])
    scores = reps[name].reshape(B, 2, T, T)
    upper = ~np.tril(np.ones((T, T), dtype=bool))
    assert np.isfinite(reps[name]).all() and (scores[:, :, upper] == 0).all()
    assert reps.settings["masked_entries"] == {name: B * 2 * upper.sum()}
    # allowed entries equal q k^T / sqrt(d_head), computed here independently
    attn = model.block.attn
    h = model.block.ln1(x)
    q = (h @ attn.W_Q.weight.T).view(B, T, 2, 4)
    k = (h @ attn.W_K.weight.T).view(B, T, 2, 4)
    manual = torch.einsum("bqhd,bkhd->bhqk", q, k).detach().numpy() / 2.0
    np.testing.assert_allclose(scores[:, :, ~upper], manual[:, :, ~upper], rtol=1e-5, atol=1e-6)
    assert (reps["block.attn.hook_pattern"].reshape(B, 2, T, T)[:, :, upper] == 0).all()
    shifted = capture(model, x, [name], masked_score=-5.0)[name].reshape(B, 2, T, T)
    assert (shifted[:, :, upper] == -5.0).all()
    with pytest.raises(ValueError, match="`masked_score` must be a finite number"):
        capture(model, x, [name], masked_score=-math.inf)


class TokenModel(nn.Module):
    """Embeds token ids; takes input_ids/attention_mask like a HF model."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(20, 3)
        self.out = HookPoint()

    def forward(self, input_ids, attention_mask=None):
        return self.out(self.embed(input_ids))


@pytest.mark.parametrize("pooling", ["flatten", "cls", "last", "mean"])
def test_pooling_over_non_padding_tokens(pooling):
    torch.manual_seed(0)
    model = TokenModel()
    ids = torch.tensor([[1, 2, 3, 0], [4, 5, 0, 0], [0, 6, 7, 8]])
    mask = torch.tensor([[1, 1, 1, 0], [1, 1, 0, 0], [0, 1, 1, 1]])  # third row: left padding
    reps = capture(model, {"input_ids": ids, "attention_mask": mask}, ["out"], pooling=pooling, batch_size=2)
    E = model.embed(ids).detach().numpy()
    m = mask.numpy().astype(bool)
    expected = {
        "flatten": E.reshape(3, -1),
        "cls": E[:, 0],
        "last": np.stack([E[i][np.flatnonzero(m[i])[-1]] for i in range(3)]),
        "mean": np.stack([E[i][m[i]].mean(0) for i in range(3)]),
    }[pooling]
    np.testing.assert_allclose(reps["out"], expected, rtol=1e-6, atol=1e-7)
    assert reps.settings["pooling"] == pooling


def test_auto_pooling_is_flatten_without_a_mask_and_mean_with_one():
    torch.manual_seed(0)
    model = TokenModel()
    ids = torch.tensor([[1, 2, 3, 0], [4, 5, 0, 0], [0, 6, 7, 8]])
    mask = torch.tensor([[1, 1, 1, 0], [1, 1, 0, 0], [0, 1, 1, 1]])
    E = model.embed(ids).detach().numpy()
    plain = capture(model, ids, ["out"])  # fixed-length ids, no mask: every position is a feature
    assert plain.settings["pooling"] == "flatten"
    np.testing.assert_allclose(plain["out"], E.reshape(3, -1), rtol=1e-6)
    # a DataLoader of tokenizer-like batches is decided on its first batch
    loader = [{"input_ids": ids[:2], "attention_mask": mask[:2]}, {"input_ids": ids[2:], "attention_mask": mask[2:]}]
    pooled = capture(model, iter(loader), ["out"])
    assert pooled.settings["pooling"] == "mean"
    m = mask.numpy().astype(bool)
    np.testing.assert_allclose(pooled["out"], np.stack([E[i][m[i]].mean(0) for i in range(3)]), rtol=1e-6)


def test_one_dimensional_inputs_float64_inputs_and_layer_order():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3), nn.Tanh())
    with pytest.raises(ValueError, match=r"shape \(4,\).*4 samples of one value.*inputs\[None\]"):
        capture(model, torch.randn(4), ["0"])
    x = np.random.default_rng(0).normal(size=(6, 4))  # float64, the model is float32
    reps = capture(model, x, ["0", "1"])
    expected = model(torch.as_tensor(x, dtype=torch.float32)).detach().numpy()
    assert reps["1"].dtype == np.float32
    np.testing.assert_allclose(reps["1"], expected, rtol=1e-6)
    with pytest.warns(UserWarning, match="another order than the forward pass"):
        backwards = capture(model, x, ["1", "0"])
    assert list(backwards) == ["1.Tanh", "0.Linear"]  # kept as given, but not silently


def test_capture_progress_in_a_script(capsys):
    model = nn.Sequential(nn.Linear(2, 2))
    capture(model, torch.randn(7, 2), ["0"], batch_size=3, progress=True)
    assert "capture: 7/7 samples (100%)" in capsys.readouterr().err
    capture(model, torch.randn(7, 2), ["0"], batch_size=3, progress=False)
    assert capsys.readouterr().err == ""
    with pytest.raises(ValueError, match="`progress` must be True, False or 'auto'"):
        capture(model, torch.randn(7, 2), ["0"], progress="yes")


def test_pooling_refuses_layers_without_token_axis():
    model = TokenModel()
    model.other = HookPoint()
    model.forward = lambda input_ids, attention_mask=None: model.other(model.embed(input_ids).transpose(1, 2))
    ids = torch.randint(0, 20, (3, 4))
    with pytest.raises(ValueError, match=r"pools axis 1 as tokens, but layer 'other' has shape \(3, 3, 4\)"):
        capture(model, {"input_ids": ids}, ["other"], pooling="mean")


def test_pooling_needs_token_inputs():
    with pytest.raises(ValueError, match="pooling='cls' needs token inputs"):
        capture(nn.Sequential(nn.Linear(4, 4)), torch.randn(3, 5, 4), ["0"], pooling="cls")


@pytest.mark.gpu
def test_capture_on_cuda_matches_cpu_and_returns_the_model():
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA device")
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU())
    x = torch.randn(30, 4)
    on_gpu = capture(model, x, ["0", "1"], device="cuda", batch_size=7)
    assert next(model.parameters()).device.type == "cpu"
    on_cpu = capture(model, x, ["0", "1"])
    for name in on_cpu:
        np.testing.assert_allclose(on_gpu[name], on_cpu[name], rtol=1e-4, atol=1e-5)
