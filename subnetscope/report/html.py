"""One self-contained HTML file per run folder: the answer first, then the evidence.

Order of the page: the sub-networks found (layer ranges with support), interactive heatmaps of
every distance matrix (hover: layer names and value), the distance to the previous layer, the
run's figures with captions, its tables, the options used, timings, versions and the exact
command to reproduce. Figures are base64-embedded PNGs and the only script is inline, so the
file opens offline and can be mailed or archived as is.
"""

from __future__ import annotations

import html
import io
from pathlib import Path
from typing import Any, Mapping

from ._assets import CSS, JS
from .elements import fmt as _fmt
from .elements import json_script as _json_script
from .elements import kv_table as _kv_table
from .elements import palette as _palette
from .elements import png_data_uri as _png_data_uri
from .elements import scores_text as _scores
from .elements import table as _table
from .sections import caveats_html, groups_html, summary_html

__all__ = ["render_report", "write_report"]

_esc = html.escape


# --- sections -------------------------------------------------------------------------------
def _load_subnetworks(run) -> tuple[dict[str, Mapping], dict[str, str]]:
    """(label -> record, label -> why it is damaged): each file is checked as Subnetworks.from_dict
    reads it, so a damaged one is shown as damaged, never as "0 sub-networks"."""
    from .._io import read_json
    from ..analysis.subnetworks import Subnetworks

    good, damaged = {}, {}
    for path in sorted((run.path / "subnetworks").glob("*.json")):
        try:
            record = read_json(path, "sub-network record")
            if not isinstance(record, Mapping):
                raise ValueError(f"it holds a JSON {type(record).__name__}, not a sub-network record")
            if not Subnetworks.from_dict(record).names:
                raise ValueError("it records no layers")
            good[path.stem] = record
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            damaged[path.stem] = str(exc)
    return good, damaged


def _damaged(items: Mapping[str, str], what: str) -> str:
    return "".join(f'<p class="empty"><strong>{_esc(label)}: damaged {what}</strong> — {_esc(why)}</p>'
                   for label, why in items.items())


def _answer(subnetworks: Mapping[str, Mapping], damaged: Mapping[str, str] | None = None) -> str:
    if damaged:
        return _damaged(damaged, "sub-network record (not shown)") + (_answer(subnetworks) if subnetworks else "")
    if not subnetworks:
        return ('<div class="answer"><p class="empty">No sub-networks in this run folder '
                "(subnetworks/ is empty): only the distances below were computed.</p></div>")
    parts = []
    for label, rec in subnetworks.items():
        ranges = rec.get("ranges") or []
        described = "; ".join(
            f"{r.get('first')} – {r.get('last')}" + (f" (support {r['support']:.2f})"
                                                   if isinstance(r.get("support"), (int, float)) else "")
            for r in ranges
        )
        selection = rec.get("selection") or {}
        chosen = selection.get("chosen")
        how = f"{rec.get('method', '?')} on {rec.get('measure', label)}"
        if selection.get("criterion"):
            how += f", number of groups chosen by {selection['criterion']}"
        if rec.get("n_bootstrap"):
            how += f", support from {rec['n_bootstrap']} bootstrap resamples"
        rows = [[r.get("group"), r.get("first"), r.get("last"),
                 f"{r.get('start')}–{(r.get('stop') or 0) - 1}" if r.get("stop") is not None else "—",
                 r.get("size"), r.get("support")] for r in ranges]
        n_groups = rec.get("n_groups", len(ranges))
        in_ranges = (f" in {len(ranges)} runs of consecutive layers" if len(ranges) > n_groups else "")
        parts.append(
            f'<h3 id="subnetworks-{_esc(label)}">{_esc(label)}: {n_groups} '
            f"sub-network{'s' if n_groups != 1 else ''}{in_ranges}</h3>" + groups_html(rec)
            + f"<p>Layer ranges: <strong>{_esc(described) or 'no ranges recorded'}</strong></p>"
            f'<p class="hint">{_esc(how)}'
            + (f"; scores {_esc(_scores(selection.get('scores')))} (chosen: {_esc(_fmt(chosen))})"
               if selection.get("scores") else "") + "</p>"
            + _table(["group", "first layer", "last layer", "indices", "layers", "support"], rows,
                     "support: fraction of bootstrap resamples that reproduce the group (— when not measured)")
        )
    return '<div class="answer">' + "".join(parts) + "</div>"


