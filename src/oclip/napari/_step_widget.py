"""The widget of one workflow step: its operation and its parameter values."""

from __future__ import annotations

from functools import partial
from typing import Any, get_origin

from magicgui.widgets import ComboBox, Container, create_widget
from magicgui.widgets.bases import BaseValueWidget
from qtpy.QtCore import Signal
from qtpy.QtWidgets import QComboBox, QLabel, QPushButton, QVBoxLayout, QWidget

from oclip.ops import Parameter, get_operation, operations

from . import _dialogs
from ._editing import WorkflowEditor
from ._physical import PhysicalSizes, switched_sizes

_INT_LIMITS = (-(2**31), 2**31 - 1)
_FLOAT_LIMITS = (-1e9, 1e9)


def widget_options(parameter: Parameter) -> dict[str, Any]:
    """magicgui options of a scalar parameter: its Range, else wide limits
    (magicgui's spin boxes default to 0..999, which would hide negative values)."""
    if parameter.choices is not None or parameter.value_type is bool:
        return {}
    if get_origin(parameter.value_type) is list:
        # a list of numbers (an affine matrix): its entries' spin boxes
        return {"options": {"min": _FLOAT_LIMITS[0], "max": _FLOAT_LIMITS[1], "step": 1e-4}}
    low, high = _INT_LIMITS if parameter.value_type is int else _FLOAT_LIMITS
    limits = parameter.range
    options: dict[str, Any] = {
        "min": low if limits is None or limits.min is None else limits.min,
        "max": high if limits is None or limits.max is None else limits.max,
    }
    if limits is not None and limits.step is not None:
        options["step"] = limits.step
    if parameter.value_type is float:
        options["step"] = options.get("step", 0.1)
    return options


def parameter_widget(parameter: Parameter, value: Any) -> BaseValueWidget:
    """A magicgui widget for a scalar parameter, with its description as tooltip.

    A number's spin box takes any value typed (a spin box limited to the range
    would drop the keystroke that leaves it: 5000 typed under a maximum of 1000
    would give 500); :func:`within_range` then says and sets the nearest limit.
    """
    options = widget_options(parameter)
    limits = parameter.range
    if "min" in options and limits is not None:
        low, high = _INT_LIMITS if parameter.value_type is int else _FLOAT_LIMITS
        options = {**options, "min": low, "max": high}
    widget = create_widget(value=value, annotation=parameter.value_type, name=parameter.name,
                           label=parameter.name, options=options)
    if not isinstance(widget, BaseValueWidget):  # every scalar annotation makes a value widget
        raise TypeError(f"{parameter.name}: magicgui made a {type(widget).__name__}, "
                        f"not a value widget")
    widget.tooltip = parameter.description
    if limits is not None and (limits.min is not None or limits.max is not None):
        low_text = "" if limits.min is None else f"{limits.min:g}"
        high_text = "" if limits.max is None else f"{limits.max:g}"
        widget.tooltip = f"{parameter.description} (range {low_text} to {high_text})".strip()
    return widget


def within_range(parameter: Parameter, value: Any) -> Any:
    """``value``, or the limit of the parameter's range it lies beyond."""
    limits = parameter.range
    if limits is None or not isinstance(value, int | float) or isinstance(value, bool):
        return value
    if limits.max is not None and value > limits.max:
        return type(value)(limits.max)
    if limits.min is not None and value < limits.min:
        return type(value)(limits.min)
    return value


