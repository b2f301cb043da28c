"""The HTML building blocks of the report: value formatting, tables, embedded images and JSON."""

from __future__ import annotations

import base64
import html
import json
from typing import Any, Mapping

import numpy as np

__all__ = ["fmt", "finite_json", "json_script", "kv_cell", "kv_table", "palette", "png_data_uri", "scores_text",
           "table"]

_esc = html.escape


def fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(fmt(v) for v in value)
    if isinstance(value, Mapping):  # "key: value; key: value", not JSON
        return "; ".join(f"{k}: {fmt(v)}" for k, v in value.items())
    return str(value)


def table(columns, rows, note: str = "") -> str:
    head = "".join(f"<th>{_esc(str(c))}</th>" for c in columns)
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="num">{_esc(fmt(v))}</td>' if isinstance(v, (int, float)) and not isinstance(v, bool)
            else f"<td>{_esc(fmt(v))}</td>" for v in row
        )
        body.append(f"<tr>{cells}</tr>")
    note_html = f'<p class="hint">{_esc(note)}</p>' if note else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{note_html}"


_LONG = 240  # characters: longer structured values are folded into a <details> element


def kv_cell(value: Any) -> str:
    text = fmt(value)
    if isinstance(value, (Mapping, list, tuple)) and len(text) > _LONG:
        entries = f"{len(value)} entr{'y' if len(value) == 1 else 'ies'}"
        pairs = value.items() if isinstance(value, Mapping) else enumerate(value)
        full = "".join(f"<tr><td>{_esc(str(k))}</td><td>{_esc(fmt(v))}</td></tr>" for k, v in pairs)
        return (f"<td><details><summary>{_esc(text[:120])}… ({entries})</summary>"
                f"<table><tbody>{full}</tbody></table></details></td>")
    cls = ' class="num"' if isinstance(value, (int, float)) and not isinstance(value, bool) else ""
    return f"<td{cls}>{_esc(text)}</td>"


def scores_text(scores: Any) -> str:
    """``k = score`` pairs, 3 significant digits: ``2: 0.782, 3: 0.728``."""
    if not isinstance(scores, Mapping):
        return fmt(scores)
    return ", ".join(f"{k}: {v:.3g}" if isinstance(v, (int, float)) else f"{k}: {fmt(v)}" for k, v in scores.items())


def kv_table(mapping: Mapping[str, Any], key: str = "option", value: str = "value") -> str:
    if not mapping:
        return '<p class="empty">none recorded</p>'
    rows = "".join(f"<tr><td>{_esc(str(k))}</td>{kv_cell(v)}</tr>" for k, v in mapping.items())
    return (f"<table><thead><tr><th>{_esc(key)}</th><th>{_esc(value)}</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>")


def png_data_uri(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def finite_json(data: Any) -> Any:
    # JSON has no NaN or Infinity: a non-finite number becomes null (never a bare NaN token)
    if isinstance(data, float) and not np.isfinite(data):
        return None
    if isinstance(data, Mapping):
        return {k: finite_json(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [finite_json(v) for v in data]
    return data


def json_script(element_id: str, data: Any) -> str:
    text = json.dumps(finite_json(data), separators=(",", ":"), default=float, allow_nan=False).replace("</", "<\\/")
    return f'<script type="application/json" id="{_esc(element_id)}">{text}</script>'


def palette(cmap: str = "viridis", n: int = 17) -> list[list[int]]:
    from matplotlib import colormaps

    colours = colormaps[cmap](np.linspace(0.0, 1.0, n))[:, :3]
    return np.round(colours * 255).astype(int).tolist()

