"""The operation registry and the ``@operation`` decorator.

An operation is a plain function with an annotated signature and a numpydoc
docstring.  ``@operation(category=...)`` records it under its function name
and wraps it so that every call, whoever makes it (a script, the workflow
replay, the napari plugin), gets the same treatment:

* image-like arguments (``Image``, ``Labels``, ``Binary``) are checked (2D/3D,
  not empty, supported dtype) and pushed to the device; labels become uint32,
  binary images uint8;
* scalar arguments are checked against their type, ``Range`` and ``Literal``
  choices, with errors that name the operation and the parameter;
* results come back as numpy arrays when no argument was a device array, and
  stay on the device otherwise (so chained calls make no transfers).

An operation may declare its *halo* (``@operation(..., halo=...)``): how far,
in pixels along (z, y, x), a result pixel looks into its input.  Only an
operation with a halo is *local*, and only workflows of local operations are
processed in tiles (``oclip.workflow.run_distributed(..., tile=...)``): a
tile read with the summed halos of its steps around it gives exactly the
pixels the whole image would.  A local operation given host images too large
for the device runs tile by tile the same way (see ``_tiles``).  The
default, None, means "needs the whole image" (thresholds from a histogram,
labeling, measurements, projections, and any operation that has not said
otherwise).

An operation also declares what it does with NaN and infinity in float images
(``@operation(..., nonfinite=...)``): :data:`PROPAGATE` (the default: they go
through the arithmetic as IEEE float32 arithmetic, and numpy, takes them, or
as the operation documents), :data:`REFUSE_NAN` (operations that order
values, such as rank filters: NaN has no place in an order, so an image
holding NaN is refused; infinities are ordinary values),
:data:`REFUSE_INFINITY` (histogram thresholds, which ignore NaN pixels but
need a finite value range) or :data:`REFUSE_NONFINITE` (NaN and infinities
are refused: labeling from intensities, measurements).  The wrapper checks
float images (host arrays on the host, device arrays with one small device
kernel) before the operation runs.
"""

from __future__ import annotations

import functools
import inspect
import math
import numbers
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal, get_args, get_origin, get_type_hints

import numpy as np

from .. import _backend as backend
from . import _tiles
from ._types import ImageKind, Range, base_type, image_kind, is_table, value_range

#: The categories of the assistant, in the order its buttons show them.
CATEGORIES: tuple[str, ...] = (
    "Remove noise",
    "Remove background",
    "Filter",
    "Combine",
    "Transform",
    "Projection",
    "Binarize",
    "Label",
    "Process labels",
    "Measure",
)

_DIMENSION_WORDS = {2: "2D", 3: "3D"}

#: Halo of operations whose result at a pixel depends on the input at that pixel only.
PIXELWISE = (0, 0, 0)

#: NaN and infinities in float images go through as IEEE float32 arithmetic takes them.
PROPAGATE = "propagate"
#: Float images holding NaN are refused (the operation orders values); infinities are fine.
REFUSE_NAN = "refuse NaN"
#: Float images holding +-inf are refused (a histogram over the value range); NaN is
#: handled as the operation documents.
REFUSE_INFINITY = "refuse infinity"
#: Float images holding NaN or +-inf are refused.
REFUSE_NONFINITE = "refuse NaN and infinity"
_NONFINITE_POLICIES = (PROPAGATE, REFUSE_NAN, REFUSE_INFINITY, REFUSE_NONFINITE)


def radius_halo(radius_x: int, radius_y: int, radius_z: int, **_: Any) -> tuple[int, int, int]:
    """Halo of a window of ``2 * radius + 1`` per axis: the radii, as (z, y, x)."""
    return (int(radius_z), int(radius_y), int(radius_x))


def sigma_halo(sigma_x: float, sigma_y: float, sigma_z: float,
               **_: Any) -> tuple[int, int, int]:
    """Halo of a Gaussian truncated at 4 sigma (as ``gaussian_weights``), as (z, y, x)."""
    return tuple(int(4.0 * s + 0.5) for s in (sigma_z, sigma_y, sigma_x))


