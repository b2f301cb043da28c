"""The torch path of the GW solver, run on the CPU (the same code runs on CUDA)."""

from __future__ import annotations

import numpy as np
import pytest

from subnetscope.engine.pairwise import pairwise
from subnetscope.measures.gw import gromov_wasserstein, intra_distances
from tests.conftest import layer_chain

torch = pytest.importorskip("torch")


def test_torch_cpu_matches_numpy_and_is_never_worse_than_pot():
    import ot

    reps = layer_chain(n=50, widths=(4, 7, 9), seed=2)
    Cs = [intra_distances(X) for X in reps.values()]
    for a, b in [(0, 1), (0, 2), (1, 2)]:
        ours = gromov_wasserstein(Cs[a], Cs[b], device="cpu")
        ref = gromov_wasserstein(Cs[a], Cs[b])
        assert ours.value == pytest.approx(ref.value, rel=1e-10, abs=1e-14)
        n = Cs[a].shape[0]
        p = np.full(n, 1.0 / n)
        pot = ot.gromov.gromov_wasserstein2(Cs[a], Cs[b], p, p, "square_loss")
        assert ours.value <= float(pot) + 1e-12
        # the reported value is the objective of the reported plan (independent formula)
        T = ours.plan
        L4 = (Cs[a][:, None, :, None] - Cs[b][None, :, None, :]) ** 2  # (i, j, k, l)
        direct = float(np.einsum("ijkl,ij,kl->", L4, T, T))
        assert ours.value == pytest.approx(direct, rel=1e-9, abs=1e-14)


def test_torch_path_handles_different_sample_counts():
    rng = np.random.default_rng(0)
    C1 = intra_distances(rng.normal(size=(12, 3)))
    C2 = intra_distances(rng.normal(size=(17, 2)))
    ours = gromov_wasserstein(C1, C2, device="cpu")
    ref = gromov_wasserstein(C1, C2)
    assert ours.value == pytest.approx(ref.value, rel=1e-10)
    np.testing.assert_allclose(ours.plan.sum(1), 1 / 12)
    np.testing.assert_allclose(ours.plan.sum(0), 1 / 17)


def test_pairwise_device_option():
    reps = layer_chain(n=30)
    d = pairwise(reps, device="cpu")
    ref = pairwise(reps)
    np.testing.assert_allclose(d.matrix, ref.matrix, rtol=1e-10, atol=1e-14)
    assert d.options["device"] == "cpu"


def test_device_errors():
    reps = layer_chain(n=20)
    with pytest.raises(ValueError, match="`device` must be a torch device such as 'cuda'"):
        pairwise(reps, device="gpu please")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="`device` is 'cuda' but torch sees no CUDA GPU"):
            pairwise(reps, device="cuda")
    with pytest.raises(ValueError, match="'cpu' or 'cuda' device, got 'meta'"):
        pairwise(reps, device="meta")
