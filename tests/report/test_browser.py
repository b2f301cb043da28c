"""The report as a person sees it: opened in headless Chromium, no console errors, every figure
decoded, the heatmaps drawn and answering a hover, and a screenshot saved.

Needs Debian's ``chromium`` (``make chromium``); without it the test SKIPS and says why.
Set ``SUBNETSCOPE_ARTIFACTS=DIR`` to keep the screenshot (``DIR/report.png``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import numpy as np
import pytest

from subnetscope.report import write_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--hide-scrollbars", "--mute-audio"]

# Put first in <head>, so it sees errors from everything after it. After load it hovers the
# top-right cell of every heatmap and writes what it found into <pre id="probe"> for --dump-dom.
PROBE = r"""<script>
window.__errors = [];
window.addEventListener("error", function (e) {
  var t = e.target, what = t && t !== window && (t.src || t.href);
  window.__errors.push(what ? "failed to load " + String(what).slice(0, 60) : String(e.message));
}, true);
window.addEventListener("unhandledrejection", function (e) { window.__errors.push("unhandled: " + e.reason); });
var __consoleError = console.error;
console.error = function () { window.__errors.push(Array.prototype.join.call(arguments, " ")); __consoleError.apply(console, arguments); };
window.addEventListener("load", function () { setTimeout(function () {
  var images = Array.prototype.map.call(document.images, function (i) {
    return {alt: i.alt, complete: i.complete, width: i.naturalWidth, height: i.naturalHeight}; });
  var canvases = Array.prototype.map.call(document.querySelectorAll("canvas.heatmap"), function (c) {
    var r = c.getBoundingClientRect(), cell = Number(c.dataset.cell), margin = Number(c.dataset.margin);
    var L = JSON.parse(document.getElementById(c.dataset.source).textContent).names.length;
    var top = Number(c.dataset.top || 0);  // room above the first row, for its label
    var x = margin + (L - 0.5) * cell, y = top + 0.5 * cell;  // centre of the top-right cell, canvas pixels
    c.dispatchEvent(new MouseEvent("mousemove", {clientX: r.left + x * r.width / c.width,
                                                  clientY: r.top + y * r.height / c.height, bubbles: true}));
    var px = c.getContext("2d").getImageData(Math.floor(x), Math.floor(y), 1, 1).data;
    return {drawn: c.dataset.drawn === "1", width: c.width, height: c.height,
            tip: c.parentNode.querySelector(".tip").textContent, pixel: Array.prototype.slice.call(px, 0, 3)}; });
  var pre = document.createElement("pre"); pre.id = "probe";
  pre.textContent = JSON.stringify({errors: window.__errors, images: images, canvases: canvases});
  document.body.appendChild(pre);
}, 0); });
</script>"""


def _chromium(*args, timeout=90):
    return subprocess.run([CHROMIUM, *FLAGS, *args], capture_output=True, text=True, timeout=timeout)


@pytest.mark.chromium
@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (run `make chromium`, "
                    "which needs apt-get); the report was not checked in a browser")
def test_report_renders_in_headless_chromium(run_folder, tmp_path):
    report = write_report(run_folder.path)
    probed = tmp_path / "probed.html"
    probed.write_text(report.read_text().replace("<head>", "<head>" + PROBE, 1))

    done = _chromium("--virtual-time-budget=10000", "--dump-dom", probed.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    match = re.search(r'<pre id="probe">(.*?)</pre>', done.stdout, re.S)
    assert match, f"the page never finished loading; chromium said: {done.stderr[-2000:]}"
    import html

    probe = json.loads(html.unescape(match.group(1)))
    assert probe["errors"] == []
    assert "Uncaught" not in done.stderr

    assert len(probe["images"]) == 2
    for image in probe["images"]:
        assert image["complete"] and image["width"] > 100 and image["height"] > 100, image

    labels = run_folder.distance_labels()
    assert len(probe["canvases"]) == len(labels)
    for label, canvas in zip(labels, probe["canvases"]):
        d = run_folder.load_distances(label)
        assert canvas["drawn"] and canvas["width"] > 100, canvas
        # hovering the top-right cell names the first and the last layer and their distance
        expected = f"{d.names[0]} \u2194 {d.names[-1]}: "
        assert canvas["tip"].startswith(expected), canvas["tip"]
        assert float(canvas["tip"][len(expected):]) == pytest.approx(d.matrix[0, -1], rel=1e-3)
        assert canvas["pixel"] != [255, 255, 255]  # a coloured cell, not the background

    screenshot = tmp_path / "report.png"
    shot = _chromium("--window-size=1280,1600", f"--screenshot={screenshot}", report.as_uri())
    assert shot.returncode == 0 and screenshot.is_file(), shot.stderr[-2000:]
    from matplotlib.image import imread

    pixels = imread(screenshot)
    assert pixels.shape[:2] == (1600, 1280)
    assert np.std(pixels[..., :3]) > 0.05  # not a blank page
    if os.environ.get("SUBNETSCOPE_ARTIFACTS"):
        out = os.path.join(os.environ["SUBNETSCOPE_ARTIFACTS"], "report.png")
        os.makedirs(os.path.dirname(out), exist_ok=True)
        shutil.copy(screenshot, out)
