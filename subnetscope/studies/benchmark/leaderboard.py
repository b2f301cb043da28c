"""From case × measure records to the leaderboard: tables, JSON and figures in the run folder.

One row per measure label × setting (method, number of groups given or automatic). Scores
over the cases with a true partition (not the controls): mean ARI with its 95% t-interval,
boundary precision / recall (exact and within one layer), |error in the number of groups|
(automatic only: given is exact by construction), and whether the matrix itself steps at the
true boundaries (boundary-step AUC, apart from any clustering); over all cases: bootstrap stability
(coassignment agreement of the automatic spectral partition, one figure per measure) and
the pairwise time; over the controls: false discoveries (more than one group found,
automatic settings only). Cases a measure could not run on are counted in the row's note.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Sequence

from ..._io import write_json
import numpy as np

from .scores import boundary_step_auc, mean_interval

__all__ = ["aggregate", "write_leaderboard"]

_SETTINGS = ("spectral/given", "spectral/auto", "contiguous/given", "contiguous/auto")


def _fmt(stat: dict[str, Any], digits: int = 2) -> str:
    if stat["mean"] is None:
        return "n/a"
    if stat["low"] is None:
        return f"{stat['mean']:.{digits}f}"
    return f"{stat['mean']:.{digits}f} [{stat['low']:.{digits}f}, {stat['high']:.{digits}f}]"


def aggregate(records: Sequence[dict], labels: Sequence[str]) -> list[dict[str, Any]]:
    """Leaderboard rows (numbers, not text), in ``labels`` × setting order."""
    by_label = defaultdict(list)
    for r in records:
        by_label[r["label"]].append(r)
    rows = []
    for label in labels:
        recs = by_label.get(label, [])
        ok = [r for r in recs if r.get("status") == "ok"]
        truth_ok = [r for r in ok if r["k_true"] > 1]
        controls_ok = [r for r in ok if r["k_true"] == 1]
        skipped = sum(r.get("status") == "needs equal widths" for r in recs)
        failed = [r for r in recs if r.get("status", "").startswith("error")]
        notes = []
        if skipped:
            notes.append(f"cannot compare different widths: not run on {skipped} of {len(recs)} cases")
        unstable = [r for r in ok if "error" in r.get("stability", {})]
        if unstable:
            notes.append(f"stability failed on {len(unstable)} cases ({unstable[0]['stability']['error'][:80]})")
        if failed:
            notes.append(f"failed on {len(failed)} cases ({failed[0]['status'][:80]})")
        for setting in _SETTINGS:
            parts = [r["partitions"][setting] for r in truth_ok if setting in r["partitions"]]
            row = {"measure": label, "setting": setting, "cases": len(parts),
                   "cases_total": sum(r["k_true"] > 1 for r in recs),
                   "ari": mean_interval(p["ari"] for p in parts)}
            for key in ("precision", "recall", "precision_near", "recall_near"):
                row[key] = mean_interval(p[key] for p in parts)
            row["k_error"] = (mean_interval(p["k_error"] for p in parts) if setting.endswith("auto")
                              else {"mean": None, "low": None, "high": None, "n": 0})
            if setting.endswith("auto"):
                found = [r["partitions"][setting]["k_found"] > 1 for r in controls_ok]
                row["false_discoveries"] = {"count": int(sum(found)), "controls": len(found)}
            else:
                row["false_discoveries"] = None
            row["step_auc"] = mean_interval(boundary_step_auc(np.asarray(r["matrix"]), np.asarray(r["truth"]))
                                            for r in truth_ok)
            row["stability"] = mean_interval(r["stability"].get("agreement") for r in ok if "stability" in r)
            row["seconds"] = mean_interval(r["seconds"] for r in ok)
            by_family = defaultdict(list)
            for r in truth_ok:
                if setting in r["partitions"]:
                    by_family[r["family"]].append(r["partitions"][setting]["ari"])
            row["ari_by_family"] = {f: mean_interval(v) for f, v in sorted(by_family.items())}
            row["note"] = "; ".join(notes) if notes else ("no case ran" if not recs else "")
            rows.append(row)
    return rows


def _table_rows(rows: Sequence[dict]) -> list[list[Any]]:
    out = []
    ordered = sorted(rows, key=lambda r: -(r["ari"]["mean"] if r["ari"]["mean"] is not None else -9))
    for r in ordered:
        fd = r["false_discoveries"]
        out.append([r["measure"], r["setting"], f"{r['cases']}/{r['cases_total']}", _fmt(r["ari"]),
                    _fmt(r["precision"]), _fmt(r["recall"]), _fmt(r["precision_near"]), _fmt(r["recall_near"]),
                    _fmt(r["k_error"]) if r["setting"].endswith("auto") else "—", _fmt(r["step_auc"]),
                    _fmt(r["stability"]), f"{fd['count']}/{fd['controls']}" if fd else "—",
                    _fmt(r["seconds"], 1), r["note"]])
    return out


def _figure(rows: Sequence[dict], setting: str):
    import matplotlib.pyplot as plt

    rows = [r for r in rows if r["setting"] == setting]
    families = sorted({f for r in rows for f in r["ari_by_family"]})
    labels = [r["measure"] for r in rows]
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(13, 4.2), gridspec_kw={"width_ratios": [4, 1]})
    width = 0.8 / max(len(families), 1)
    for j, fam in enumerate(families):
        vals = [r["ari_by_family"].get(fam, {}).get("mean") for r in rows]
        ax.bar([i + j * width for i in range(len(rows))], [v if v is not None else 0 for v in vals], width,
               label=fam)
    ax.set_xticks([i + 0.4 - width / 2 for i in range(len(rows))], labels, rotation=45, ha="right")
    ax.set_ylabel("mean adjusted Rand index")
    ax.set_ylim(-0.2, 1.0)
    ax.axhline(0, color="k", lw=0.5)
    ax.legend(fontsize=7, ncol=3)
    ax.set_title(f"ARI against the truth per case family ({setting})")
    fds = [r["false_discoveries"] for r in rows]
    if all(fd is not None for fd in fds):
        ax2.barh(labels, [fd["count"] / fd["controls"] if fd["controls"] else 0 for fd in fds], color="tab:red")
        ax2.set_xlim(0, 1)
        ax2.set_title("controls: >1 group found")
        ax2.invert_yaxis()
    else:
        ax2.axis("off")
        ax2.text(0.5, 0.5, "number of groups given:\nno false discoveries\nto count", ha="center", va="center")
    fig.tight_layout()
    return fig


def write_leaderboard(run, records: Sequence[dict], dropped: dict, labels: Sequence[str]) -> list[dict]:
    """Write benchmark/leaderboard.json, tables/leaderboard*.json, figures; return the rows."""
    rows = aggregate(records, labels)
    write_json(run.path / "benchmark" / "leaderboard.json",
               {"rows": rows, "dropped": dropped, "n_records": len(records)})
    columns = ["measure", "setting", "cases", "ARI [95% CI]", "precision", "recall", "precision ±1", "recall ±1",
               "|k error|", "step AUC", "stability", "false discoveries", "pairwise s", "note"]
    run.save_table("leaderboard", "Benchmark leaderboard (cases with a true partition; controls for false "
                   "discoveries)", columns, _table_rows(rows),
                   "mean [95% t-interval] over cases and seeds; stability: bootstrap coassignment agreement of "
                   "the automatic spectral partition; precision/recall n/a when nothing was found/to find; step AUC: "
                   "P(distance between consecutive layers across a true boundary > inside a group), 0.5 = no signal")
    families = sorted({f for r in rows for f in r["ari_by_family"]})
    run.save_table("ari_by_family", "Mean ARI per case family", ["measure", "setting", *families],
                   [[r["measure"], r["setting"], *[_fmt(r["ari_by_family"][f]) if f in r["ari_by_family"] else "—"
                                                   for f in families]] for r in rows])
    run.save_table("dropped", "Cases dropped (network missed its target accuracy, or no checkpoint)",
                   ["case", "family", "reason"], [[k, v.get("family"), v.get("reason")] for k, v in dropped.items()])
    if records:
        for setting in _SETTINGS:
            run.save_figure(f"benchmark_{setting.replace('/', '_')}", _figure(rows, setting),
                            f"mean ARI per measure and case family, {setting}; right: share of negative "
                            "controls where more than one group was found")
    return rows
