"""A report straight from Python results: ``write_report(distances, "report.html", subnetworks=groups)``.

The results are written into a temporary run folder (the one format the report reads), with a
run.json that records what can be known from the objects themselves: each matrix's measure,
options, samples and seed, how the layers were captured (when ``pairwise`` was given a
:class:`~subnetscope.capture.Representations`), the library versions, the script that ran, and
the Python calls that reproduce each result. The folder is removed afterwards; only the HTML
file stays.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["results_run_folder", "is_results"]


def is_results(obj: Any) -> bool:
    """Whether ``obj`` is Python results (a LayerDistances, or a mapping/sequence of them)."""
    from ..engine.layer_distances import LayerDistances

    if isinstance(obj, LayerDistances):
        return True
    if isinstance(obj, Mapping):
        return bool(obj) and all(isinstance(v, LayerDistances) for v in obj.values())
    if isinstance(obj, Sequence) and not isinstance(obj, (str, bytes)):
        return bool(obj) and all(isinstance(v, LayerDistances) for v in obj)
    return False


def _labelled(results: Any) -> dict[str, Any]:
    from ..engine.layer_distances import LayerDistances

    if isinstance(results, LayerDistances):
        return {results.measure: results}
    if isinstance(results, Mapping):
        return {str(k): v for k, v in results.items()}
    out: dict[str, Any] = {}
    for d in results:
        label = d.measure if d.measure not in out else f"{d.measure}_{len(out)}"
        out[label] = d
    return out


def _groups_by_label(subnetworks: Any, labels: list[str]) -> dict[str, Any]:
    from ..analysis.subnetworks import Subnetworks

    if subnetworks is None:
        return {}
    if isinstance(subnetworks, Subnetworks):
        return {subnetworks.measure if subnetworks.measure in labels else labels[0]: subnetworks}
    if isinstance(subnetworks, Mapping) and all(isinstance(v, Subnetworks) for v in subnetworks.values()):
        unknown = [k for k in subnetworks if k not in labels]
        if unknown:
            raise ValueError(f"`subnetworks` has labels {unknown} that name none of the matrices {labels}")
        return dict(subnetworks)
    raise TypeError("`subnetworks` must be a Subnetworks (from find_subnetworks) or a mapping "
                    f"label -> Subnetworks, got {type(subnetworks).__name__}")


def _call(function: str, first: str, kwargs: Mapping[str, Any]) -> str:
    args = [first] + [f"{k}={v!r}" for k, v in kwargs.items()]
    return f"{function}({', '.join(args)})"


def reproducing_code(labelled: Mapping[str, Any], groups: Mapping[str, Any]) -> str:
    """Python calls that remake each matrix (and its groups) from the same representations."""
    lines = ["import subnetscope as ss", ""]
    captures = {repr(d.info.get("capture")): d.info["capture"] for d in labelled.values() if d.info.get("capture")}
    for settings in captures.values():
        kwargs = {k: settings[k] for k in ("pooling", "n_samples", "seed", "max_length") if settings.get(k) is not None}
        layers = settings.get("layers")
        lines.append(f"# the layers of a {settings.get('model', 'model')} on "
                     f"{settings.get('inputs', 'the inputs')}")
        lines.append("reps = " + _call("ss.capture", f"model, inputs, {layers!r}", kwargs))
    if not captures:
        lines.append("# reps: the same mapping of layer name -> array (n_samples, n_features) as before")
    for label, d in labelled.items():
        kwargs: dict[str, Any] = {"measure": d.measure}
        if d.seed is not None:
            kwargs.update(n_samples=d.n_samples, seed=d.seed)
        kwargs.update({k: v for k, v in d.options.items() if k != "assignment"})
        var = "d" if len(labelled) == 1 else f"d_{label.replace('.', '_').replace('-', '_')}"
        lines.append(f"{var} = " + _call("ss.pairwise", "reps", kwargs))
        if label in groups:
            g = groups[label]
            criterion = g.selection.get("criterion")
            fkw: dict[str, Any] = {"method": g.method}
            if criterion == "given":
                fkw = {"n_groups": g.n_groups, **fkw}
            elif str(criterion).startswith("eigengap"):
                fkw["select"] = "eigengap"
            fn = "ss.bootstrap_subnetworks" if g.n_bootstrap else "ss.find_subnetworks"
            first = "reps" if g.n_bootstrap else var
            if g.n_bootstrap:
                fkw = {"B": g.n_bootstrap, "measure": d.measure, **fkw}
            lines.append("groups = " + _call(fn, first, fkw))
    return "\n".join(lines)


def _script() -> str | None:
    """How this Python process was started, when it was a script (not a notebook or a REPL)."""
    import shlex

    main = sys.modules.get("__main__")
    file = getattr(main, "__file__", None)
    if not file or "ipykernel" in sys.modules or not str(file).endswith(".py"):
        return None
    return shlex.join(["python", *sys.argv])


def results_run_folder(results: Any, subnetworks: Any = None, title: str | None = None) -> tempfile.TemporaryDirectory:
    """A temporary run folder holding ``results`` (see the module docstring); the caller cleans it."""
    from ..analysis.boundaries import layer_changes
    from ..runs import RunFolder

    labelled = _labelled(results)
    groups = _groups_by_label(subnetworks, list(labelled))
    for label, g in groups.items():
        if tuple(g.names) != tuple(labelled[label].names):
            raise ValueError(f"`subnetworks` for {label!r} has other layers than the matrix "
                             f"({len(g.names)} vs {len(labelled[label].names)} layers); give the groups found "
                             "on this matrix")
    tmp = tempfile.TemporaryDirectory(prefix="subnetscope-report-")
    run = RunFolder(Path(tmp.name) / "results")
    options: dict[str, Any] = {}
    for label, d in labelled.items():
        run.save_distances(label, d)
        prefix = "" if len(labelled) == 1 else f"{label}: "
        options[f"{prefix}measure"] = d.measure
        options[f"{prefix}samples"] = d.n_samples
        options.update({f"{prefix}{k}": v for k, v in d.options.items()})
        for k, v in (d.info.get("capture") or {}).items():
            if k not in ("layers", "command"):
                options[f"{prefix}capture {k}"] = v
        if len(d) >= 3:
            steps = layer_changes(d)
            changes = steps.to_dict()["steps"]
            run.save_table(f"{label}_changes", f"Each layer's {d.measure} distance to the previous layer ({label})",
                           ["layer", "distance to previous", "change point"],
                           [[n, changes[i], i in steps.change_points] for i, n in enumerate(steps.names)],
                           note=f"change points: {steps.rule}")
    for label, g in groups.items():
        run.save_subnetworks(label, g)
    captured_by = dict.fromkeys(d.info["capture"]["command"] for d in labelled.values()
                                if (d.info.get("capture") or {}).get("command"))
    run.update_meta(title=title or "results from Python", options=options,
                    code=reproducing_code(labelled, groups), command=_script(),
                    commands=[{"step": "capture", "label": "", "command": c} for c in captured_by])
    return tmp