@dataclass(frozen=True)
class Parameter:
    """One parameter of an operation, as the signature and docstring describe it."""

    name: str
    annotation: Any
    default: Any = inspect.Parameter.empty
    description: str = ""

    @property
    def kind(self) -> ImageKind | None:
        """ImageKind of an image-like parameter, None for scalars."""
        return image_kind(self.annotation)

    @property
    def value_type(self) -> Any:
        """The annotation without metadata (``float``, ``int``, ``Literal[...]``...)."""
        return base_type(self.annotation)

    @property
    def range(self) -> Range | None:
        return value_range(self.annotation)

    @property
    def choices(self) -> tuple | None:
        """The allowed values of a ``Literal`` parameter."""
        if get_origin(self.value_type) is Literal:
            return get_args(self.value_type)
        return None

    @property
    def required(self) -> bool:
        return self.default is inspect.Parameter.empty


@dataclass(frozen=True)
class Operation:
    """A registered operation."""

    name: str
    category: str
    function: Callable[..., Any] = field(repr=False)
    parameters: tuple[Parameter, ...] = field(repr=False)
    returns: Any = field(repr=False)
    summary: str = ""
    dimensions: tuple[int, ...] = (2, 3)
    #: How far a result pixel reads around it: (z, y, x) pixels, or a callable
    #: taking the scalar parameters as keywords and returning them; None: the
    #: operation needs the whole image (see the module documentation).
    halo: Any = field(default=None, repr=False)
    #: What the operation does with NaN and infinities in float images: one of
    #: PROPAGATE, REFUSE_NAN, REFUSE_INFINITY, REFUSE_NONFINITE (see the module
    #: documentation).
    nonfinite: str = field(default=PROPAGATE, repr=False)

    @property
    def local(self) -> bool:
        """Whether the operation declares a halo (and so can run tile by tile)."""
        return self.halo is not None

    def halo_for(self, params: Mapping[str, Any]) -> tuple[int, int, int] | None:
        """The halo, (z, y, x) pixels, for these scalar parameter values; None if not local."""
        if self.halo is None:
            return None
        halo = self.halo(**params) if callable(self.halo) else self.halo
        values = tuple(int(h) for h in halo)
        if len(values) != 3 or min(values) < 0:
            raise ValueError(f"{self.name}: the halo must be three non-negative pixel counts "
                             f"(z, y, x), got {halo!r}")
        return values

    @property
    def signature(self) -> inspect.Signature:
        return inspect.signature(self.function)

    @property
    def image_parameters(self) -> tuple[Parameter, ...]:
        return tuple(p for p in self.parameters if p.kind is not None)

    @property
    def scalar_parameters(self) -> tuple[Parameter, ...]:
        return tuple(p for p in self.parameters if p.kind is None)

    @property
    def result_kind(self) -> ImageKind | None:
        """ImageKind of the result, None for results that are not images."""
        return image_kind(self.returns)

    @property
    def returns_table(self) -> bool:
        """Whether the result is a :data:`Table` of measurements."""
        return is_table(self.returns)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.function(*args, **kwargs)


_registry: dict[str, Operation] = {}


def operations(category: str | None = None) -> dict[str, Operation]:
    """The registered operations, by name, in category order (as CATEGORIES).

    Parameters
    ----------
    category : str, optional
        Only the operations of this category (one of ``CATEGORIES``).

    Returns
    -------
    dict of str to Operation
        Each Operation has ``name``, ``category``, ``summary``, ``parameters``
        and ``function``.
    """
    if category is not None and category not in CATEGORIES:
        raise ValueError(f"category: unknown category {category!r}; known: {', '.join(CATEGORIES)}")
    ordered = sorted(_registry.values(), key=lambda op: CATEGORIES.index(op.category))
    return {op.name: op for op in ordered if category is None or op.category == category}


