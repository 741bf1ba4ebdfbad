"""Projections of 3D images along z, y or x (category "Projection").

Every projection is one launch of a kernel of ``projection.cl``, generated
there per reduction (maximum, minimum, sum, mean, standard deviation, position
of the maximum) and run along the axis the operation names:

* along z, a (z, y, x) stack gives a (y, x) image;
* along y, a (z, x) image; along x, a (z, y) image (numpy's ``axis=1``,
  ``axis=2``).

The projections take 3D images only: a 2D image is refused (a projection of
it would be a 1D profile, not an image).  The z position projections read a
stack at a map of plane indices; they take a 2D image as a stack of one plane.

The Examples of the docstrings run as they stand with ``numpy`` imported as
``np`` and ``oclip`` (tests/ops/test_examples.py runs them).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Annotated

import numpy as np

from .. import _backend as backend
from ._neighbourhood import (
    convolve_separable,
    gaussian_weights,
    sphere_filter,
    vector_grid,
    vector_width,
    window_size,
)
from ._registry import REFUSE_NAN, REFUSE_NONFINITE, operation
from ._types import Image, Radius, Range, Sigma
from .derivatives import DERIVATIVES

__all__ = [
    "extended_depth_of_focus_sobel_projection",
    "extended_depth_of_focus_variance_projection",
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
    "z_position_projection",
    "z_position_range_projection",
]

PROJECTION = backend.Program("oclip.ops", "projection.cl")

# Runs per work-item of the strided kernel: long contiguous runs on CPUs (the
# inner loop vectorizes and every step streams a row), one element on GPUs
# (neighbouring work-items then read neighbouring addresses).
_CPU_CHUNK = 256
_CPU_GROUP = 4
_GPU_GROUP = 64
# Interleaved partial results per row of the contiguous kernels; the positions of
# the maximum and minimum (a value and a position per lane) vectorize better over more.
_LANES = 8
_POSITION_LANES = 16

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
        "LANES": _POSITION_LANES if reduction in ("argmax", "argmin") else _LANES,
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

#: The stack of the Examples: three planes of 2 x 3 pixels.
_EXAMPLE_STACK = """\
    >>> stack = np.array([[[1, 5, 2], [0, 2, 4]],
    ...                   [[4, 3, 3], [0, 9, 1]],
    ...                   [[2, 8, 6], [7, 1, 5]]], np.uint8)"""


def _examples(call: str, result: str) -> str:
    """An Examples section: ``call`` (an expression) of the example stack, and the
    repr of its result (lines as numpy writes them)."""
    shown = "\n".join(f"    {line}" for line in result.splitlines())
    return f"""
    Examples
    --------
{_EXAMPLE_STACK}
    >>> {call}
{shown}"""


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

    Examples
    --------
    >>> stack = np.array([[[1, 5, 2], [0, 2, 4]],
    ...                   [[4, 3, 3], [0, 9, 1]],
    ...                   [[2, 8, 6], [7, 1, 5]]], np.uint8)
    >>> oclip.z_position_of_maximum_z_projection(stack)
    array([[1, 2, 2],
           [2, 1, 2]], dtype=uint32)
    """
    return project(image, "argmax", "z")


# --- positions of the maximum and minimum ----------------------------------------------

_POSITION_NOTES = {"maximum": "numpy.argmax", "minimum": "numpy.argmin"}


def _position_docstring(which: str, axis: str, example: str
                        ) -> Callable[[Callable], Callable]:
    """The numpydoc docstring of ``<axis>_position_of_<which>_<axis>_projection``, with
    ``example`` the repr of its result for the example stack."""
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
        function.__doc__ = text.rstrip() + "\n" + _examples(
            f"oclip.{function.__name__}(stack)", example) + "\n    "
        return function

    return document


@operation(category="Projection", dimensions=(3,))
@_position_docstring("maximum", "y", """\
array([[0, 0, 1],
       [0, 1, 0],
       [1, 0, 0]], dtype=uint32)""")
def y_position_of_maximum_y_projection(image: Image) -> Image:
    return project(image, "argmax", "y")


