"""Whole-image reductions: sums, means, extremes and their positions, the centre of
mass, histograms and image comparisons (category "Measure").

Every reduction runs on the device: on GPUs pyopencl's ``ReductionKernel``
(``backend.reduce``), on CPUs one work-item per chunk of pixels (statistics.cl, as
``_reductions`` does), with the shared ``minimum_maximum`` of ``_reductions`` for the
extremes; only the few numbers of the result come back.  Sums of integer images are
exact (64-bit integers); sums of float images, and the squared deviations of the
standard deviation and the mean squared error, are accumulated in double precision
(single precision on a device without doubles): within (pixels per chunk) x 1.1e-16
of the sum of the absolute values, in practice about 1e-15 of it, of numpy's float64
results (the tests allow 1e-12).  Float images holding NaN
or infinity are refused (``REFUSE_NONFINITE``, as the other measurements).

The results
-----------
A single number is an operation annotated ``-> float``; several numbers about the
image (a position, the statistics of a mask) are a one-row :data:`Table`, columns
of positions in numpy axis order with the suffixes of
``skimage.measure.regionprops_table`` (``position_of_maximum-0`` is z of a 3D
image, y of a 2D one).  Such a result is a workflow step like any other: the
step's value is the Python float or the dict of columns; in the napari Assistant
a float is shown in the step's widget (``value_ready`` → ``show_value``) and a
table as a table; ``oclip run`` writes both as a CSV file of one row, and an
exported script returns them from its function as the float or the dict.  No
image layer is made of them, and a step cannot feed them to a later step as an
image.

The Examples of the docstrings run as they stand with ``numpy`` imported as
``np`` and ``oclip`` (tests/ops/test_examples.py runs them).
"""

from __future__ import annotations

import math
from typing import Annotated, Any

import numpy as np

from .. import _backend as backend
from ._arguments import same_shape
from ._reductions import cpu_chunks, minimum_maximum
from ._registry import REFUSE_NONFINITE, operation
from ._types import Binary, Image, Range, Table

__all__ = [
    "center_of_mass",
    "histogram",
    "maximum_of_all_pixels",
    "mean_of_all_pixels",
    "mean_squared_error",
    "minimum_of_all_pixels",
    "position_of_maximum",
    "position_of_minimum",
    "standard_deviation_of_all_pixels",
    "statistics_of_image",
    "statistics_of_masked_pixels",
    "sum_of_all_pixels",
]

STATISTICS = backend.Program("oclip.ops", "statistics.cl")

#: The columns of statistics_of_masked_pixels (and the first of statistics_of_image).
STATISTICS_COLUMNS = ("pixel_count", "sum", "mean", "minimum", "maximum",
                      "standard_deviation")


def _on_cpu() -> bool:
    return backend.current_device().type == "CPU"


def _float_accumulator() -> tuple[str, np.dtype]:
    """(OpenCL name, numpy dtype) of the accumulator of float sums on this device."""
    if backend.current_device().double_precision:
        return "double", np.dtype(np.float64)
    return "float", np.dtype(np.float32)


def _preamble() -> str:
    """The pragma a reduction in double precision needs on some devices."""
    if backend.current_device().double_precision:
        return "#pragma OPENCL EXTENSION cl_khr_fp64 : enable"
    return ""


def _masked(mask: backend.DeviceArray | None) -> tuple[tuple[backend.DeviceArray, ...], str, str]:
    """(extra arguments, their declarations, the per-pixel condition) of a mask."""
    if mask is None:
        return (), "", "1"
    return (mask,), ", __global const uchar *mask", "(mask[i] != 0)"


def _chunk_defines(image: backend.DeviceArray, accumulator: str,
                   mask: backend.DeviceArray | None) -> dict[str, object]:
    return {"T": backend.cl_type_name(image.dtype), "ACC": accumulator,
            "ACC_IS_DOUBLE": int(backend.current_device().double_precision),
            "MASKED": int(mask is not None)}


