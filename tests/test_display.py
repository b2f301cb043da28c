"""Results in a notebook: short repr, HTML heat map and group table, pandas export."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest

import subnetscope as ss
from subnetscope._display import colour


def _distances(L=6, names=None):
    x = np.arange(float(L))
    D = np.abs(x[:, None] - x[None]) + 3.0 * (x[:, None] < 3) * (x[None] >= 3) + 3.0 * (x[:, None] >= 3) * (x[None] < 3)
    return ss.LayerDistances(tuple(names or (f"layer{k}" for k in range(L))), D, "gw", n_samples=50)


def test_repr_is_one_short_line_without_the_array():
    d = _distances(200)
    text = repr(d)
    assert "\n" not in text and len(text) < 200
    assert text.startswith("LayerDistances(gw, 200 layers, n = 50, values 1 .. ")
    assert "layer0, layer1, layer2, ..., layer198, layer199" in text
    groups = ss.find_subnetworks(_distances(), method="contiguous", n_groups=2)
    assert repr(groups) == ("Subnetworks(2 groups over 6 layers, method='contiguous', measure='gw': "
                            "layer0..layer2 | layer3..layer5)")


def test_html_heat_map_has_one_cell_per_pair_coloured_by_value():
    d = _distances()
    html = d._repr_html_()
    cells = re.findall(r'<td title="([^"]*)" style="[^"]*background:(#[0-9a-f]{6})"', html)
    assert len(cells) == 36
    low, high = d.matrix.min(), d.matrix.max()
    for (title, hex_colour), value in zip(cells, d.matrix.ravel()):
        assert title.endswith(f": {value:.4g}")
        assert hex_colour == colour((value - low) / (high - low))
    assert colour(0.0) == "#440154" and colour(1.0) == "#fde725"  # viridis' ends


def test_html_of_a_large_matrix_shows_every_kth_layer_and_escapes_names():
    big = _distances(100)
    html = big._repr_html_()
    assert len(re.findall(r"<td ", html)) == len(range(0, 100, 3)) ** 2
    hostile = _distances(3, names=["<script>alert(1)</script>", "b", "c"])
    assert "<script>" not in hostile._repr_html_()
    groups = ss.Subnetworks(names=("<b>x</b>", "y", "z"), labels=[0, 0, 1], method="contiguous")
    table = groups._repr_html_()
    assert "<b>x</b>" not in table and "&lt;b&gt;x&lt;/b&gt;" in table
    assert len(re.findall(r'<td title="[^"]*: group (\d)"', table)) == 3
    assert re.findall(r'<td title="[^"]*: group (\d)"', table) == ["0", "0", "1"]


def test_to_frame_is_indexed_by_layer_names():
    pd = pytest.importorskip("pandas")
    d = _distances()
    frame = d.to_frame()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.index) == list(d.names) and list(frame.columns) == list(d.names)
    assert frame.loc["layer1", "layer4"] == d["layer1", "layer4"]
    frame.iloc[0, 1] = -1.0  # a copy: the result is not changed through the frame
    assert d.matrix[0, 1] != -1.0
    cross = ss.LayerDistances(("a", "b"), np.arange(6.0).reshape(2, 3), columns=("x", "y", "z"))
    assert cross.to_frame().loc["b", "x"] == 3.0


def test_import_stays_light():
    code = ("import sys, subnetscope as ss, numpy as np; d = ss.LayerDistances(('a', 'b'), np.zeros((2, 2))); "
            "repr(d); d._repr_html_(); print(sorted(m for m in ('pandas', 'matplotlib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
