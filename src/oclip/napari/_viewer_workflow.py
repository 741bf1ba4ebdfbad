"""The recorded workflow of a napari viewer, bound to its layers and recomputed.

Every operation run through the plugin (the assistant or a single operation
widget) becomes a step of the viewer's :class:`oclip.workflow.Workflow`.
Layers the steps read are the workflow's *inputs*; each step with an image
result has a *result layer*.  A change (a parameter, an operation, undo,
redo, an edited input) makes a new Workflow, and one job on the compute
thread re-runs it with the previous run's results, so that only the changed
step and the steps after it compute.  Results that arrive after a newer
change was made are dropped.

The parts: :class:`WorkflowEditor` (the changes), :class:`LayerBinding` (the
layers), :class:`ComputeJobs` (the compute thread's tickets) and
:mod:`._dialogs` (what the user is asked and told); :class:`ViewerWorkflow`
ties them together.
"""

from __future__ import annotations

import contextlib
import weakref
from functools import partial
from typing import Any

import napari
from napari.layers import Layer
from qtpy.QtCore import QObject, QTimer, Signal

import oclip
from oclip._backend import WorkScope, watched_by
from oclip.workflow import Workflow

from . import _dialogs
from ._computing import (
    LastRun,
    Outcome,
    compile_kernels_once_for_all_shapes,
    rerun,
    run_all_time_points,
)
from ._editing import WorkflowEditor
from ._jobs import ComputeJobs
from ._layers import ALL_TIME_POINTS, LayerBinding, unwrap
from ._messages import headline

_by_viewer: weakref.WeakKeyDictionary[Any, ViewerWorkflow] = weakref.WeakKeyDictionary()


def viewer_workflow(viewer: napari.Viewer) -> ViewerWorkflow:
    """The recorded workflow of ``viewer`` (made on first use)."""
    viewer = unwrap(viewer)
    recorded = _by_viewer.get(viewer)
    if recorded is None:
        recorded = ViewerWorkflow(viewer)
        _by_viewer[viewer] = recorded
    return recorded