def _chunked(image: backend.DeviceArray, kernel: str, mask: backend.DeviceArray | None,
             accumulator: str, *scalars: object, outputs: tuple[np.dtype, ...]
             ) -> list[np.ndarray]:
    """Run a ``*_chunks`` kernel of statistics.cl (CPUs): one row of partial results
    per chunk of pixels, for each dtype of ``outputs``, read back."""
    chunks, chunk = cpu_chunks(image.size)
    partial = [backend.work_array(chunks, dtype, what="partial results") for dtype in outputs]
    masks = () if kernel == "first_index_chunks" else (image if mask is None else mask,)
    STATISTICS.launch(kernel, (chunks,), image, *masks, np.uint64(image.size),
                      np.uint64(chunk), *scalars, *partial,
                      defines=_chunk_defines(image, accumulator, mask), local_size=(1,))
    return [array.get() for array in partial]


def _count_and_sum(image: backend.DeviceArray,
                   mask: backend.DeviceArray | None = None) -> tuple[int, float]:
    """(pixels counted, their sum): exact for integer images, in the float
    accumulator for float ones."""
    element = backend.cl_type_name(image.dtype)
    extra, declarations, keep = _masked(mask)
    accumulator = "long" if image.dtype.kind in "iu" else _float_accumulator()[0]
    if _on_cpu():
        acc_dtype = np.dtype(np.int64) if accumulator == "long" else _float_accumulator()[1]
        counts, sums = _chunked(image, "sum_chunks", mask, accumulator,
                                outputs=(np.dtype(np.uint64), acc_dtype))
        total = int(sums.sum()) if accumulator == "long" else float(
            sums.astype(np.float64).sum())
        return int(counts.sum()), float(total)
    vector = accumulator + "2"
    result = backend.reduce(
        image, *extra,
        dtype=_vector(accumulator),
        neutral=f"({vector})(0, 0)",
        reduce_expr="a + b",
        map_expr=f"({keep}) ? ({vector})(1, ({accumulator})image[i]) : ({vector})(0, 0)",
        arguments=f"__global const {element} *image{declarations}",
        name="count_and_sum",
        preamble=_preamble(),
    ).get().item()
    count, total = result
    return int(count), float(total)


def _vector(accumulator: str, width: int = 2) -> np.dtype:
    """The numpy dtype of an OpenCL vector of ``width`` of ``accumulator``."""
    scalar = {"double": np.float64, "float": np.float32, "long": np.int64,
              "ulong": np.uint64, "int": np.int32, "uint": np.uint32}[accumulator]
    return backend.vector_dtype(scalar, width)


def _squared_deviations(image: backend.DeviceArray, mean: float,
                        mask: backend.DeviceArray | None = None) -> float:
    """The sum of (pixel - mean)**2 over the (masked) pixels, in the float accumulator."""
    element = backend.cl_type_name(image.dtype)
    extra, declarations, keep = _masked(mask)
    accumulator, dtype = _float_accumulator()
    if _on_cpu():
        (sums,) = _chunked(image, "squared_deviation_chunks", mask, accumulator,
                           dtype.type(mean), outputs=(dtype,))
        return float(sums.astype(np.float64).sum())
    value = backend.reduce(
        image, *extra, dtype.type(mean),
        dtype=dtype,
        neutral="0",
        reduce_expr="a + b",
        map_expr=f"({keep}) ? (({accumulator})image[i] - mean) * "
                 f"(({accumulator})image[i] - mean) : 0",
        arguments=f"__global const {element} *image{declarations}, {accumulator} mean",
        name="squared_deviations",
        preamble=_preamble(),
    )
    return float(value.get())


def _range(image: backend.DeviceArray,
           mask: backend.DeviceArray | None = None) -> tuple[float, float]:
    """(minimum, maximum) of the (masked) pixels; NaN for no pixels."""
    if mask is None:
        low, high = minimum_maximum(image).get().item()
        return float(low), float(high)
    element = backend.cl_type_name(image.dtype)
    pair = element + "2"
    lowest, highest = ("fmin", "fmax") if image.dtype.kind == "f" else ("min", "max")
    if image.dtype.kind == "f":
        largest, smallest = "INFINITY", "-INFINITY"
    else:
        info = np.iinfo(image.dtype)
        largest, smallest = f"(({element}){info.max})", f"(({element}){info.min})"
    low, high = backend.reduce(
        image, mask,
        dtype=backend.vector_dtype(image.dtype, 2),
        neutral=f"({pair})({largest}, {smallest})",
        reduce_expr=f"({pair})({lowest}(a.x, b.x), {highest}(a.y, b.y))",
        map_expr=f"(mask[i] != 0) ? ({pair})(image[i], image[i]) "
                 f": ({pair})({largest}, {smallest})",
        arguments=f"__global const {element} *image, __global const uchar *mask",
        name="masked_minimum_maximum",
    ).get().item()
    if low > high:  # no pixel in the mask
        return math.nan, math.nan
    return float(low), float(high)


