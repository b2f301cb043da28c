import base64
import json
import re
from html.parser import HTMLParser

import numpy as np
import pytest

from subnetscope.cli import main
from subnetscope.report import render_report, write_report


class _Collector(HTMLParser):
    """Every tag with its attributes, the JSON data blocks and the text, as a browser parses them."""

    def __init__(self):
        super().__init__()
        self.tags, self.json_blocks, self.text = [], {}, []
        self._json_id = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag == "script" and attrs.get("type") == "application/json":
            self._json_id = attrs["id"]

    def handle_endtag(self, tag):
        self._json_id = None

    def handle_data(self, data):
        if self._json_id:
            self.json_blocks[self._json_id] = json.loads(data)
        else:
            self.text.append(data)


def _parse(text):
    parser = _Collector()
    parser.feed(text)
    return parser


def test_report_opens_with_the_answer_then_evidence_in_order(run_folder):
    path = write_report(run_folder.path)
    assert path == run_folder.path / "report.html"
    text = path.read_text()
    page = " ".join(_parse(text).text)
    # the answer, as layer ranges with support
    assert "layer0 – layer2 (support 0.95); layer3 – layer5" in page
    assert "eigengap" in page and "20 bootstrap resamples" in page
    positions = [text.index(f'<section id="{key}">') for key in
                 ("answer", "distances", "figures", "tables", "options", "timings", "versions", "reproduce")]
    assert positions == sorted(positions)
    assert "subnetscope demo --samples 24 --out runs/toy" in page
    assert "Probe accuracy per layer" in page and "held-out split" in page
    assert "0.42 s" in page and "numpy" in page


def test_figures_are_embedded_byte_for_byte_with_escaped_captions(run_folder):
    text = render_report(run_folder.path)
    parsed = _parse(text)
    sources = [attrs["src"] for tag, attrs in parsed.tags if tag == "img"]
    png = (run_folder.path / "figures" / "gw_heatmap.png").read_bytes()
    embedded = [base64.b64decode(s.split(",", 1)[1]) for s in sources]
    assert png in embedded
    assert all(s.startswith("data:image/png;base64,") for s in sources)
    assert all(e[:8] == b"\x89PNG\r\n\x1a\n" for e in embedded)
    assert len(embedded) == 2  # the run's figure + the distance-to-previous profile
    assert "&lt;with&gt; the boundary &amp; its support" in text


def test_nothing_is_fetched_from_the_network(run_folder):
    parsed = _parse(render_report(run_folder.path))
    for tag, attrs in parsed.tags:
        for key in ("src", "href"):
            value = attrs.get(key) or ""
            assert not re.match(r"^(https?:)?//", value), f"<{tag} {key}={value!r}> needs the network"
    assert not any(tag == "link" for tag, _ in parsed.tags)


def test_interactive_heatmaps_carry_the_exact_matrices_and_boundaries(run_folder):
    parsed = _parse(render_report(run_folder.path))
    canvases = [attrs for tag, attrs in parsed.tags if tag == "canvas"]
    assert len(canvases) == 2
    blocks = [parsed.json_blocks[c["data-source"]] for c in canvases]
    by_label = dict(zip(run_folder.distance_labels(), blocks))
    for label, block in by_label.items():
        d = run_folder.load_distances(label)
        assert block["names"] == list(d.names)
        np.testing.assert_allclose(block["matrix"], d.matrix, rtol=1e-15)
    assert by_label["gw"]["boundaries"] == [3]
    assert by_label["gw.mean"]["boundaries"] == []  # no sub-networks were found for it


def test_json_blocks_cannot_close_their_script_tag(tmp_path):
    from subnetscope.engine.layer_distances import LayerDistances
    from subnetscope.runs import RunFolder

    run = RunFolder(tmp_path)
    LayerDistances(("</script><b>x", "y"), np.array([[0.0, 1.0], [1.0, 0.0]]), "gw").save(run.distances_path("gw"))
    parsed = _parse(render_report(tmp_path))
    (block,) = parsed.json_blocks.values()
    assert block["names"] == ["</script><b>x", "y"]
    assert not any(tag == "b" for tag, _ in parsed.tags)


def test_a_folder_without_subnetworks_says_so(tmp_path, run_folder):
    for p in (run_folder.path / "subnetworks").glob("*.json"):
        p.unlink()
    page = " ".join(_parse(render_report(run_folder.path)).text)
    assert "No sub-networks in this run folder" in page


def test_bad_run_folders_are_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match="run folder .*nope' does not exist"):
        render_report(tmp_path / "nope")
    with pytest.raises(ValueError, match="is not a run folder: it has no run.json"):
        render_report(tmp_path)
    assert not (tmp_path / "distances").exists()  # reading never creates folders in a stranger's directory


def test_cli_writes_the_report_and_fails_cleanly(run_folder, tmp_path, capsys):
    assert main(["report", str(run_folder.path)]) == 0
    assert (run_folder.path / "report.html").is_file()
    assert "report.html" in capsys.readouterr().out
    assert main(["report", str(tmp_path / "missing")]) == 2
    assert "subnetscope report: error: run folder" in capsys.readouterr().err


def test_long_summary_values_fold_and_selection_scores_are_rounded(run_folder):
    per_layer = {f"layer{k}": 0.123456789 * k for k in range(40)}
    run_folder.update_meta(summary={"groups": 2, "per_layer": per_layer,
                                    "training": {"stages": [{"stage": "s1", "val_accuracy": 1.0},
                                                            {"stage": "s2", "val_accuracy": 0.84}]}})
    parsed = _parse(render_report(run_folder.path))
    page = " ".join(parsed.text)
    assert ("details", {}) in parsed.tags and ("summary", {}) in parsed.tags
    assert "per layer (40 entries)" in page  # folded, with the count shown
    assert "layer39 4.815" in page and '"layer39"' not in page  # a table of values, not raw JSON
    # the stages are a table, and the one short of 100% is a caveat at the top of the page
    assert "training stages" in page and "84.0% validation accuracy" in page
    assert "s2" in parsed.text and "entries" not in " ".join(t for t in parsed.text if "per layer" not in t)
    assert page.index("Read these first") < page.index("Layer ranges:")  # caveats before the findings
    assert "scores 2: 0.61, 3: 0.22" in page
    assert "groups" in page and "2" in page  # short values stay plain
