"""What runs on the compute thread: the workflow re-run after a change, and
every time point of a time-lapse.

Both return an :class:`Outcome`, which the main thread shows in layers.  A
step that fails (or reads an input whose layer is gone) fails alone: it and
the steps reading it are left out, and every other step still computes.
"""

from __future__ import annotations

import os
import re
import traceback
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from oclip import Cancelled
from oclip.workflow import Results, Workflow

#: PoCL compiles a kernel's work-group function again for each new local size
#: (which follows the image's shape) unless this is 0: then once per kernel.
POCL_SPECIALIZATION = "POCL_WORK_GROUP_SPECIALIZATION"


def compile_kernels_once_for_all_shapes() -> None:
    """Ask PoCL (the CPU device) to compile each kernel once for every image shape,
    unless the user set :data:`POCL_SPECIALIZATION` already.

    In a viewer, images of new shapes come all the time (crops, projections,
    another file); a kernel specialized per shape makes each of them wait for
    the compiler, seconds per kernel on a CPU.  The generic work-group function
    runs somewhat slower.  Other drivers ignore the variable.
    """
    os.environ.setdefault(POCL_SPECIALIZATION, "0")


@dataclass
class LastRun:
    """What only the compute thread touches: the previous run's device results,
    reused by the next run (None: compute everything)."""

    results: Results | None = None
    #: the steps that failed in the previous run
    failed: set[str] = field(default_factory=set)


@dataclass
class Outcome:
    """What a compute job hands back to the main thread."""

    workflow: Workflow
    data: dict[str, Any] = field(default_factory=dict)  # step id → numpy result
    time_index: int | None = None
    #: step id → why it failed (its own error, or its input layer is gone)
    errors: dict[str, str] = field(default_factory=dict)
    #: step id → the failed step upstream of it, for the steps left uncomputed
    blocked: dict[str, str] = field(default_factory=dict)
    #: step id → the traceback of its error (the detail a person may ask for)
    details: dict[str, str] = field(default_factory=dict)


#: How the workflow's replay names the step an error comes from: a prefix of
#: its message (TypeError, ValueError) or a note added to the exception.
_STEP_PREFIX = re.compile(r"^step '([^']+)':")
_STEP_NOTE = re.compile(r"^in workflow step '([^']+)'")


def failed_step(error: BaseException, workflow: Workflow) -> str | None:
    """The id of the step of ``workflow`` that raised ``error``, if it says so."""
    named = getattr(error, "step", None)
    if named in workflow.step_ids:
        return named
    found = [m.group(1) for m in (_STEP_PREFIX.match(str(error)),
                                  *(_STEP_NOTE.match(note)
                                    for note in getattr(error, "__notes__", ())))
             if m is not None]
    return next((sid for sid in found if sid in workflow.step_ids), None)


def rerun(last_run: LastRun, workflow: Workflow, inputs: dict[str, Any],
          needed: Collection[str], time_index: int | None,
          on_step: Callable[[str], Any] | None = None) -> Outcome:
    """Re-run ``workflow`` reusing the last run's results; the outcome holds the
    steps that computed, and those in ``needed`` (steps without a layer yet).

    Inputs missing from ``inputs`` (their layer is gone) and steps that raise
    are recorded in the outcome's ``errors``, the steps downstream of them in
    its ``blocked``; the run goes on without them.  An error that names no
    step is raised, and so is :class:`oclip.Cancelled` (the last run is then
    left as it was).  ``on_step(step_id)`` is called before each step computes.
    """
    outcome = Outcome(workflow, time_index=time_index)
    for name in workflow.inputs:
        if name not in inputs:
            for sid in workflow.users(name):
                outcome.errors[sid] = f"step '{sid}': the layer of input '{name}' is gone"
    _block_followers(outcome)
    # Steps that failed last time run after the others (a second run reusing the
    # first), so that the others' work is not lost when they fail again.
    later = {sid for sid in last_run.failed if sid in workflow.step_ids}
    results = last_run.results
    shown: tuple[str, ...] = ()  # the steps of the last run that succeeded
    computed: list[str] = []
    while True:
        held = later.union(*(workflow.followers(sid) for sid in later))
        wanted = tuple(s for s in workflow.step_ids if s not in outcome.errors
                       and s not in outcome.blocked and s not in held)
        if wanted:
            try:
                run = workflow.run(inputs, outputs=wanted, reuse=results, on_step=on_step)
            except Cancelled:
                raise
            except Exception as error:
                failed = failed_step(error, workflow)
                if failed is None or failed not in wanted:
                    raise
                outcome.errors[failed] = str(error)
                outcome.details[failed] = "".join(traceback.format_exception(error))
                _block_followers(outcome)
                continue
            results, shown = run, wanted
            computed.extend(run.computed)
        if not later:
            break
        later = set()
    last_run.results = results
    last_run.failed = set(outcome.errors)
    if results is not None:
        fresh = set(computed) | set(needed)
        outcome.data = {sid: results[sid] for sid in shown if sid in fresh}
    return outcome


def _block_followers(outcome: Outcome) -> None:
    for failed in outcome.errors:
        for sid in outcome.workflow.followers(failed):
            if sid not in outcome.errors:
                outcome.blocked.setdefault(sid, failed)


def run_all_time_points(workflow: Workflow, inputs: dict[str, Any], static: Collection[str],
                        report: Callable[[int, int], None]) -> Outcome:
    """Every step on every time point, stacked (tables get a ``frame`` column);
    the ``static`` inputs have no time axis, and steps reading only them are
    computed once."""
    data = workflow.run_time_lapse(inputs, static=tuple(static), outputs=workflow.step_ids,
                                   progress=report)
    return Outcome(workflow, data)