@operation(category="Projection", dimensions=(3,))
@_position_docstring("maximum", "x", """\
array([[1, 2],
       [0, 1],
       [1, 0]], dtype=uint32)""")
def x_position_of_maximum_x_projection(image: Image) -> Image:
    return project(image, "argmax", "x")


@operation(category="Projection", dimensions=(3,))
@_position_docstring("minimum", "z", """\
array([[0, 1, 0],
       [0, 2, 1]], dtype=uint32)""")
def z_position_of_minimum_z_projection(image: Image) -> Image:
    return project(image, "argmin", "z")


@operation(category="Projection", dimensions=(3,))
@_position_docstring("minimum", "y", """\
array([[1, 1, 0],
       [1, 0, 1],
       [0, 1, 1]], dtype=uint32)""")
def y_position_of_minimum_y_projection(image: Image) -> Image:
    return project(image, "argmin", "y")


@operation(category="Projection", dimensions=(3,))
@_position_docstring("minimum", "x", """\
array([[0, 0],
       [1, 0],
       [0, 1]], dtype=uint32)""")
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
    numpy computes float32 images (the same values); integer images within a
    few float32 roundings of the exact value (numpy's own percentile of int8 / int16
    images can overflow in the difference of the two values).  Images holding NaN
    are refused (NaN has no place in an order); infinities are ordinary values."""


def _order_docstring(reduction: str, axis: str, example: str
                     ) -> Callable[[Callable], Callable]:
    """The numpydoc docstring of ``median_<axis>_projection`` and
    ``percentile_<axis>_projection``, with ``example`` the repr of its result for the
    example stack (the 25th percentile)."""
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
    argument = "" if reduction == "median" else ", percentile=25"

    def document(function: Callable) -> Callable:
        function.__doc__ = text.rstrip() + "\n" + _examples(
            f"oclip.{function.__name__}(stack{argument})", example) + "\n    "
        return function

    return document


@operation(category="Projection", dimensions=(3,), nonfinite=REFUSE_NAN)
@_order_docstring("median", "z", """\
array([[2., 5., 3.],
       [0., 2., 4.]], dtype=float32)""")
def median_z_projection(image: Image) -> Image:
    return project(image, "median", "z")


@operation(category="Projection", dimensions=(3,), nonfinite=REFUSE_NAN)
@_order_docstring("median", "y", """\
array([[0.5, 3.5, 3. ],
       [2. , 6. , 2. ],
       [4.5, 4.5, 5.5]], dtype=float32)""")
def median_y_projection(image: Image) -> Image:
    return project(image, "median", "y")


@operation(category="Projection", dimensions=(3,), nonfinite=REFUSE_NAN)
@_order_docstring("median", "x", """\
array([[2., 2.],
       [3., 1.],
       [6., 5.]], dtype=float32)""")
def median_x_projection(image: Image) -> Image:
    return project(image, "median", "x")


@operation(category="Projection", dimensions=(3,), nonfinite=REFUSE_NAN)
@_order_docstring("percentile", "z", """\
array([[1.5, 4. , 2.5],
       [0. , 1.5, 2.5]], dtype=float32)""")
def percentile_z_projection(image: Image, percentile: Percentile = 90.0) -> Image:
    return project(image, "percentile", "z", percentile)


@operation(category="Projection", dimensions=(3,), nonfinite=REFUSE_NAN)
@_order_docstring("percentile", "y", """\
array([[0.25, 2.75, 2.5 ],
       [1.  , 4.5 , 1.5 ],
       [3.25, 2.75, 5.25]], dtype=float32)""")
def percentile_y_projection(image: Image, percentile: Percentile = 90.0) -> Image:
    return project(image, "percentile", "y", percentile)


@operation(category="Projection", dimensions=(3,), nonfinite=REFUSE_NAN)
@_order_docstring("percentile", "x", """\
array([[1.5, 1. ],
       [3. , 0.5],
       [4. , 3. ]], dtype=float32)""")
def percentile_x_projection(image: Image, percentile: Percentile = 90.0) -> Image:
    return project(image, "percentile", "x", percentile)


# --- reading a stack at a map of z positions -------------------------------------------

#: Planes relative to a z position map.
Offset = Annotated[int, Range(-1000, 1000, 1)]


def _stack_and_map(name: str, image: backend.DeviceArray, z_position: backend.DeviceArray
                   ) -> backend.DeviceArray:
    """The stack (a 2D image as a stack of one plane), with a map that is not 2D of its
    planes' shape refused."""
    if z_position.shape != image.shape[-2:]:
        raise ValueError(f"{name}: parameter 'z_position' must be a 2D image (y, x) of the "
                         f"shape of the stack's planes, {image.shape[-2:]}, got shape "
                         f"{z_position.shape}")
    return image if image.ndim == 3 else image.reshape((1, *image.shape))


