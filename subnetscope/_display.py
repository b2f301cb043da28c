"""How results show themselves: a short ``repr`` and, in Jupyter, a small HTML heat map and
group table (``_repr_html_``). Plain HTML and inline styles, no script and no matplotlib, so
a notebook renders it instantly and a trusted or untrusted notebook shows the same; every
layer name is escaped."""

from __future__ import annotations

from html import escape
from typing import Any

import numpy as np

__all__ = ["distances_repr", "distances_html", "subnetworks_repr", "subnetworks_html", "colour"]

#: viridis at 0, 1/4, 1/2, 3/4, 1 (matplotlib's values): the colours of the figures
_VIRIDIS = np.array([[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]], float)
#: a qualitative palette for groups (matplotlib's tab10)
_GROUPS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf")
_MAX_CELLS = 48  # layers per axis drawn in a notebook; larger matrices show every k-th layer


def colour(t: float) -> str:
    """Hex colour of ``t`` in [0, 1] on viridis (NaN: grey)."""
    if not np.isfinite(t):
        return "#cccccc"
    x = min(max(float(t), 0.0), 1.0) * (len(_VIRIDIS) - 1)
    k = min(int(x), len(_VIRIDIS) - 2)
    rgb = _VIRIDIS[k] + (x - k) * (_VIRIDIS[k + 1] - _VIRIDIS[k])
    return "#" + "".join(f"{int(round(c)):02x}" for c in rgb)


def _shown(n: int) -> np.ndarray:
    return np.arange(0, n, int(np.ceil(n / _MAX_CELLS)) if n > _MAX_CELLS else 1)


def _describe(distances: Any) -> str:
    rows, cols = distances.matrix.shape
    layers = f"{rows} × {cols} layers (two models)" if distances.is_cross else f"{rows} layers"
    n = f", n = {distances.n_samples}" if distances.n_samples else ""
    return f"{distances.measure}, {layers}{n}"


def distances_repr(distances: Any) -> str:
    """One line: measure, size, value range and a few names (never the whole array)."""
    M = distances.matrix
    off = M[~np.eye(*M.shape, dtype=bool)] if not distances.is_cross else M.ravel()
    span = f", values {off.min():.3g} .. {off.max():.3g}" if off.size else ""

    def names(seq):
        seq = list(seq)
        return ", ".join(seq) if len(seq) <= 6 else ", ".join(seq[:3] + ["..."] + seq[-2:])

    cols = f"; columns: {names(distances.columns)}" if distances.is_cross else ""
    return f"LayerDistances({_describe(distances)}{span}; {'rows' if cols else 'layers'}: {names(distances.names)}{cols})"


def distances_html(distances: Any) -> str:
    """A heat map as an HTML table: one coloured cell per pair (value on hover), names on
    the rows, column numbers on top (names on hover), and the value range."""
    M = distances.matrix
    rows, cols = _shown(M.shape[0]), _shown(M.shape[1])
    finite = M[np.isfinite(M)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    scale = (high - low) or 1.0
    row_names, col_names = distances.row_names, distances.column_names
    cell = "width:11px;height:11px;padding:0;border:0"
    head = "".join(f'<th title="{escape(col_names[j])}" style="font-size:8px;font-weight:normal;padding:0 1px">'
                   f"{j}</th>" for j in cols)
    body = []
    for i in rows:
        cells = "".join(
            f'<td title="{escape(row_names[i])} | {escape(col_names[j])}: {M[i, j]:.4g}" '
            f'style="{cell};background:{colour((M[i, j] - low) / scale)}"></td>' for j in cols)
        body.append(f'<tr><th style="font-size:9px;font-weight:normal;text-align:right;padding:0 4px">'
                    f"{i} {escape(row_names[i])}</th>{cells}</tr>")
    skipped = "" if len(rows) == M.shape[0] and len(cols) == M.shape[1] else (
        f"; one layer in {int(np.ceil(max(M.shape) / _MAX_CELLS))} shown")
    ramp = "".join(f'<span style="display:inline-block;width:12px;height:8px;background:{colour(t)}"></span>'
                   for t in np.linspace(0, 1, 8))
    caption = (f"<b>LayerDistances</b>: {escape(_describe(distances))}{skipped}<br>"
               f"{low:.3g} {ramp} {high:.3g} (dark: similar){_axes_note(distances)}")
    return (f'<div class="subnetscope-distances"><div style="font-size:12px;margin-bottom:4px">{caption}</div>'
            f'<table style="border-collapse:collapse;border:0"><tr><th></th>{head}</tr>{"".join(body)}'
            "</table></div>")


def _axes_note(distances: Any) -> str:
    return "; rows: first model, columns: second model" if distances.is_cross else ""


def subnetworks_repr(subnetworks: Any) -> str:
    ranges = " | ".join(r["first"] if r["size"] == 1 else f"{r['first']}..{r['last']}"
                        for r in subnetworks.ranges())
    return (f"Subnetworks({subnetworks.n_groups} group{'s' if subnetworks.n_groups != 1 else ''} over "
            f"{len(subnetworks.names)} layers, method={subnetworks.method!r}, measure={subnetworks.measure!r}: "
            f"{ranges})")


def subnetworks_html(subnetworks: Any) -> str:
    """A strip with one coloured cell per layer (its group) and the table of ranges."""
    strip = "".join(
        f'<td title="{escape(name)}: group {g}" style="width:12px;height:12px;padding:0;border:1px solid #fff;'
        f'background:{_GROUPS[g % len(_GROUPS)]}"></td>' for name, g in zip(subnetworks.names, subnetworks.labels))
    rows = []
    for r in subnetworks.ranges():
        layers = r["first"] if r["size"] == 1 else f"{r['first']} .. {r['last']}"
        support = "–" if r["support"] is None else f"{r['support']:.2f}"
        swatch = (f'<span style="display:inline-block;width:10px;height:10px;'
                  f'background:{_GROUPS[r["group"] % len(_GROUPS)]}"></span>')
        rows.append(f"<tr><td>{swatch} {r['group']}</td><td>{escape(layers)}</td>"
                    f"<td>{r['start']}–{r['stop'] - 1}</td><td>{r['size']}</td><td>{support}</td></tr>")
    chosen = subnetworks.selection.get("criterion", "") if subnetworks.selection else ""
    caption = (f"<b>Subnetworks</b>: {subnetworks.n_groups} group{'s' if subnetworks.n_groups != 1 else ''} "
               f"in {len(subnetworks.ranges())} range{'s' if len(subnetworks.ranges()) != 1 else ''} over "
               f"{len(subnetworks.names)} layers ({escape(subnetworks.method)}, {escape(subnetworks.measure)}"
               f"{'; number of groups: ' + escape(str(chosen)) if chosen else ''})")
    th = '<th style="text-align:left;padding:0 8px">'
    return (f'<div class="subnetscope-subnetworks"><div style="font-size:12px">{caption}</div>'
            f'<table style="border-collapse:collapse;margin:4px 0"><tr>{strip}</tr></table>'
            f"<table><tr>{th}group</th>{th}layers</th>{th}indices</th>{th}size</th>{th}support</th></tr>"
            f"{''.join(rows)}</table></div>")