class ViewerWorkflow(QObject):
    """A viewer's recorded workflow, its layers and its compute thread.

    Attributes
    ----------
    editor : WorkflowEditor
        Changes the workflow (add, change, remove steps; undo, redo, load).
    layers : LayerBinding
        The input and result layers of the workflow's names.
    jobs : ComputeJobs
        The jobs on the viewer's compute thread.
    last_error : str or None
        The message of the last failed computation (the first failed step's);
        None once every step computes.
    step_errors : dict of str to str
        Step id → why its result is not up to date: its own error, or
        ``"not computed: step '<id>' failed"`` for the steps reading a failed one.
    step_details : dict of str to str
        Step id → the traceback of its own error (for "Details...").
    computing : str or None
        The step being computed now (None when no step computes).
    cancelled_step : str or None
        The step whose computation was cancelled last; its layer shows the
        result from before (None once a computation finished since).

    Signals
    -------
    changed()
        The workflow changed (a step added, changed or removed, undo, redo,
        load); step widgets and buttons refresh.
    computed(step_ids)
        Results of these steps arrived and were shown (and :attr:`step_errors`
        was updated).
    failed(message)
        A computation failed; the previous results stay.
    table_ready(step_id, table)
        A step's table (dict of numpy columns) arrived.
    value_ready(step_id, value)
        A step's scalar result arrived.
    device_changed(name)
        The compute device is now ``name``.
    applying_changed(running)
        Applying the workflow to all time points started (True) or ended.
    step_started(step_id)
        The compute thread started computing this step.
    building(name)
        The compute thread is building a kernel program (its first use).
    busy_changed(busy)
        The compute thread started working (True) or has no job left.
    cancelled()
        A computation was cancelled (:meth:`cancel`); earlier results stay.
    """

    changed = Signal()
    computed = Signal(object)
    failed = Signal(str)
    table_ready = Signal(str, object)
    value_ready = Signal(str, object)
    device_changed = Signal(str)
    applying_changed = Signal(bool)
    step_started = Signal(str)
    building = Signal(str)
    busy_changed = Signal(bool)
    cancelled = Signal()

    def __init__(self, viewer: napari.Viewer) -> None:
        super().__init__()
        compile_kernels_once_for_all_shapes()
        self.viewer = viewer = unwrap(viewer)
        self.layers = LayerBinding(viewer, on_input_edited=self.recompute,
                                   on_result_removed=self._result_layer_removed,
                                   on_input_removed=self._input_layer_removed)
        self.editor = WorkflowEditor(self.layers, on_change=self._workflow_changed)
        self.jobs = ComputeJobs()
        self.jobs.failed.connect(self._report)
        self.jobs.cancelled.connect(self._was_cancelled)
        self.jobs.busy_changed.connect(self._busy_changed)
        self.step_started.connect(self._step_started)
        self.computing: str | None = None
        self.cancelled_step: str | None = None
        # the scope of the jobs submitted since the last cancel
        self._scope = WorkScope(on_build=partial(self._tell, self.building))
        self._last_run = LastRun()
        self._closed = False
        self.last_error: str | None = None
        self.step_errors: dict[str, str] = {}
        self.step_details: dict[str, str] = {}  # step id → the traceback of its error
        self.applying = False  # applying the workflow to all time points
        viewer.dims.events.current_step.connect(self._time_moved)
        # the compute thread ends with the viewer's window: no orphan worker
        window = getattr(getattr(viewer, "window", None), "_qt_window", None)
        if window is not None:
            window.destroyed.connect(lambda *_: self.close())

    @property
    def workflow(self) -> Workflow:
        """The viewer's workflow as it is now."""
        return self.editor.workflow

    def as_saved(self) -> Workflow:
        """The workflow as it is saved and exported: its outputs are the steps
        whose results the user sees, those with a result layer in the viewer
        and those giving a table, in step order."""
        workflow = self.workflow
        shown = [sid for sid in workflow.step_ids
                 if self.layers.has_result_layer(sid) or workflow.step(sid).operation.returns_table]
        return workflow.with_outputs(shown)

    # --- computing ---------------------------------------------------------------

    def recompute(self) -> None:
        """Re-run the workflow on the compute thread (unchanged steps are reused)."""
        workflow = self.workflow
        if not workflow.steps or self._closed:
            return
        inputs: dict[str, Any] = {}
        time_index = None
        for name in workflow.inputs:
            if self.layers.input_layer(name) is not None:
                inputs[name], t = self.layers.input_array(name)
                time_index = t if t is not None else time_index
        # steps reading an input whose layer is gone fail alone (see rerun)
        needed = tuple(s for s in workflow.step_ids if not self.layers.has_result_layer(s))
        last_run = self._last_run
        scope = self.work_scope()

        def job() -> Outcome:
            with watched_by(scope):
                return rerun(last_run, workflow, inputs, needed, time_index,
                             on_step=partial(self._tell, self.step_started))

        self.jobs.recompute(job, self._show)

    def work_scope(self) -> WorkScope:
        """The scope a job submitted now does its device work in: :meth:`cancel`
        stops it, and the kernels it builds are told as :attr:`building`."""
        return self._scope

    def cancel(self) -> None:
        """Stop the running and waiting computations at their next device
        command (kernel launch, build or transfer).  The workflow stays as it
        is, and so do the layers (showing the results from before); jobs
        submitted afterwards (the next change) compute as usual."""
        self._scope.cancel()
        self._scope = WorkScope(on_build=partial(self._tell, self.building))

    def _tell(self, signal: Any, value: str) -> None:
        """Emit ``signal(value)`` from the compute thread (queued to this one)."""
        if not self._closed:
            with contextlib.suppress(RuntimeError):  # the viewer's objects are gone
                signal.emit(value)

    def _step_started(self, step_id: str) -> None:
        self.computing = step_id

    def _busy_changed(self, busy: bool) -> None:
        if not busy:
            self.computing = None
        self.busy_changed.emit(busy)

    def _was_cancelled(self) -> None:
        self.cancelled_step = self.computing or self.cancelled_step
        self.cancelled.emit()

    def apply_to_all_time_points(self) -> int | None:
        """Compute every time point of the time-lapse inputs; the stacked results
        appear as new layers named ``<step> (all time points)``.  Returns the
        job's ticket, or None when no input is a time-lapse."""
        workflow = self.workflow
        series = self.layers.time_lapse_inputs(workflow)
        if not series or not workflow.steps:
            _dialogs.warn("no time-lapse input to apply the workflow to (a layer whose "
                          "first axis is labelled t, time or frame, or an unlabelled 4D layer)")
            return None
        if self.applying:
            _dialogs.inform("the workflow is being applied to all time points already")
            return None
        gone = [n for n in workflow.inputs if self.layers.input_layer(n) is None]
        if gone:
            _dialogs.warn(f"the layer of input {', '.join(gone)} is gone: "
                          "load the workflow onto another layer first")
            return None
        frames = min(layer.data.shape[0] for layer in series.values())
        # the time-lapses cut to the shortest one; other inputs as the viewer shows them
        inputs = {n: (series[n].data[:frames] if n in series else self.layers.input_array(n)[0])
                  for n in workflow.inputs}
        static = [n for n in workflow.inputs if n not in series]
        from napari.utils import progress

        bar = progress(total=frames, desc="oclip: all time points")

        def advance(done: int, total: int) -> None:
            bar.update(done - bar.n)  # update (not setting n) tells napari's progress bar

        def end() -> None:
            bar.close()
            self.applying = False
            self.applying_changed.emit(False)

        self.applying = True
        self.applying_changed.emit(True)
        scope = self.work_scope()

        def job(report: Any) -> Outcome:
            with watched_by(scope):
                return run_all_time_points(workflow, inputs, static, report)

        return self.jobs.call_with_progress(
            job,
            self._show_stacks, on_progress=advance, on_end=end)

    @property
    def can_apply_to_all_time_points(self) -> bool:
        """Whether the workflow has steps reading a time-lapse and none is being
        applied to all time points now."""
        return bool(self.workflow.steps and self.layers.time_lapse_inputs(self.workflow)) \
            and not self.applying

    def set_device(self, device: oclip.DeviceInfo | str) -> None:
        """Compute on ``device`` from now on (the device cache starts afresh)."""
        last_run = self._last_run

        def switch() -> str:
            selected = oclip.select_device(device)
            last_run.results = None
            return selected.name

        def switched(name: str) -> None:
            self.device_changed.emit(name)
            self.recompute()

        self.jobs.call(switch, switched)

    @property
    def closing(self) -> bool:
        """Whether the viewer is closing or closed: napari removes every layer,
        then the window; from then on nothing is shown, asked or told."""
        window = getattr(self.viewer, "window", None)
        return self._closed or (window is not None
                                and getattr(window, "_qt_window", None) is None)

    def close(self) -> None:
        """Stop the compute thread (the viewer is closing).  Closing never waits
        for a running computation: it is cancelled (it stops at its next device
        command), the thread ends when it returns, and nothing of it is shown
        or reported."""
        self._closed = True
        self._scope.cancel()
        self.jobs.close()

    def _report(self, message: str) -> None:
        if self.closing:
            return  # work left when the viewer closed: its layers are gone, say nothing
        self.last_error = message
        _dialogs.report_error(message)
        self.failed.emit(message)

    # --- showing results ---------------------------------------------------------

    def _show(self, outcome: Outcome) -> None:
        if outcome.workflow != self.workflow or self.closing:
            return  # a newer change is on its way, or the viewer is closing
        self.cancelled_step = None
        # a step's error is told once, not again at every change of other steps
        previous = self.step_errors
        for sid, message in outcome.errors.items():
            if previous.get(sid) != message:  # the reason first; the rest in the step list
                _dialogs.report_error(headline(message, outcome.workflow.step(sid)))
                self.failed.emit(message)
        self.step_details = dict(outcome.details)
        self.last_error = next(iter(outcome.errors.values()), None)
        self.step_errors = {**outcome.errors, **{
            sid: f"not computed: step '{failed}' failed"
            for sid, failed in outcome.blocked.items()}}
        for sid, value in outcome.data.items():
            step = outcome.workflow.step(sid)
            operation = step.operation
            if operation.returns_table:
                self.layers.store_features(step, value)
                self.table_ready.emit(sid, value)
            elif operation.result_kind is None:
                self.value_ready.emit(sid, value)
            else:
                try:
                    self.layers.show_image(self.workflow, sid, value, operation.result_kind)
                except (ValueError, TypeError) as error:  # napari refused the data
                    message = f"step '{sid}': its result cannot be shown: {error}"
                    if previous.get(sid) != message:
                        _dialogs.report_error(message)
                    self.step_errors[sid] = message
                    self.last_error = self.last_error or message
        self.computed.emit(tuple(outcome.data))

    def _show_stacks(self, outcome: Outcome) -> None:
        if self.closing:
            return
        for sid, value in outcome.data.items():
            operation = outcome.workflow.step(sid).operation
            name = f"{sid}{ALL_TIME_POINTS}"
            if operation.returns_table:
                self.layers.store_stack_features(outcome.workflow.step(sid), value)
                self.table_ready.emit(name, value)
            elif operation.result_kind is not None:
                source = self.layers.spatial_source(outcome.workflow, sid)
                self.layers.show_stack(name, value, operation.result_kind, source)

    # --- what changed ------------------------------------------------------------

    def _workflow_changed(self) -> None:
        """Bring layers in line with the workflow, then recompute."""
        # Input layers stay bound to their names, in the workflow or not: redo
        # may bring back a state that reads them.
        self.layers.drop_results_not_in(self.workflow)
        self.step_errors = {sid: message for sid, message in self.step_errors.items()
                            if sid in self.workflow.step_ids}
        self.changed.emit()
        self.recompute()

    def _time_moved(self, event: Any = None) -> None:
        self.layers.show_stack_features()
        if self.layers.time_lapse_inputs(self.workflow):
            self.recompute()

    def _input_layer_removed(self, name: str) -> None:
        # (an input that undo took out of the workflow stays bound: redo may need it)
        users = self.workflow.users(name) if name in self.workflow.inputs else ()
        if users:  # told once napari is done removing, unless the viewer is closing
            QTimer.singleShot(0, lambda: self._tell_input_removed(name, users))

    def _tell_input_removed(self, name: str, users: tuple[str, ...]) -> None:
        if not self.closing:
            _dialogs.warn(f"the layer of input '{name}' was removed; {', '.join(users)} "
                          "cannot be computed until a workflow is loaded onto another layer")

    def _result_layer_removed(self, step_id: str, layer: Layer, index: int) -> None:
        if not self.workflow.followers(step_id):
            self.editor.remove_step(step_id)
            return
        # Asked once napari is done removing, and only if the viewer is not
        # closing (closing removes every layer first, then the window).
        self.layers.detach(step_id, layer, index)
        QTimer.singleShot(0, lambda: self._ask_about_followers(step_id))

    def _ask_about_followers(self, step_id: str) -> None:
        """The result layer of a step that others read was removed: remove them too,
        or keep the step and give its layer back (with the result computed while
        the question was open)."""
        window = getattr(self.viewer.window, "_qt_window", None)
        if self._closed or window is None:
            return  # the viewer is closing: the step stays detached, nothing is shown
        remove = step_id in self.workflow.step_ids and _dialogs.ask_to_remove_followers(
            window, step_id, self.workflow.followers(step_id))
        gone = step_id not in self.workflow.step_ids  # meanwhile (undo)
        give_back = not (remove or gone)
        self.layers.reattach(step_id, self.workflow, give_back=give_back)
        layer = self.layers.layer_of(step_id) if give_back else None
        if layer is not None:  # selected again: its step's widget is the one shown
            self.viewer.layers.selection.active = layer
        if remove and not gone:
            self.editor.remove_step(step_id, with_followers=True)