def read_planes(image: backend.DeviceArray, z_position: backend.DeviceArray, offset: int,
                planes: int, step: int = 1) -> backend.DeviceArray:
    """``planes`` planes of the stack ``image`` read at ``z_position + offset + step * i``
    (i = 0 .. planes - 1, step 1 or -1; positions truncated, NaN 0, clamped to the
    stack): a (planes, ny, nx) device array of the stack's dtype."""
    nz, ny, nx = image.shape
    plane = ny * nx
    out = backend.create((planes, ny, nx), image.dtype)
    defines = {"T": backend.cl_type_name(image.dtype),
               "P": backend.cl_type_name(z_position.dtype),
               "P_FLOAT": int(z_position.dtype.kind == "f")}
    PROJECTION.launch("z_position_planes", (_round_up(plane, _GPU_GROUP), planes), image,
                      z_position, out, plane, nz, offset, step, defines=defines,
                      local_size=(_GPU_GROUP, 1))
    return out


@operation(category="Projection")
def z_position_projection(image: Image, z_position: Image) -> Image:
    """Read a stack at the plane a z position map gives for every (y, x).

    With the map of ``z_position_of_maximum_z_projection`` of the same stack it
    gives the maximum projection; of another measure (a focus measure, a second
    channel), the stack's intensities on the surface that measure finds.

    Parameters
    ----------
    image : Image
        The stack, a 3D image (z, y, x); a 2D image is a stack of one plane.
    z_position : Image
        2D image (y, x) of plane indices, of the shape of the stack's planes.

    Returns
    -------
    Image
        2D image (y, x) of the stack's dtype.

    See Also
    --------
    numpy.take_along_axis : the reference, ``numpy.take_along_axis(image,
        z[numpy.newaxis], axis=0)[0]`` with ``z`` the map as indices (below).

    Notes
    -----
    The map's values are plane indices: float values are truncated toward zero
    (as ``astype(int)``; NaN counts as 0), and indices beyond the stack read its
    first or last plane (the edge replicated, as everywhere in oclip).

    Examples
    --------
    >>> stack = np.array([[[1, 5, 2], [0, 2, 4]],
    ...                   [[4, 3, 3], [0, 9, 1]],
    ...                   [[2, 8, 6], [7, 1, 5]]], np.uint8)
    >>> z = np.array([[2, 0, 1], [1, 1, 0]], np.uint8)
    >>> oclip.z_position_projection(stack, z)
    array([[2, 5, 3],
           [0, 9, 4]], dtype=uint8)
    """
    stack = _stack_and_map("z_position_projection", image, z_position)
    return read_planes(stack, z_position, 0, 1).reshape(stack.shape[1:])


