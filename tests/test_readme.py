"""The README's Python example and CLI chain run as written, on a tiny offline BERT (no network).

Only the placeholders are given values: `model`, `inputs`, `Y1`, `Y2` for the Python block,
MODEL_DIR and texts.txt for the commands. If the README drifts from the code, this fails.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import numpy as np
import pytest

transformers = pytest.importorskip("transformers")
torch = pytest.importorskip("torch")

README = Path(__file__).resolve().parents[1] / "README.md"
WORDS = ["the", "cat", "sat", "on", "mat", "a", "dog", "ran", "far", "away", "big", "red", "not", "good"]


def _block(heading: str, language: str) -> str:
    text = README.read_text()
    section = text.split(heading, 1)[1]
    return re.search(rf"```{language}\n(.*?)```", section, flags=re.S).group(1)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    """A 3-block BERT with its tokenizer saved as a Hugging Face folder, and 1000 texts."""
    folder = tmp_path_factory.mktemp("model")
    (folder / "vocab.txt").write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + WORDS) + "\n")
    tokenizer = transformers.BertTokenizerFast(vocab_file=str(folder / "vocab.txt"))
    torch.manual_seed(0)
    config = transformers.BertConfig(vocab_size=len(WORDS) + 5, hidden_size=8, num_hidden_layers=3,
                                     num_attention_heads=2, intermediate_size=12, max_position_embeddings=16)
    model = transformers.BertModel(config, add_pooling_layer=False).eval()
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    rng = np.random.default_rng(0)
    texts = [" ".join(rng.choice(WORDS, size=rng.integers(1, 7))) for _ in range(1000)]
    return folder, model, tokenizer, texts


def test_readme_python_example_runs_as_written(tiny_model, tmp_path, monkeypatch):
    _, model, tokenizer, texts = tiny_model
    monkeypatch.chdir(tmp_path)
    inputs = dict(tokenizer(texts, padding=True, return_tensors="pt"))
    Y1, Y2 = np.random.default_rng(1).normal(size=(2, 40, 3))
    namespace = {"model": model, "inputs": inputs, "Y1": Y1, "Y2": Y2}
    exec(compile(_block("## In Python", "python"), str(README), "exec"), namespace)
    reps, d, groups = namespace["reps"], namespace["d"], namespace["groups"]
    assert list(reps) == ["block1", "block2", "block3"] and reps.settings["pooling"] == "mean"
    assert d.n_samples == 1000 and (tmp_path / "distances.npz").is_file() and (tmp_path / "cache").is_dir()
    assert sum(len(g) for g in groups.groups) == 3
    assert "block1" in (tmp_path / "report.html").read_text()


def test_readme_command_chain_runs_as_written(tiny_model, tmp_path, monkeypatch, capsys):
    from subnetscope.cli import main

    folder, _, _, texts = tiny_model
    monkeypatch.chdir(tmp_path)
    (tmp_path / "texts.txt").write_text("\n".join(texts) + "\n")
    lines = [line.split("#", 1)[0].strip() for line in _block("## On the command line", "bash").splitlines()]
    chain = [line for line in lines if line.startswith("subnetscope") and line.split()[1] in
             ("capture", "pairwise", "subnetworks", "report")]
    assert [c.split()[1] for c in chain] == ["capture", "pairwise", "subnetworks", "report"]
    for line in chain:
        argv = shlex.split(line.replace("MODEL_DIR", str(folder)))[1:]
        assert main(argv) == 0, (line, capsys.readouterr().err)
        assert "--out run/" in line and "deprecated" not in capsys.readouterr().err  # one run folder, new spellings
    page = (tmp_path / "run" / "report.html").read_text()
    reproduce = page.split('id="reproduce"', 1)[1]
    for step in ("subnetscope capture", "subnetscope pairwise --out run/", "subnetscope subnetworks --out run/",
                 "subnetscope report"):
        assert step in reproduce, step  # every command of the chain, in the report
    assert reproduce.index("subnetscope capture") < reproduce.index("subnetscope pairwise") \
        < reproduce.index("subnetscope subnetworks")
