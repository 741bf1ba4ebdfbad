"""The layers of a viewer's workflow: an input layer bound to each input name,
a result layer for each step with an image result.

The binding gives a run its input arrays (the shown time point of a
time-lapse), puts results into their layers (made with the geometry of the
layer they come from) and tells its owner when a bound layer is edited or
removed from the viewer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import napari
import numpy as np
from napari.layers import Image, Labels, Layer

from oclip.ops import ImageKind
from oclip.workflow import Step, Workflow

from . import _dialogs
from ._geometry import is_time_lapse, result_geometry, shown_time_point

#: The end of the names of the layers and tables of "Apply to all time points".
ALL_TIME_POINTS = " (all time points)"


def python_name(text: str) -> str:
    """A valid Python identifier made of a layer name (``"nuclei 2"`` → ``nuclei_2``)."""
    name = re.sub(r"\W+", "_", text).strip("_") or "image"
    return name if not name[0].isdigit() else f"image_{name}"


def check_input_layer(layer: Layer) -> None:
    """Raise ValueError, with what to do, for a layer oclip cannot read: an RGB(A)
    image (its colour axis would be taken as z; operations take one channel)."""
    if getattr(layer, "rgb", False):
        raise ValueError(f"'{layer.name}' is an RGB image: oclip works on one channel "
                         "at a time; split it first (right-click the layer: Split RGB) "
                         "and use one of the channel layers")


def unwrap(obj: Any) -> Any:
    """The object behind napari's PublicOnlyProxy (plugin widgets receive the
    viewer, and every layer read through it, wrapped in a new proxy each time,
    so only the objects behind them can be compared)."""
    return getattr(obj, "__wrapped__", obj)


class LayerBinding:
    """Which layer shows which input or step result of a viewer's workflow.

    Parameters
    ----------
    viewer : napari.Viewer
    on_input_edited : callable
        Called with no argument when the data of a bound input layer changed.
    on_result_removed : callable
        Called as ``on_result_removed(step_id, layer, index)`` when the user
        removed a step's result layer from position ``index`` of the layer list
        (the layer is then no longer bound).
    on_input_removed : callable
        Called as ``on_input_removed(name)`` when the user removed the layer of
        input ``name``, just before it is unbound.
    """

    def __init__(self, viewer: napari.Viewer, *, on_input_edited: Callable[[], None],
                 on_result_removed: Callable[[str, Layer, int], None],
                 on_input_removed: Callable[[str], None]) -> None:
        self.viewer = viewer
        self._on_input_edited = on_input_edited
        self._on_result_removed = on_result_removed
        self._on_input_removed = on_input_removed
        self._inputs: dict[str, Layer] = {}
        self._results: dict[str, Layer] = {}
        self._snapshots: dict[str, tuple[Any, Any]] = {}  # input → (key, array)
        self._removing: set[int] = set()  # layers this binding removes itself
        # Steps whose result layer was removed while the user is asked whether to
        # remove their followers too: step id → the removed layer, and the result
        # that arrived meanwhile (shown only if the step and its layer are kept).
        self._detached: dict[str, tuple[Layer, int]] = {}  # (layer, its index)
        self._missed: dict[str, tuple[np.ndarray, ImageKind]] = {}
        self._stacks: dict[str, Layer] = {}  # name → layer of an "all time points" result
        self._features: dict[str, Layer] = {}  # step id → the layer its table is stored on
        # stacked labels layer → the all-time-points table measuring it (a `frame` column)
        self._stack_tables: dict[int, tuple[Layer, dict[str, np.ndarray]]] = {}
        viewer.layers.events.removed.connect(self._layer_removed)

    # --- looking up ------------------------------------------------------------------

    def layer_of(self, name: str) -> Layer | None:
        """The layer of a workflow input or of a step's result."""
        return self._results.get(name) or self._inputs.get(name)

    def step_of(self, layer: Layer) -> str | None:
        """The id of the step whose result ``layer`` shows, or None."""
        layer = unwrap(layer)
        return next((sid for sid, bound in self._results.items() if bound is layer), None)

    def has_result_layer(self, step_id: str) -> bool:
        """Whether the result of ``step_id`` is shown in a layer (already computed)."""
        return step_id in self._results

    def spatial_source(self, workflow: Workflow, step_id: str) -> Layer | None:
        """The input layer a step's data comes from (its first image input, upstream)."""
        name = step_id
        while name in workflow.step_ids:
            step = workflow.step(name)
            if not step.inputs:
                return None
            name = next(iter(step.inputs.values()))
        return self._inputs.get(name)

    # --- inputs ----------------------------------------------------------------------

    def source_name(self, layer: Layer, workflow: Workflow) -> tuple[str, Workflow]:
        """The workflow name of ``layer``'s data, and the workflow with it as an
        input (a layer bound to no name yet is bound to a new input)."""
        layer = unwrap(layer)
        for name, bound in self._results.items():
            if bound is layer and name in workflow.step_ids:
                return name, workflow
        for name, bound in self._inputs.items():
            if bound is layer:  # known (undo may have taken it out of the workflow)
                return name, workflow if name in workflow.inputs else workflow.add_input(name)
        check_input_layer(layer)
        taken = set(workflow.inputs) | set(workflow.step_ids) | set(self._inputs)
        base = name = python_name(layer.name)
        suffix = 2
        while name in taken:
            name, suffix = f"{base}_{suffix}", suffix + 1
        self._bind_input(name, layer)
        return name, workflow.add_input(name)

    def rebind_inputs(self, layers: Mapping[str, Layer]) -> None:
        """Bind the inputs to ``layers`` (input name → layer) instead of their layers
        (ValueError, binding nothing, for a layer :func:`check_input_layer` refuses)."""
        for layer in layers.values():
            check_input_layer(unwrap(layer))
        for name in list(self._inputs):
            self._unbind_input(name)
        for name, layer in layers.items():
            self._bind_input(name, unwrap(layer))

    def input_layer(self, name: str) -> Layer | None:
        """The layer bound to input ``name``, or None."""
        return self._inputs.get(name)

    def time_lapse_inputs(self, workflow: Workflow) -> dict[str, Layer]:
        """The inputs of ``workflow`` bound to a time-lapse layer, and their layers."""
        return {name: layer for name, layer in self._inputs.items()
                if name in workflow.inputs and is_time_lapse(layer)}

    def input_array(self, name: str) -> tuple[Any, int | None]:
        """The array a run gets for input ``name`` (the shown time point of a
        time-lapse, whose index comes second; None for other layers), the same
        object as long as the layer's data is unchanged."""
        layer = self._inputs[name]
        t = shown_time_point(layer, self.viewer) if is_time_lapse(layer) else None
        key = (id(layer.data), t)
        snapshot = self._snapshots.get(name)
        if snapshot is None or snapshot[0] != key:
            array = np.asarray(layer.data if t is None else layer.data[t])
            snapshot = (key, array)
            self._snapshots[name] = snapshot
        return snapshot[1], t

    def _bind_input(self, name: str, layer: Layer) -> None:
        self._inputs[name] = layer
        layer.events.data.connect(self._input_edited)
        if isinstance(layer, Labels):
            layer.events.paint.connect(self._input_edited)

    def _unbind_input(self, name: str) -> None:
        layer = self._inputs.pop(name)
        self._snapshots.pop(name, None)
        layer.events.data.disconnect(self._input_edited)
        if isinstance(layer, Labels):
            layer.events.paint.disconnect(self._input_edited)

    def _input_edited(self, event: Any = None) -> None:
        for name, layer in self._inputs.items():
            if event is None or getattr(event, "source", None) is layer:
                self._snapshots.pop(name, None)  # a fresh array: the cache sees new data
        self._on_input_edited()

    # --- results ---------------------------------------------------------------------

    def show_image(self, workflow: Workflow, step_id: str, data: np.ndarray,
                   kind: ImageKind) -> None:
        """Show a step's image result in its layer (made, or remade for another
        layer type or dimensionality, as needed)."""
        if step_id in self._detached:  # its layer was removed: no stray layer while asking
            self._missed[step_id] = (data, kind)
            return
        layer_type = Image if kind is ImageKind.IMAGE else Labels
        layer = self._results.get(step_id)
        if layer is not None and layer in self.viewer.layers and isinstance(layer, layer_type) \
                and layer.data.ndim == data.ndim:
            layer.data = data
            return
        if layer is not None:
            self._drop_result_layer(step_id)
        source = self.spatial_source(workflow, step_id)
        self._results[step_id] = self.add_layer(step_id, data, kind, source)

    def store_features(self, step: Step, table: dict[str, np.ndarray]) -> None:
        """Store a table as the features of the labels layer it measures, if any.

        A table with a ``label`` column gets it again as ``index``, napari's
        column saying which label each row is (without it napari takes row i
        for label i, and the status bar would show the next label's row)."""
        labels_parameter = next((p.name for p in step.operation.image_parameters
                                 if p.kind is ImageKind.LABELS), None)
        if labels_parameter is not None:
            layer = self.layer_of(step.inputs[labels_parameter])
            if isinstance(layer, Labels):
                features = dict(table)
                if "label" in features and "index" not in features:
                    features = {"index": features["label"], **features}
                try:
                    layer.features = features
                except (ValueError, TypeError) as error:  # napari's own checks
                    _dialogs.warn(f"could not store the table as features: {error}")
                else:
                    self._features[step.id] = layer

    def show_stack(self, name: str, data: np.ndarray, kind: ImageKind,
                   source: Layer | None) -> None:
        """Show the stacked result of all time points in the layer ``name``: the
        one shown before, replaced, while it is in the viewer and of the same kind."""
        layer = self._stacks.get(name)
        layer_type = Image if kind is ImageKind.IMAGE else Labels
        if layer is not None and layer in self.viewer.layers and isinstance(layer, layer_type) \
                and layer.data.ndim == data.ndim:
            layer.data = data
        else:
            self._stacks[name] = self.add_layer(name, data, kind, source, leading=1)

    def store_stack_features(self, step: Step, table: dict[str, np.ndarray]) -> None:
        """Keep the all-time-points table of ``step`` for the stacked labels layer
        it measures, whose features are then the rows of the time point shown
        (napari's features give a label value one row, the same in every frame)."""
        labels_parameter = next((p.name for p in step.operation.image_parameters
                                 if p.kind is ImageKind.LABELS), None)
        if labels_parameter is None or "frame" not in table:
            return
        layer = self._stacks.get(f"{step.inputs[labels_parameter]}{ALL_TIME_POINTS}")
        if isinstance(layer, Labels) and layer in self.viewer.layers:
            self._stack_tables[id(layer)] = (layer, table)
            self.show_stack_features()

    def show_stack_features(self) -> None:
        """Give each stacked labels layer the rows of its table for the time point shown."""
        for key, (layer, table) in list(self._stack_tables.items()):
            if layer not in self.viewer.layers:
                del self._stack_tables[key]
                continue
            shown = table["frame"] == shown_time_point(layer, self.viewer)
            rows = {name: np.asarray(column)[shown] for name, column in table.items()}
            if "label" in rows:
                rows = {"index": rows["label"], **rows}
            layer.features = rows

    def add_layer(self, name: str, data: np.ndarray, kind: ImageKind, source: Layer | None,
                  leading: int = 0) -> Layer:
        """A new image layer (labels layer for a label or binary ``kind``) placed
        like ``source``; ``leading`` says the data has a time axis of its own."""
        scale, translate = result_geometry(source, data.ndim, leading)
        if kind is ImageKind.IMAGE:
            return self.viewer.add_image(data, name=name, scale=scale, translate=translate)
        return self.viewer.add_labels(data, name=name, scale=scale, translate=translate)

    def release_results(self) -> None:
        """Let go of the result layers (and the tables stored on labels layers): they
        stay in the viewer as plain layers, and the workflow's results get new ones."""
        self._results.clear()
        self._features.clear()
        self._stacks.clear()
        self._stack_tables.clear()

    def drop_results_not_in(self, workflow: Workflow) -> None:
        """Remove the result layers of steps ``workflow`` does not have, and the
        features their tables left on labels layers."""
        for sid in [s for s in self._results if s not in workflow.step_ids]:
            self._drop_result_layer(sid)
        for sid in [s for s in self._features if s not in workflow.step_ids]:
            layer = self._features.pop(sid)
            if not any(other is layer for other in self._features.values()):
                layer.features = {}

    def detach(self, step_id: str, layer: Layer, index: int) -> None:
        """Hold the removed result ``layer`` of ``step_id`` (removed from position
        ``index``) aside (see :meth:`reattach`); results of the step that arrive
        meanwhile are kept, not shown."""
        self._detached[step_id] = (layer, index)

    def reattach(self, step_id: str, workflow: Workflow, *, give_back: bool) -> None:
        """End the detachment of ``step_id``'s result layer: with ``give_back``,
        the layer returns to the viewer where it was in the layer list (not on
        top, hiding the layers above it), with the result that arrived meanwhile."""
        layer, index = self._detached.pop(step_id)
        missed = self._missed.pop(step_id, None)
        if not give_back:
            return
        self._results[step_id] = layer  # bound first: inserting it selects it
        self.viewer.layers.insert(min(index, len(self.viewer.layers)), layer)
        if missed is not None:
            self.show_image(workflow, step_id, *missed)

    def _drop_result_layer(self, step_id: str) -> None:
        layer = self._results.pop(step_id)
        if layer in self.viewer.layers:
            self._removing.add(id(layer))
            self.viewer.layers.remove(layer)
            self._removing.discard(id(layer))

    # --- the user removed a layer ------------------------------------------------------

    def _layer_removed(self, event: Any) -> None:
        layer = event.value
        if id(layer) in self._removing:
            return
        step_id = self.step_of(layer)
        if step_id is not None:
            del self._results[step_id]
            self._on_result_removed(step_id, layer, event.index)
            return
        for name, bound in list(self._inputs.items()):
            if bound is layer:
                self._on_input_removed(name)
                self._unbind_input(name)