def get_operation(name: str) -> Operation:
    """The registered operation called ``name``.

    Raises
    ------
    ValueError
        If there is none; the message lists close names.
    """
    if not isinstance(name, str):
        raise TypeError(f"operation names are strings, got {type(name).__name__} {name!r}")
    try:
        return _registry[name]
    except KeyError:
        import difflib

        close = difflib.get_close_matches(name, _registry, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ValueError(f"unknown operation {_shown(name)}{hint}") from None


# --- docstrings ------------------------------------------------------------------

_SECTION = re.compile(r"^(\w[\w ]*)\n-+$", re.MULTILINE)


def parameter_descriptions(docstring: str) -> dict[str, str]:
    """Parameter descriptions of a numpydoc docstring's Parameters section."""
    text = inspect.cleandoc(docstring or "")
    sections = _SECTION.split(text)
    body = next((sections[i + 1] for i in range(1, len(sections) - 1, 2)
                 if sections[i].strip() == "Parameters"), "")
    descriptions: dict[str, str] = {}
    names: list[str] = []
    for line in body.splitlines():
        if line and not line.startswith(" "):
            names = [n.strip() for n in line.split(":")[0].split(",")]
            for n in names:
                descriptions[n] = ""
        elif line.strip() and names:
            for n in names:
                descriptions[n] = (descriptions[n] + " " + line.strip()).strip()
    return descriptions


# --- argument conversion ------------------------------------------------------------


def _dimension_text(dimensions: tuple[int, ...]) -> str:
    return " or ".join(_DIMENSION_WORDS.get(d, f"{d}D") for d in dimensions)


#: What an image argument may be, for messages.
_IMAGE_LIKE = ("a numpy array, a device array from oclip.push, or an array-like numpy "
               "converts (a list of rows, a dask or xarray array)")


def _host_array(where: str, value: Any) -> np.ndarray:
    """``value`` as a numpy array, or a TypeError saying what was given and what is taken."""
    if isinstance(value, np.ma.MaskedArray):
        backend.as_host_array(value, where)  # refuses it, saying why
    if isinstance(value, np.ndarray):
        return value
    if value is None:
        raise TypeError(f"{where}: an image is required, got None; give {_IMAGE_LIKE}")
    if isinstance(value, str | bytes | os.PathLike):
        raise TypeError(f"{where}: expected an image, got the {type(value).__name__} "
                        f"{value!r}; read the file first (e.g. with tifffile.imread) and give "
                        f"{_IMAGE_LIKE}")
    if isinstance(value, Mapping | set | frozenset) or callable(value):
        raise TypeError(f"{where}: expected an image, got a {type(value).__name__}; give "
                        f"{_IMAGE_LIKE}")
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as error:  # ragged lists, a failing __array__
        raise TypeError(f"{where}: expected an image, got a {type(value).__name__} that numpy "
                        f"cannot convert to an array ({error}); give {_IMAGE_LIKE}") from None
    if array.dtype == object and not isinstance(value, list | tuple) and array.ndim == 0:
        raise TypeError(f"{where}: expected an image, got a {type(value).__name__}; give "
                        f"{_IMAGE_LIKE}")
    return array


def _check_shape(op: Operation, where: str, shape: tuple[int, ...]) -> None:
    """Refuse images of a dimensionality the operation does not take, and empty ones."""
    ndim = len(shape)
    if ndim not in op.dimensions:
        accepted = _dimension_text(op.dimensions)
        if ndim == 0:
            got = "a single value (an array of shape ())"
        else:
            got = f"a {ndim}D array of shape {shape}"
        hint = ""
        if ndim == 1:
            hint = "; a row of n pixels is the 2D image of shape (1, n): reshape it"
        elif ndim > max(op.dimensions):
            hint = ("; operations take one image at a time: run a time-lapse (t, z, y, x) "
                    "time point by time point with a workflow (Workflow.run_time_lapse, "
                    "`oclip run --time-lapse`, or 'Apply to all time points' in napari), and "
                    "split channels into images of their own first")
        elif ndim < max(op.dimensions) and len(op.dimensions) == 1:
            hint = "; give a stack of images"
        raise ValueError(f"{where} must be a {accepted} image (axes (z,) y, x), got {got}{hint}")
    if 0 in shape:
        raise ValueError(f"{where}: the image is empty (shape {shape}); an image needs at least "
                         f"one pixel along each axis")


def _check_values(op: Operation, where: str, value: Any) -> None:
    """Refuse NaN (and infinities) where the operation declared it cannot take them."""
    if op.nonfinite == PROPAGATE:
        return
    nan = op.nonfinite in (REFUSE_NAN, REFUSE_NONFINITE)
    infinity = op.nonfinite in (REFUSE_INFINITY, REFUSE_NONFINITE)
    if backend.holds_nonfinite(value, nan=nan, infinity=infinity):
        what, why = {
            REFUSE_NAN: ("NaN", "it orders pixel values, and NaN has no place in an order"),
            REFUSE_INFINITY: ("infinite", "it needs a finite range of pixel values"),
            REFUSE_NONFINITE: ("NaN or infinite", "its result would not be defined"),
        }[op.nonfinite]
        raise ValueError(f"{where}: the image holds {what} values, which {op.name} does not "
                         f"take ({why}); replace them first (numpy.nan_to_num, or oclip.clip "
                         f"for infinities)")


def _to_device(op: Operation, parameter: Parameter, value: Any) -> backend.DeviceArray:
    """Check an image-like argument and return it as a device array of its kind."""
    where = f"{op.name}: parameter '{parameter.name}'"
    kind = parameter.kind
    if backend.is_device_array(value):
        session = backend.current_context()
        if value.context != session.context:
            raise ValueError(
                f"{where}: this device array belongs to another device or context than "
                f"the selected one ('{session.device.name}'); pull and push it again"
            )
        if value.dtype not in backend.SUPPORTED_DTYPES:
            raise TypeError(f"{where}: device arrays of dtype {value.dtype} are not supported; "
                            f"device arrays hold one of "
                            f"{', '.join(str(d) for d in backend.SUPPORTED_DTYPES)}")
        _check_shape(op, where, value.shape)
        if not value.flags.c_contiguous:
            raise ValueError(f"{where}: device arrays must be C-contiguous, got one of shape "
                             f"{value.shape} with strides {value.strides}; pull it and push "
                             f"it again")
        if value.offset:
            value = value.copy()
        if kind is ImageKind.IMAGE:
            _check_values(op, where, value)
    else:
        host = _host_array(where, value)
        _check_shape(op, where, host.shape)
        if kind is ImageKind.LABELS:
            host = _labels_on_host(where, host)
        elif kind is ImageKind.BINARY and host.dtype not in (np.bool_, np.uint8):
            host = _binary_on_host(where, host)
        elif kind is ImageKind.IMAGE:
            backend.upload_dtype(host.dtype, where)  # refuse unsupported dtypes before a scan
        # NaN/infinity scans where they are fast: numpy's on CPU devices (PoCL's
        # takes 4x as long), the GPU's (at its memory bandwidth) on GPUs
        on_gpu = backend.current_device().type == "GPU"
        if kind is ImageKind.IMAGE and not on_gpu:
            _check_values(op, where, host)
        value = backend.push(backend.as_host_array(host, where))
        if kind is ImageKind.IMAGE and on_gpu:
            _check_values(op, where, value)
    if kind is ImageKind.LABELS and value.dtype != np.uint32:
        value = _labels_on_device(where, value)
    elif kind is ImageKind.BINARY and value.dtype != np.uint8:
        value = (value != 0).astype(np.uint8)
    return value


_LABEL_DTYPES = "unsigned or non-negative signed integers, or bool"


def _labels_on_host(where: str, host: np.ndarray) -> np.ndarray:
    if host.dtype == np.bool_:
        return host.astype(np.uint32)
    if host.dtype.kind not in "iu":
        raise TypeError(f"{where}: a label image must hold integers ({_LABEL_DTYPES}), got "
                        f"dtype {host.dtype}")
    if host.size and host.dtype.kind == "i" and host.min() < 0:
        raise ValueError(f"{where}: labels must not be negative (found {host.min()})")
    if host.size and host.max() > np.iinfo(np.uint32).max:
        raise ValueError(f"{where}: labels must fit uint32 (found {host.max()})")
    return host.astype(np.uint32, copy=False)


def _labels_on_device(where: str, value: backend.DeviceArray) -> backend.DeviceArray:
    if value.dtype.kind not in "iu":
        raise TypeError(f"{where}: a label image must hold integers ({_LABEL_DTYPES}), got "
                        f"dtype {value.dtype}")
    if value.dtype.kind == "i":
        import pyopencl.array as cl_array

        with backend.compiler_output_logged():
            lowest = cl_array.min(value).get()[()]
        if lowest < 0:
            raise ValueError(f"{where}: labels must not be negative (found {lowest})")
    return value.astype(np.uint32)


def _binary_on_host(where: str, host: np.ndarray) -> np.ndarray:
    if host.dtype.kind not in "iufb":
        raise TypeError(f"{where}: a binary image must be numeric or bool (any non-zero value "
                        f"counts as foreground), got dtype {host.dtype}")
    return host != 0


def _in_tiles_if_too_large(op: Operation, images: dict[str, Any],
                           scalars: dict[str, Any]) -> np.ndarray | None:
    """The result of local operation ``op`` computed tile by tile, where its host images
    are too large for the device at once; None where they fit (or cannot be tiled)."""
    if _tiles.inside_a_tile.get():
        return None
    hosts = {}
    for name, value in images.items():
        where = f"{op.name}: parameter '{name}'"
        hosts[name] = _host_array(where, value)
        images[name] = hosts[name]  # array-likes (dask) are converted once, not again
        _check_shape(op, where, hosts[name].shape)
        backend.upload_dtype(hosts[name].dtype, where)
    shapes = {a.shape for a in hosts.values()}
    if len(shapes) != 1:
        return None  # the operation says which shapes differ
    shape = shapes.pop()
    if _tiles.fits(list(hosts.values()), shape):
        return None
    halo = op.halo_for(scalars)
    assert halo is not None
    tile = _tiles.tile_shape_for(list(hosts.values()), shape, halo[-len(shape):])
    if tile is None or tile == shape:
        return None
    return _tiles.run_in_tiles(_registry[op.name], hosts, scalars, tile)


def _check_scalar(op: Operation, parameter: Parameter, value: Any) -> Any:
    """Check a scalar argument against its annotation; return it in its canonical type."""
    where = f"{op.name}: parameter '{parameter.name}'"
    expected = parameter.value_type
    choices = parameter.choices
    if choices is not None:
        # compared by type too: an array or a number never equals a choice by accident
        if not any(type(value) is type(choice) and value == choice for choice in choices):
            raise ValueError(f"{where} must be one of {', '.join(map(repr, choices))}, "
                             f"got {_shown(value)}")
        return value
    if expected is bool:
        if not isinstance(value, bool | np.bool_):
            raise TypeError(f"{where} must be True or False, got {_shown(value)}")
        return bool(value)
    if expected is int:
        if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
            raise TypeError(f"{where} must be an integer, got {_shown(value)}")
        if not isinstance(value, numbers.Integral) and not float(value).is_integer():
            raise ValueError(f"{where} must be a whole number, got {value!r}")
        value = int(value)
    elif expected is float:
        if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
            raise TypeError(f"{where} must be a number, got {_shown(value)}")
        try:
            value = float(value)
        except OverflowError:
            raise ValueError(f"{where} must be a number a float can hold (up to about "
                             f"1.8e308), got an integer of {int(value).bit_length()} "
                             f"bits") from None
        if math.isnan(value):
            raise ValueError(f"{where} must be a number, got NaN")
    limits = parameter.range
    if limits is not None and value not in limits:
        raise ValueError(f"{where} must be {limits.describe()}, got {_shown(value)}")
    return value


def _shown(value: Any) -> str:
    """A value for an error message: its repr, shortened, with its type if not obvious."""
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    if isinstance(value, str | numbers.Number):
        return text
    return f"{type(value).__name__} {text}"


def _to_host(result: Any) -> Any:
    if backend.is_device_array(result):
        return backend.pull(result)
    if isinstance(result, Mapping):
        return {k: _to_host(v) for k, v in result.items()}
    if isinstance(result, tuple):
        return tuple(_to_host(v) for v in result)
    return result


# --- the decorator -----------------------------------------------------------------


def _describe(function: Callable[..., Any], category: str,
              dimensions: tuple[int, ...], halo: Any = None,
              nonfinite: str = PROPAGATE) -> Operation:
    hints = get_type_hints(function, include_extras=True)
    descriptions = parameter_descriptions(function.__doc__ or "")
    parameters = []
    for p in inspect.signature(function).parameters.values():
        if p.kind not in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY):
            raise TypeError(f"{function.__name__}: operations take named parameters only")
        if p.name not in hints:
            raise TypeError(f"{function.__name__}: parameter {p.name!r} has no annotation")
        parameters.append(Parameter(p.name, hints[p.name], p.default,
                                    descriptions.get(p.name, "")))
    summary = inspect.cleandoc(function.__doc__ or "").split("\n\n")[0].replace("\n", " ")
    return Operation(
        name=function.__name__,
        category=category,
        function=function,
        parameters=tuple(parameters),
        returns=hints.get("return"),
        summary=summary,
        dimensions=tuple(dimensions),
        halo=halo,
        nonfinite=nonfinite,
    )


