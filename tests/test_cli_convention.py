"""The command-line convention (issue 20): every command that writes takes --out RUN_DIR and
writes a run folder the next command reads; shared flags are defined once; old spellings
still work and print one note naming the new flag."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pytest

from subnetscope.cli import build_parser, main
from subnetscope.cli._flags import SHARED
from tests.conftest import layer_chain

#: Every command that writes files, as the words that reach its parser.
WRITERS = (("capture",), ("pairwise",), ("compare",), ("subnetworks",), ("report",), ("demo",), ("benchmark",),
           ("study", "modsum"), ("study", "nlp"), ("study", "vision"))
#: Where each shared flag applies beyond --out and --quiet (it computes with inputs, workers or a cache).
APPLIES = {
    "--samples": {"capture", "pairwise", "compare", "demo", "study modsum", "study nlp", "study vision"},
    "--seed": {"capture", "pairwise", "compare", "subnetworks", "demo", "benchmark", "study modsum", "study vision"},
    "--jobs": {"pairwise", "compare", "subnetworks", "demo", "study modsum"},
    "--cache": {"pairwise", "compare", "subnetworks", "demo", "study modsum"},
    "--bootstrap": {"subnetworks", "demo", "study modsum", "study vision"},
}


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return action.choices


def _parser(words: tuple[str, ...]) -> argparse.ArgumentParser:
    parser = build_parser()
    for word in words:
        parser = _subparsers(parser)[word]
    return parser


def _options(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    """The flags a command documents (the hidden old spellings left out)."""
    return {s: a for a in parser._actions for s in a.option_strings if a.help is not argparse.SUPPRESS}


@pytest.mark.parametrize("words", WRITERS, ids=" ".join)
def test_every_writing_command_has_out_quiet_and_the_shared_flags_from_one_definition(words):
    options = _options(_parser(words))
    name = " ".join(words)
    assert options["--out"].metavar == "RUN_DIR" and "--quiet" in options
    for flag, commands in APPLIES.items():
        assert (flag in options) == (name in commands), (name, flag)
    for flag in SHARED:  # present means made by cli/_flags.py: same name, type and meaning everywhere
        if flag in options:
            assert getattr(options[flag], "shared", False), (name, flag)


def test_shared_flags_parse_the_same_everywhere():
    for words in WRITERS:
        options = _options(_parser(words))
        for flag in ("--jobs", "--seed", "--samples", "--bootstrap", "--bootstrap-samples"):
            if flag in options:
                assert options[flag].type is int and options[flag].metavar in ("N", "S", "B"), (words, flag)


@pytest.mark.parametrize("argv, dest, value, old, new", [
    (["pairwise", "r.npz", "--out", "o", "--no-progress"], "quiet", True, "--no-progress", "--quiet"),
    (["compare", "a.npz", "b.npz", "--out", "o", "--no-progress"], "quiet", True, "--no-progress", "--quiet"),
    (["capture", "m.pt", "i.pt", "--layers", "x", "--out", "o", "--no-progress"], "quiet", True, "--no-progress",
     "--quiet"),
    (["study", "modsum", "--cache-dir", "ck"], "cache", "ck", "--cache-dir", "--cache"),
    (["demo", "--cache-dir", "ck"], "cache", "ck", "--cache-dir", "--cache"),
    (["study", "nlp", "--n-samples", "7"], "samples", 7, "--n-samples", "--samples"),
    (["study", "vision", "--boot", "3"], "bootstrap", 3, "--boot", "--bootstrap"),
    (["study", "vision", "--boot-samples", "40"], "bootstrap_samples", 40, "--boot-samples", "--bootstrap-samples"),
    (["subnetworks", "d.npz", "--samples", "9"], "bootstrap_samples", 9, "--samples", "--bootstrap-samples"),
])
def test_old_flag_spellings_still_parse_with_a_one_line_note(argv, dest, value, old, new, capsys):
    args = build_parser().parse_args(argv)
    got = getattr(args, dest)
    assert (str(got) if dest == "cache" else got) == value
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"`{old}` is deprecated" in err[0] and f"use `{new}`" in err[0]
    # the new spelling gives the same value without a note
    new_argv = [new if a == old else a for a in argv]
    assert getattr(build_parser().parse_args(new_argv), dest) == got
    assert capsys.readouterr().err == ""


def test_the_old_flags_are_hidden_from_help(capsys):
    for words in (("pairwise",), ("study", "vision"), ("study", "modsum")):
        help_text = _parser(words).format_help()
        assert "--no-progress" not in help_text and "--boot " not in help_text and "--cache-dir" not in help_text


def _tiny_model(tmp_path):
    import torch

    from subnetscope.models import ModularTransformer

    torch.manual_seed(0)
    model = ModularTransformer(5, 5, n_blocks=1, d_model=8, n_heads=2, d_head=4, d_mlp=8)
    torch.save({"class": "subnetscope.models:ModularTransformer", "config": model.config,
                "state_dict": model.state_dict()}, tmp_path / "model.pt")
    torch.save(torch.cartesian_prod(torch.arange(5), torch.arange(5)), tmp_path / "inputs.pt")
    return str(tmp_path / "model.pt"), str(tmp_path / "inputs.pt")


def test_chain_capture_pairwise_subnetworks_report_through_one_run_folder(tmp_path, capsys):
    from subnetscope import LayerDistances, pairwise
    from subnetscope.capture import Representations

    model, inputs = _tiny_model(tmp_path)
    run = str(tmp_path / "run")
    assert main(["capture", model, inputs, "--layers", "transformer", "--out", run,
                 "--quiet"]) == 0
    assert "next: subnetscope pairwise --out" in capsys.readouterr().out
    assert main(["pairwise", "--out", run, "--measure", "gw", "--samples", "20", "--quiet"]) == 0
    assert main(["subnetworks", "--out", run, "--groups", "2"]) == 0
    # --bootstrap re-draws the representations captured into the run folder (no --reps needed)
    assert main(["subnetworks", "--out", run, "--groups", "2", "--bootstrap", "2", "--label", "gw", "--quiet"]) == 0
    assert "support = fraction of 2 bootstrap replicates" in capsys.readouterr().out
    assert main(["report", "--out", run, "--quiet"]) == 0
    captured = capsys.readouterr()
    assert "deprecated" not in captured.err
    assert (tmp_path / "run" / "report.html").stat().st_size > 1000
    meta = json.loads((tmp_path / "run" / "run.json").read_text())
    assert [c["step"] for c in meta["commands"]] == ["capture", "pairwise", "subnetworks"]
    assert (tmp_path / "run" / "subnetworks" / "gw.json").is_file()
    # the chain's matrix is the library's on the same representations, bit for bit
    reps = Representations.load(tmp_path / "run")  # a run folder opens as its capture store
    direct = pairwise(reps, "gw", n_samples=20, seed=0, progress=False)
    np.testing.assert_array_equal(LayerDistances.load(tmp_path / "run" / "distances" / "gw.npz").matrix,
                                  direct.matrix)
    # compare reads run folders too and writes its own run folder, which report reads
    assert main(["compare", run, run, "--measure", "cka", "--out", str(tmp_path / "cmp"), "--quiet"]) == 0
    assert (tmp_path / "cmp" / "figures" / "cross_cka.png").is_file()
    assert (tmp_path / "cmp" / "tables" / "cross_cka_nearest.json").is_file()
    assert main(["report", "--out", str(tmp_path / "cmp")]) == 0


def test_old_positional_run_folders_still_work_with_a_note(tmp_path, capsys):
    np.savez(tmp_path / "reps.npz", **layer_chain(n=24))
    run = tmp_path / "run"
    assert main(["pairwise", str(tmp_path / "reps.npz"), "--out", str(run), "--no-progress"]) == 0
    assert "`--no-progress` is deprecated" in capsys.readouterr().err
    assert main(["subnetworks", str(run), "--groups", "2"]) == 0
    assert f"use --out {run}" in capsys.readouterr().err
    assert main(["report", str(run)]) == 0
    err = capsys.readouterr().err
    assert "positional RUN_DIR" in err and f"use --out {run}" in err and (run / "report.html").is_file()
    page = tmp_path / "page.html"
    assert main(["report", str(run), "--out", str(page)]) == 0  # the old form: --out named the page
    err = capsys.readouterr().err
    assert f"use --html {page}" in err and page.stat().st_size > 1000
    assert main(["report", "--out", str(run), "--html", str(tmp_path / "new.html")]) == 0
    assert (tmp_path / "new.html").is_file() and "deprecated" not in capsys.readouterr().err


@pytest.mark.parametrize("study, flags, changes", [
    ("nlp", ["--epochs", "3", "--samples", "0", "--data", "smoke"], {"epochs": 3, "samples": None, "data": "smoke"}),
    ("vision", ["--epochs", "5", "--data", "/data/cifar", "--samples", "50", "--bootstrap", "0"],
     {"epochs": 5, "data": "/data/cifar", "samples": 50, "bootstrap": 0}),
])
def test_paper_scale_is_the_configs_paper_with_explicit_flags_on_top(study, flags, changes):
    import importlib

    from subnetscope.studies.nlp import NLPConfig
    from subnetscope.studies.vision import VisionConfig

    config = {"nlp": NLPConfig, "vision": VisionConfig}[study]
    command = importlib.import_module(f"subnetscope.cli.study_{study}")  # builds the config, runs nothing here

    def parsed(*words):
        return command.config_from_args(build_parser().parse_args(["study", study, *words]))

    assert "--paper-scale" in _options(_parser(("study", study)))
    assert parsed() == config()  # no flag: the defaults
    assert parsed("--paper-scale") == config.paper() != config()  # no flag's default hides a paper setting
    assert parsed("--paper-scale", *flags) == config.paper(**changes)
    assert parsed(*flags) == config(**changes)


def test_study_modsum_paper_scale_keeps_the_flags_given_and_demo_its_own_defaults():
    from subnetscope.cli import study_modsum
    from subnetscope.studies.modsum import PAPER_SCALE

    def parsed(*words, command=("study", "modsum"), model="L"):
        return study_modsum.config_from_args(build_parser().parse_args([*command, *words]), model)

    plain = parsed()
    assert (plain.samples, plain.probe_samples, plain.bootstrap, plain.embedding, plain.probes) == (
        200, 1000, 0, ("value",), ("linear", "mlp"))
    paper = parsed("--paper-scale")
    assert {name: getattr(paper, name) for name in PAPER_SCALE} == {
        name: tuple(v) if isinstance(v, (list, tuple)) else v for name, v in PAPER_SCALE.items()}
    # a flag given explicitly wins over the paper's value; the others stay the paper's
    mixed = parsed("--paper-scale", "--samples", "500", "--probes", "linear", "--bootstrap", "2")
    assert (mixed.samples, mixed.probes, mixed.bootstrap) == (500, ("linear",), 2)
    assert (mixed.probe_samples, mixed.compare_starts, mixed.bootstrap_samples) == (3481, 31, 200)
    assert parsed("--samples", "500").probe_samples == 1000
    demo = parsed(command=("demo",))
    assert (demo.samples, demo.probes, demo.probe_samples, demo.n_jobs) == (200, ("linear",), 500, -1)
    # training: the model's shipped recipe, with the training flags given on top
    from subnetscope.studies.modsum import recipe

    assert parsed(model="E").training == recipe("E") and parsed().training == recipe("L")
    tuned = parsed("--weight-decay", "3", "--batch-size", "0", "--seed", "4", model="E").training
    assert (tuned.weight_decay, tuned.batch_size, tuned.seed, tuned.lr) == (3.0, None, 4, recipe("E").lr)


def test_study_nlp_positional_run_folder_is_deprecated_but_read(tmp_path, capsys):
    run = tmp_path / "unused_run"
    assert main(["study", "nlp", str(run), "--data", "nope.tsv", "--no-report"]) == 2
    err = capsys.readouterr().err
    assert "positional RUN_DIR" in err and f"use --out {run}" in err and "'nope.tsv': no such file" in err
    assert main(["study", "nlp", str(run), "--out", str(tmp_path / "other"), "--data", "nope.tsv"]) == 2
    assert "give the run folder once" in capsys.readouterr().err and not run.exists()


def test_missing_inputs_name_the_argument_and_what_was_expected(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["pairwise", "--out", str(empty)]) == 2
    err = capsys.readouterr().err
    assert "REPS not given" in err and "--out" in err and "manifest.json" in err and "subnetscope capture" in err
    assert main(["subnetworks"]) == 2
    assert "give --out RUN_DIR" in capsys.readouterr().err
    assert main(["report"]) == 2
    assert "--out RUN_DIR is required" in capsys.readouterr().err
    assert main(["subnetworks", "--out", str(empty)]) == 2
    assert "without distances/*.npz" in capsys.readouterr().err
    np.savez(tmp_path / "reps.npz", **layer_chain(n=24))
    assert main(["pairwise", str(tmp_path / "reps.npz"), "--out", str(empty), "--quiet"]) == 0
    assert main(["subnetworks", "--out", str(empty), "--bootstrap", "2"]) == 2
    assert "`--bootstrap` needs `--reps REPS.npz`" in capsys.readouterr().err
    assert main(["subnetworks", "--out", str(empty), "--bootstrap", "2", "--reps", str(tmp_path / "reps.npz"),
                 "--groups", "2", "--quiet"]) == 0


def test_choices_come_from_the_library():
    from subnetscope.analysis.subnetworks import METHODS, SELECTIONS
    from subnetscope.capture.pooling import POOLINGS
    from subnetscope.studies.modsum.data import MODEL_KINDS

    assert tuple(_options(_parser(("capture",)))["--pooling"].choices) == POOLINGS
    sub = _options(_parser(("subnetworks",)))
    assert tuple(sub["--method"].choices) == METHODS and tuple(sub["--select"].choices) == SELECTIONS
    assert tuple(_options(_parser(("demo",)))["--model"].choices) == MODEL_KINDS


def test_library_logic_moved_out_of_the_cli_keeps_its_old_names():
    from subnetscope.capture import loading
    from subnetscope.cli import capture as cli_capture
    from subnetscope.cli import _common

    assert cli_capture.load_model is loading.load_model and cli_capture.load_inputs is loading.load_inputs
    assert _common.load_reps is loading.load_representations
    from subnetscope import analysis, plots

    for name in ("tsne_embeddings", "neighbour_overlap", "top_neighbours", "intra_histograms", "kl_divergence",
                 "distance_to_previous", "mean_distance"):
        assert getattr(plots, name) is getattr(analysis, name), name
