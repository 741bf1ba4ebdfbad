"""One magicgui widget per registered operation, generated from its signature.

The manifest names each widget's factory as ``make_<operation>_widget`` of this
module (a widget under *Plugins*), or a command docking it as
``open_<operation>_widget`` (the layer menus' entries of the other operations);
the names resolve through the registry (module ``__getattr__``), so a new
operation needs no code here.  Running a widget records a step in the
viewer's workflow (the same one the Assistant shows): the first run adds the
step, later runs of the same widget change it.  The result layer appears when
the compute thread is done.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Annotated, Any

import napari
import napari.layers
from magicgui import magicgui
from magicgui.widgets import FunctionGui

from ..ops import ImageKind, Operation, Parameter, get_operation
from . import _dialogs
from ._physical import default_sizes
from ._step_widget import widget_options
from ._viewer_workflow import viewer_workflow

_PREFIX, _OPEN_PREFIX, _SUFFIX = "make_", "open_", "_widget"

_LAYER_TYPES = {
    ImageKind.IMAGE: napari.layers.Image,
    ImageKind.LABELS: napari.layers.Labels,
    ImageKind.BINARY: napari.layers.Labels,
}


def _widget_annotation(parameter: Parameter) -> Any:
    """The parameter's annotation as magicgui understands it."""
    if parameter.kind is not None:
        return _LAYER_TYPES[parameter.kind]
    options = widget_options(parameter)
    return Annotated[parameter.value_type, options] if options else parameter.value_type


def layer_function(operation: Operation) -> Callable[..., str | None]:
    """A function of napari layers and values that records ``operation`` as a
    step of the viewer's workflow; returns the step id (None, with a warning,
    when the layers or values are refused)."""
    recorded: dict[str, Any] = {"step": None, "layers": None}

    def run(**arguments: Any) -> str | None:
        viewer = arguments.pop("viewer")
        editor = viewer_workflow(viewer).editor
        layers = {p.name: arguments[p.name] for p in operation.image_parameters}
        if any(layer is None for layer in layers.values()):
            _dialogs.warn(f"{operation.name}: choose a layer for every image parameter")
            return None
        params = {p.name: arguments[p.name] for p in operation.scalar_parameters}
        step_id = recorded["step"]
        same_inputs = recorded["layers"] is not None and all(
            recorded["layers"][name] is layer for name, layer in layers.items())
        # A refused layer (RGB) or value is said, never raised: an exception in a
        # Qt callback would abort a process without napari's exception hook.
        try:
            if step_id in editor.workflow.step_ids and same_inputs:
                editor.change_step(step_id, params=params)
            else:
                step_id = editor.add_step(operation.name, layers, params)
                recorded.update(step=step_id, layers=layers)
        except ValueError as error:
            _dialogs.warn(str(error))
            return None
        return step_id

    parameters = [
        inspect.Parameter(p.name, inspect.Parameter.KEYWORD_ONLY,
                          default=None if p.kind is not None else p.default,
                          annotation=_widget_annotation(p))
        for p in operation.parameters
    ]
    parameters.append(inspect.Parameter("viewer", inspect.Parameter.KEYWORD_ONLY,
                                        annotation=napari.Viewer))
    run.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    run.__name__ = operation.name
    run.__doc__ = operation.function.__doc__  # magicgui makes tooltips of it
    return run


def make_widget(name: str) -> FunctionGui:
    """The magicgui widget of the operation called ``name``.

    Its z sizes follow the chosen image as the Assistant's new steps do
    (:func:`default_sizes`: for a 3D image, the physical size of the x default),
    until the user sets them."""
    operation = get_operation(name)
    widget = magicgui(layer_function(operation), call_button="Run")
    filled: dict[str, Any] = {}  # the z values set here, not yet changed by the user

    def follow(layer: Any) -> None:
        for parameter, value in default_sizes(operation, layer).items():
            if parameter not in filled or widget[parameter].value == filled[parameter]:
                widget[parameter].value = filled[parameter] = value

    for parameter in operation.image_parameters[:1]:
        widget[parameter.name].changed.connect(follow)
    return widget


def open_widget(name: str, viewer: napari.Viewer) -> FunctionGui:
    """Dock the widget of operation ``name`` in ``viewer`` (what its entry in a
    layer menu does); a widget of it docked already is shown instead."""
    title = get_operation(name).name.replace("_", " ").capitalize()
    docked = viewer.window.dock_widgets.get(title)
    if isinstance(docked, FunctionGui):
        dock = docked.native.parent()  # napari's dock around it
        if dock is not None:
            dock.show()
            dock.raise_()
        return docked
    widget = make_widget(name)
    viewer.window.add_dock_widget(widget, name=title, area="right")
    return widget


def __getattr__(attribute: str) -> Callable[..., FunctionGui]:
    for prefix in (_PREFIX, _OPEN_PREFIX):
        if attribute.startswith(prefix) and attribute.endswith(_SUFFIX):
            name = attribute[len(prefix):-len(_SUFFIX)]
            try:
                get_operation(name)
            except ValueError:
                break
            return _factory(name) if prefix == _PREFIX else _opener(name)
    raise AttributeError(f"module {__name__!r} has no attribute {attribute!r}")


def _factory(name: str) -> Callable[[], FunctionGui]:
    def factory() -> FunctionGui:
        return make_widget(name)

    factory.__name__ = f"{_PREFIX}{name}{_SUFFIX}"
    return factory


def _opener(name: str) -> Callable[[napari.Viewer], FunctionGui]:
    def opener(viewer: napari.Viewer) -> FunctionGui:
        return open_widget(name, viewer)

    opener.__name__ = f"{_OPEN_PREFIX}{name}{_SUFFIX}"
    return opener
