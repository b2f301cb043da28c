"""The report's inline style sheet and script (no CDN: the file must open offline)."""

CSS = """
:root { --fg:#1d232a; --muted:#5b6670; --line:#d8dee4; --accent:#3b5bdb; --bg:#fff; --soft:#f5f7f9; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg);
       background: var(--bg); margin: 0; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 28px 64px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 36px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 16px; margin: 20px 0 6px; }
.meta { color: var(--muted); font-size: 13px; }
nav { margin: 12px 0 0; font-size: 13px; }
nav a { margin-right: 14px; color: var(--accent); text-decoration: none; }
table { border-collapse: collapse; margin: 6px 0 14px; font-size: 13.5px; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 10px; text-align: left; vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.answer { background: #eef3ff; border: 1px solid #c9d6ff; border-radius: 8px; padding: 10px 16px; }
.answer p { margin: 6px 0; }
.caveats { background: #fff4e5; border: 1px solid #f0b45a; border-radius: 8px; padding: 8px 16px; margin: 0 0 12px; }
.caveats ul, ul.groups { margin: 4px 0; padding-left: 22px; }
h4 { font-size: 14px; margin: 14px 0 4px; }
figure { margin: 14px 0 22px; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--line); }
figcaption { color: var(--muted); font-size: 13px; margin-top: 4px; }
pre { background: var(--soft); border: 1px solid var(--line); padding: 8px 12px; overflow-x: auto;
      font-size: 12.5px; white-space: pre-wrap; word-break: break-all; }
.heatmaps { display: flex; flex-wrap: wrap; gap: 18px 28px; align-items: flex-start; }
.heatmap-wrap { position: relative; display: inline-block; }
.panel h3 { margin-top: 8px; }
canvas.heatmap { max-width: 100%; cursor: crosshair; }
.tip { position: absolute; pointer-events: none; background: rgba(20,24,28,.92); color: #fff;
       font-size: 12px; padding: 3px 7px; border-radius: 4px; white-space: nowrap; display: none; z-index: 2; }
.hint { color: var(--muted); font-size: 12.5px; }
.empty { color: var(--muted); font-style: italic; }
"""

# Draws every <canvas class="heatmap" data-source="ID"> from the JSON in <script id="ID">:
# {"names": [...], "matrix": [[...]], "boundaries": [...], "palette": [[r,g,b], ...], "measure": ...}
JS = r"""
(function () {
  "use strict";
  function colour(palette, t) {
    if (!(t >= 0)) t = 0;
    if (t > 1) t = 1;
    var x = t * (palette.length - 1), i = Math.min(Math.floor(x), palette.length - 2), f = x - i;
    var a = palette[i], b = palette[i + 1];
    return "rgb(" + [0, 1, 2].map(function (k) { return Math.round(a[k] + f * (b[k] - a[k])); }).join(",") + ")";
  }
  function draw(canvas) {
    var data = JSON.parse(document.getElementById(canvas.dataset.source).textContent);
    var M = data.matrix, L = M.length, names = data.names;
    var cell = Math.max(2, Math.min(40, Math.floor(480 / L)));
    var ctx = canvas.getContext("2d"), font = "11px system-ui, sans-serif";
    ctx.font = font;
    var step = Math.max(1, Math.ceil(12 / cell)), margin = 0;
    names.forEach(function (n) { margin = Math.max(margin, ctx.measureText(n).width); });
    margin = Math.min(140, Math.ceil(margin) + 8);
    // top: room for the first row's label (half a text line above the first cell); bar: colour bar
    var top = 8, bar = 74;
    canvas.width = margin + cell * L + bar; canvas.height = top + cell * L + margin;
    ctx = canvas.getContext("2d"); ctx.font = font; ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    var lo = Infinity, hi = -Infinity;
    M.forEach(function (row) { row.forEach(function (v) { if (v < lo) lo = v; if (v > hi) hi = v; }); });
    var span = hi > lo ? hi - lo : 1;
    for (var i = 0; i < L; i++) for (var j = 0; j < L; j++) {
      ctx.fillStyle = colour(data.palette, (M[i][j] - lo) / span);
      ctx.fillRect(margin + j * cell, top + i * cell, cell, cell);
    }
    ctx.fillStyle = "#1d232a"; ctx.textBaseline = "middle";
    for (var k = 0; k < L; k += step) {
      ctx.textAlign = "right"; ctx.fillText(names[k], margin - 4, top + (k + 0.5) * cell, margin - 6);
      ctx.save(); ctx.translate(margin + (k + 0.5) * cell, top + L * cell + 4); ctx.rotate(-Math.PI / 2);
      ctx.fillText(names[k], 0, 0, margin - 6); ctx.restore();
    }
    // colour bar: low (dark) at the bottom, high (bright) at the top, with both values
    var bx = margin + cell * L + 12, bh = cell * L;
    for (var y = 0; y < bh; y++) {
      ctx.fillStyle = colour(data.palette, 1 - y / Math.max(1, bh - 1));
      ctx.fillRect(bx, top + y, 12, 1);
    }
    ctx.strokeStyle = "#888"; ctx.lineWidth = 1; ctx.strokeRect(bx, top, 12, bh);
    ctx.fillStyle = "#1d232a"; ctx.textAlign = "left";
    ctx.fillText(Number(hi).toPrecision(3), bx + 16, top + 5);
    ctx.fillText(Number(lo).toPrecision(3), bx + 16, top + bh - 5);
    ctx.save(); ctx.translate(bx + 24, top + bh / 2); ctx.rotate(-Math.PI / 2); ctx.textAlign = "center";
    ctx.fillText((data.measure || "") + " distance", 0, 18); ctx.restore();
    ctx.strokeStyle = "#fff"; ctx.lineWidth = Math.max(1.5, cell / 10);
    (data.boundaries || []).forEach(function (b) {
      ctx.beginPath(); ctx.moveTo(margin + b * cell, top); ctx.lineTo(margin + b * cell, top + L * cell);
      ctx.moveTo(margin, top + b * cell); ctx.lineTo(margin + L * cell, top + b * cell); ctx.stroke();
    });
    var tip = canvas.parentNode.querySelector(".tip");
    canvas.addEventListener("mousemove", function (ev) {
      var r = canvas.getBoundingClientRect(), sx = canvas.width / r.width, sy = canvas.height / r.height;
      var x = (ev.clientX - r.left) * sx - margin, y = (ev.clientY - r.top) * sy - top;
      var j = Math.floor(x / cell), i = Math.floor(y / cell);
      if (x < 0 || i < 0 || j < 0 || i >= L || j >= L) { tip.style.display = "none"; return; }
      tip.textContent = names[i] + " \u2194 " + names[j] + ": " + Number(M[i][j]).toPrecision(4);
      tip.style.left = (ev.clientX - r.left + 12) + "px"; tip.style.top = (ev.clientY - r.top + 12) + "px";
      tip.style.display = "block";
    });
    canvas.addEventListener("mouseleave", function () { tip.style.display = "none"; });
    canvas.dataset.cell = cell; canvas.dataset.margin = margin; canvas.dataset.top = top;
    canvas.dataset.drawn = "1";
  }
  function init() { Array.prototype.forEach.call(document.querySelectorAll("canvas.heatmap"), draw); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
"""
