"""The oclip Assistant: a napari dock widget that builds a workflow by clicking.

Select an image (or labels) layer and click a category: a step with the
category's first fitting operation is added, its result appears as a layer,
and its widget shows the operation's parameters.  Every change recomputes
that step and the ones after it on the compute thread; undo and redo walk the
recorded workflow, which can be saved, loaded onto another image, exported as
a Python script or a notebook, and applied to every time point or to a
folder of images (:mod:`._folder`).
"""

from __future__ import annotations

from functools import partial
from typing import Any

import napari
from napari.layers import Image, Labels, Layer
from qtpy.QtCore import QEvent, QObject, Qt
from qtpy.QtGui import QColor
from qtpy.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

import oclip
import oclip.workflow
from oclip._io import write_text
from oclip.ops import CATEGORIES, ImageKind, get_operation, operations

from . import _dialogs
from ._busy import BusyBar, first_operations, warm_up
from ._folder import FolderRun
from ._layers import ALL_TIME_POINTS
from ._layout import ElidingComboBox
from ._messages import headline
from ._physical import default_sizes
from ._search import OperationSearch
from ._step_list import StepListPanel
from ._step_widget import StepWidget
from ._table import TableWidget
from ._viewer_workflow import ViewerWorkflow, viewer_workflow

#: What each category button does (its tooltip).
CATEGORY_TIPS = {
    "Remove noise": "Smooth the selected image: Gaussian, mean, median, minimum, maximum",
    "Remove background": "Subtract or divide out uneven background: top-hat, Gaussian "
                         "background, difference of Gaussians",
    "Filter": "Edges, gradients, local variance, morphology and pixel-wise functions",
    "Combine": "Combine the selected image with another: add, subtract, multiply, mask, "
               "compare",
    "Transform": "Crop, flip, rotate, scale, resample the selected image",
    "Projection": "Project a 3D stack to 2D: maximum, mean, sum... along z, y or x",
    "Binarize": "Make a binary image: thresholds (Otsu...), maxima, binary morphology",
    "Label": "Turn a (binary) image into labelled objects: connected components, "
             "Voronoi-Otsu, watershed",
    "Process labels": "Exclude, dilate, erode, merge or relabel labelled objects",
    "Measure": "Measure labelled objects (size, intensity, position) into a table, "
               "or a whole image (sums, extremes, histogram)",
}

#: The operations a category click prefers, first to last; among those that fit
#: the selected layer best, the most preferred wins (then registry order).
PREFERRED = {
    "Remove noise": ("gaussian_blur",),
    "Remove background": ("top_hat_box",),
    "Filter": ("sobel",),
    "Combine": ("add_images",),
    "Transform": ("scale",),
    "Projection": ("maximum_z_projection",),
    "Binarize": ("threshold_otsu",),
    "Label": ("voronoi_otsu_labeling", "connected_components_labeling"),
    "Process labels": ("exclude_labels_on_edges",),
    # a labels layer: its objects' table; an image layer: the whole image's statistics
    "Measure": ("label_statistics", "statistics_of_image"),
}

ACTION_TIPS = {
    "Undo": "Undo the last change of the workflow",
    "Redo": "Redo what was undone",
    "Save workflow": "Save the workflow as a YAML file",
    "Load workflow": "Load a workflow file and run it on the selected layer",
    "Export Python script": "Write a Python script that runs the workflow on TIFF files",
    "Export notebook": "Write a Jupyter notebook that runs the workflow step by step",
    "Apply to all time points": "Compute every time point of a time-lapse into new layers",
    "Apply to folder": "Run the workflow on every TIFF image of a folder, as oclip run does "
                       "(outputs and a summary table in its oclip-results folder)",
}


def layer_words(layer: Layer) -> str:
    """What a person calls ``layer``'s kind ("an image layer"), never a class name
    (the dock's viewer hands out layers wrapped in napari's proxies)."""
    return "a labels layer" if isinstance(layer, Labels) else "an image layer"


def fit(op_name: str, layer: Layer) -> int:
    """How well ``layer`` fits the image parameters of ``op_name``: 2 when one of
    them takes its kind (an image layer an Image, a labels layer Labels or
    Binary), 1 when a labels layer can only be given as an image, 0 otherwise,
    and 0 for an image layer when the operation reads labels (intensities are
    not objects: a measurement starts from the labels layer)."""
    kinds = {p.kind for p in get_operation(op_name).image_parameters}
    if isinstance(layer, Labels):
        return 2 if kinds & {ImageKind.LABELS, ImageKind.BINARY} else 1
    return 2 if ImageKind.IMAGE in kinds and ImageKind.LABELS not in kinds else 0


