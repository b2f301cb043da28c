"""Reference models: shapes, hook points and the paper's structure."""

from __future__ import annotations

import torch

from subnetscope.models import HookPoint, ModularTransformer, ResNet9


def test_transformer_has_the_papers_hook_points_and_shapes():
    model = ModularTransformer(7, 5, n_blocks=2, d_model=16, n_heads=4, d_head=4, d_mlp=32)
    hooks = [name for name, m in model.named_modules() if isinstance(m, HookPoint)]
    assert len(hooks) == 2 * 13  # 7 block-level + 6 per-head tensors per block
    seen = {}
    handles = [m.register_forward_hook(lambda mod, inp, out, name=name: seen.__setitem__(name, out.shape))
               for name, m in model.named_modules() if isinstance(m, HookPoint)]
    logits = model(torch.tensor([[1, 2], [3, 4], [0, 6]]))
    for h in handles:
        h.remove()
    assert logits.shape == (3, 2, 5)
    assert seen["blocks.0.hook_resid_pre"] == (3, 2, 16)
    assert seen["blocks.1.attn.hook_k"] == (3, 2, 4, 4)
    assert seen["blocks.1.attn.hook_pattern"] == (3, 4, 2, 2)
    assert seen["blocks.0.mlp.hook_post"] == (3, 2, 32)


def test_transformer_matches_a_hand_computed_forward_pass():
    torch.manual_seed(0)
    model = ModularTransformer(5, 3, n_blocks=1, d_model=8, n_heads=2, d_head=4, d_mlp=16).eval()
    tokens = torch.tensor([[1, 4], [2, 0]])
    b = model.blocks[0]
    x = torch.stack([model.embed_a(tokens[:, 0]), model.embed_b(tokens[:, 1])], 1)
    h = b.ln1(x)
    heads = []
    for k in range(2):
        sl = slice(4 * k, 4 * k + 4)
        q, kk, v = h @ b.attn.W_Q.weight[sl].T, h @ b.attn.W_K.weight[sl].T, h @ b.attn.W_V.weight[sl].T
        A = torch.softmax(q @ kk.transpose(1, 2) / 2.0, dim=-1)
        heads.append(A @ v)
    mid = x + torch.cat(heads, -1) @ b.attn.W_O.weight.T
    out = mid + b.mlp.W_out(torch.relu(b.mlp.W_in(b.ln2(mid))))
    torch.testing.assert_close(model(tokens), model.unembed(out))


def test_resnet9_structure_matches_table3():
    model = ResNet9()
    names = dict(model.named_modules())
    assert names["1.conv"].kernel_size == (5, 5) and names["1.conv"].out_channels == 128
    assert isinstance(names["4.pool"], torch.nn.MaxPool2d)
    assert isinstance(names["7.pool"], torch.nn.AdaptiveAvgPool2d)
    assert names["8"].in_features == 128 and names["8"].out_features == 10
    assert model(torch.zeros(2, 3, 32, 32)).shape == (2, 10)