def _heatmaps(run, subnetworks: Mapping[str, Mapping]) -> tuple[str, dict]:
    labels = run.distance_labels()
    if not labels:
        return '<p class="empty">No distance matrices in distances/.</p>', {}
    palette = _palette()
    loaded, panels, parts = {}, [], ['<p class="hint">Dark = similar, bright = different; hover a cell for the two '
                         "layers and their distance. White lines: sub-network boundaries.</p>"]
    damaged = {}
    for k, label in enumerate(labels):
        try:
            d = run.load_distances(label)
        except (ValueError, FileNotFoundError) as exc:
            damaged[label] = str(exc)
            continue
        loaded[label] = d
        rec = subnetworks.get(label)
        bounds = [int(b) for b in rec.get("boundaries", [])] if rec and list(rec.get("names", d.names)) == list(d.names) else []
        source = f"matrix-{k}"
        n = f", n = {d.n_samples}" if d.n_samples else ""
        panels.append(
            f'<div class="panel"><h3>{_esc(label)} ({_esc(d.measure)}, {len(d)} layers{n})</h3>'
            + _json_script(source, {"names": list(d.names), "matrix": d.matrix.tolist(),
                                    "boundaries": bounds, "palette": palette, "measure": d.measure})
            + f'<div class="heatmap-wrap"><canvas class="heatmap" data-source="{source}" '
              f'aria-label="{_esc(label)} heatmap"></canvas><div class="tip"></div></div>'
            + f'<p class="hint">{d.matrix.min():.4g} (dark) to {d.matrix.max():.4g} (bright); '
              f"sub-network boundaries drawn: {len(bounds)}</p></div>"
        )
    return ("".join(parts) + _damaged(damaged, "distance matrix (not shown)")
            + '<div class="heatmaps">' + "".join(panels) + "</div>", loaded)


def _profile_figure(loaded: Mapping[str, Any], subnetworks: Mapping[str, Mapping]) -> str:
    """Distance to the previous layer, one line per matrix over the most common layer list."""
    from ..plots import plot_distance_to_previous
    from ..plots._common import pyplot

    groups: dict[tuple, dict] = {}
    for label, d in loaded.items():
        if len(d) >= 3:
            groups.setdefault(tuple(d.names), {})[label] = d
    if not groups:
        return ""
    names, members = max(groups.items(), key=lambda item: len(item[1]))
    bounds = next((rec.get("boundaries", []) for label, rec in subnetworks.items()
                   if label in members and list(rec.get("names", names)) == list(names)), [])
    if len(members) == 1:  # the same figure `subnetworks` and the studies save, drawn once here
        from ..plots import plot_layer_changes

        ax = plot_layer_changes(next(iter(members.values())), boundaries=bounds)
        caption = ("Distance from each layer to the previous one; peaks mark where the representation "
                   "changes most: change points (red) by the rule of the changes table"
                   + ("; dashed lines: sub-network boundaries." if bounds else "."))
    else:
        ax = plot_distance_to_previous(members, boundaries=bounds)
        caption = ("Distance from each layer to the previous one, each measure divided by its largest "
                   "value; peaks mark where the representation changes most" +
                   ("; dashed lines: sub-network boundaries." if bounds else "."))
    buffer = io.BytesIO()
    ax.figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    pyplot().close(ax.figure)
    return (f'<figure><img alt="distance to previous layer" src="{_png_data_uri(buffer.getvalue())}">'
            f"<figcaption>{_esc(caption)}</figcaption></figure>")


# figures that show the distance to the previous layer, drawn once in the distances section
_PROFILE_SUFFIXES = ("_layer_changes", "_boundaries")