class Assistant(QWidget):
    """The oclip Assistant dock widget of a napari viewer."""

    def __init__(self, napari_viewer: napari.Viewer) -> None:
        super().__init__()
        self.viewer = napari_viewer
        self.viewer_workflow: ViewerWorkflow = viewer_workflow(napari_viewer)
        editor = self.viewer_workflow.editor
        self.step_widgets: dict[str, StepWidget] = {}
        self.tables: dict[str, TableWidget] = {}
        layout = QVBoxLayout(self)

        device_row = QHBoxLayout()
        device_row.addWidget(QLabel("Device:"))
        self.device_box = ElidingComboBox("The OpenCL device oclip computes on")
        device_row.addWidget(self.device_box, 1)
        layout.addLayout(device_row)
        self.busy_bar = BusyBar(self.viewer_workflow)
        layout.addWidget(self.busy_bar)

        self.search = OperationSearch(self.add_operation)  # any operation, by typing
        layout.addWidget(self.search)

        self.category_buttons: dict[str, QPushButton] = {}
        grid = QGridLayout()
        for index, category in enumerate(CATEGORIES):
            button = QPushButton(category)
            button.setToolTip(CATEGORY_TIPS[category])
            button.clicked.connect(partial(self._category_clicked, category))
            grid.addWidget(button, index // 2, index % 2)
            self.category_buttons[category] = button
        layout.addLayout(grid)

        self.folder_run = FolderRun(self.viewer_workflow)  # "Apply to folder" and its progress
        self.action_buttons: dict[str, QPushButton] = {}
        actions = QGridLayout()
        handlers = {
            "Undo": editor.undo,
            "Redo": editor.redo,
            "Save workflow": self.save_workflow,
            "Load workflow": self.load_workflow,
            "Export Python script": partial(self.export, "script"),
            "Export notebook": partial(self.export, "notebook"),
            "Apply to all time points": self.viewer_workflow.apply_to_all_time_points,
            "Apply to folder": self.folder_run.start,
        }
        for index, (label, handler) in enumerate(handlers.items()):
            button = QPushButton(label)
            button.setToolTip(ACTION_TIPS[label])
            button.clicked.connect(lambda checked=False, handler=handler: handler())
            actions.addWidget(button, index // 2, index % 2)
            self.action_buttons[label] = button
        layout.addLayout(actions)
        layout.addWidget(self.folder_run)

        self.step_panel = StepListPanel(self.viewer_workflow)  # remove step, error details
        self.step_list = self.step_panel.list
        lines = self.step_list.fontMetrics().lineSpacing()
        # a five-step chain (a long row wraps to two lines) without scrolling
        self.step_list.setMinimumHeight(7 * lines + 2 * self.step_list.frameWidth() + 6)
        self.step_list.setMaximumHeight(9 * lines)
        self.step_list.currentRowChanged.connect(self._step_clicked)
        layout.addWidget(self.step_panel)

        self.steps = QStackedWidget()
        self.hint = QLabel("Select an image layer and click a category to add a step.")
        self.hint.setWordWrap(True)
        self.steps.addWidget(self.hint)
        # the step's parameters keep their height and scroll when the dock is short
        self.steps_area = QScrollArea()
        self.steps_area.setWidgetResizable(True)
        self.steps_area.setFrameShape(QFrame.Shape.NoFrame)
        self.steps_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.steps_area.setWidget(self.steps)
        self.steps.installEventFilter(self)  # its pages' widths: the area's minimum width
        layout.addWidget(self.steps_area, 1)

        self.viewer_workflow.changed.connect(self._workflow_changed)
        self.viewer_workflow.computed.connect(self._results_arrived)
        self.viewer_workflow.table_ready.connect(self._show_table)
        self.viewer_workflow.value_ready.connect(self._show_value)
        self.viewer_workflow.device_changed.connect(self._device_changed)
        self.viewer_workflow.applying_changed.connect(self._update_time_button)
        self.viewer.layers.selection.events.active.connect(self._layer_selected)
        for busy_signal in (self.viewer_workflow.step_started, self.viewer_workflow.cancelled,
                            self.viewer_workflow.busy_changed):
            busy_signal.connect(self._computing_changed)
        self.viewer_workflow.busy_changed.connect(self._folder_run_cancels_itself)
        self._fill_devices()
        self._workflow_changed()
        warm_up(self.viewer_workflow, first_operations(PREFERRED), self.viewer.layers)

    def eventFilter(self, watched: QObject | None, event: QEvent | None) -> bool:
        """Keep the step area as wide as the widest step widget needs (it scrolls
        vertically only: nothing of a step is cut off at the right)."""
        if watched is self.steps and event is not None \
                and event.type() == QEvent.Type.LayoutRequest:
            bar = self.steps_area.verticalScrollBar()
            self.steps_area.setMinimumWidth(self.steps.minimumSizeHint().width()
                                            + (bar.sizeHint().width() if bar else 0))
        return super().eventFilter(watched, event)

    # --- what the assistant exposes -------------------------------------------------

    @property
    def workflow(self) -> oclip.workflow.Workflow:
        """The viewer's recorded workflow."""
        return self.viewer_workflow.workflow

    def add_step(self, category: str, layer: Layer | None = None) -> str | None:
        """Add a step of ``category`` on ``layer`` (default: the selected layer).

        The step runs the category's first operation that takes this kind of
        layer; other image parameters start with the same layer.  Returns the
        step id, or None (with a notification) when nothing fits.
        """
        layer = layer if layer is not None else self.viewer.layers.selection.active
        if not isinstance(layer, Image | Labels):
            _dialogs.inform("select an image or labels layer first")
            return None
        names = list(operations(category))
        preferred = PREFERRED.get(category, ())
        ranked = sorted(names, key=lambda name: (
            -fit(name, layer),
            preferred.index(name) if name in preferred else len(preferred),
            names.index(name)))
        if not ranked or fit(ranked[0], layer) == 0:
            wanted = "an image" if isinstance(layer, Labels) else "a labels"
            _dialogs.inform(f"no '{category}' operation takes {layer_words(layer)}: "
                            f"select {wanted} layer")
            return None
        return self.add_operation(ranked[0], layer)

    def add_operation(self, name: str, layer: Layer | None = None) -> str | None:
        """Add a step running operation ``name`` on ``layer`` (default: the selected
        layer), as a category click does; None (with a notification) when the
        operation takes no such layer."""
        layer = layer if layer is not None else self.viewer.layers.selection.active
        if not isinstance(layer, Image | Labels):
            _dialogs.inform("select an image or labels layer first")
            return None
        if fit(name, layer) == 0:
            wanted = "an image" if isinstance(layer, Labels) else "a labels"
            _dialogs.inform(f"{name} does not take {layer_words(layer)}: select {wanted} layer")
            return None
        op = operations()[name]
        try:
            # a 3D image's z sizes stand for the physical size of the x ones
            step_id = self.viewer_workflow.editor.add_step(op.name,
                                                           self._starting_layers(op, layer),
                                                           default_sizes(op, layer))
        except ValueError as error:  # a layer oclip cannot read (RGB)
            _dialogs.warn(str(error))
            return None
        self.show_step(step_id)
        return step_id

    def _starting_layers(self, op: Any, layer: Layer) -> dict[str, Layer]:
        """The layer each image parameter of ``op`` starts with: the selected one,
        except that a measurement of a labels layer (an operation reading both
        labels and intensities) measures the intensity image the labels come from."""
        reads_labels = any(p.kind is not ImageKind.IMAGE for p in op.image_parameters)
        intensities = (self._intensity_source(layer)
                       if isinstance(layer, Labels) and reads_labels else layer)
        return {p.name: intensities if p.kind is ImageKind.IMAGE else layer
                for p in op.image_parameters}

    def _intensity_source(self, layer: Layer) -> Layer:
        """The intensity image behind ``layer``: for a result of the workflow, the
        input image its chain starts from; otherwise the layer itself."""
        step_id = self.viewer_workflow.layers.step_of(layer)
        if step_id is not None:
            source = self.viewer_workflow.layers.spatial_source(self.workflow, step_id)
            if isinstance(source, Image):
                return source
        return layer

    def show_step(self, step_id: str) -> None:
        """Show the widget of step ``step_id`` (and mark it in the step list)."""
        widget = self.step_widgets.get(step_id)
        if widget is not None:
            self.steps.setCurrentWidget(widget)
            row = list(self.workflow.step_ids).index(step_id)
            if self.step_list.currentRow() != row:
                self.step_list.blockSignals(True)
                self.step_list.setCurrentRow(row)
                self.step_list.blockSignals(False)

    def save_workflow(self, path: str | None = None) -> None:
        """Save the workflow as YAML; its outputs are the steps whose results
        are shown (result layers, tables)."""
        path = path or _dialogs.ask_save_path(self, "Save workflow", "workflow.yaml",
                                              "Workflow files (*.yaml *.yml)")
        if path:
            oclip.workflow.save(self.viewer_workflow.as_saved(), path)

    def load_workflow(self, path: str | None = None) -> None:
        """Load a workflow file; its first input reads the selected layer, others
        the layers of the same name.  The file's outputs are not kept: every
        step shows its result, and saving again lists those shown."""
        path = path or _dialogs.ask_open_path(self, "Load workflow",
                                              "Workflow files (*.yaml *.yml)")
        if not path:
            return
        workflow = oclip.workflow.load(path).with_outputs(())
        selected = self.viewer.layers.selection.active
        layers: dict[str, Layer] = {}
        for index, name in enumerate(workflow.inputs):
            if index == 0 and isinstance(selected, Image | Labels):
                layers[name] = selected
            elif name in self.viewer.layers:
                layers[name] = self.viewer.layers[name]
        try:
            self.viewer_workflow.editor.load(workflow, layers)
        except ValueError as error:
            _dialogs.warn(f"{error}; select the layer for '{workflow.inputs[0]}' first")

    def export(self, kind: str, path: str | None = None) -> None:
        """Export the workflow as a Python script (``kind="script"``) or a notebook."""
        suffix, filters = (".py", "Python scripts (*.py)") if kind == "script" else \
            (".ipynb", "Jupyter notebooks (*.ipynb)")
        path = path or _dialogs.ask_save_path(self, f"Export {kind}", f"workflow{suffix}", filters)
        if not path:
            return
        saved = self.viewer_workflow.as_saved()
        text = (oclip.workflow.to_python(saved) if kind == "script"
                else oclip.workflow.to_notebook(saved))
        write_text(path, text)

    # --- reacting to the recorded workflow and the viewer ----------------------------

    def _category_clicked(self, category: str) -> None:
        self.add_step(category)

    def _workflow_changed(self) -> None:
        workflow = self.workflow
        for step_id in [s for s in self.step_widgets if s not in workflow.step_ids]:
            removed = self.step_widgets.pop(step_id)
            self.steps.removeWidget(removed)
            removed.deleteLater()
        for name in [n for n in self.tables if n not in workflow.step_ids
                     and not n.endswith(ALL_TIME_POINTS)]:
            self._close_table(name)  # its step is gone (undo): no stale table
        for step_id in workflow.step_ids:
            widget = self.step_widgets.get(step_id)
            if widget is None:
                widget = StepWidget(self.viewer_workflow.editor, step_id)
                widget.table_requested.connect(self.show_table)
                self.step_widgets[step_id] = widget
                self.steps.addWidget(widget)
            else:
                widget.refresh()
        self._fill_step_list()
        shown = next((s for s, w in self.step_widgets.items()
                      if w is self.steps.currentWidget()), None)
        if shown is None:
            if workflow.steps:
                self.show_step(workflow.step_ids[-1])
            else:
                self.steps.setCurrentWidget(self.hint)
        else:
            self.show_step(shown)
        self.action_buttons["Undo"].setEnabled(self.viewer_workflow.editor.history.can_undo)
        self.action_buttons["Redo"].setEnabled(self.viewer_workflow.editor.history.can_redo)
        self._update_time_button()

    def _update_time_button(self, running: bool = False) -> None:
        self.action_buttons["Apply to all time points"].setEnabled(
            self.viewer_workflow.can_apply_to_all_time_points)

    def _results_arrived(self, step_ids: tuple[str, ...]) -> None:
        self._fill_step_list()  # steps may have failed, or recovered
        self._update_time_button()  # an input may have become a time-lapse

    def _computing_changed(self, *_: object) -> None:
        self._fill_step_list()  # the step computing (or cancelled) is marked

    def _fill_step_list(self) -> None:
        """One row per step: what it does and reads; a step in error says why
        instead, in red (the whole message is its tooltip)."""
        errors = self.viewer_workflow.step_errors
        row = self.step_list.currentRow()
        self.step_list.blockSignals(True)
        self.step_list.clear()
        for step in self.workflow.steps:
            reads = ", ".join(step.inputs.values())
            doing = "" if step.op == step.id else f" = {step.op}"
            item = QListWidgetItem(f"{step.id}{doing} ← {reads}")
            if step.id == self.viewer_workflow.computing:
                item.setText(f"⏳ {item.text()}: computing…")
            elif step.id == self.viewer_workflow.cancelled_step:
                item.setText(f"{item.text()}: cancelled (result from before)")
            item.setToolTip(item.text())
            error = errors.get(step.id)
            if error is not None:
                item.setToolTip(f"{item.text()}\n{error}\n(Error details...: the traceback)")
                item.setText(f"⚠ {headline(error, step)}")
                item.setForeground(QColor("#e05050"))
            self.step_list.addItem(item)
        if 0 <= row < self.step_list.count():
            self.step_list.setCurrentRow(row)
        self.step_list.blockSignals(False)
        self.step_panel.update_buttons()

    def _step_clicked(self, row: int) -> None:
        if 0 <= row < len(self.workflow.steps):
            step_id = self.workflow.step_ids[row]
            self.show_step(step_id)
            layer = self.viewer_workflow.layers.layer_of(step_id)
            if layer is not None and layer in self.viewer.layers:
                self.viewer.layers.selection.active = layer

    def _layer_selected(self, event: Any = None) -> None:
        layer = self.viewer.layers.selection.active
        step_id = self.viewer_workflow.layers.step_of(layer) if layer is not None else None
        if step_id is not None:
            self.show_step(step_id)

    def show_table(self, name: str) -> None:
        """Show the table of step ``name`` in its dock, docked again if it was closed."""
        widget = self.tables.get(name)
        if widget is None:
            _dialogs.inform(f"the table of {name} is not computed yet")
        elif widget.parent() is None:  # napari takes a closed dock's widget out of it
            self._dock_table(name, widget)

    def _dock_table(self, name: str, widget: TableWidget) -> None:
        # under the canvas, across the window: a measurement's columns side by side
        self.viewer.window.add_dock_widget(widget, name=f"oclip table: {name}", area="bottom",
                                           tabify=True)

    def _show_table(self, name: str, table: dict) -> None:
        widget = self.tables.get(name)
        if widget is None:
            widget = TableWidget(table, name)
            self.tables[name] = widget
            self._dock_table(name, widget)
        else:
            widget.set_table(table)  # a closed dock stays closed until "Show table"
        widget.link_labels(self._measured_layer(name))

    def _measured_layer(self, name: str) -> Labels | None:
        """The labels layer the table of step ``name`` measures (rows ↔ labels)."""
        if name not in self.workflow.step_ids:
            return None
        step = self.workflow.step(name)
        source = next((step.inputs[p.name] for p in step.operation.image_parameters
                       if p.kind is ImageKind.LABELS), None)
        layer = self.viewer_workflow.layers.layer_of(source) if source else None
        return layer if isinstance(layer, Labels) else None

    def _close_table(self, name: str) -> None:
        widget = self.tables.pop(name)
        widget.link_labels(None)
        if widget.parent() is not None:
            self.viewer.window.remove_dock_widget(widget)
        widget.deleteLater()

    def _folder_run_cancels_itself(self, busy: bool) -> None:
        # a folder run has a Cancel of its own (between files), not the busy row's
        if busy and self.folder_run.running:
            self.busy_bar.cancel_button.setEnabled(False)

    def _show_value(self, step_id: str, value: Any) -> None:
        widget = self.step_widgets.get(step_id)
        if widget is not None:
            widget.show_value(value)

    def _fill_devices(self) -> None:
        def listing() -> tuple[list[oclip.DeviceInfo], oclip.DeviceInfo]:
            return oclip.devices(), oclip.current_device()

        self.viewer_workflow.jobs.call(listing, lambda found: self._devices_listed(*found))

    def _devices_listed(self, found: list[oclip.DeviceInfo], current: oclip.DeviceInfo) -> None:
        self.device_box.blockSignals(True)
        self.device_box.clear()
        for device in found:
            self.device_box.addItem(f"{device.name} ({device.type})", device)
        self.device_box.setCurrentIndex(found.index(current))
        self.device_box.blockSignals(False)
        self.device_box.currentIndexChanged.connect(self._device_chosen)

    def _device_chosen(self, index: int) -> None:
        device = self.device_box.itemData(index)
        if device is not None:
            self.viewer_workflow.set_device(device)

    def _device_changed(self, name: str) -> None:
        _dialogs.inform(f"computing on {name}")
