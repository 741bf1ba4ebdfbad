"""Projections of 3D images along z, y or x (category "Projection").

Every projection is one launch of a kernel of ``projection.cl``, generated
there per reduction (maximum, minimum, sum, mean, standard deviation, position
of the maximum) and run along the axis the operation names:

* along z, a (z, y, x) stack gives a (y, x) image;
* along y, a (z, x) image; along x, a (z, y) image (numpy's ``axis=1``,
  ``axis=2``).

All projections take 3D images only: a 2D image is refused (a projection of
it would be a 1D profile, not an image).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Annotated

import numpy as np

from .. import _backend as backend
from ._registry import REFUSE_NAN, operation
from ._types import Image, Range

__all__ = [
    "maximum_x_projection",
    "maximum_y_projection",
    "maximum_z_projection",
    "mean_x_projection",
    "mean_y_projection",
    "mean_z_projection",
    "median_x_projection",
    "median_y_projection",
    "median_z_projection",
    "minimum_x_projection",
    "minimum_y_projection",
    "minimum_z_projection",
    "percentile_x_projection",
    "percentile_y_projection",
    "percentile_z_projection",
    "standard_deviation_x_projection",
    "standard_deviation_y_projection",
    "standard_deviation_z_projection",
    "sum_x_projection",
    "sum_y_projection",
    "sum_z_projection",
    "x_position_of_maximum_x_projection",
    "x_position_of_minimum_x_projection",
    "y_position_of_maximum_y_projection",
    "y_position_of_minimum_y_projection",
    "z_position_of_maximum_z_projection",
    "z_position_of_minimum_z_projection",
]

PROJECTION = backend.Program("oclip.ops", "projection.cl")

# Runs per work-item of the strided kernel: long contiguous runs on CPUs (the
# inner loop vectorizes and every step streams a row), one element on GPUs
# (neighbouring work-items then read neighbouring addresses).
_CPU_CHUNK = 256
_CPU_GROUP = 4
_GPU_GROUP = 64
_LANES = 8

# numpy axis of each projection axis, and the output dtype rule per reduction.
_AXES = {"z": 0, "y": 1, "x": 2}
_ORDER_STATISTICS = ("median", "percentile")


def _output_dtype(reduction: str, dtype: np.dtype) -> np.dtype:
    if reduction in ("maximum", "minimum"):
        return np.dtype(dtype)
    if reduction in ("argmax", "argmin"):
        return np.dtype(np.uint32)
    return np.dtype(np.float32)


def _round_up(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple


def _order_arguments(reduction: str, length: int, percentile: float
                     ) -> tuple[np.int32, np.int32, np.float32, np.float32]:
    """``rank, rank_high, t, u`` of the kernels (see projection.cl): the 0-based ranks
    of the two sorted values an order statistic of ``length`` values takes, and the
    interpolation weights of numpy's method "linear", as numpy computes them: the
    virtual index ``(n - 1) * (q / 100)`` in double, its floor and the next rank (the
    last one at most), ``gamma`` its fractional part; numpy interpolates
    ``lo + (hi - lo) * gamma`` for ``gamma < 0.5`` and ``hi - (hi - lo) * (1 - gamma)``
    otherwise, the weight rounded to the image's float32.  The kernels take the
    second form where ``u > 0``."""
    if reduction == "median":
        return (np.int32((length - 1) // 2), np.int32(length // 2), np.float32(0),
                np.float32(0))
    if reduction != "percentile":
        return np.int32(0), np.int32(0), np.float32(0), np.float32(0)
    virtual = (length - 1) * (percentile / 100)
    rank = min(math.floor(virtual), length - 1)
    gamma = virtual - rank
    if gamma >= 0.5:
        return np.int32(rank), np.int32(min(rank + 1, length - 1)), np.float32(0), \
            np.float32(1.0 - gamma)
    return np.int32(rank), np.int32(min(rank + 1, length - 1)), np.float32(gamma), \
        np.float32(0)


def project(image: backend.DeviceArray, reduction: str, axis: str,
            percentile: float = 50.0) -> backend.DeviceArray:
    """Reduce a 3D device image along ``axis`` ("z", "y" or "x").

    ``reduction`` is one of "maximum", "minimum", "sum", "mean", "std", "argmax",
    "argmin", "median", "percentile" (of ``percentile``, 0 to 100).  The order
    statistics (median, percentile) have strided kernels only: rows (inner = 1)
    take them with one work-item per row.
    """
    numpy_axis = _AXES[axis]
    shape = image.shape
    outer = int(np.prod(shape[:numpy_axis], dtype=np.int64))
    length = shape[numpy_axis]
    inner = int(np.prod(shape[numpy_axis + 1:], dtype=np.int64))
    out_shape = shape[:numpy_axis] + shape[numpy_axis + 1:]
    out = backend.create(out_shape, _output_dtype(reduction, image.dtype))
    cpu = backend.current_device().type == "CPU"
    chunk = _CPU_CHUNK if cpu else 1
    group = _CPU_GROUP if cpu else _GPU_GROUP
    is_float = image.dtype.kind == "f"
    defines = {
        "T": backend.cl_type_name(image.dtype),
        "T_FLOAT": int(is_float),
        "T_SIGNED": int(image.dtype.kind == "i"),
        "SUM_T": "float" if is_float else "long",
        "CHUNK": chunk,
        "LANES": _LANES,
    }
    order = _order_arguments(reduction, length, percentile)
    if inner > 1 or reduction in _ORDER_STATISTICS:
        runs = -(-inner // chunk)
        PROJECTION.launch(f"strided_{reduction}", (_round_up(runs, group), outer),
                          image, out, inner, length, runs, *order, defines=defines,
                          local_size=(group, 1))
    else:
        PROJECTION.launch(f"contiguous_{reduction}", (_round_up(outer, group),),
                          image, out, length, outer, *order, defines=defines,
                          local_size=(group,))
    return out


_RESULTS = {
    "maximum": "of the same dtype",
    "minimum": "of the same dtype",
    "sum": "float32 (sums of integer images are exact before the conversion)",
    "mean": "float32",
    "std": "float32",
}
_METHODS = {"maximum": "max", "minimum": "min", "sum": "sum", "mean": "mean", "std": "std"}
_WORDS = {
    "maximum": "maximum",
    "minimum": "minimum",
    "sum": "sum",
    "mean": "mean",
    "std": "standard deviation",
}
_PLANES = {"z": "(y, x)", "y": "(z, x)", "x": "(z, y)"}


def _projection_docstring(reduction: str, axis: str) -> Callable[[Callable], Callable]:
    """Give a projection function its numpydoc docstring (one template for all)."""
    method = _METHODS[reduction]
    notes = ""
    if reduction == "std":
        notes = ("\n\n    Notes\n    -----\n    The population standard deviation "
                 "(numpy's default ``ddof=0``): the square root\n    of the mean "
                 "squared deviation from the mean.")
    if reduction in ("maximum", "minimum"):
        notes = "\n\n    Notes\n    -----\n    NaN pixels give NaN, as in numpy."
    summary = (f"Project a stack onto the {_PLANES[axis]} plane by its {_WORDS[reduction]} "
               f"along {axis}.")
    text = f"""{summary}

    Parameters
    ----------
    image : Image
        A 3D image (z, y, x); 2D images are refused.

    Returns
    -------
    Image
        2D image {_PLANES[axis]}, {_RESULTS[reduction]}.

    See Also
    --------
    numpy.{method} : the reference, ``image.{method}(axis={_AXES[axis]})``.{notes}
    """

    def document(function: Callable) -> Callable:
        function.__doc__ = text
        return function

    return document


@operation(category="Projection", dimensions=(3,))
@_projection_docstring("maximum", "z")
def maximum_z_projection(image: Image) -> Image:
    return project(image, "maximum", "z")


@operation(category="Projection", dimensions=(3,))
@_projection_docstring("minimum", "z")
def minimum_z_projection(image: Image) -> Image:
    return project(image, "minimum", "z")


@operation(category="Projection", dimensions=(3,))
@_projection_docstring("mean", "z")
def mean_z_projection(image: Image) -> Image:
    return project(image, "mean", "z")


@operation(category="Projection", dimensions=(3,))
@_projection_docstring("sum", "z")
def sum_z_projection(image: Image) -> Image:
    return project(image, "sum", "z")


@operation(category="Projection", dimensions=(3,))
@_projection_docstring("std", "z")
def standard_deviation_z_projection(image: Image) -> Image:
    return project(image, "std", "z")


@operation(category="Projection", dimensions=(3,))
@_projection_docstring("maximum", "y")
def maximum_y_projection(image: Image) -> Image:
    return project(image, "maximum", "y")


@operation(category="Projection", dimensions=(3,))
@_projection_docstring("minimum", "y")
def minimum_y_projection(image: Image) -> Image:
    return project(image, "minimum", "y")


@operation(category="Projection", dimensions=(3,))
@_projection_docstring("mean", "y")
def mean_y_projection(image: Image) -> Image:
    return project(image, "mean", "y")


@operation(category="Projection", dimensions=(3,))
@_projection_docstring("sum", "y")
def sum_y_projection(image: Image) -> Image:
    return project(image, "sum", "y")


@operation(category="Projection", dimensions=(3,))
@_projection_docstring("std", "y")
def standard_deviation_y_projection(image: Image) -> Image:
    return project(image, "std", "y")


@operation(category="Projection", dimensions=(3,))
@_projection_docstring("maximum", "x")
def maximum_x_projection(image: Image) -> Image:
    return project(image, "maximum", "x")


@operation(category="Projection", dimensions=(3,))
@_projection_docstring("minimum", "x")
def minimum_x_projection(image: Image) -> Image:
    return project(image, "minimum", "x")


@operation(category="Projection", dimensions=(3,))
@_projection_docstring("mean", "x")
def mean_x_projection(image: Image) -> Image:
    return project(image, "mean", "x")


@operation(category="Projection", dimensions=(3,))
@_projection_docstring("sum", "x")
def sum_x_projection(image: Image) -> Image:
    return project(image, "sum", "x")


@operation(category="Projection", dimensions=(3,))
@_projection_docstring("std", "x")
def standard_deviation_x_projection(image: Image) -> Image:
    return project(image, "std", "x")


@operation(category="Projection", dimensions=(3,))
def z_position_of_maximum_z_projection(image: Image) -> Image:
    """Give, for every (y, x), the z index of the stack's maximum there.

    Parameters
    ----------
    image : Image
        A 3D image (z, y, x); 2D images are refused.

    Returns
    -------
    Image
        2D uint32 image (y, x) of plane indices: the first plane holding the
        maximum where several do (a NaN counts as the maximum).

    See Also
    --------
    numpy.argmax : the reference, ``image.argmax(axis=0)``.
    """
    return project(image, "argmax", "z")


# --- positions of the maximum and minimum ----------------------------------------------

_POSITION_NOTES = {"maximum": "numpy.argmax", "minimum": "numpy.argmin"}


def _position_docstring(which: str, axis: str) -> Callable[[Callable], Callable]:
    """The numpydoc docstring of ``<axis>_position_of_<which>_<axis>_projection``."""
    method = _POSITION_NOTES[which]
    text = f"""Give, for every {_PLANES[axis]} pixel, the {axis} index of the stack's {which} there.

    Parameters
    ----------
    image : Image
        A 3D image (z, y, x); 2D images are refused.

    Returns
    -------
    Image
        2D uint32 image {_PLANES[axis]} of indices along {axis}: the first one holding
        the {which} where several do (a NaN counts as the {which}, as in numpy).

    See Also
    --------
    {method} : the reference, ``image.{method[6:]}(axis={_AXES[axis]})``.
    """

    def document(function: Callable) -> Callable:
        function.__doc__ = text
        return function

    return document


@operation(category="Projection", dimensions=(3,))
@_position_docstring("maximum", "y")
def y_position_of_maximum_y_projection(image: Image) -> Image:
    return project(image, "argmax", "y")


@operation(category="Projection", dimensions=(3,))
@_position_docstring("maximum", "x")
def x_position_of_maximum_x_projection(image: Image) -> Image:
    return project(image, "argmax", "x")


@operation(category="Projection", dimensions=(3,))
@_position_docstring("minimum", "z")
def z_position_of_minimum_z_projection(image: Image) -> Image:
    return project(image, "argmin", "z")


@operation(category="Projection", dimensions=(3,))
@_position_docstring("minimum", "y")
def y_position_of_minimum_y_projection(image: Image) -> Image:
    return project(image, "argmin", "y")


@operation(category="Projection", dimensions=(3,))
@_position_docstring("minimum", "x")
def x_position_of_minimum_x_projection(image: Image) -> Image:
    return project(image, "argmin", "x")


# --- median and percentile -----------------------------------------------------------

#: A percentile, 0 (the minimum) to 100 (the maximum).
Percentile = Annotated[float, Range(0.0, 100.0, 1.0)]

_ORDER_NOTES = """
    Notes
    -----
    numpy's rule (``method="linear"``): of the n values sorted, the value at the
    virtual index ``i = (n - 1) * percentile / 100``, interpolated linearly between
    the values at ``floor(i)`` and ``floor(i) + 1``; the median is the middle
    value, or the mean of the two middle ones for even n.  Computed in float32 as
    numpy computes float32 images (the same values); integer images within two
    float32 roundings of the exact value (numpy's own percentile of int8 / int16
    images can overflow in the difference of the two values).  Images holding NaN
    are refused (NaN has no place in an order); infinities are ordinary values."""


def _order_docstring(reduction: str, axis: str) -> Callable[[Callable], Callable]:
    """The numpydoc docstring of ``median_<axis>_projection`` and
    ``percentile_<axis>_projection``."""
    if reduction == "median":
        summary = f"Project a stack onto the {_PLANES[axis]} plane by its median along {axis}."
        parameter = ""
        reference = f"numpy.median : the reference, ``numpy.median(image, axis={_AXES[axis]})``."
    else:
        summary = (f"Project a stack onto the {_PLANES[axis]} plane by a percentile along "
                   f"{axis}.")
        parameter = """
    percentile : float
        The percentile, 0 (the minimum) to 100 (the maximum); 50 is the median."""
        reference = (f"numpy.percentile : the reference, ``numpy.percentile(image, "
                     f"percentile, axis={_AXES[axis]})``.")
    text = f"""{summary}

    Parameters
    ----------
    image : Image
        A 3D image (z, y, x); 2D images are refused.{parameter}

    Returns
    -------
    Image
        2D float32 image {_PLANES[axis]}.

    See Also
    --------
    {reference}
{_ORDER_NOTES}
    """

    def document(function: Callable) -> Callable:
        function.__doc__ = text
        return function

    return document


@operation(category="Projection", dimensions=(3,), nonfinite=REFUSE_NAN)
@_order_docstring("median", "z")
def median_z_projection(image: Image) -> Image:
    return project(image, "median", "z")


@operation(category="Projection", dimensions=(3,), nonfinite=REFUSE_NAN)
@_order_docstring("median", "y")
def median_y_projection(image: Image) -> Image:
    return project(image, "median", "y")


@operation(category="Projection", dimensions=(3,), nonfinite=REFUSE_NAN)
@_order_docstring("median", "x")
def median_x_projection(image: Image) -> Image:
    return project(image, "median", "x")


@operation(category="Projection", dimensions=(3,), nonfinite=REFUSE_NAN)
@_order_docstring("percentile", "z")
def percentile_z_projection(image: Image, percentile: Percentile = 90.0) -> Image:
    return project(image, "percentile", "z", percentile)


@operation(category="Projection", dimensions=(3,), nonfinite=REFUSE_NAN)
@_order_docstring("percentile", "y")
def percentile_y_projection(image: Image, percentile: Percentile = 90.0) -> Image:
    return project(image, "percentile", "y", percentile)


@operation(category="Projection", dimensions=(3,), nonfinite=REFUSE_NAN)
@_order_docstring("percentile", "x")
def percentile_x_projection(image: Image, percentile: Percentile = 90.0) -> Image:
    return project(image, "percentile", "x", percentile)
