"""What runs on the compute thread: the workflow re-run after a change, and
every time point of a time-lapse.

Both return an :class:`Outcome`, which the main thread shows in layers.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from oclip.workflow import Results, Workflow


@dataclass
class LastRun:
    """What only the compute thread touches: the previous run's device results,
    reused by the next run (None: compute everything)."""

    results: Results | None = None


@dataclass
class Outcome:
    """What a compute job hands back to the main thread."""

    workflow: Workflow
    data: dict[str, Any] = field(default_factory=dict)  # step id → numpy result
    time_index: int | None = None


def rerun(last_run: LastRun, workflow: Workflow, inputs: dict[str, Any],
          needed: Collection[str], time_index: int | None) -> Outcome:
    """Re-run ``workflow`` reusing the last run's results; the outcome holds the
    steps that computed, and those in ``needed`` (steps without a layer yet)."""
    results = workflow.run(inputs, outputs=workflow.step_ids, reuse=last_run.results)
    last_run.results = results
    fresh = set(results.computed) | set(needed)
    return Outcome(workflow, {sid: results[sid] for sid in workflow.step_ids if sid in fresh},
                   time_index)


def run_all_time_points(workflow: Workflow, inputs: dict[str, Any], static: Collection[str],
                        report: Callable[[int, int], None]) -> Outcome:
    """Every step on every time point, stacked (tables get a ``frame`` column);
    the ``static`` inputs have no time axis, and steps reading only them are
    computed once."""
    data = workflow.run_time_lapse(inputs, static=tuple(static), outputs=workflow.step_ids,
                                   progress=report)
    return Outcome(workflow, data)
