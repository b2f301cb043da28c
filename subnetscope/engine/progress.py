"""What a run reports: the progress bar, and the summary of its solver statistics."""

from __future__ import annotations

from typing import Any

from .._progress import progress as progress_reporter
from ..measures.registry import PairResult
from .plan import RunPlan

__all__ = ["RunStats", "progress_bar"]


def progress_bar(total: int, enabled: bool | str, desc: str, initial: int = 0, unit: str = "pair"):
    """A progress reporter (a bar on a terminal, plain lines in a script): :mod:`subnetscope._progress`."""
    return progress_reporter(total, desc, unit, enabled, initial=initial)


class RunStats:
    """The statistics of one run's computed pairs, summed by the measure's ``solver_stats``
    (a measure without one reports none)."""

    def __init__(self, plan: RunPlan):
        self.plan = plan
        factory = plan.measure.solver_stats
        self.solver = factory() if factory is not None else None

    def add(self, result: PairResult) -> None:
        if self.solver is not None:
            self.solver.add(result.stats)

    def info(self, *, kind: str, t_prepare: float, seconds: float, n_pairs: int, n_cached: int) -> dict[str, Any]:
        plan = self.plan
        info = {"seconds_prepare": t_prepare, "seconds_total": seconds, "n_pairs": n_pairs,
                "n_computed": n_pairs - n_cached, "n_cached": n_cached, "scheduler": kind, "n_jobs": plan.jobs}
        if self.solver is not None:
            info.update(self.solver.info(plan.comp_opts, warm_start=plan.warm))
        if plan.measure.warm_start:
            info.setdefault("warm_start", plan.warm)
        return info

    def summary(self) -> str:
        return self.solver.summary() if self.solver is not None else ""
