"""Checks and conversions of operation arguments.

The ``@operation`` wrapper (``_registry``) checks every argument of every call
here before the operation runs, so that a wrong argument is refused with a
message naming the operation and the parameter:

* :func:`check_scalar` checks a scalar against its annotation (type,
  ``Range``, ``Literal`` choices) and returns it in its canonical type; the
  workflow model checks step parameters with it too;
* :func:`to_device` checks an image-like argument (2D/3D, not empty, a
  supported dtype, NaN and infinities as the operation's ``nonfinite`` policy
  says) and pushes it to the device as its kind: labels become uint32, binary
  images uint8;
* :func:`host_image` checks a host image without pushing it (the check made
  before deciding whether a call goes through in tiles);
* :func:`to_host` pulls a result whose arguments were all host images.

:func:`same_shape` is a check the operations make themselves.
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import _backend as backend
from ._types import ImageKind

if TYPE_CHECKING:
    from ._registry import Operation, Parameter

#: NaN and infinities in float images go through as IEEE float32 arithmetic takes them.
PROPAGATE = "propagate"
#: Float images holding NaN are refused (the operation orders values); infinities are fine.
REFUSE_NAN = "refuse NaN"
#: Float images holding +-inf are refused (a histogram over the value range); NaN is
#: handled as the operation documents.
REFUSE_INFINITY = "refuse infinity"
#: Float images holding NaN or +-inf are refused.
REFUSE_NONFINITE = "refuse NaN and infinity"
NONFINITE_POLICIES = (PROPAGATE, REFUSE_NAN, REFUSE_INFINITY, REFUSE_NONFINITE)

_DIMENSION_WORDS = {2: "2D", 3: "3D"}

#: The most digits of a Decimal taken for an integer parameter (Python's own
#: limit on converting text to int).
_MAX_DIGITS = 4300

#: What an image argument may be, for messages.
_IMAGE_LIKE = ("a numpy array, a device array from oclip.push, or an array-like numpy "
               "converts (a list of rows, a dask or xarray array)")

_LABEL_DTYPES = "unsigned or non-negative signed integers, or bool"


def same_shape(name: str, image1: backend.DeviceArray, image2: backend.DeviceArray,
               first: str = "image1", second: str = "image2") -> None:
    """Refuse two images of different shapes, naming the operation and its parameters."""
    if image1.shape != image2.shape:
        raise ValueError(f"{name}: {first} and {second} must have the same shape, "
                         f"got {image1.shape} and {image2.shape}")


# --- scalars -------------------------------------------------------------------------


def check_scalar(op: Operation, parameter: Parameter, value: Any) -> Any:
    """Check a scalar argument of ``op`` against its annotation.

    Parameters
    ----------
    op : Operation
        The operation (named in messages).
    parameter : Parameter
        One of its scalar parameters.
    value : object
        The value given.

    Returns
    -------
    object
        The value in its canonical type: an ``int`` for an integer parameter
        (a whole float, Fraction or Decimal is taken), a ``float`` for a float
        one (any real number, ``decimal.Decimal`` included), a ``bool``, the
        choice as the annotation spells it (any ``str`` naming it is taken,
        ``numpy.str_`` included).

    Raises
    ------
    TypeError
        For a value of the wrong type.
    ValueError
        For a value outside the parameter's range or choices, NaN, a float
        that is not whole for an integer parameter.
    """
    where = f"{op.name}: parameter '{parameter.name}'"
    expected = parameter.value_type
    choices = parameter.choices
    if choices is not None:
        return _choice(where, choices, value)
    if expected is bool:
        if not isinstance(value, bool | np.bool_):
            raise TypeError(f"{where} must be True or False, got {shown(value)}")
        return bool(value)
    if expected in (int, float):
        if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real | Decimal):
            what = "an integer" if expected is int else "a number"
            raise TypeError(f"{where} must be {what}, got {shown(value)}")
        value = _whole(where, value) if expected is int else _real(where, value)
    limits = parameter.range
    if limits is not None and value not in limits:
        raise ValueError(f"{where} must be {limits.describe()}, got {shown(value)}")
    return value


def _choice(where: str, choices: tuple, value: Any) -> Any:
    """The choice ``value`` names, as the annotation spells it.

    Text choices take any ``str`` (``numpy.str_`` and other subclasses
    included); other choices compare by type too, so that an array or a number
    never equals a choice by accident.
    """
    for choice in choices:
        if isinstance(choice, str):
            if isinstance(value, str) and str.__eq__(value, choice) is True:
                return choice
        elif type(value) is type(choice) and value == choice:
            return choice
    raise ValueError(f"{where} must be one of {', '.join(map(repr, choices))}, "
                     f"got {shown(value)}")


def _whole(where: str, value: numbers.Real | Decimal) -> int:
    """An integer parameter's value as an ``int``; a non-integral number must be whole."""
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, Decimal) and value.is_finite() and value.adjusted() >= _MAX_DIGITS:
        # its int would take as long to build as the value has digits
        raise ValueError(f"{where} must be a whole number of fewer than {_MAX_DIGITS} digits, "
                         f"got {shown(value)}")
    try:
        # exact for every kind of number (a float, a Fraction, a Decimal), where a
        # conversion to float would round large values or overflow
        whole = math.floor(value)
        is_whole = whole == value
    except (ArithmeticError, ValueError):  # infinity, NaN, a signalling Decimal NaN
        is_whole = False
    if not is_whole:
        raise ValueError(f"{where} must be a whole number, got {value!r}")
    return int(whole)


