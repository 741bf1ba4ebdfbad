"""Sizes in the layer's units: one physical size filling per-axis pixel parameters.

Operations take sizes in pixels, one scalar per axis (``sigma_x``, ``sigma_y``,
``sigma_z``; ``radius_x``...).  A layer's ``scale`` says how large a pixel is
along each axis (z, y, x), in the layer's units.  For an input with an
anisotropic scale the step widget offers a row per such group of parameters,
"sigma in µm", that fills each axis's pixel value as the size divided by that
axis's pixel size (rounded to a whole number for integer parameters); the
recorded step keeps the pixel values.  A new step on a 3D image gets its z
sizes by the same rule, from the physical size of its x default: a stack is
then smoothed in 3D (an isotropic stack with the x value), never plane by plane
only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from magicgui.widgets import Container, FloatSpinBox
from napari.layers import Layer
from qtpy.QtWidgets import QVBoxLayout, QWidget

from oclip.ops import Operation, Parameter

from ._editing import WorkflowEditor
from ._geometry import is_time_lapse

#: The spatial axes, in numpy's order.
AXES = ("z", "y", "x")


def size_groups(operation: Operation) -> dict[str, dict[str, Parameter]]:
    """The per-axis size parameters of ``operation``: base name → axis → parameter,
    for the numbers named ``<base>_x`` and ``<base>_y`` (and ``<base>_z``)."""
    numbers = {p.name: p for p in operation.scalar_parameters
               if p.value_type in (int, float) and p.choices is None}
    groups: dict[str, dict[str, Parameter]] = {}
    for name in numbers:
        base, _, axis = name.rpartition("_")
        if axis == "x" and f"{base}_y" in numbers:
            groups[base] = {a: numbers[f"{base}_{a}"] for a in AXES if f"{base}_{a}" in numbers}
    return groups


def spatial_scale(layer: Layer) -> tuple[float, ...]:
    """The pixel size of ``layer`` along its spatial axes, (y, x) or (z, y, x):
    a time-lapse's time axis is left out."""
    scale = tuple(float(s) for s in layer.scale)
    if is_time_lapse(layer):
        scale = scale[1:]
    return scale[-3:]


def is_anisotropic(scale: Sequence[float]) -> bool:
    """Whether the pixel sizes of ``scale`` differ between axes."""
    return max(scale) - min(scale) > 1e-9 * max(abs(s) for s in scale)


def unit_name(layer: Layer) -> str:
    """The unit of ``layer``'s x axis as a person writes it ("µm"), or "layer
    units" where the layer has none (napari's "pixel")."""
    units = getattr(layer, "units", None)
    if not units:
        return "layer units"
    text = f"{units[-1]:~P}"
    return "layer units" if text in ("pixel", "px", "") else text


def to_pixels(parameter: Parameter, size: float, spacing: float) -> int | float:
    """The pixel value of ``parameter`` for a physical ``size`` along an axis whose
    pixels are ``spacing`` large: a whole number for an integer parameter (halves
    up), else rounded to 3 decimals; within the parameter's range."""
    value: int | float = size / spacing
    # halves round up (2.5 pixels: 3), not to the even neighbour as round() does
    value = math.floor(value + 0.5) if parameter.value_type is int else round(value, 3)
    limits = parameter.range
    if limits is not None and limits.max is not None and value > limits.max:
        value = parameter.value_type(limits.max)
    if limits is not None and limits.min is not None and value < limits.min:
        value = parameter.value_type(limits.min)
    return value


def pixel_values(group: Mapping[str, Parameter], size: float,
                 scale: Sequence[float]) -> dict[str, int | float]:
    """Parameter name → pixel value, for the axes of ``group`` that an image of
    pixel sizes ``scale`` ((y, x) or (z, y, x)) has, of a physical ``size``."""
    spacing = dict(zip(AXES[-len(scale):], scale, strict=True))
    return {parameter.name: to_pixels(parameter, size, spacing[axis])
            for axis, parameter in group.items() if axis in spacing}


def physical_size(group: Mapping[str, Parameter], params: Mapping[str, Any],
                  scale: Sequence[float]) -> float:
    """The physical size that the x value of ``group`` in ``params`` stands for."""
    parameter = group["x"]
    return float(params.get(parameter.name, parameter.default)) * scale[-1]


def default_sizes(operation: Operation, layer: Layer | None) -> dict[str, int | float]:
    """The z values a new step of ``operation`` on ``layer`` starts with: for a 3D
    image, each group's z value stands for the physical size of its x default
    (for an isotropic stack, the x default itself).  Nothing for a 2D image."""
    if layer is None:
        return {}
    scale = spatial_scale(layer)
    if len(scale) != 3:
        return {}
    values: dict[str, int | float] = {}
    for group in size_groups(operation).values():
        if "z" in group:
            size = physical_size(group, {}, scale)
            values[group["z"].name] = to_pixels(group["z"], size, scale[0])
    return values


def switched_sizes(old_params: Mapping[str, Any], operation: Operation,
                   layer: Layer | None) -> dict[str, int | float]:
    """The z values a step switched to ``operation`` starts with (see
    :func:`default_sizes`), for the parameters it does not keep from its
    previous operation's ``old_params``."""
    return {name: value for name, value in default_sizes(operation, layer).items()
            if name not in old_params}


class PhysicalSizes(QWidget):
    """A row per size group of a step, "sigma in µm", shown when the layer the
    step's chain reads has an anisotropic scale: a size entered there fills the
    step's per-axis pixel values.

    Parameters
    ----------
    editor : WorkflowEditor
        The editor of the viewer's workflow (and its layers).
    step_id : str
        The step whose sizes the rows fill.
    """

    def __init__(self, editor: WorkflowEditor, step_id: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor = editor
        self.step_id = step_id
        self.form: Container[FloatSpinBox] = Container(labels=True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.form.native)
        self._shown: tuple[Any, ...] | None = None
        self.refresh()

    def _layer(self) -> Layer | None:
        return self.editor.layers.spatial_source(self.editor.workflow, self.step_id)

    def refresh(self) -> None:
        """Show the rows the step and its layer call for, with the step's sizes."""
        workflow = self.editor.workflow
        if self.step_id not in workflow.step_ids:
            return
        step = workflow.step(self.step_id)
        layer = self._layer()
        scale = spatial_scale(layer) if layer is not None else ()
        groups = size_groups(step.operation) if scale and is_anisotropic(scale) else {}
        unit = unit_name(layer) if layer is not None else ""
        shown = (step.op, tuple(scale), unit)
        if shown != self._shown:
            self.form.clear()
            for base in groups:
                widget = FloatSpinBox(name=base, label=f"{base} in {unit}", min=0.0,
                                      max=1e9, step=0.1)
                widget.tooltip = (f"Enter {base} once in {unit}: the per-axis pixel values "
                                  f"({', '.join(p.name for p in groups[base].values())}) "
                                  f"are filled from the layer's scale {scale}")
                widget.changed.connect(partial(self._size_changed, base))
                self.form.append(widget)
            self._shown = shown
        for widget in self.form:
            with widget.changed.blocked():
                widget.value = physical_size(groups[widget.name], step.params, scale)
        self.setVisible(bool(groups))

    def _size_changed(self, base: str, size: float) -> None:
        layer = self._layer()
        if layer is None:
            return
        step = self.editor.workflow.step(self.step_id)
        values = pixel_values(size_groups(step.operation)[base], size, spatial_scale(layer))
        if any(step.params.get(name) != value for name, value in values.items()):
            self.editor.change_step(self.step_id, params=values)
