"""`write_report(distances, path, subnetworks=groups)`: a report straight from Python results."""

from __future__ import annotations

import html
import re

import numpy as np
import pytest

import subnetscope as ss
from tests.conftest import layer_chain


def _text(path) -> str:
    page = path.read_text()
    page = re.sub(r"<script.*?</script>|<style.*?</style>", "", page, flags=re.S)
    return re.sub(r"[ \t]+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def test_report_from_python_results_records_what_made_them(tmp_path):
    torch = pytest.importorskip("torch")
    from torch import nn

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 3))
    reps = ss.capture(model, np.random.default_rng(0).normal(size=(40, 4)), lambda name, m: True, progress=False)
    d = ss.pairwise(reps, "gw", n_samples=30, seed=2, progress=False)
    groups = ss.find_subnetworks(d, n_groups=2)
    out = ss.write_report(d, tmp_path / "report.html", subnetworks=groups)
    text = _text(out)
    first = groups.ranges()[0]
    assert f"{first['first']} – {first['last']}" in text  # the groups, as ranges of named layers
    assert "none recorded" not in text and "not recorded" not in text
    assert "numpy" in text and "torch" in text  # versions
    assert "capture pooling flatten" in text and "samples 30" in text  # options, capture settings
    # the Python that remakes the results, with this matrix's own settings
    assert "ss.pairwise(reps, measure='gw', n_samples=30, seed=2" in text
    assert "ss.find_subnetworks(d, n_groups=2, method='spectral')" in text
    assert "ss.capture(model, inputs, ['0.Linear', '1.Tanh', '2.Linear', '3.ReLU', '4.Linear']" in text
    assert "made in Python" in text and "subnetscope-report-" not in out.read_text()


def test_several_matrices_and_bad_calls(tmp_path):
    reps = layer_chain(n=30)
    gw, cka = ss.pairwise(reps, "gw", progress=False), ss.pairwise(reps, "cka", progress=False)
    groups = ss.find_subnetworks(cka, n_groups=2)
    out = ss.write_report({"gw": gw, "cka": cka}, tmp_path / "two.html", subnetworks={"cka": groups},
                          title="two measures")
    text = _text(out)
    assert "subnetscope report: two measures" in text and "cka: 2 sub-networks" in text
    assert "gw: samples" in text and "cka: samples" in text
    with pytest.raises(ValueError, match="give the file to write"):
        ss.write_report(gw)
    with pytest.raises(TypeError, match="`subnetworks` must be a Subnetworks"):
        ss.write_report(gw, tmp_path / "x.html", subnetworks=[1, 2])
    with pytest.raises(ValueError, match=r"labels \['cca'\] that name none of the matrices"):
        ss.write_report({"gw": gw}, tmp_path / "x.html", subnetworks={"cca": groups})
    with pytest.raises(ValueError, match="other layers than the matrix"):
        ss.write_report(gw.subset(gw.names[:3]), tmp_path / "x.html", subnetworks=groups)
    with pytest.raises(TypeError, match="needs a run folder path or results"):
        ss.write_report(42, tmp_path / "x.html")
    with pytest.raises(TypeError, match="go with results"):
        ss.write_report(tmp_path, subnetworks=groups)