@operation(category="Projection")
def z_position_range_projection(image: Image, z_position: Image, start_z: Offset = -5,
                                end_z: Offset = 5) -> Image:
    """Read the planes from start_z to end_z around a z position map into a stack.

    Plane i of the result holds, at every (y, x), the stack at
    ``z_position + start_z + i``, up to ``end_z`` (included): the slab of planes
    around a surface (e.g. a cell layer around the plane of its maximum),
    flattened, as clEsperanto's ``z_position_range_projection``.  With ``end_z``
    below ``start_z`` the planes come in descending order: plane i at
    ``z_position + start_z - i``.

    Parameters
    ----------
    image : Image
        The stack, a 3D image (z, y, x); a 2D image is a stack of one plane.
    z_position : Image
        2D image (y, x) of plane indices, of the shape of the stack's planes.
    start_z : int
        First plane read, relative to the map (negative: below it).
    end_z : int
        Last plane read, relative to the map (included, unlike ``sub_stack``'s
        ``end_z``).

    Returns
    -------
    Image
        3D image of ``abs(end_z - start_z) + 1`` planes (y, x) of the stack's dtype.

    See Also
    --------
    numpy.take_along_axis : the reference, per offset o from ``start_z`` to ``end_z``,
        ``numpy.take_along_axis(image, numpy.clip(z + o, 0, nz - 1)[numpy.newaxis],
        axis=0)`` with ``z`` the map as indices (below).

    Notes
    -----
    The map's values are plane indices: float values are truncated toward zero
    (as ``astype(int)``; NaN counts as 0), and indices beyond the stack read its
    first or last plane (the edge replicated, as everywhere in oclip).

    Examples
    --------
    The plane of the maximum and the one below it (the first plane stands in
    for the one below plane 0):

    >>> stack = np.array([[[1, 5, 2], [0, 2, 4]],
    ...                   [[4, 3, 3], [0, 9, 1]],
    ...                   [[2, 8, 6], [7, 1, 5]]], np.uint8)
    >>> z = oclip.z_position_of_maximum_z_projection(stack)
    >>> oclip.z_position_range_projection(stack, z, start_z=-1, end_z=0)
    array([[[1, 3, 3],
            [0, 2, 1]],
    <BLANKLINE>
           [[4, 8, 6],
            [7, 9, 5]]], dtype=uint8)
    """
    stack = _stack_and_map("z_position_range_projection", image, z_position)
    step = 1 if end_z >= start_z else -1
    return read_planes(stack, z_position, start_z, abs(end_z - start_z) + 1, step)


# --- extended depth of focus -----------------------------------------------------------


def _in_focus(image: backend.DeviceArray, focus: backend.DeviceArray, sigma_x: float,
              sigma_y: float) -> backend.DeviceArray:
    """The stack's pixel, for every (y, x), at the plane where the focus measure
    smoothed in its plane (Gaussian sigma_x, sigma_y) is largest (the first of
    equal ones)."""
    weights = {0: gaussian_weights(sigma_x), 1: gaussian_weights(sigma_y)}
    smoothed = convolve_separable(focus, weights)
    altitude = project(smoothed, "argmax", "z")
    return read_planes(image, altitude, 0, 1).reshape(image.shape[1:])


@operation(category="Projection", dimensions=(3,), nonfinite=REFUSE_NONFINITE)
def extended_depth_of_focus_variance_projection(
        image: Image, radius_x: Radius = 2, radius_y: Radius = 2, sigma_x: Sigma = 2.0,
        sigma_y: Sigma = 2.0) -> Image:
    """Make one sharp image of a z-stack: per pixel, the plane of largest local variance.

    The focus measure of each plane is the variance over the ellipse of
    ``radius_x``, ``radius_y`` in the plane (``variance_sphere`` with
    ``radius_z=0``), smoothed with a Gaussian of ``sigma_x``, ``sigma_y`` in
    the plane (``gaussian_blur`` with ``sigma_z=0``), so that the chosen plane
    changes smoothly; then, as clEsperanto's projection of the same name, the
    stack is read at the plane of the largest measure
    (``z_position_of_maximum_z_projection``, ``z_position_projection``).

    Parameters
    ----------
    image : Image
        The stack, a 3D image (z, y, x).
    radius_x : int
        Radius along x of the window of the local variance.
    radius_y : int
        Radius along y of the window of the local variance.
    sigma_x : float
        Sigma along x of the smoothing of the variance (0: none).
    sigma_y : float
        Sigma along y of the smoothing of the variance (0: none).

    Returns
    -------
    Image
        2D image (y, x) of the stack's dtype: at every (y, x), the stack's value
        at the z where the smoothed local variance there is largest (the first
        such z where several are).

    See Also
    --------
    numpy.take_along_axis : the reference: the stack at ``numpy.argmax(focus,
        axis=0)``, ``focus`` from ``scipy.ndimage.generic_filter(plane, numpy.var,
        footprint=ellipse, mode="nearest")`` and ``scipy.ndimage.gaussian_filter``
        per plane.

    Notes
    -----
    Ties between planes (focus measures equal within float32 rounding) may be
    decided otherwise than in float64: the plane chosen has a focus measure
    within 1e-4 of the stack's largest measure of the largest there.  Images
    holding NaN or infinities are refused (their focus measure would not be
    defined).

    Examples
    --------
    A textured plane, sharp on the left in plane 0 and on the right in plane 2:

    >>> texture = ((np.indices((8, 16)) // 2).sum(axis=0) % 2 * 100).astype(np.float32)
    >>> flat = np.full((8, 16), 50, np.float32)
    >>> left = np.arange(16) < 8
    >>> stack = np.stack([np.where(left, texture, flat), flat, np.where(left, flat, texture)])
    >>> sharp = oclip.extended_depth_of_focus_variance_projection(stack)
    >>> np.array_equal(sharp, texture)
    True
    """
    radii = {0: radius_x, 1: radius_y, 2: 0}
    variance = sphere_filter(image, "variance_window", radii, np.float32,
                             float(window_size(radii)), static=True, vector=True)
    return _in_focus(image, variance, sigma_x, sigma_y)