def _first_index(image: backend.DeviceArray, value: float) -> int:
    """The smallest raster index of a pixel equal to ``value`` (one of the image's)."""
    if _on_cpu():
        (found,) = _chunked(image, "first_index_chunks", None, "float",
                            image.dtype.type(value), outputs=(np.dtype(np.uint64),))
        return int(found.min())
    element = backend.cl_type_name(image.dtype)
    index = backend.reduce(
        image, image.dtype.type(value),
        dtype=np.uint64,
        neutral="ULONG_MAX",
        reduce_expr="min(a, b)",
        map_expr="image[i] == value ? (ulong)i : ULONG_MAX",
        arguments=f"__global const {element} *image, {element} value",
        name="first_index_of",
    )
    return int(index.get())


def _position(image: backend.DeviceArray, value: float, name: str) -> Table:
    index = _first_index(image, value)
    return {f"{name}-{axis}": np.array([coordinate], np.int64)
            for axis, coordinate in enumerate(np.unravel_index(index, image.shape))}


def _statistics(image: backend.DeviceArray,
                mask: backend.DeviceArray | None = None) -> dict[str, float]:
    count, total = _count_and_sum(image, mask)
    low, high = _range(image, mask)
    if count == 0:
        return dict(zip(STATISTICS_COLUMNS, (0, 0.0, math.nan, math.nan, math.nan, math.nan),
                        strict=True))
    mean = total / count
    deviation = math.sqrt(_squared_deviations(image, mean, mask) / count)
    return dict(zip(STATISTICS_COLUMNS, (count, total, mean, low, high, deviation),
                    strict=True))


def _row(values: dict[str, float]) -> Table:
    """A one-row table: pixel counts and positions int64, the rest float64."""
    return {name: np.array([value], np.int64 if name == "pixel_count" or "position" in name
                           else np.float64) for name, value in values.items()}


@operation(category="Measure", nonfinite=REFUSE_NONFINITE)
def sum_of_all_pixels(image: Image) -> float:
    """The sum of all pixels.

    Parameters
    ----------
    image : Image
        The image, 2D or 3D.

    Returns
    -------
    float
        The sum: exact for integer images (up to 2**53), accumulated in double
        precision for float images.

    See Also
    --------
    numpy.sum : the reference, of the image in float64 (of integer images:
        exactly).

    Examples
    --------
    >>> oclip.sum_of_all_pixels(np.array([[1, 2], [3, 250]], np.uint8))
    256.0
    """
    return _count_and_sum(image)[1]


@operation(category="Measure", nonfinite=REFUSE_NONFINITE)
def mean_of_all_pixels(image: Image) -> float:
    """The mean of all pixels.

    Parameters
    ----------
    image : Image
        The image, 2D or 3D.

    Returns
    -------
    float
        The sum (as :func:`sum_of_all_pixels`) over the pixel count.

    See Also
    --------
    numpy.mean : the reference, of the image in float64.

    Examples
    --------
    >>> oclip.mean_of_all_pixels(np.array([[1, 2], [3, 250]], np.uint8))
    64.0
    """
    count, total = _count_and_sum(image)
    return total / count


@operation(category="Measure", nonfinite=REFUSE_NONFINITE)
def minimum_of_all_pixels(image: Image) -> float:
    """The smallest pixel value.

    Parameters
    ----------
    image : Image
        The image, 2D or 3D.

    Returns
    -------
    float
        The minimum, exactly.

    See Also
    --------
    numpy.min : the reference.

    Examples
    --------
    >>> oclip.minimum_of_all_pixels(np.array([[5, 2], [3, 250]], np.uint8))
    2.0
    """
    return _range(image)[0]


@operation(category="Measure", nonfinite=REFUSE_NONFINITE)
def maximum_of_all_pixels(image: Image) -> float:
    """The largest pixel value.

    Parameters
    ----------
    image : Image
        The image, 2D or 3D.

    Returns
    -------
    float
        The maximum, exactly.

    See Also
    --------
    numpy.max : the reference.

    Examples
    --------
    >>> oclip.maximum_of_all_pixels(np.array([[5, 2], [3, 250]], np.uint8))
    250.0
    """
    return _range(image)[1]