def _figures(run, profile_shown: bool = False) -> str:
    items = run.figures()
    if not items:
        return '<p class="empty">No figures in figures/.</p>'
    parts = []
    skipped = [png.name for png, _ in items if profile_shown and png.stem.endswith(_PROFILE_SUFFIXES)]
    if skipped:
        parts.append(f'<p class="hint">{_esc(", ".join(skipped))}: the distance to the previous layer, shown '
                     "once above under Layer × layer distances.</p>")
    for png, caption in items:
        if png.name in skipped:
            continue
        parts.append(
            f'<figure id="figure-{_esc(png.stem)}"><img alt="{_esc(png.stem)}" '
            f'src="{_png_data_uri(png.read_bytes())}"><figcaption><strong>{_esc(png.stem)}</strong>'
            f"{': ' + _esc(caption) if caption else ''}</figcaption></figure>"
        )
    return "".join(parts)


def _tables(run) -> str:
    tables = run.load_tables()
    if not tables:
        return '<p class="empty">No tables in tables/.</p>'
    return "".join(
        f"<h3>{_esc(t.get('title') or name)}</h3>" + _table(t.get("columns", []), t.get("rows", []), t.get("note", ""))
        for name, t in tables.items()
    )


def _options(meta: Mapping, loaded: Mapping[str, Any]) -> str:
    parts = [_kv_table(meta.get("options") or {})]
    if loaded:
        rows = [[label, d.measure, d.n_samples, d.seed, _fmt(d.options)] for label, d in loaded.items()]
        parts.append("<h3>per distance matrix</h3>" + _table(["matrix", "measure", "samples", "seed", "options"], rows))
    return "".join(parts)


def _timings(meta: Mapping, loaded: Mapping[str, Any]) -> str:
    timings = dict(meta.get("timings") or {})
    rows = [[k, f"{v:.3g} s" if isinstance(v, (int, float)) else _fmt(v)] for k, v in timings.items()]
    for label, d in loaded.items():
        for key in ("seconds", "seconds_total", "time", "elapsed", "wall_seconds"):
            if isinstance(d.info.get(key), (int, float)):
                rows.append([f"distances/{label}", f"{d.info[key]:.3g} s"])
                break
    return _table(["step", "time"], rows) if rows else '<p class="empty">none recorded</p>'


# --- the page -------------------------------------------------------------------------------
_KNOWN = {"study", "command", "commands", "code", "options", "versions", "timings", "summary", "created", "title",
          "caveats"}


def _reproduce(meta: Mapping, run_dir: Path) -> str:
    """Every command of the chain (capture, pairwise, subnetworks ..., then the report), or the
    Python calls that remake results given to ``write_report`` directly."""
    entries = [e for e in meta.get("commands") or [] if isinstance(e, Mapping) and e.get("command")]
    commands = [str(e["command"]) for e in entries]
    if meta.get("command") and meta["command"] not in commands and not entries:
        commands.append(str(meta["command"]))
    parts = []
    if commands:
        if any(e.get("step") != "capture" for e in entries):
            commands.append(f"subnetscope report --out {run_dir}")
        parts.append("<p>Run these from the folder the run was made in, in this order:</p>"
                     f"<pre>{_esc(chr(10).join(commands))}</pre>")
    if meta.get("code"):
        parts.append("<p>Python that remakes these results from the same representations:</p>"
                     f"<pre>{_esc(str(meta['code']))}</pre>")
    return "".join(parts) or '<p class="empty">not recorded (run.json has no command)</p>'



