"""The recorded workflow of a napari viewer, bound to its layers.

Every operation run through the plugin (the assistant or a single operation
widget) becomes a step of the viewer's :class:`oclip.workflow.Workflow`.
Layers the steps read are the workflow's *inputs*; each step with an image
result has a *result layer*.  A change (a parameter, an operation, undo,
redo, an edited input) makes a new Workflow, and one job on the compute
thread re-runs it with the previous run's results, so that only the changed
step and the steps after it compute.  Results that arrive after a newer
change was made are dropped.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import napari
import numpy as np
from napari.layers import Image, Labels, Layer
from napari.utils.notifications import show_error, show_warning
from qtpy.QtCore import QObject, QTimer, Signal

import oclip
from oclip.ops import ImageKind, get_operation
from oclip.workflow import History, Results, Workflow

from ._worker import ComputeWorker

TIME_AXIS_LABELS = ("t", "time", "frame")


def is_time_lapse(layer: Layer) -> bool:
    """A 4D layer, or a 3D layer whose first axis is labelled as time, is a time-lapse."""
    if layer.ndim == 4:
        return True
    labels = getattr(layer, "axis_labels", ())
    return layer.ndim == 3 and bool(labels) and str(labels[0]).lower() in TIME_AXIS_LABELS


def python_name(text: str) -> str:
    """A valid Python identifier made of a layer name (``"nuclei 2"`` → ``nuclei_2``)."""
    name = re.sub(r"\W+", "_", text).strip("_") or "image"
    return name if not name[0].isdigit() else f"image_{name}"


def unwrap(obj: Any) -> Any:
    """The object behind napari's PublicOnlyProxy (plugin widgets receive the
    viewer, and every layer read through it, wrapped in a new proxy each time,
    so only the objects behind them can be compared)."""
    return getattr(obj, "__wrapped__", obj)


def confirm(parent: Any, question: str) -> bool:
    """Ask a yes/no question (tests replace this)."""
    from qtpy.QtWidgets import QMessageBox

    answer = QMessageBox.question(parent, "oclip", question)
    return answer == QMessageBox.StandardButton.Yes


@dataclass
class _DeviceState:
    """What only the compute thread touches: the last run's device results."""

    results: Results | None = None


@dataclass
class Outcome:
    """What a compute job hands back to the main thread."""

    workflow: Workflow
    data: dict[str, Any] = field(default_factory=dict)  # step id → numpy result
    time_index: int | None = None


def _compute(state: _DeviceState, workflow: Workflow, inputs: dict[str, Any],
             needed: tuple[str, ...], time_index: int | None) -> Outcome:
    """Runs on the compute thread: re-run the workflow, pull what changed."""
    results = workflow.run(inputs, outputs=workflow.step_ids, reuse=state.results)
    state.results = results
    fresh = set(results.computed) | set(needed)
    return Outcome(workflow, {sid: results[sid] for sid in workflow.step_ids if sid in fresh},
                   time_index)


def _compute_all_time_points(workflow: Workflow, inputs: dict[str, Any],
                             stacks: set[str], frames: int,
                             report: Callable[[int, int], None]) -> Outcome:
    """Runs on the compute thread: every time point, results stacked."""
    collected: dict[str, list[Any]] = {sid: [] for sid in workflow.step_ids}
    for t in range(frames):
        given = {name: (np.asarray(value[t]) if name in stacks else value)
                 for name, value in inputs.items()}
        results = workflow.run(given, outputs=workflow.step_ids)
        for sid in workflow.step_ids:
            collected[sid].append(results[sid])
        report(t + 1, frames)
    data: dict[str, Any] = {}
    for sid, values in collected.items():
        if isinstance(values[0], dict):  # tables: one table with a frame column
            columns = {"frame": np.concatenate([np.full(len(next(iter(v.values()), [])), t)
                                                for t, v in enumerate(values)])}
            for key in values[0]:
                columns[key] = np.concatenate([v[key] for v in values])
            data[sid] = columns
        elif isinstance(values[0], np.ndarray):
            data[sid] = np.stack(values)
        else:
            data[sid] = np.asarray(values)
    return Outcome(workflow, data)