def operation(*, category: str, dimensions: tuple[int, ...] = (2, 3),
              halo: tuple[int, int, int] | Callable[..., tuple[int, int, int]] | None = None,
              nonfinite: str = PROPAGATE,
              ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a function as an operation of ``category``.

    Parameters
    ----------
    category : str
        One of :data:`CATEGORIES`.
    dimensions : tuple of int
        The image dimensionalities the operation accepts.
    halo : tuple of 3 int, callable or None
        For a *local* operation (one whose result pixel depends only on the
        input pixels within a fixed distance, with the image's shape kept):
        that distance in pixels along (z, y, x), or a function of the scalar
        parameters (as keywords) returning it, e.g. :func:`radius_halo`,
        :func:`sigma_halo`; :data:`PIXELWISE` for pixel-wise operations.
        None (the default): the operation needs the whole image and is never
        tiled.
    nonfinite : str
        What the operation does with NaN and infinities in float images:
        :data:`PROPAGATE` (the default), :data:`REFUSE_NAN`,
        :data:`REFUSE_INFINITY` or :data:`REFUSE_NONFINITE` (see the module
        documentation).
    """
    if category not in CATEGORIES:
        raise ValueError(f"category: unknown category {category!r}; known: {', '.join(CATEGORIES)}")
    if halo is not None and not callable(halo) and (
            not isinstance(halo, tuple) or len(halo) != 3
            or not all(isinstance(h, int) and h >= 0 for h in halo)):
        raise ValueError(f"halo: expected None, a callable or three non-negative ints "
                         f"(z, y, x), got {halo!r}")
    if nonfinite not in _NONFINITE_POLICIES:
        raise ValueError(f"nonfinite: expected one of {', '.join(map(repr, _NONFINITE_POLICIES))}"
                         f", got {nonfinite!r}")

    def register(function: Callable[..., Any]) -> Callable[..., Any]:
        described = _describe(function, category, dimensions, halo, nonfinite)
        if described.name in _registry:
            raise ValueError(f"an operation named {described.name!r} is already registered")
        signature = inspect.signature(function)

        @functools.wraps(function)
        def run(*args: Any, **kwargs: Any) -> Any:
            try:
                bound = signature.bind(*args, **kwargs)
            except TypeError as error:
                raise TypeError(f"{described.name}: {error}") from None
            bound.apply_defaults()
            scalars = {p.name: _check_scalar(described, p, bound.arguments[p.name])
                       for p in described.scalar_parameters}
            images = {p.name: bound.arguments[p.name] for p in described.image_parameters}
            on_device = any(backend.is_device_array(v) for v in images.values())
            if described.local and images and not on_device:
                tiled = _in_tiles_if_too_large(described, images, scalars)
                if tiled is not None:
                    return tiled
            arguments = dict(scalars)
            with backend.compiler_output_logged():
                for parameter in described.image_parameters:
                    arguments[parameter.name] = _to_device(described, parameter,
                                                           images[parameter.name])
                result = function(**arguments)
            return result if on_device else _to_host(result)

        _registry[described.name] = replace(described, function=run)
        return run

    return register