def render_report(run_dir: str | Path) -> str:
    """The HTML text of the report for a run folder (see :class:`subnetscope.runs.RunFolder`).

    Raises
    ------
    FileNotFoundError
        ``run_dir`` does not exist.
    ValueError
        ``run_dir`` holds neither run.json nor any distances or sub-networks.
    """
    from ..runs import RunFolder

    path = Path(run_dir)
    if not path.is_dir():
        raise FileNotFoundError(f"run folder {str(path)!r} does not exist")
    if not (path / "run.json").is_file() and not any(path.glob("distances/*.npz")) \
            and not any(path.glob("subnetworks/*.json")):
        raise ValueError(
            f"{str(path)!r} is not a run folder: it has no run.json, distances/*.npz or "
            "subnetworks/*.json (make one with `subnetscope demo` or a study)"
        )
    run = RunFolder(path)
    meta = run.read_meta()
    subnetworks, damaged = _load_subnetworks(run)
    heatmaps, loaded = _heatmaps(run, subnetworks)
    study = meta.get("title") or meta.get("study") or path.name
    summary = meta.get("summary")
    profile = _profile_figure(loaded, subnetworks)
    extra = {k: v for k, v in meta.items() if k not in _KNOWN}
    sections = [
        ("answer", "Sub-networks found", caveats_html(meta) + _answer(subnetworks, damaged) + summary_html(summary)),
        ("distances", "Layer × layer distances", heatmaps + profile),
        ("figures", "Figures", _figures(run, profile_shown=bool(profile))),
        ("tables", "Tables", _tables(run)),
        ("options", "Options used", _options(meta, loaded)),
        ("timings", "Timings", _timings(meta, loaded)),
        ("versions", "Versions", _kv_table(meta.get("versions") or {}, "package", "version")),
        ("reproduce", "Reproduce", _reproduce(meta, path)
         + "".join(f"<h3>{_esc(str(key))}</h3>" + (_kv_table(value) if isinstance(value, Mapping)
                                                     else f"<p>{_esc(_fmt(value))}</p>")
                   for key, value in extra.items())),
    ]
    nav = "".join(f'<a href="#{key}">{_esc(title)}</a>' for key, title, _ in sections)
    body = "".join(f'<section id="{key}"><h2>{_esc(title)}</h2>{content}</section>' for key, title, content in sections)
    created = f"created {meta['created']} · " if meta.get("created") else ""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>subnetscope report: {_esc(str(study))}</title><style>{CSS}</style></head>"
        f"<body><main><h1>subnetscope report: {_esc(str(study))}</h1>"
        f'<p class="meta">{_esc(created)}run folder {_esc(str(path.resolve()))}</p><nav>{nav}</nav>'
        f"{body}</main><script>{JS}</script></body></html>\n"
    )


def write_report(run_dir: Any, path: str | Path | None = None, *, subnetworks: Any = None,
                 title: str | None = None) -> Path:
    """Write a report to ``path``, atomically: of a run folder, or of results made in Python.

    Parameters
    ----------
    run_dir : path-like, LayerDistances, or a mapping label -> LayerDistances (or a list of them)
        A run folder (the report goes to ``run_dir/report.html`` by default), or results from
        :func:`subnetscope.pairwise` directly; then ``path`` is required, and the page records
        each matrix's measure, options, samples and seed, how the layers were captured (when
        ``pairwise`` got a ``Representations``), versions, the script that ran and the Python
        calls that remake the results.
    path : path-like, optional
    subnetworks : Subnetworks or mapping label -> Subnetworks, optional
        With results: the groups found on them (``find_subnetworks(d)``); a single one goes
        with the matrix of its measure.
    title : str, optional
        With results: the page's title (default "results from Python").

    Examples
    --------
    >>> # subnetscope.write_report("runs/demo")  ->  PosixPath('runs/demo/report.html')
    >>> # subnetscope.write_report(d, "report.html", subnetworks=ss.find_subnetworks(d))
    """
    import os

    from .._io import atomic_path
    from .from_results import is_results, results_run_folder

    if is_results(run_dir):
        if path is None:
            raise ValueError("write_report(results, path): give the file to write, e.g. "
                             "write_report(d, 'report.html', subnetworks=groups)")
        with results_run_folder(run_dir, subnetworks, title) as tmp:
            text = render_report(Path(tmp) / "results").replace(
                "run folder " + _esc(str((Path(tmp) / "results").resolve())), "made in Python")
    elif subnetworks is not None or title is not None:
        raise TypeError("`subnetworks=` and `title=` go with results (a LayerDistances); a run folder "
                        "already holds its sub-networks")
    elif isinstance(run_dir, (str, os.PathLike)):
        text = render_report(run_dir)
    else:
        raise TypeError(f"write_report needs a run folder path or results (a LayerDistances, or a mapping "
                        f"label -> LayerDistances), got {type(run_dir).__name__}")
    path = Path(run_dir) / "report.html" if path is None else Path(path)
    umask = os.umask(0)
    os.umask(umask)
    with atomic_path(path, suffix=".html") as tmp:
        tmp.write_text(text, encoding="utf-8")
        # the temp file is private (0600); a report is meant to be shared like any file the user writes
        os.chmod(tmp, 0o666 & ~umask)
    return path