@operation(category="Measure", nonfinite=REFUSE_NONFINITE)
def standard_deviation_of_all_pixels(image: Image) -> float:
    """The standard deviation of all pixels (of the population, ddof=0).

    Two passes on the device: the mean, then the sum of the squared deviations
    from it, in double precision.

    Parameters
    ----------
    image : Image
        The image, 2D or 3D.

    Returns
    -------
    float
        ``sqrt(mean((image - mean(image))**2))``.

    See Also
    --------
    numpy.std : the reference, of the image in float64.

    Examples
    --------
    >>> oclip.standard_deviation_of_all_pixels(np.array([[1, 3], [1, 3]], np.uint8))
    1.0
    """
    return _statistics(image)["standard_deviation"]


@operation(category="Measure", nonfinite=REFUSE_NONFINITE)
def statistics_of_masked_pixels(image: Image, mask: Binary) -> Table:
    """The pixel count, sum, mean, minimum, maximum and standard deviation of the
    pixels where a mask is non-zero, as a one-row table.

    One operation for the five masked statistics: they come from the same
    passes over the image (a count and sum, the range, the squared deviations).

    Parameters
    ----------
    image : Image
        The image, 2D or 3D.
    mask : Binary
        Which pixels (non-zero), of the same shape.

    Returns
    -------
    Table
        One row: ``pixel_count`` (int64), ``sum``, ``mean``, ``minimum``,
        ``maximum``, ``standard_deviation`` (float64; population, ddof=0).  An
        empty mask gives a count and sum of 0 and NaN for the others.

    See Also
    --------
    numpy.sum, numpy.mean, numpy.min, numpy.max, numpy.std : the references, of
        ``image[mask != 0]`` in float64.

    Examples
    --------
    >>> table = oclip.statistics_of_masked_pixels(
    ...     np.array([[1, 2], [3, 4]], np.uint8), np.array([[1, 0], [0, 1]], np.uint8))
    >>> {name: float(column[0]) for name, column in table.items()}
    {'pixel_count': 2.0, 'sum': 5.0, 'mean': 2.5, 'minimum': 1.0, 'maximum': 4.0, \
'standard_deviation': 1.5}
    """
    same_shape("statistics_of_masked_pixels", image, mask, "image", "mask")
    return _row(_statistics(image, mask))


@operation(category="Measure", nonfinite=REFUSE_NONFINITE)
def position_of_maximum(image: Image) -> Table:
    """Where the largest pixel is: the first in raster order, as a one-row table.

    Parameters
    ----------
    image : Image
        The image, 2D or 3D.

    Returns
    -------
    Table
        One row, int64 columns ``position_of_maximum-0`` .. in numpy axis order
        ((z,) y, x).

    See Also
    --------
    numpy.argmax, numpy.unravel_index : the reference,
        ``np.unravel_index(np.argmax(image), image.shape)``.

    Examples
    --------
    >>> oclip.position_of_maximum(np.array([[1, 9], [9, 4]], np.uint8))
    {'position_of_maximum-0': array([0]), 'position_of_maximum-1': array([1])}
    """
    return _position(image, _range(image)[1], "position_of_maximum")


@operation(category="Measure", nonfinite=REFUSE_NONFINITE)
def position_of_minimum(image: Image) -> Table:
    """Where the smallest pixel is: the first in raster order, as a one-row table.

    Parameters
    ----------
    image : Image
        The image, 2D or 3D.

    Returns
    -------
    Table
        One row, int64 columns ``position_of_minimum-0`` .. in numpy axis order
        ((z,) y, x).

    See Also
    --------
    numpy.argmin, numpy.unravel_index : the reference,
        ``np.unravel_index(np.argmin(image), image.shape)``.

    Examples
    --------
    >>> oclip.position_of_minimum(np.array([[5, 9], [1, 1]], np.uint8))
    {'position_of_minimum-0': array([1]), 'position_of_minimum-1': array([0])}
    """
    return _position(image, _range(image)[0], "position_of_minimum")


