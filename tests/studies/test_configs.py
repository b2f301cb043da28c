"""Each study is ``run(out, Config)``: a frozen, checked config whose ``paper()`` is the paper's setting."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from subnetscope.studies.modsum import PAPER_SCALE as MODSUM_PAPER
from subnetscope.studies.modsum import ModSumConfig, TrainConfig
from subnetscope.studies.nlp import NLPConfig
from subnetscope.studies.nlp.pipeline import DEFAULTS as NLP_DEFAULTS
from subnetscope.studies.nlp.pipeline import PAPER_SCALE as NLP_PAPER
from subnetscope.studies.vision import VisionConfig

# every option is a field; the keywords each entry point took before it became run(out, config) are these
# names, except the ones renamed to the name the other studies use (still taken, with a DeprecationWarning)
KEYWORDS = {
    ModSumConfig: "model samples seed train_config cache_dir targets embedding probes probe_samples baselines "
                  "bootstrap bootstrap_samples n_groups compare_starts retrain n_jobs report progress",
    NLPConfig: "model data text_column label_column max_examples test_fraction samples pooling max_length epochs "
               "batch_size lr seeds sparsity checkpoint_every threads head train_word_embeddings probe_samples "
               "downstream figures report allow_download",
    VisionConfig: "data samples pair_samples epochs batch_size optimizer max_lr measures agw_samples n_groups "
                  "bootstrap bootstrap_samples seed train_limit test_limit progress report",
}


@pytest.mark.parametrize("config", list(KEYWORDS))
def test_every_option_is_a_field_and_the_config_is_frozen(config):
    assert [f.name for f in dataclasses.fields(config)] == KEYWORDS[config].split()
    default = config()
    with pytest.raises(dataclasses.FrozenInstanceError):
        default.seed = 1
    assert hash(default) == hash(config())  # lists become tuples: hashable, comparable
    changed = default.replace(report=False)
    assert changed.report is False and default.report is True and changed == dataclasses.replace(default, report=False)


def test_one_name_for_one_idea_across_the_studies():
    fields = {config: {f.name for f in dataclasses.fields(config)} for config in KEYWORDS}
    for config, names in fields.items():  # the old names are gone; the shared ones are spelled alike
        assert not names & {"n_boot", "boot_samples", "n_samples"}, config
        assert "samples" in names, config
    assert {"bootstrap", "bootstrap_samples"} <= fields[ModSumConfig] & fields[VisionConfig]


@pytest.mark.parametrize("config, changes, message", [
    (ModSumConfig, {"samples": 1}, r"ModSumConfig: `samples` must be an integer in \[2, 3481\], got 1"),
    (ModSumConfig, {"model": "l"}, r"ModSumConfig: `model` must be one of \['0', 'E', 'L'\], got 'l'; did you mean 'L'"),
    (ModSumConfig, {"probes": ["linear", "mlpp"]}, r"`probes\[1\]` must be one of \['linear', 'mlp'\], got 'mlpp'"),
    (ModSumConfig, {"baselines": ("ckaa",)}, r"`baselines\[0\]` must be one of .*got 'ckaa'; did you mean 'cka'"),
    (ModSumConfig, {"embedding": ()}, r"`embedding` is empty"),
    (ModSumConfig, {"n_jobs": 0}, r"ModSumConfig: `n_jobs` must be a positive integer or -1 \(all cores\), got 0"),
    (ModSumConfig, {"train_config": {"lr": 1}}, r"`train_config` must be a TrainConfig or None, got \{'lr': 1\} \(dict\)"),
    (ModSumConfig, {"probes": "linear"}, r"`probes` must be a list or tuple, each item one of .*got 'linear' \(str\)"),
    (NLPConfig, {"head": "pooled"}, r"NLPConfig: `head` must be one of \['cls', 'mean'\], got 'pooled'"),
    (NLPConfig, {"seeds": ()}, r"NLPConfig: `seeds` must hold at least 1 item\(s\), each an integer ≥ 0, got \[\]"),
    (NLPConfig, {"sparsity": (0.5, 1.0)}, r"`sparsity\[1\]` must be a number in \[0, 1\), got 1.0"),
    (NLPConfig, {"lr": 0}, r"`lr` must be a number > 0, got 0"),
    (NLPConfig, {"threads": 0}, r"`threads` must be an integer ≥ 1 or None, got 0"),
    (VisionConfig, {"optimizer": "adamw"}, r"VisionConfig: `optimizer` must be one of \['adam', 'sgd'\], got 'adamw'"),
    (VisionConfig, {"agw_samples": 1}, r"`agw_samples` must be an integer ≥ 2, got 1"),
    (VisionConfig, {"measures": ["euclidean"]}, r"`measures`: measure 'euclidean' cannot compare layers of different"),
    (VisionConfig, {"data": None}, r"`data` must be a path \(str or pathlib.Path\), got None"),
])
def test_a_bad_field_is_named_with_what_was_expected_and_what_came(config, changes, message):
    with pytest.raises(ValueError, match=message):
        config(**changes)
    with pytest.raises(ValueError, match=message):  # replace checks as the constructor does
        config().replace(**changes)


def test_paper_is_the_documented_paper_setting():
    paper = ModSumConfig.paper()
    assert (paper.samples, paper.probe_samples, paper.compare_starts, paper.bootstrap, paper.bootstrap_samples) == (
        1000, 3481, 31, 5, 200)
    assert paper.embedding == ("value", "onehot", "circular", "stage") and paper.probes == ("linear", "mlp")
    assert paper.model == "L" and paper.train_config is None and paper.training == TrainConfig()
    # no train_config: each model trains (or loads) with its shipped recipe, also after replace
    from subnetscope.studies.modsum import recipe

    assert ModSumConfig.paper(model="E").training == recipe("E") == paper.replace(model="E").training
    assert ModSumConfig(model="E").options()["train"]["weight_decay"] == recipe("E").weight_decay
    given = TrainConfig(lr=3e-3)
    assert ModSumConfig(model="E", train_config=given).replace(model="0").training == given
    assert {k: getattr(paper, k) for k in MODSUM_PAPER} == MODSUM_PAPER

    nlp = NLPConfig.paper()  # §5.2: max length 256, 1 epoch, batch 16, lr 2e-5; App. M: 3 seeds
    assert (nlp.max_length, nlp.epochs, nlp.batch_size, nlp.lr, nlp.seeds) == (256, 1, 16, 2e-5, (0, 1, 2))
    assert nlp.head == "cls" and nlp.train_word_embeddings and nlp.max_examples is None and nlp.test_fraction == 0.3
    assert {k: getattr(nlp, k) for k in NLP_PAPER} == NLP_PAPER
    assert {k: getattr(NLPConfig(), k) for k in NLP_DEFAULTS} == NLP_DEFAULTS

    vision = VisionConfig.paper()  # ResNet9 on CIFAR-10, 300 epochs (the paper's 91.63%)
    assert vision.data == "cifar-10-python.tar.gz" and vision.epochs == 300
    assert VisionConfig.paper(data="/data/cifar").replace(epochs=2) == VisionConfig(data="/data/cifar")


def test_run_needs_its_config(tmp_path):
    from subnetscope.studies import modsum, nlp, vision

    for run in (modsum.run, nlp.run, vision.run):
        with pytest.raises(TypeError, match="`config` must be a"):
            run(tmp_path / "run", {"samples": 12})
    assert not (tmp_path / "run").exists()


@pytest.mark.slow
def test_modsum_run_with_a_config_equals_run_modsum_with_keywords(tmp_path):
    from subnetscope.runs import RunFolder
    from subnetscope.studies import modsum

    tiny = dict(model="0", samples=8, probes=("linear",), probe_samples=40, report=False, progress=False)
    folder = modsum.run(tmp_path / "a", ModSumConfig(**tiny))  # Model 0 shipped: no training
    summary = modsum.run_modsum(tmp_path / "b", log=lambda line: None, **tiny)
    assert isinstance(folder, RunFolder) and folder.path == tmp_path / "a"
    a, b = folder.read_meta(), RunFolder(tmp_path / "b").read_meta()
    assert a["options"] == b["options"] == ModSumConfig(**tiny).options()
    assert a["options"]["train"] == dataclasses.asdict(TrainConfig()) | {"betas": [0.9, 0.98]}
    assert a["options"]["embedding"] == ["value"] and a["options"]["probes"] == ["linear"]
    drop = ("timings_s",)
    assert {k: v for k, v in a["summary"].items() if k not in drop} == \
        {k: v for k, v in b["summary"].items() if k not in drop}
    assert set(summary) == set(b["summary"])
    np.testing.assert_array_equal(folder.load_distances("gw").matrix, RunFolder(tmp_path / "b").load_distances("gw").matrix)
    assert folder.load_tables() == RunFolder(tmp_path / "b").load_tables()