@operation(category="Projection", dimensions=(3,), nonfinite=REFUSE_NONFINITE)
def extended_depth_of_focus_sobel_projection(image: Image, sigma_x: Sigma = 2.0,
                                             sigma_y: Sigma = 2.0) -> Image:
    """Make one sharp image of a z-stack: per pixel, the plane of largest gradient.

    The focus measure of each plane is its 2D Sobel gradient magnitude (``sobel``
    of the plane alone), smoothed with a Gaussian of ``sigma_x``, ``sigma_y`` in
    the plane, so that the chosen plane changes smoothly; then, as
    clEsperanto's projection of the same name, the stack is read at the plane
    of the largest measure (``z_position_of_maximum_z_projection``,
    ``z_position_projection``).

    Parameters
    ----------
    image : Image
        The stack, a 3D image (z, y, x).
    sigma_x : float
        Sigma along x of the smoothing of the gradient magnitude (0: none).
    sigma_y : float
        Sigma along y of the smoothing of the gradient magnitude (0: none).

    Returns
    -------
    Image
        2D image (y, x) of the stack's dtype: at every (y, x), the stack's value
        at the z where the smoothed gradient magnitude there is largest (the
        first such z where several are).

    See Also
    --------
    numpy.take_along_axis : the reference: the stack at ``numpy.argmax(focus,
        axis=0)``, ``focus`` from ``scipy.ndimage.sobel`` along y and x of each
        plane (``mode="nearest"``) and ``scipy.ndimage.gaussian_filter`` per plane.

    Notes
    -----
    Ties between planes (focus measures equal within float32 rounding) may be
    decided otherwise than in float64: the plane chosen has a focus measure
    within 1e-4 of the stack's largest measure of the largest there.  Images
    holding NaN or infinities are refused (their focus measure would not be
    defined).

    Examples
    --------
    A textured plane, sharp on the left in plane 0 and on the right in plane 2:

    >>> texture = ((np.indices((8, 16)) // 2).sum(axis=0) % 2 * 100).astype(np.float32)
    >>> flat = np.full((8, 16), 50, np.float32)
    >>> left = np.arange(16) < 8
    >>> stack = np.stack([np.where(left, texture, flat), flat, np.where(left, flat, texture)])
    >>> sharp = oclip.extended_depth_of_focus_sobel_projection(stack)
    >>> np.array_equal(sharp, texture)
    True
    """
    gradient = backend.create(image.shape, np.float32)
    # derivatives.cl built for 2D images takes each plane of a stack alone
    defines = {"T_IN": backend.cl_type_name(image.dtype), "DIMENSIONS": 2,
               "VEC": vector_width()}
    DERIVATIVES.launch("sobel", vector_grid(image.shape), image, gradient,
                       *backend.grid(image.shape), defines=defines)
    return _in_focus(image, gradient, sigma_x, sigma_y)
