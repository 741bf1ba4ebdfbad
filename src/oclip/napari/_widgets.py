"""One magicgui widget per registered operation, generated from its signature.

The manifest names each widget's factory as ``make_<operation>_widget`` of this
module; the names resolve through the registry (module ``__getattr__``), so a
new operation needs no code here.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Annotated, Any, get_origin

import napari.layers
import napari.types
from magicgui import magicgui
from magicgui.widgets import FunctionGui

from ..ops import ImageKind, Operation, get_operation

_PREFIX, _SUFFIX = "make_", "_widget"

#: Spin box options of the entries of list parameters (magicgui's default
#: range, 0 to 999 with 2 decimals, would refuse negative matrix entries).
_LIST_ENTRY_OPTIONS = {"min": -1e9, "max": 1e9, "step": 1e-4}

_LAYER_TYPES = {
    ImageKind.IMAGE: napari.layers.Image,
    ImageKind.LABELS: napari.layers.Labels,
    ImageKind.BINARY: napari.layers.Labels,
}


def layer_type_name(kind: ImageKind | None) -> str:
    """napari layer type of a result of this kind."""
    return "image" if kind in (ImageKind.IMAGE, None) else "labels"


def _widget_annotation(parameter: Any) -> Any:
    """The parameter's annotation as magicgui understands it."""
    if parameter.kind is not None:
        return _LAYER_TYPES[parameter.kind]
    if get_origin(parameter.value_type) is list:
        # a list of numbers (e.g. a matrix): entries of any sign, four decimals
        return Annotated[parameter.value_type, {"options": _LIST_ENTRY_OPTIONS}]
    options: dict[str, Any] = {}
    limits = parameter.range
    if limits is not None:
        for key in ("min", "max", "step"):
            if getattr(limits, key) is not None:
                options[key] = getattr(limits, key)
    return Annotated[parameter.value_type, options] if options else parameter.value_type


def layer_function(operation: Operation) -> Callable[..., napari.types.LayerDataTuple]:
    """A function of napari layers and values that runs ``operation`` and returns
    its result as a layer: named after the operation and the input layer, with
    the input's scale and translation."""

    def run(**arguments: Any) -> napari.types.LayerDataTuple:
        layers = {p.name: arguments[p.name] for p in operation.image_parameters}
        values = {name: layer.data for name, layer in layers.items()}
        values.update({p.name: arguments[p.name] for p in operation.scalar_parameters})
        result = operation.function(**values)
        source = next(iter(layers.values()))
        keep = result.ndim  # a projection drops the leading axes
        metadata = {
            "name": f"{operation.name}({source.name})",
            "scale": tuple(source.scale)[-keep:],
            "translate": tuple(source.translate)[-keep:],
        }
        return result, metadata, layer_type_name(operation.result_kind)

    parameters = [
        inspect.Parameter(p.name, inspect.Parameter.KEYWORD_ONLY,
                          default=None if p.kind is not None else p.default,
                          annotation=_widget_annotation(p))
        for p in operation.parameters
    ]
    run.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        parameters, return_annotation=napari.types.LayerDataTuple)
    run.__name__ = operation.name
    run.__doc__ = operation.function.__doc__  # magicgui makes tooltips of it
    return run


def make_widget(name: str) -> FunctionGui:
    """The magicgui widget of the operation called ``name``."""
    operation = get_operation(name)
    return magicgui(layer_function(operation), call_button="Run")


def __getattr__(attribute: str) -> Callable[[], FunctionGui]:
    if attribute.startswith(_PREFIX) and attribute.endswith(_SUFFIX):
        name = attribute[len(_PREFIX):-len(_SUFFIX)]
        try:
            get_operation(name)
        except ValueError:
            pass
        else:
            def factory() -> FunctionGui:
                return make_widget(name)

            factory.__name__ = attribute
            return factory
    raise AttributeError(f"module {__name__!r} has no attribute {attribute!r}")
