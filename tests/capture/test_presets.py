"""Presets: the paper's transformer (hand-computed forward), ResNet9 (Table 3)."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch

from subnetscope.capture import capture, resolve_layers
from subnetscope.models import ModularTransformer, ResNet9


def _layer_norm(x, ln):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + ln.eps) * ln.weight.detach().numpy() + ln.bias.detach().numpy()


def _hand_forward(model: ModularTransformer, tokens: np.ndarray) -> dict[str, np.ndarray]:
    """Paper eq. 2 in NumPy, naming outputs as the preset should."""
    p = lambda t: t.detach().numpy().astype(np.float64)  # noqa: E731
    cfg = model.config
    H, dh = cfg["n_heads"], cfg["d_head"]
    x = np.stack([p(model.embed_a.weight)[tokens[:, 0]], p(model.embed_b.weight)[tokens[:, 1]]], axis=1)
    B, T, _ = x.shape
    out = {}
    for l, block in enumerate(model.blocks, start=1):
        out[f"block{l}.resid_pre"] = x
        h = _layer_norm(x, block.ln1)
        a = block.attn
        k = (h @ p(a.W_K.weight).T).reshape(B, T, H, dh)
        q = (h @ p(a.W_Q.weight).T).reshape(B, T, H, dh)
        v = (h @ p(a.W_V.weight).T).reshape(B, T, H, dh)
        z = np.zeros_like(v)
        for head in range(H):
            scores = q[:, :, head] @ k[:, :, head].transpose(0, 2, 1) / np.sqrt(dh)
            pattern = np.exp(scores - scores.max(-1, keepdims=True))
            pattern /= pattern.sum(-1, keepdims=True)
            z[:, :, head] = pattern @ v[:, :, head]
            name = f"block{l}.head{head + 1}."
            out[name + "k"], out[name + "q"], out[name + "v"] = k[:, :, head], q[:, :, head], v[:, :, head]
            out[name + "attn_pre"], out[name + "attn"] = scores, pattern
        for head in range(H):
            out[f"block{l}.head{head + 1}.z"] = z[:, :, head]
        attn_out = z.reshape(B, T, H * dh) @ p(a.W_O.weight).T
        mid = x + attn_out
        pre = _layer_norm(mid, block.ln2) @ p(block.mlp.W_in.weight).T + p(block.mlp.W_in.bias)
        post = np.maximum(pre, 0)
        mlp_out = post @ p(block.mlp.W_out.weight).T + p(block.mlp.W_out.bias)
        x = mid + mlp_out
        out.update({f"block{l}.attn_out": attn_out, f"block{l}.resid_mid": mid, f"block{l}.pre": pre,
                    f"block{l}.post": post, f"block{l}.mlp_out": mlp_out, f"block{l}.resid_post": x})
    return {name: value.reshape(B, -1) for name, value in out.items()}


def test_transformer_preset_matches_hand_computed_forward():
    torch.manual_seed(0)
    model = ModularTransformer(7, 7, n_blocks=2, d_model=8, n_heads=2, d_head=4, d_mlp=12)
    tokens = torch.randint(0, 7, (15, 2))
    reps = capture(model, tokens, "transformer", batch_size=6)
    expected = _hand_forward(model, tokens.numpy())
    assert set(reps) == set(expected) and len(reps) == 2 * (1 + 6 * 2 + 6)
    for name, value in expected.items():
        np.testing.assert_allclose(reps[name], value, rtol=1e-4, atol=1e-5, err_msg=name)
    assert reps.settings["layers"] == "transformer"


def test_transformer_preset_order_matches_paper_indices():
    model = ModularTransformer(5, 5, n_blocks=1, d_model=16, n_heads=4, d_head=4, d_mlp=16)
    order = resolve_layers(model, "transformer").order
    assert len(order) == 31
    assert order[0] == "block1.resid_pre" and order[1:5] == [f"block1.head{h}.k" for h in range(1, 5)]
    assert order[13:17] == [f"block1.head{h}.attn_pre" for h in range(1, 5)]  # Attn-Pre at 13–16
    assert order[17:21] == [f"block1.head{h}.attn" for h in range(1, 5)]      # Attn at 17–20
    assert order[25:] == ["block1.attn_out", "block1.resid_mid", "block1.pre", "block1.post",
                          "block1.mlp_out", "block1.resid_post"]


def test_transformer_preset_refuses_other_models():
    with pytest.raises(ValueError, match="'transformer' preset needs TransformerLens hook points"):
        capture(ResNet9(), torch.zeros(2, 3, 8, 8), "transformer")


def test_resnet9_preset_table3_names_and_values():
    torch.manual_seed(0)
    model = ResNet9()
    x = torch.randn(3, 3, 16, 16)
    names = resolve_layers(model, "resnet9").order
    expected_names = [f"{i}.{kind}" for i in range(8) for kind in ("Conv2d", "BatchNorm", "ReLU")]
    expected_names.insert(expected_names.index("4.ReLU") + 1, "4.MaxPool")
    expected_names += ["7.AdaptivePool", "8.Linear"]
    assert names == expected_names and len(names) == 27
    model.train()
    reps = capture(model, x, "resnet9", batch_size=2)
    assert model.training  # restored
    with torch.no_grad():
        model.eval()
        m = model._modules
        x1 = m["1"](m["0"](x))
        relu2 = torch.relu(m["2"].bn(m["2"].conv(x1)))
        logits = model(x)
    np.testing.assert_allclose(reps["2.ReLU"], relu2.reshape(3, -1).numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(reps["8.Linear"], logits.numpy(), rtol=1e-4, atol=1e-5)
    assert reps.shapes["7.AdaptivePool"] == (3, 128) and reps.shapes["4.MaxPool"] == (3, 256 * 8 * 8)


def test_three_block_transformer_1000_inputs_takes_seconds():
    torch.manual_seed(0)
    model = ModularTransformer(59, 59, n_blocks=3)
    tokens = torch.cartesian_prod(torch.arange(59), torch.arange(59))[:1000]
    start = time.perf_counter()
    reps = capture(model, tokens, "transformer")
    seconds = time.perf_counter() - start
    assert len(reps) == 93 and reps.n_samples == 1000
    assert reps.shapes["block3.head4.attn"] == (1000, 4) and reps.shapes["block2.post"] == (1000, 1024)
    assert seconds < 60, f"capture took {seconds:.1f} s"


def test_leaves_is_the_default_and_takes_every_module_without_children():
    from torch import nn

    from subnetscope.capture import capture

    torch.manual_seed(0)
    inner = nn.Sequential(nn.Linear(8, 6), nn.Tanh())
    net = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), inner, nn.Linear(6, 2))
    x = torch.randn(30, 5)
    reps = capture(net, x, progress=False)
    assert list(reps) == ["0.Linear", "1.ReLU", "2.0.Linear", "2.1.Tanh", "3.Linear"]  # none for the inner Sequential
    with torch.no_grad():
        h = torch.relu(net[0](x))
        expected = {"0.Linear": net[0](x), "1.ReLU": h, "2.0.Linear": inner[0](h), "2.1.Tanh": inner(h),
                    "3.Linear": net(x)}
    for name, value in expected.items():
        np.testing.assert_allclose(reps[name], value.numpy(), rtol=1e-6)
    assert list(capture(net, x, "leaves", progress=False)) == list(reps)


def test_leaves_of_a_model_without_sub_modules_is_refused_with_the_fix():
    from torch import nn

    from subnetscope.capture import capture

    with pytest.raises(ValueError, match="'leaves' preset found no sub-modules in Linear.*pass module names"):
        capture(nn.Linear(3, 2), torch.randn(4, 3), progress=False)