@operation(category="Measure", nonfinite=REFUSE_NONFINITE)
def center_of_mass(image: Image) -> Table:
    """The intensity-weighted mean pixel coordinates, as a one-row table.

    The weighted coordinate sums are accumulated in double precision on the
    device.

    Parameters
    ----------
    image : Image
        The weights, 2D or 3D.

    Returns
    -------
    Table
        One row, float64 columns ``center_of_mass-0`` .. in numpy axis order
        ((z,) y, x); NaN where the pixels sum to 0.

    See Also
    --------
    scipy.ndimage.center_of_mass : the reference.

    Examples
    --------
    >>> oclip.center_of_mass(np.array([[0, 0], [1, 3]], np.uint8))
    {'center_of_mass-0': array([1.]), 'center_of_mass-1': array([0.75])}
    """
    accumulator, _ = _float_accumulator()
    element = backend.cl_type_name(image.dtype)
    sides = (1,) * (3 - image.ndim) + tuple(image.shape)
    vector = accumulator + "4"
    sums = backend.reduce(
        image, np.uint64(sides[1]), np.uint64(sides[2]),
        dtype=_vector(accumulator, 4),
        neutral=f"({vector})(0, 0, 0, 0)",
        reduce_expr="a + b",
        map_expr=f"({vector})(1, i / (ny * nx), (i / nx) % ny, i % nx) * "
                 f"({accumulator})image[i]",
        arguments=f"__global const {element} *image, ulong ny, ulong nx",
        name="center_of_mass",
        preamble=_preamble(),
    ).get().item()
    total = float(sums[0])
    coordinates = [float(s) / total if total != 0 else math.nan for s in sums[1:]]
    return {f"center_of_mass-{axis}": np.array([value])
            for axis, value in enumerate(coordinates[3 - image.ndim:])}


@operation(category="Measure", nonfinite=REFUSE_NONFINITE)
def mean_squared_error(image1: Image, image2: Image) -> float:
    """The mean of the squared differences of two images.

    Parameters
    ----------
    image1 : Image
        First image, 2D or 3D.
    image2 : Image
        Second image, of the same shape (any dtype).

    Returns
    -------
    float
        ``mean((image1 - image2)**2)``, the differences taken and squared in
        double precision.

    See Also
    --------
    skimage.metrics.mean_squared_error : the reference.

    Examples
    --------
    >>> oclip.mean_squared_error(np.array([[0, 2]], np.uint8), np.array([[1, 0]], np.uint8))
    2.5
    """
    same_shape("mean_squared_error", image1, image2)
    accumulator, dtype = _float_accumulator()
    first, second = (backend.cl_type_name(i.dtype) for i in (image1, image2))
    total = backend.reduce(
        image1, image2,
        dtype=dtype,
        neutral="0",
        reduce_expr="a + b",
        map_expr=f"(({accumulator})image1[i] - ({accumulator})image2[i]) * "
                 f"(({accumulator})image1[i] - ({accumulator})image2[i])",
        arguments=f"__global const {first} *image1, __global const {second} *image2",
        name="squared_error",
        preamble=_preamble(),
    )
    return float(total.get()) / image1.size


@operation(category="Measure", nonfinite=REFUSE_NONFINITE)
def statistics_of_image(image: Image) -> Table:
    """The pixel count, sum, mean, minimum, maximum, standard deviation and the
    positions of the minimum and maximum of an image, as a one-row table.

    The registry has no optional image inputs, so the masked statistics are
    :func:`statistics_of_masked_pixels`.

    Parameters
    ----------
    image : Image
        The image, 2D or 3D.

    Returns
    -------
    Table
        One row: the columns of :func:`statistics_of_masked_pixels` over all
        pixels, then ``position_of_minimum-0`` .. and ``position_of_maximum-0``
        .. (int64, numpy axis order, first in raster order).

    See Also
    --------
    numpy.sum, numpy.mean, numpy.min, numpy.max, numpy.std : the references, of
        the image in float64.
    numpy.argmin, numpy.argmax : the positions, with ``numpy.unravel_index``.

    Examples
    --------
    >>> table = oclip.statistics_of_image(np.array([[1, 3], [1, 3]], np.uint8))
    >>> {name: float(column[0]) for name, column in table.items()}
    {'pixel_count': 4.0, 'sum': 8.0, 'mean': 2.0, 'minimum': 1.0, 'maximum': 3.0, \
'standard_deviation': 1.0, 'position_of_minimum-0': 0.0, 'position_of_minimum-1': 0.0, \
'position_of_maximum-0': 0.0, 'position_of_maximum-1': 1.0}
    """
    values = _statistics(image)
    table = _row(values)
    table.update(_position(image, values["minimum"], "position_of_minimum"))
    table.update(_position(image, values["maximum"], "position_of_maximum"))
    return table