class StepWidget(QWidget):
    """Shows and edits one step of a viewer's workflow.

    The operation chooser lists the operations of the step's category; image
    parameters choose among the workflow's inputs and earlier steps; every
    edit becomes a workflow change (and a recomputation).  A step giving a
    table has a "Show table" button (the table's dock may have been closed).

    Signals
    -------
    table_requested(step_id)
        The user asked to see the step's table.
    """

    table_requested = Signal(str)

    def __init__(self, editor: WorkflowEditor, step_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor = editor
        self.step_id = step_id
        self.setObjectName(f"oclip step {step_id}")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.title = QLabel()
        layout.addWidget(self.title)
        self.operation_box = QComboBox()
        self.operation_box.setToolTip("The operation of this step")
        self.operation_box.currentTextChanged.connect(self._operation_chosen)
        layout.addWidget(self.operation_box)
        self.form: Container[BaseValueWidget] = Container(labels=True)
        layout.addWidget(self.form.native)
        self.physical = PhysicalSizes(editor, step_id)  # sizes in the layer's units
        layout.addWidget(self.physical)
        self.result_label = QLabel()
        self.result_label.setVisible(False)
        layout.addWidget(self.result_label)
        self.table_button = QPushButton("Show table")
        self.table_button.setToolTip("Show this step's table (again, if its dock was closed)")
        self.table_button.clicked.connect(lambda: self.table_requested.emit(self.step_id))
        layout.addWidget(self.table_button)
        layout.addStretch()
        self._shown_op: str | None = None
        self.refresh()

    @property
    def step(self) -> Any:
        return self.editor.workflow.step(self.step_id)

    def refresh(self) -> None:
        """Show the step as the workflow has it now (no change is emitted)."""
        step = self.step
        operation = step.operation
        self.title.setText(f"<b>{self.step_id}</b>: {operation.summary}")
        self.title.setWordWrap(True)
        self.operation_box.blockSignals(True)
        self.operation_box.clear()
        self.operation_box.addItems(list(operations(operation.category)))
        self.operation_box.setCurrentText(step.op)
        self.operation_box.blockSignals(False)
        if self._shown_op != step.op:
            self._build_form()
        for widget in self.form:
            with widget.changed.blocked():
                if widget.name in step.inputs and isinstance(widget, ComboBox):
                    widget.choices = self._sources()
                    widget.value = step.inputs[widget.name]
                elif widget.name in step.params:
                    widget.value = step.params[widget.name]
        self.physical.refresh()

    def _sources(self) -> tuple[str, ...]:
        workflow = self.editor.workflow
        later = {self.step_id, *workflow.followers(self.step_id)}
        images = [s for s in workflow.step_ids if s not in later
                  and get_operation(workflow.step(s).op).result_kind is not None]
        return (*workflow.inputs, *images)

    def _build_form(self) -> None:
        step = self.step
        operation = step.operation
        self.form.clear()
        for parameter in operation.parameters:
            if parameter.kind is not None:
                widget: BaseValueWidget = ComboBox(name=parameter.name, label=parameter.name,
                                          choices=self._sources(),
                                          value=step.inputs.get(parameter.name))
                widget.tooltip = parameter.description
                widget.changed.connect(partial(self._source_chosen, parameter.name))
            else:
                value = step.params.get(parameter.name, parameter.default)
                widget = parameter_widget(parameter, value)
                widget.changed.connect(partial(self._value_changed, parameter.name))
            self.form.append(widget)
        self._shown_op = step.op
        self.result_label.setVisible(False)
        self.table_button.setVisible(operation.returns_table)

    def show_value(self, value: Any) -> None:
        """Show a scalar result (e.g. a Jaccard index) under the parameters."""
        self.result_label.setText(f"result: {value:.6g}" if isinstance(value, float)
                                  else f"result: {value}")
        self.result_label.setVisible(True)

    def _operation_chosen(self, name: str) -> None:
        step = self.step
        if name and name != step.op:
            # Image parameters the new operation names like the old one keep their
            # sources; the others read the step's first source (as a new step reads
            # the selected layer for all of them), so no input is left unset.
            first = next(iter(step.inputs.values()), None)
            sources = {p.name: step.inputs.get(p.name, first)
                       for p in get_operation(name).image_parameters}
            # a 3D image's z sizes stand for the physical size of the x ones
            layer = self.editor.layers.spatial_source(self.editor.workflow, self.step_id)
            self.editor.change_step(self.step_id, op=name,
                                     sources={k: v for k, v in sources.items() if v},
                                     params=switched_sizes(step.params, get_operation(name),
                                                           layer) or None)

    def _value_changed(self, name: str, value: Any) -> None:
        parameter = next(p for p in self.step.operation.scalar_parameters if p.name == name)
        limited = within_range(parameter, value)
        if limited != value:
            side = "maximum" if limited < value else "minimum"
            _dialogs.warn(f"{name}: {value:g} is beyond its {side}; set to {limited:g}")
            with self.form[name].changed.blocked():
                self.form[name].value = limited
            value = limited
        if self.step.params.get(name) != value:
            self.editor.change_step(self.step_id, params={name: value})

    def _source_chosen(self, name: str, source: str) -> None:
        if source and self.step.inputs.get(name) != source:
            self.editor.change_step(self.step_id, sources={name: source})
