"""LayerDynamics: the layer matrix at training checkpoints, from a plain loop or a Trainer."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import subnetscope as ss
from subnetscope.analysis.dynamics import Checkpoint, LayerDynamics


def _model(seed=0):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.Tanh(), torch.nn.Linear(6, 6), torch.nn.Tanh(),
                               torch.nn.Linear(6, 2))


PROBE = torch.randn(30, 4, generator=torch.Generator().manual_seed(1))
LAYERS = ["0", "1", "2", "3", "4"]


def _train(dynamics, model, steps):
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    target = torch.randn(30, 2, generator=torch.Generator().manual_seed(2))
    for step in range(steps):
        loss = torch.nn.functional.mse_loss(model(PROBE), target)
        dynamics.on_step(model, step, loss=loss.item())
        opt.zero_grad()
        loss.backward()
        opt.step()


def test_plain_loop_records_every_kth_step_with_the_capture_and_pairwise_matrix(tmp_path):
    model = _model()
    dynamics = LayerDynamics(PROBE, LAYERS, every=3, measure="cka", out_dir=tmp_path / "run")
    _train(dynamics, model, 8)
    assert dynamics.steps == [0, 3, 6]
    assert model.training  # the capture gave the training flag back
    # the last checkpoint was taken before step 6's update: redo that step's matrix by hand
    reference_model = _model()
    replay = LayerDynamics(PROBE, LAYERS, every=100, measure="cka")
    _train(replay, reference_model, 6)
    expected = ss.pairwise(ss.capture(reference_model, PROBE, LAYERS), "cka")
    np.testing.assert_allclose(dynamics.matrices[6].matrix, expected.matrix, atol=1e-10)
    losses = dynamics.metric("loss")
    assert len(losses) == 3 and losses[0] > losses[-1]
    back = LayerDynamics.load(tmp_path / "run")
    assert back.steps == [0, 3, 6] and back.metric("loss") == losses
    np.testing.assert_array_equal(back.matrices[3].matrix, dynamics.matrices[3].matrix)
    with pytest.raises(KeyError, match=r"no metric 'accuracy' was recorded; recorded: \['loss'\]"):
        dynamics.metric("accuracy")


def test_bad_use_is_refused_clearly(tmp_path):
    with pytest.raises(ValueError, match="`every` must be a positive integer .* got 0"):
        LayerDynamics(PROBE, LAYERS, every=0)
    with pytest.raises(ValueError, match="did you mean 'gw'"):
        LayerDynamics(PROBE, LAYERS, measure="gww")
    dynamics = LayerDynamics(PROBE, LAYERS, measure="cka")
    dynamics.record(_model(), 5)
    with pytest.raises(ValueError, match="`step` must increase: 5 comes after step 5"):
        dynamics.record(_model(), 5)
    with pytest.raises(TypeError, match=r"metrics must be numbers, got loss=Tensor \(use loss=loss.item\(\)\)"):
        dynamics.record(_model(), 6, loss=torch.tensor(1.0))
    with pytest.raises(ValueError, match="no checkpoint recorded yet"):
        LayerDynamics(PROBE, LAYERS).separation()
    with pytest.raises(FileNotFoundError, match="holds no step<k>.npz checkpoints"):
        LayerDynamics.load(tmp_path)


def _planted(step_strengths, seed=0):
    """Checkpoints whose matrices have two blocks (layers 0-2 | 3-5) of the given strength plus noise."""
    rng = np.random.default_rng(seed)
    names = tuple(f"l{k}" for k in range(6))
    labels = np.array([0, 0, 0, 1, 1, 1])
    dynamics = LayerDynamics(PROBE, LAYERS)
    for step, strength in step_strengths:
        noise = rng.uniform(0.5, 1.0, size=(6, 6))
        M = np.triu(noise, 1) + np.triu(noise, 1).T + strength * (labels[:, None] != labels[None])
        dynamics.history.append(Checkpoint(step, ss.LayerDistances(names, M), {}))
    return dynamics, labels


def test_separation_finds_the_step_from_which_blocks_stay_apart():
    dynamics, labels = _planted([(0, 0.0), (10, 0.0), (20, 5.0), (30, 0.0), (40, 5.0), (50, 6.0)])
    separation = dynamics.separation(labels)
    assert separation.separated_at == 40  # step 30 fell back, so 20 does not count
    for k, checkpoint in enumerate(dynamics.history):
        M = checkpoint.distances.matrix
        within = [M[i, j] for i in range(6) for j in range(6) if i != j and labels[i] == labels[j]]
        between = [M[i, j] for i in range(6) for j in range(6) if labels[i] != labels[j]]
        assert separation.within[k] == pytest.approx(np.mean(within))
        assert separation.between[k] == pytest.approx(np.mean(between))
    assert (separation.silhouette[[2, 4, 5]] > 0.25).all() and (separation.silhouette[[0, 1, 3]] < 0.25).all()
    default = dynamics.separation()  # the groups of the last checkpoint: the planted ones
    assert default.groups.groups == [["l0", "l1", "l2"], ["l3", "l4", "l5"]] and default.separated_at == 40
    never, _ = _planted([(0, 0.0), (10, 0.0)])
    assert never.separation(labels).separated_at is None
    with pytest.raises(ValueError, match="give one label per checkpoint layer"):
        dynamics.separation(ss.Subnetworks(names=("a", "b"), labels=[0, 1], method="given"))


def test_trainer_callback_records_at_begin_every_kth_step_and_end():
    transformers = pytest.importorskip("transformers")
    dynamics = LayerDynamics(PROBE, LAYERS, every=2, measure="cka")
    callback = dynamics.trainer_callback()
    assert isinstance(callback, transformers.TrainerCallback)
    state, control, model = transformers.TrainerState(), transformers.TrainerControl(), _model()
    callback.on_train_begin(None, state, control, model=model)
    for step in range(1, 6):
        state.global_step = step
        callback.on_step_end(None, state, control, model=model)
        callback.on_log(None, state, control, logs={"loss": 1.0 / step, "epoch": 0.1 * step, "note": "x"})
    callback.on_evaluate(None, state, control, metrics={"eval_accuracy": 0.75})
    callback.on_train_end(None, state, control, model=model)
    callback.on_train_end(None, state, control, model=model)  # the end step is recorded once
    assert dynamics.steps == [0, 2, 4, 5]
    assert dynamics.history[0].metrics == {}
    assert dynamics.history[1].metrics == {"loss": 1.0, "epoch": 0.1}  # logged before step 2 ended
    assert dynamics.history[-1].metrics["eval_accuracy"] == 0.75
    with pytest.raises(ValueError, match="passed no `model`"):
        state.global_step = 6
        callback.on_step_end(None, state, control)


def test_dynamics_figure_shows_matrices_and_the_separation(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    from subnetscope.plots import plot_dynamics, save_figure

    dynamics, labels = _planted([(0, 0.0), (10, 0.0), (20, 5.0), (30, 0.0), (40, 5.0), (50, 6.0)])
    fig = plot_dynamics(dynamics, n_panels=3)
    top, bottom = fig.subfigs
    titles = [ax.get_title() for ax in top.axes if ax.get_title()]
    assert titles == ["step 0", "step 40", "step 50"]
    curve = bottom.axes[0]
    assert "separated from step 40" in [t.get_text() for t in curve.get_legend().get_texts()]
    assert save_figure(fig, tmp_path / "dynamics.png").stat().st_size > 0
    with pytest.raises(ValueError, match="`n_panels` must be a positive integer"):
        plot_dynamics(dynamics, n_panels=0)
