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

from collections.abc import Callable

import numpy as np

from .. import _backend as backend
from ._registry import operation
from ._types import Image

__all__ = [
    "maximum_x_projection",
    "maximum_y_projection",
    "maximum_z_projection",
    "mean_x_projection",
    "mean_y_projection",
    "mean_z_projection",
    "minimum_x_projection",
    "minimum_y_projection",
    "minimum_z_projection",
    "standard_deviation_x_projection",
    "standard_deviation_y_projection",
    "standard_deviation_z_projection",
    "sum_x_projection",
    "sum_y_projection",
    "sum_z_projection",
    "z_position_of_maximum_z_projection",
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


def _output_dtype(reduction: str, dtype: np.dtype) -> np.dtype:
    if reduction in ("maximum", "minimum"):
        return np.dtype(dtype)
    if reduction == "argmax":
        return np.dtype(np.uint32)
    return np.dtype(np.float32)


def _round_up(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple


def project(image: backend.DeviceArray, reduction: str, axis: str) -> backend.DeviceArray:
    """Reduce a 3D device image along ``axis`` ("z", "y" or "x").

    ``reduction`` is one of "maximum", "minimum", "sum", "mean", "std", "argmax"
    (the strided kernels serve rows with inner = 1 for argmax).
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
        "SUM_T": "float" if is_float else "long",
        "CHUNK": chunk,
        "LANES": _LANES,
    }
    if inner > 1 or reduction == "argmax":
        runs = -(-inner // chunk)
        PROJECTION.launch(f"strided_{reduction}", (_round_up(runs, group), outer),
                       image, out, inner, length, runs, defines=defines,
                       local_size=(group, 1))
    else:
        PROJECTION.launch(f"contiguous_{reduction}", (_round_up(outer, group),),
                       image, out, length, outer, defines=defines, local_size=(group,))
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
