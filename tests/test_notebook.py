"""examples/quickstart.ipynb runs as written: its code cells, in order, in one fresh namespace
(what "Run all" does), offline, in a temporary folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "examples" / "quickstart.ipynb"


@pytest.mark.slow
def test_quickstart_notebook_runs_top_to_bottom(tmp_path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    notebook = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    assert notebook["nbformat"] == 4
    cells = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    assert all(not c["outputs"] for c in cells), "commit the notebook without outputs"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    namespace: dict = {"__name__": "__main__"}
    for cell in cells:
        exec(compile("".join(cell["source"]), f"{NOTEBOOK.name}:{cell['id']}", "exec"), namespace)
    # what the walk-through promises: a model's groups, two models compared, a report
    groups, cross = namespace["groups"], namespace["cross"]
    assert groups.names == tuple(f"blocks.{k}" for k in range(6)) and groups.n_groups >= 1
    assert cross.matrix.shape == (6, 6) and cross.columns == groups.names
    assert namespace["dynamics"].steps == [0, 100, 200, 300]
    report = tmp_path / namespace["report"]
    text = report.read_text(encoding="utf-8")
    assert "blocks.0" in text and "GW between the layers of two training seeds" in text
    import matplotlib.pyplot as plt

    plt.close("all")