_sessions: weakref.WeakKeyDictionary[Any, Session] = weakref.WeakKeyDictionary()


def session_for(viewer: napari.Viewer) -> Session:
    """The session of ``viewer`` (made on first use)."""
    viewer = unwrap(viewer)
    session = _sessions.get(viewer)
    if session is None:
        session = Session(viewer)
        _sessions[viewer] = session
    return session


class Session(QObject):
    """A viewer's recorded workflow, its layers and its compute thread.

    Signals
    -------
    changed()
        The workflow changed (a step added, changed or removed, undo, redo,
        load); step widgets and buttons refresh.
    computed(step_ids)
        Results of these steps arrived and were shown.
    failed(message)
        A computation failed; the previous results stay.
    table_ready(step_id, table)
        A step's table (dict of numpy columns) arrived.
    value_ready(step_id, value)
        A step's scalar result arrived.
    device_changed(name)
        The compute device is now ``name``.
    """

    changed = Signal()
    computed = Signal(object)
    failed = Signal(str)
    table_ready = Signal(str, object)
    value_ready = Signal(str, object)
    device_changed = Signal(str)

    def __init__(self, viewer: napari.Viewer) -> None:
        super().__init__()
        self.viewer = viewer = unwrap(viewer)
        self.history = History()
        self.worker = ComputeWorker()
        self.worker.finished.connect(self._finished)
        self.worker.failed.connect(self._failed)
        self.worker.dropped.connect(self._dropped)
        self._device_state = _DeviceState()
        self._input_layers: dict[str, Layer] = {}
        self._result_layers: dict[str, Layer] = {}
        self._snapshots: dict[str, tuple[Any, Any]] = {}  # input → (key, array)
        self._handlers: dict[int, Callable[[int, Any], None]] = {}
        self._cleanups: dict[int, Callable[[], None]] = {}
        self._computations: set[int] = set()  # tickets of recomputations
        self._latest = 0
        self._closing_layers: set[int] = set()
        # Steps whose result layer was removed while the user is asked whether to
        # remove their followers too: step id → the removed layer, and the result
        # that arrived meanwhile (shown only if the step and its layer are kept).
        self._detached: dict[str, Layer] = {}
        self._missed: dict[str, tuple[np.ndarray, ImageKind]] = {}
        self._closed = False
        self.last_error: str | None = None
        viewer.layers.events.removed.connect(self._layer_removed)
        viewer.dims.events.current_step.connect(self._time_moved)
        # the compute thread ends with the viewer's window: no orphan worker
        window = getattr(getattr(viewer, "window", None), "_qt_window", None)
        if window is not None:
            window.destroyed.connect(lambda *_: self.close())

    # --- the workflow --------------------------------------------------------------

    @property
    def workflow(self) -> Workflow:
        """The viewer's workflow as it is now."""
        return self.history.current

    def layer_of(self, name: str) -> Layer | None:
        """The layer of a workflow input or of a step's result."""
        return self._result_layers.get(name) or self._input_layers.get(name)

    def step_of(self, layer: Layer) -> str | None:
        """The id of the step whose result ``layer`` shows, or None."""
        layer = unwrap(layer)
        return next((sid for sid, bound in self._result_layers.items() if bound is layer), None)

    def _source(self, layer: Layer, workflow: Workflow) -> tuple[str, Workflow]:
        """The workflow name of ``layer``'s data, adding it as an input if new."""
        layer = unwrap(layer)
        for name, bound in self._result_layers.items():
            if bound is layer and name in workflow.step_ids:
                return name, workflow
        for name, bound in self._input_layers.items():
            if bound is layer:  # known (undo may have taken it out of the workflow)
                return name, workflow if name in workflow.inputs else workflow.add_input(name)
        taken = set(workflow.inputs) | set(workflow.step_ids) | set(self._input_layers)
        base = name = python_name(layer.name)
        suffix = 2
        while name in taken:
            name, suffix = f"{base}_{suffix}", suffix + 1
        self._bind_input(name, layer)
        return name, workflow.add_input(name)

    def _bind_input(self, name: str, layer: Layer) -> None:
        self._input_layers[name] = layer
        layer.events.data.connect(self._input_edited)
        if isinstance(layer, Labels):
            layer.events.paint.connect(self._input_edited)

    def add_step(self, op: str, layers: Mapping[str, Layer],
                 params: Mapping[str, Any] | None = None) -> str:
        """Add a step running ``op`` on ``layers`` (image parameter → layer).

        Returns the new step's id; its result layer appears when computed.
        """
        workflow = self.workflow
        inputs = {}
        for parameter, layer in layers.items():
            inputs[parameter], workflow = self._source(layer, workflow)
        before = set(workflow.step_ids)
        workflow = workflow.add_step(op, inputs, params or {})
        step_id = next(s for s in workflow.step_ids if s not in before)
        self._commit(workflow)
        return step_id

    def change_step(self, step_id: str, *, op: str | None = None,
                    params: Mapping[str, Any] | None = None,
                    layers: Mapping[str, Layer] | None = None,
                    sources: Mapping[str, str] | None = None) -> None:
        """Change a step's operation, parameter values or inputs, and recompute.

        Changes of one parameter in a row merge into one undo step.
        """
        workflow = self.workflow
        inputs = dict(sources or {})
        for parameter, layer in (layers or {}).items():
            inputs[parameter], workflow = self._source(layer, workflow)
        workflow = workflow.change_step(step_id, op=op, params=params, inputs=inputs or None)
        group = ("params", step_id, tuple(sorted(params))) if params and not (op or inputs) \
            else None
        self._commit(workflow, group=group)

    def remove_step(self, step_id: str, *, with_followers: bool = False) -> None:
        """Remove a step (and, if asked, the steps that read it) and their layers."""
        workflow = self.workflow
        doomed = [step_id, *workflow.followers(step_id)] if with_followers else [step_id]
        for sid in reversed([s for s in workflow.step_ids if s in doomed]):
            workflow = workflow.remove_step(sid)
        self._commit(workflow)

    def undo(self) -> None:
        if self.history.can_undo:
            self.history.undo()
            self._refresh()

    def redo(self) -> None:
        if self.history.can_redo:
            self.history.redo()
            self._refresh()

    def load(self, workflow: Workflow, layers: Mapping[str, Layer]) -> None:
        """Replace the workflow by ``workflow`` with its inputs read from ``layers``."""
        missing = [name for name in workflow.inputs if name not in layers]
        if missing:
            raise ValueError(f"no layer given for the workflow input(s) {', '.join(missing)}")
        for name in list(self._input_layers):
            self._unbind_input(name)
        for name, layer in layers.items():
            self._bind_input(name, unwrap(layer))
        self._commit(workflow)

    def _commit(self, workflow: Workflow, *, group: Any = None) -> None:
        self.history.push(workflow, group=group)
        self._refresh()

    def _refresh(self) -> None:
        """Bring layers in line with the workflow, then recompute."""
        workflow = self.workflow
        for sid in [s for s in self._result_layers if s not in workflow.step_ids]:
            self._drop_result_layer(sid)
        # Input layers stay bound to their names, in the workflow or not: redo
        # may bring back a state that reads them.
        self.changed.emit()
        self.recompute()

    # --- computing ---------------------------------------------------------------

    def _input_array(self, name: str) -> tuple[Any, int | None]:
        """The array a run gets for input ``name`` (one time point of a
        time-lapse), the same object as long as the layer's data is unchanged."""
        layer = self._input_layers[name]
        t = self.time_index(layer) if is_time_lapse(layer) else None
        key = (id(layer.data), t)
        snapshot = self._snapshots.get(name)
        if snapshot is None or snapshot[0] != key:
            array = np.asarray(layer.data if t is None else layer.data[t])
            snapshot = (key, array)
            self._snapshots[name] = snapshot
        return snapshot[1], t

    def time_index(self, layer: Layer) -> int:
        """The time point of ``layer`` that the viewer shows."""
        position = layer.world_to_data(self.viewer.dims.point)[0]
        return int(np.clip(round(position), 0, layer.data.shape[0] - 1))

    def recompute(self) -> None:
        """Re-run the workflow on the compute thread (unchanged steps are reused)."""
        workflow = self.workflow
        if not workflow.steps or self._closed:
            return
        inputs: dict[str, Any] = {}
        time_index = None
        for name in workflow.inputs:
            if name in self._input_layers:
                inputs[name], t = self._input_array(name)
                time_index = t if t is not None else time_index
        missing = [n for n in workflow.inputs if n not in inputs]
        if missing:
            self._report(f"the layer of input {', '.join(missing)} is gone: nothing computed")
            return
        needed = tuple(s for s in workflow.step_ids if s not in self._result_layers)
        state = self._device_state
        ticket = self.worker.submit(
            lambda: _compute(state, workflow, inputs, needed, time_index), lane="compute")
        self._latest = ticket
        self._computations.add(ticket)
        self._handlers[ticket] = self._show

    def apply_to_all_time_points(self) -> int | None:
        """Compute every time point of the time-lapse inputs; the stacked results
        appear as new layers named ``<step> (all time points)``.  Returns the
        job's ticket, or None when no input is a time-lapse."""
        workflow = self.workflow
        stacks = {n for n, layer in self._input_layers.items()
                  if n in workflow.inputs and is_time_lapse(layer)}
        if not stacks or not workflow.steps:
            show_warning("oclip: no time-lapse input (a 4D layer, or 3D with a time axis "
                         "label) to apply the workflow to")
            return None
        inputs = {n: (self._input_layers[n].data if n in stacks else self._input_array(n)[0])
                  for n in workflow.inputs}
        frames = min(self._input_layers[n].data.shape[0] for n in stacks)
        from napari.utils import progress

        bar = progress(total=frames, desc="oclip: all time points")
        ticket = self.worker.submit(
            lambda report: _compute_all_time_points(workflow, inputs, stacks, frames, report),
            reports=True)

        def advance(job: int, done: int, total: int) -> None:
            if job == ticket:
                bar.n = done
                bar.refresh()

        def close() -> None:
            bar.close()
            self.worker.progress.disconnect(advance)

        def finish(job: int, outcome: Outcome) -> None:
            close()
            self._show_stacks(outcome)

        self.worker.progress.connect(advance)
        self._handlers[ticket] = finish
        self._cleanups[ticket] = close
        return ticket

    def call(self, job: Callable[[], Any], on_done: Callable[[Any], None]) -> int:
        """Run ``job`` on the compute thread, then ``on_done(value)`` on this one
        (a failure is reported as a notification)."""
        ticket = self.worker.submit(job)
        self._handlers[ticket] = lambda _ticket, value: on_done(value)
        return ticket

    def set_device(self, device: oclip.DeviceInfo | str) -> None:
        """Compute on ``device`` from now on (the device cache starts afresh)."""
        state = self._device_state

        def switch() -> str:
            selected = oclip.select_device(device)
            state.results = None
            return selected.name

        self.call(switch, lambda name: (self.device_changed.emit(name), self.recompute()))

    def _finished(self, ticket: int, value: Any) -> None:
        handler = self._handlers.pop(ticket, None)
        if handler is not None:
            handler(ticket, value)

    def _dropped(self, ticket: int) -> None:
        self._handlers.pop(ticket, None)
        self._computations.discard(ticket)

    def _failed(self, ticket: int, error: Exception) -> None:
        self._handlers.pop(ticket, None)
        cleanup = self._cleanups.pop(ticket, None)
        if cleanup is not None:
            cleanup()
        if ticket not in self._computations or ticket == self._latest:
            self._report(str(error))  # stale recomputations fail silently
        self._computations.discard(ticket)

    def _report(self, message: str) -> None:
        self.last_error = message
        show_error(f"oclip: {message}")
        self.failed.emit(message)

    def _show(self, ticket: int, outcome: Outcome) -> None:
        self._computations.discard(ticket)
        if ticket != self._latest or outcome.workflow != self.workflow:
            return  # a newer change is on its way
        self.last_error = None
        for sid, value in outcome.data.items():
            step = outcome.workflow.step(sid)
            operation = step.operation
            if operation.returns_table:
                self._show_table(step, value)
            elif operation.result_kind is None:
                self.value_ready.emit(sid, value)
            else:
                self._show_image(sid, value, operation.result_kind)
        self.computed.emit(tuple(outcome.data))

    def _show_stacks(self, outcome: Outcome) -> None:
        for sid, value in outcome.data.items():
            operation = outcome.workflow.step(sid).operation
            name = f"{sid} (all time points)"
            if operation.returns_table:
                self.table_ready.emit(name, value)
            elif operation.result_kind is not None:
                source = self._spatial_source(outcome.workflow, sid)
                kind = "image" if operation.result_kind is ImageKind.IMAGE else "labels"
                self._add_layer(name, value, kind, source, leading=1)

    # --- layers ------------------------------------------------------------------

    def _spatial_source(self, workflow: Workflow, step_id: str) -> Layer | None:
        """The input layer a step's data comes from (its first image input, upstream)."""
        name = step_id
        while name in workflow.step_ids:
            step = workflow.step(name)
            if not step.inputs:
                return None
            name = next(iter(step.inputs.values()))
        return self._input_layers.get(name)

    def _add_layer(self, name: str, data: np.ndarray, kind: str, source: Layer | None,
                   leading: int = 0) -> Layer:
        scale, translate = self._geometry(source, data.ndim, leading)
        if kind == "image":
            return self.viewer.add_image(data, name=name, scale=scale, translate=translate)
        return self.viewer.add_labels(data, name=name, scale=scale, translate=translate)

    @staticmethod
    def _geometry(source: Layer | None, ndim: int,
                  leading: int = 0) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """Scale and translation for a result of ``ndim`` axes from the source's:
        the source's time axis is dropped, axes a result adds (eigenvalues) get
        scale 1, axes it lost (projections) are dropped from the front."""
        if source is None:
            return (1.0,) * ndim, (0.0,) * ndim
        scale, translate = list(source.scale), list(source.translate)
        if is_time_lapse(source) and not leading:
            scale, translate = scale[1:], translate[1:]
        elif leading and not is_time_lapse(source):
            scale, translate = [1.0, *scale], [0.0, *translate]
        while len(scale) < ndim:
            scale, translate = [1.0, *scale], [0.0, *translate]
        return tuple(scale[len(scale) - ndim:]), tuple(translate[len(translate) - ndim:])

    def _show_image(self, step_id: str, data: np.ndarray, kind: ImageKind) -> None:
        if step_id in self._detached:  # its layer was removed: no stray layer while asking
            self._missed[step_id] = (data, kind)
            return
        layer_type = Image if kind is ImageKind.IMAGE else Labels
        layer = self._result_layers.get(step_id)
        if layer is not None and layer in self.viewer.layers and isinstance(layer, layer_type) \
                and layer.data.ndim == data.ndim:
            layer.data = data
            return
        if layer is not None:
            self._drop_result_layer(step_id)
        source = self._spatial_source(self.workflow, step_id)
        layer = self._add_layer(step_id, data, "image" if layer_type is Image else "labels",
                                source)
        self._result_layers[step_id] = layer

    def _show_table(self, step: Any, table: dict[str, np.ndarray]) -> None:
        labels_parameter = next((p.name for p in step.operation.image_parameters
                                 if p.kind is ImageKind.LABELS), None)
        if labels_parameter is not None:
            layer = self.layer_of(step.inputs[labels_parameter])
            if isinstance(layer, Labels):
                try:
                    layer.features = table
                except (ValueError, TypeError) as error:  # napari's own checks
                    show_warning(f"oclip: could not store the table as features: {error}")
        self.table_ready.emit(step.id, table)

    def _drop_result_layer(self, step_id: str) -> None:
        layer = self._result_layers.pop(step_id)
        if layer in self.viewer.layers:
            self._closing_layers.add(id(layer))
            self.viewer.layers.remove(layer)
            self._closing_layers.discard(id(layer))

    def _unbind_input(self, name: str) -> None:
        layer = self._input_layers.pop(name)
        self._snapshots.pop(name, None)
        layer.events.data.disconnect(self._input_edited)
        if isinstance(layer, Labels):
            layer.events.paint.disconnect(self._input_edited)

    # --- viewer events -------------------------------------------------------------

    def _input_edited(self, event: Any = None) -> None:
        for name, layer in self._input_layers.items():
            if event is None or getattr(event, "source", None) is layer:
                self._snapshots.pop(name, None)  # a fresh array: the cache sees new data
        self.recompute()

    def _time_moved(self, event: Any = None) -> None:
        if any(is_time_lapse(layer) for name, layer in self._input_layers.items()
               if name in self.workflow.inputs):
            self.recompute()

    def _layer_removed(self, event: Any) -> None:
        layer = event.value
        if id(layer) in self._closing_layers:
            return
        step_id = self.step_of(layer)
        if step_id is not None:
            del self._result_layers[step_id]
            followers = self.workflow.followers(step_id)
            if not followers:
                self.remove_step(step_id)
            else:
                # Asked once napari is done removing, and only if the viewer is not
                # closing (closing removes every layer first, then the window).
                self._detached[step_id] = layer
                QTimer.singleShot(0, lambda: self._ask_about_followers(step_id))
            return
        for name, bound in list(self._input_layers.items()):
            if bound is layer:
                # (an input that undo took out of the workflow stays bound: redo may need it)
                users = self.workflow.users(name) if name in self.workflow.inputs else ()
                if users:
                    show_warning(f"oclip: the layer of input '{name}' was removed; "
                                 f"{', '.join(users)} cannot be computed until a workflow "
                                 "is loaded onto another layer")
                self._unbind_input(name)

    def _ask_about_followers(self, step_id: str) -> None:
        """The result layer of a step that others read was removed: remove them too,
        or keep the step and give its layer back (with the result computed while
        the question was open)."""
        window = getattr(self.viewer.window, "_qt_window", None)
        if self._closed or window is None:
            return  # the viewer is closing: the step stays detached, nothing is shown
        remove = step_id in self.workflow.step_ids and confirm(
            window, f"Step '{step_id}' is read by "
                    f"{', '.join(self.workflow.followers(step_id))}. Remove those steps too?")
        layer = self._detached.pop(step_id)
        missed = self._missed.pop(step_id, None)
        if step_id not in self.workflow.step_ids:  # gone meanwhile (undo)
            return
        if remove:
            self.remove_step(step_id, with_followers=True)
            return
        self.viewer.layers.append(layer)
        self._result_layers[step_id] = layer
        if missed is not None:
            self._show_image(step_id, *missed)

    def close(self) -> None:
        """Stop the compute thread (the viewer is closing).  Closing never waits
        for a running computation, which cannot be interrupted: the thread ends
        when it returns, and its result is dropped."""
        self._closed = True
        self.worker.close(timeout=0)


def fit(op_name: str, layer: Layer) -> int:
    """How well ``layer`` fits the image parameters of ``op_name``: 2 when one of
    them takes its kind (an image layer an Image, a labels layer Labels or
    Binary), 1 when a labels layer can only be given as an image, 0 otherwise."""
    kinds = {p.kind for p in get_operation(op_name).image_parameters}
    if isinstance(layer, Labels):
        return 2 if kinds & {ImageKind.LABELS, ImageKind.BINARY} else 1
    return 2 if ImageKind.IMAGE in kinds else 0
