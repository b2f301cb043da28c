"""Report sections written as prose: caveats first, what each group is, a readable summary.

A report should read like the results section of a paper: what was found, how sure, what it
means, and before all that what limits it. These builders turn run.json and the sub-network
records into sentences and small tables, never raw JSON.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["caveats", "caveats_html", "describe_group", "groups_html", "summary_html"]

_esc = html.escape

# what the transformer preset's layer kinds are, in words (other names are shown as patterns)
_KINDS = {
    "attn": "attention pattern", "attn_pre": "attention score (before softmax)", "k": "key", "q": "query",
    "v": "value", "z": "head output", "resid_pre": "residual stream into the block",
    "resid_mid": "residual stream after attention", "resid_post": "residual stream out of the block",
    "attn_out": "attention output", "pre": "MLP pre-activation", "post": "MLP activation", "mlp_out": "MLP output",
}


def _kind(name: str) -> str:
    """A layer's kind: its name with every number replaced by ``*`` (``block*.head*.attn``)."""
    return re.sub(r"\d+", "*", name)


def _words(kind: str) -> str:
    last = kind.rsplit(".", 1)[-1]
    return f"{_KINDS[last]} ({kind})" if last in _KINDS else kind


def describe_group(members: Sequence[str], names: Sequence[str], max_kinds: int = 3) -> str:
    """What a group holds, by layer kind: ``every attention pattern (block*.head*.attn, 8 of 8)``.

    Kinds are names with their numbers replaced by ``*``; a kind whose every layer is in the
    group is called "every ...", otherwise its share is given.
    """
    total = Counter(_kind(n) for n in names)
    inside = Counter(_kind(n) for n in members)
    if len(inside) == len(members) and len(members) > max_kinds:  # no shared kinds: names say more
        return ""
    parts = []
    for kind, count in inside.most_common(max_kinds):
        if total[kind] == 1:
            parts.append(_words(kind))
        elif count == total[kind]:
            parts.append(f"every {_words(kind)}, {count} of {total[kind]}")
        else:
            parts.append(f"{count} of {total[kind]} {_words(kind)}")
    rest = len(inside) - min(len(inside), max_kinds)
    return "; ".join(parts) + (f"; and {rest} other kind{'s' if rest > 1 else ''}" if rest else "")


def groups_html(rec: Mapping[str, Any]) -> str:
    """One sentence per group: its size, whether it is one run of consecutive layers, what it holds."""
    names = list(rec.get("names") or [])
    groups = rec.get("groups") or []
    ranges = rec.get("ranges") or []
    if not names or not groups:
        return ""
    items = []
    for g, members in enumerate(groups):
        runs = [r for r in ranges if r.get("group") == g]
        shape = ("one run of consecutive layers" if len(runs) <= 1 else
                 f"<strong>not contiguous</strong>: {len(runs)} separate runs of layers")
        what = describe_group(members, names)
        span = f"{_esc(str(members[0]))} … {_esc(str(members[-1]))}" if len(members) > 1 else _esc(str(members[0]))
        items.append(f"<li><strong>group {g}</strong> ({len(members)} layer{'s' if len(members) != 1 else ''}, "
                     f"{span}): {shape}" + (f"; {_esc(what)}" if what else "") + "</li>")
    return f"<ul class=\"groups\">{''.join(items)}</ul>"


# --- caveats ----------------------------------------------------------------------------------
def caveats(meta: Mapping[str, Any]) -> list[str]:
    """What limits the results: run.json's ``caveats``, and any training stage that stopped short
    of 100% validation accuracy (from ``summary.training.stages``)."""
    found = [str(c) for c in meta.get("caveats") or []]
    summary = meta.get("summary") if isinstance(meta.get("summary"), Mapping) else {}
    training = summary.get("training") if isinstance(summary.get("training"), Mapping) else {}
    for stage in training.get("stages") or []:
        if not isinstance(stage, Mapping):
            continue
        val = stage.get("val_accuracy")
        if isinstance(val, (int, float)) and val < 1.0:
            train = stage.get("train_accuracy")
            text = (f"Training {stage.get('stage', '?')} stopped at {val:.1%} validation accuracy"
                    + (f" ({train:.1%} on the training set)" if isinstance(train, (int, float)) else "")
                    + (f" after {stage['epochs']} epochs" if stage.get("epochs") is not None else "")
                    + ": the network has only partly learned this task, so its layers describe a partial "
                    "solution, not the trained one the paper analyses.")
            if not any(text[:40] in c for c in found):
                found.append(text)
    return found


def caveats_html(meta: Mapping[str, Any]) -> str:
    items = caveats(meta)
    if not items:
        return ""
    return ('<div class="caveats"><strong>Read these first</strong><ul>'
            + "".join(f"<li>{_esc(c)}</li>" for c in items) + "</ul></div>")


# --- summary ----------------------------------------------------------------------------------
# summary entries the page shows elsewhere (sub-networks, tables, timings)
_ELSEWHERE = {"subnetworks", "timings_s", "target_distances", "table1", "table4"}
_FOLD = 12  # longer lists and mappings of values fold into a <details> table


def _cell(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}"
    if value is None:
        return "—"
    if isinstance(value, (list, tuple)) and all(not isinstance(v, (Mapping, list, tuple)) for v in value):
        return ", ".join(_cell(v) for v in value)
    if isinstance(value, Mapping) and all(not isinstance(v, (Mapping, list, tuple)) for v in value.values()):
        return ", ".join(f"{k} {_cell(v)}" for k, v in value.items())
    return f"{len(value)} entries" if hasattr(value, "__len__") else str(value)


def _records_table(rows: Sequence[Mapping[str, Any]]) -> str:
    columns = list(dict.fromkeys(k for row in rows for k in row))
    head = "".join(f"<th>{_esc(str(c).replace('_', ' '))}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{_esc(_cell(row.get(c)))}</td>" for c in columns) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def summary_html(summary: Any) -> str:
    """run.json's ``summary`` as sentences and small tables: scalars in one table, each list of
    records as its own table, entries shown elsewhere in the page left out."""
    if not isinstance(summary, Mapping):
        return f"<p>{_esc(str(summary))}</p>" if summary else ""
    scalars, blocks = [], []

    def visit(key: str, value: Any) -> None:
        if isinstance(value, Sequence) and not isinstance(value, str) and value and all(
                isinstance(v, Mapping) for v in value):
            blocks.append(f"<h4>{_esc(key.replace('_', ' '))}</h4>" + _records_table(value))
        elif isinstance(value, Mapping) and any(isinstance(v, (Mapping, list, tuple)) for v in value.values()):
            for k, v in value.items():
                visit(f"{key} {k}", v)
        elif isinstance(value, (Mapping, list, tuple)) and len(value) > _FOLD:
            pairs = value.items() if isinstance(value, Mapping) else enumerate(value)
            rows = "".join(f"<tr><td>{_esc(str(k))}</td><td>{_esc(_cell(v))}</td></tr>" for k, v in pairs)
            blocks.append(f"<details><summary>{_esc(key.replace('_', ' '))} ({len(value)} entries)</summary>"
                          f"<table><tbody>{rows}</tbody></table></details>")
        else:
            scalars.append((key.replace("_", " "), _cell(value)))

    for key, value in summary.items():
        if key not in _ELSEWHERE:
            visit(str(key), value)
    rows = "".join(f"<tr><td>{_esc(k)}</td><td>{_esc(v)}</td></tr>" for k, v in scalars)
    table = f"<table><tbody>{rows}</tbody></table>" if rows else ""
    return "<h3>summary</h3>" + table + "".join(blocks)