def _real(where: str, value: numbers.Real | Decimal) -> float:
    """A float parameter's value as a ``float``: it must be a number a float can hold."""
    try:
        converted = float(value)
    except OverflowError:
        converted = math.inf
    except ValueError:  # a signalling Decimal NaN
        converted = math.nan
    if math.isnan(converted):
        raise ValueError(f"{where} must be a number, got NaN")
    if math.isinf(converted) and not _is_infinite(value):
        size = (f"an integer of {int(value).bit_length()} bits"
                if isinstance(value, numbers.Integral) else shown(value))
        raise ValueError(f"{where} must be a number a float can hold (up to about "
                         f"1.8e308), got {size}")
    return converted


def _is_infinite(value: numbers.Real | Decimal) -> bool:
    """Whether ``value`` is an infinity itself (not a finite number too large for a float)."""
    if isinstance(value, Decimal):
        return value.is_infinite()
    return isinstance(value, float | np.floating) and math.isinf(value)


def shown(value: Any) -> str:
    """A value for an error message: its repr, shortened, with its type if not obvious."""
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    if isinstance(value, str | numbers.Number):
        return text
    return f"{type(value).__name__} {text}"


# --- images --------------------------------------------------------------------------


def host_image(op: Operation, name: str, value: Any) -> np.ndarray:
    """Image argument ``name`` of ``op`` as a numpy array, with its shape and dtype checked."""
    where = f"{op.name}: parameter '{name}'"
    host = _host_array(where, value)
    _check_shape(op, where, host.shape)
    backend.upload_dtype(host.dtype, where)
    return host


def to_device(op: Operation, parameter: Parameter, value: Any) -> backend.DeviceArray:
    """Check an image-like argument and return it as a device array of its kind."""
    where = f"{op.name}: parameter '{parameter.name}'"
    kind = parameter.kind
    if backend.is_device_array(value):
        device_context = backend.current_context()
        if value.context != device_context.context:
            raise ValueError(
                f"{where}: this device array belongs to another device or context than "
                f"the selected one ('{device_context.device.name}'); pull and push it again"
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
        # is slower), the GPU's (at its memory bandwidth) on GPUs
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


def to_host(result: Any) -> Any:
    """A result with its device arrays (also in a table or a tuple) pulled to numpy."""
    if backend.is_device_array(result):
        return backend.pull(result)
    if isinstance(result, Mapping):
        return {k: to_host(v) for k, v in result.items()}
    if isinstance(result, tuple):
        return tuple(to_host(v) for v in result)
    return result


def _dimension_text(dimensions: tuple[int, ...]) -> str:
    return " or ".join(_DIMENSION_WORDS.get(d, f"{d}D") for d in dimensions)


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
        lowest = backend.minimum(value)
        if lowest < 0:
            raise ValueError(f"{where}: labels must not be negative (found {lowest})")
    return value.astype(np.uint32)


def _binary_on_host(where: str, host: np.ndarray) -> np.ndarray:
    if host.dtype.kind not in "iufb":
        raise TypeError(f"{where}: a binary image must be numeric or bool (any non-zero value "
                        f"counts as foreground), got dtype {host.dtype}")
    return host != 0