#: Number of bins of a histogram.
_Bins = Annotated[int, Range(1, 65536, 1)]


@operation(category="Measure", nonfinite=REFUSE_NONFINITE)
def histogram(image: Image, bins: _Bins = 256, minimum: float = 0.0,
              maximum: float = 0.0) -> Table:
    """Count the pixels in equal bins between ``minimum`` and ``maximum``.

    As ``numpy.histogram(image, bins, range=(minimum, maximum))``: ``bins``
    equal bins, each holding the pixels ``bin_low <= x < bin_high``, the last
    bin also its upper edge; pixels outside the range are not counted.  The
    edges are numpy's (``numpy.histogram_bin_edges``, computed on the host);
    each pixel finds its bin on the device as numpy does (the equal-width
    formula, corrected by comparisons with the edges), in float64 for integer
    images and float32 for float32 images, as numpy.

    Parameters
    ----------
    image : Image
        The image, 2D or 3D.
    bins : int
        Number of bins, 1 to 65536.
    minimum, maximum : float
        The range of the bins.  Equal values (the default, 0 and 0) take the
        image's own range, as numpy without ``range`` (and numpy's widening by
        0.5 on either side where the image is constant).

    Returns
    -------
    Table
        One row per bin: ``bin_low``, ``bin_high`` (float64, the edges) and
        ``count`` (int64).

    Raises
    ------
    ValueError
        ``minimum`` larger than ``maximum``, or either not finite.

    See Also
    --------
    numpy.histogram : the reference.

    Examples
    --------
    >>> table = oclip.histogram(np.array([[0, 1, 1, 4]], np.uint8), bins=2, minimum=0,
    ...                         maximum=4)
    >>> table["bin_low"], table["bin_high"], table["count"]
    (array([0., 2.]), array([2., 4.]), array([3, 1]))
    """
    if not (math.isfinite(minimum) and math.isfinite(maximum)):
        raise ValueError(f"histogram: 'minimum' ({minimum}) and 'maximum' ({maximum}) "
                         f"must be finite")
    if minimum > maximum:
        raise ValueError(f"histogram: 'minimum' ({minimum}) must not be larger than "
                         f"'maximum' ({maximum})")
    bounds: tuple[Any, Any] = (minimum, maximum)
    if minimum == maximum:  # numpy's range=None: the extremes as scalars of the image's dtype
        bounds = tuple(image.dtype.type(value) for value in _range(image))
    edges = np.histogram_bin_edges(np.zeros(0, image.dtype), bins, range=bounds)
    if edges.dtype == np.float64 and not backend.current_device().double_precision:
        edges = edges.astype(np.float32)  # a device without doubles: float32 edges
    edge = backend.cl_type_name(edges.dtype) if edges.dtype != np.float64 else "double"
    device_edges = backend.work_array(edges.size, edges.dtype, what="the bin edges")
    device_edges.set(edges)  # as they are: push would round float64 to float32
    width = float(edges[-1]) - float(edges[0])
    scale = edges.dtype.type(bins / width if width > 0 else 0.0)
    defines = {"T": backend.cl_type_name(image.dtype), "EDGE": edge,
               "EDGE_IS_DOUBLE": int(edge == "double")}
    if _on_cpu():  # a chunk per work-item, no atomics: partial counts added on the host
        chunks, chunk = cpu_chunks(image.size)
        partial = backend.work_array(chunks * bins, np.uint32, zero=True, what="a histogram")
        STATISTICS.launch("histogram_of_edges_chunks", (chunks,), image,
                          np.uint64(image.size), np.uint64(chunk), device_edges,
                          np.uint32(bins), scale, partial, defines=defines, local_size=(1,))
        counts = partial.get().reshape(chunks, bins).sum(axis=0, dtype=np.int64)
    else:
        device_counts = backend.work_array(bins, np.uint32, zero=True, what="a histogram")
        groups = max(1, min(4 * backend.current_device().compute_units,
                            -(-image.size // 256)))
        STATISTICS.launch("histogram_of_edges", (groups * 256,), image,
                          np.uint64(image.size), device_edges, np.uint32(bins), scale,
                          device_counts, defines=defines, local_size=(256,))
        counts = device_counts.get().astype(np.int64)
    return {"bin_low": edges[:-1].astype(np.float64), "bin_high": edges[1:].astype(np.float64),
            "count": counts}


