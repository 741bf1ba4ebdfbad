"""Thresholding (category "Binarize")."""

from __future__ import annotations

from typing import Annotated

import numpy as np

from .. import _backend as backend
from ._neighbourhood import extremum_separable, per_axis
from ._reductions import THRESHOLD, HistogramBins, cpu_chunks, histogram, minimum_maximum
from ._registry import REFUSE_INFINITY, REFUSE_NAN, operation
from ._types import Binary, Image, Radius, Range

BINARIZE = backend.Program("oclip.ops", "binarize.cl")

__all__ = [
    "binary_edge_detection",
    "detect_maxima_box",
    "detect_minima_box",
    "peak_local_max",
    "threshold_isodata",
    "threshold_li",
    "threshold_mean",
    "threshold_otsu",
    "threshold_triangle",
    "threshold_yen",
]


def _binarize_above(image: backend.DeviceArray, threshold: backend.DeviceArray,
                    defines: dict[str, object]) -> backend.DeviceArray:
    out = backend.create(image.shape, np.uint8)
    THRESHOLD.launch("greater_than_threshold", (image.size,), image, threshold, out,
                   defines=defines)
    return out


@operation(category="Binarize", nonfinite=REFUSE_INFINITY)
def threshold_otsu(image: Image) -> Binary:
    """Binarize an image with Otsu's threshold.

    The threshold maximises the between-class variance of the image's
    histogram: one bin per value for 8- and 16-bit images, 256 bins between
    the minimum and the maximum otherwise.  Pixels above it become 1.  NaN
    pixels are ignored and stay 0; an image holding +-inf is refused
    (ValueError): the histogram needs a finite range.

    Parameters
    ----------
    image : Image
        The image to binarize, 2D or 3D.

    Returns
    -------
    Binary
        uint8 image, 1 where ``image > threshold``.

    See Also
    --------
    skimage.filters.threshold_otsu : the reference threshold (with its
        default 256 bins); the result equals ``image > threshold``.

    References
    ----------
    N. Otsu, "A threshold selection method from gray-level histograms",
    IEEE Trans. Syst. Man Cybern. 9 (1979), 62-66.
    """
    return otsu_binary(image)


def histogram_binary(image: backend.DeviceArray, method: str) -> backend.DeviceArray:
    """``image > threshold`` as uint8, the threshold computed on the device from the
    histogram by the kernel ``{method}_threshold`` of threshold.cl."""
    value_range = minimum_maximum(image)
    counts, bins = histogram(image, value_range)
    defines = bins.defines(image.dtype)
    threshold = backend.create((1,), image.dtype)
    THRESHOLD.launch(f"{method}_threshold", (1,), counts, value_range, threshold,
                   defines=defines)
    return _binarize_above(image, threshold, defines)


def otsu_binary(image: backend.DeviceArray) -> backend.DeviceArray:
    """``image > Otsu's threshold`` as uint8, on the device (see threshold_otsu)."""
    return histogram_binary(image, "otsu")


_HISTOGRAM_NOTE = """
    The threshold is computed on the device from the image's histogram: one
    bin per value for 8- and 16-bit images (as scikit-image), 256 bins
    between the minimum and the maximum otherwise; pixels above it become 1.
    NaN pixels are ignored and stay 0; an image holding +-inf is refused
    (ValueError): the histogram needs a finite range."""


@operation(category="Binarize", nonfinite=REFUSE_INFINITY)
def threshold_isodata(image: Image) -> Binary:
    """Binarize an image with the isodata (Ridler-Calvard) threshold.

    The threshold t is the first bin centre for which the mean of the pixels
    at or below t and the mean of those above t average to t (within one
    bin width).

    Parameters
    ----------
    image : Image
        The image to binarize, 2D or 3D.

    Returns
    -------
    Binary
        uint8 image, 1 where ``image > threshold``.

    See Also
    --------
    skimage.filters.threshold_isodata : the reference threshold (default 256
        bins); the result equals ``image > threshold`` within one bin.

    Notes
    -----{note}

    References
    ----------
    T. W. Ridler and S. Calvard, "Picture thresholding using an iterative
    selection method", IEEE Trans. Syst. Man Cybern. 8 (1978), 630-632.
    """
    return histogram_binary(image, "isodata")


@operation(category="Binarize", nonfinite=REFUSE_INFINITY)
def threshold_li(image: Image) -> Binary:
    """Binarize an image with Li's minimum cross-entropy threshold.

    Li's iteration ``t <- (m_b - m_f) / (log m_b - log m_f)`` (m_b, m_f the
    means of the pixels at or below t and above t, on values shifted to
    start at 0) starts at the mean and runs on the histogram until t moves by
    at most half a bin.

    Parameters
    ----------
    image : Image
        The image to binarize, 2D or 3D.

    Returns
    -------
    Binary
        uint8 image, 1 where ``image > threshold``.

    See Also
    --------
    skimage.filters.threshold_li : the reference, which iterates on the
        pixels of float images (on the histogram of integer images, as here):
        for float images the thresholds agree within one bin.

    Notes
    -----{note}

    References
    ----------
    C. H. Li and P. K. S. Tam, "An iterative algorithm for minimum cross
    entropy thresholding", Pattern Recognit. Lett. 19 (1998), 771-776.
    """
    return histogram_binary(image, "li")


@operation(category="Binarize", nonfinite=REFUSE_INFINITY)
def threshold_triangle(image: Image) -> Binary:
    """Binarize an image with the triangle threshold.

    The threshold is the bin farthest below the straight line from the
    histogram's peak to the end of its longer tail (suited to one bright or
    dark population on a large background).

    Parameters
    ----------
    image : Image
        The image to binarize, 2D or 3D.

    Returns
    -------
    Binary
        uint8 image, 1 where ``image > threshold``.

    See Also
    --------
    skimage.filters.threshold_triangle : the reference threshold (default 256
        bins); the result equals ``image > threshold`` within one bin.

    Notes
    -----{note}

    References
    ----------
    G. W. Zack, W. E. Rogers and S. A. Latt, "Automatic measurement of sister
    chromatid exchange frequency", J. Histochem. Cytochem. 25 (1977), 741-753.
    """
    return histogram_binary(image, "triangle")


@operation(category="Binarize", nonfinite=REFUSE_INFINITY)
def threshold_yen(image: Image) -> Binary:
    """Binarize an image with Yen's threshold.

    The threshold maximises Yen's entropic correlation criterion
    ``log((P (1 - P))**2 / (S_low S_high))``, with P the cumulative
    probability up to the bin and S the sums of squared probabilities below
    and above it.

    Parameters
    ----------
    image : Image
        The image to binarize, 2D or 3D.

    Returns
    -------
    Binary
        uint8 image, 1 where ``image > threshold``.

    See Also
    --------
    skimage.filters.threshold_yen : the reference threshold (default 256
        bins); the result equals ``image > threshold`` within one bin.

    Notes
    -----{note}

    References
    ----------
    J.-C. Yen, F.-J. Chang and S. Chang, "A new criterion for automatic
    multilevel thresholding", IEEE Trans. Image Process. 4 (1995), 370-378.
    """
    return histogram_binary(image, "yen")


for _function in (threshold_isodata, threshold_li, threshold_triangle, threshold_yen):
    if _function.__doc__:  # None under python -OO
        _function.__doc__ = _function.__doc__.replace("{note}", _HISTOGRAM_NOTE)


def image_sum(image: backend.DeviceArray) -> backend.DeviceArray:
    """The sum of an image as a device scalar, accumulated in double where the
    device has it (float otherwise)."""
    device = backend.current_device()
    acc = "double" if device.double_precision else "float"
    preamble = "#pragma OPENCL EXTENSION cl_khr_fp64 : enable\n" if acc == "double" else ""
    return backend.reduce(
        image, dtype=np.float64 if acc == "double" else np.float32,
        neutral="0", reduce_expr="a + b", map_expr=f"({acc})image[i]",
        arguments=f"__global const {backend.cl_type_name(image.dtype)} *image",
        name="image_sum", preamble=preamble)


@operation(category="Binarize")
def threshold_mean(image: Image) -> Binary:
    """Binarize an image at its mean intensity.

    Parameters
    ----------
    image : Image
        The image to binarize, 2D or 3D.

    Returns
    -------
    Binary
        uint8 image, 1 where ``image > mean``; all 0 if the image holds NaN.

    See Also
    --------
    skimage.filters.threshold_mean : the reference threshold, ``numpy.mean(image)``
        (summed on the device in double precision where available).
    """
    bins = HistogramBins.for_dtype(image.dtype)
    defines = bins.defines(image.dtype)
    threshold = backend.create((1,), image.dtype)
    if backend.current_device().type == "CPU":  # chunks summed by one work-item each
        chunks, chunk = cpu_chunks(image.size)
        partial = backend.work_array(
            chunks, np.float64 if defines["ACC"] == "double" else np.float32,
            what="partial sums")
        THRESHOLD.launch("sum_chunks", (chunks,), image, np.uint64(image.size),
                       np.uint64(chunk), partial, defines=defines, local_size=(1,))
        THRESHOLD.launch("mean_of_chunks", (1,), partial, chunks,
                       np.uint64(image.size), threshold, defines=defines)
    else:
        THRESHOLD.launch("mean_threshold", (1,), image_sum(image),
                       np.uint64(image.size), threshold, defines=defines)
    return _binarize_above(image, threshold, defines)


def local_extrema(image: backend.DeviceArray, which: str, radii: dict[int, int]
                  ) -> backend.DeviceArray:
    """uint8: 1 where a pixel equals the maximum (minimum) of its box."""
    extremum = extremum_separable(image, which, radii)
    out = backend.create(image.shape, np.uint8)
    BINARIZE.launch("equal_images", (image.size,), image, extremum, out,
                    defines={"T_IN": backend.cl_type_name(image.dtype)})
    return out


@operation(category="Binarize", nonfinite=REFUSE_NAN)
def detect_maxima_box(image: Image, radius_x: Radius = 1, radius_y: Radius = 1,
                      radius_z: Radius = 1) -> Binary:
    """Mark the pixels that are the maximum of their box neighbourhood.

    A pixel is marked when no pixel of the box of ``2 * radius + 1`` around it
    is larger; borders replicate the edge pixel.  Every pixel of a plateau
    whose value is the maximum of each of its pixels' boxes is marked (so a
    constant image is marked everywhere).  An image holding NaN is refused
    (ValueError): no pixel is the maximum of a window holding NaN.

    Parameters
    ----------
    image : Image
        The image to search, 2D or 3D.
    radius_x : int
        Half-width of the box along x.
    radius_y : int
        Half-width of the box along y.
    radius_z : int
        Half-width of the box along z; ignored for 2D images.

    Returns
    -------
    Binary
        uint8 image, 1 at the local maxima.

    See Also
    --------
    scipy.ndimage.maximum_filter : the result equals
        ``maximum_filter(image, size=2 * radius + 1, mode="nearest") == image``.
    skimage.feature.peak_local_max : finds isolated peaks instead (it
        excludes borders and thins plateaus).
    """
    return local_extrema(image, "maximum", per_axis(image, radius_x, radius_y, radius_z))


def spaced_peaks(values: np.ndarray, candidates: np.ndarray, min_distance: int) -> np.ndarray:
    """The candidates (boolean image) kept greedily, the highest value first (ties in
    raster order), each dropping the later ones closer than ``min_distance`` along
    every axis (Chebyshev distance): a boolean image."""
    coordinates = np.argwhere(candidates)
    order = np.argsort(-values[candidates].astype(np.float64), kind="stable")
    kept = np.zeros(values.shape, bool)
    # pixels closer than min_distance to a kept peak
    blocked = np.zeros(values.shape, bool)
    reach = min_distance - 1
    for point in coordinates[order]:
        where = tuple(point)
        if blocked[where]:
            continue
        kept[where] = True
        blocked[tuple(slice(max(c - reach, 0), c + reach + 1) for c in point)] = True
    return kept


@operation(category="Binarize", nonfinite=REFUSE_NAN)
def peak_local_max(image: Image, min_distance: Annotated[int, Range(0, 1000, 1)] = 1,
                   threshold_abs: float = 0.0, exclude_border: bool = True) -> Binary:
    """Mark the peaks: local maxima above a threshold, at least ``min_distance`` apart.

    As scikit-image's ``peak_local_max``: the candidates are the pixels equal to
    the maximum of their box of ``2 * min_distance + 1`` (borders replicate the
    edge pixel; found on the device, as ``detect_maxima_box``) and above
    ``threshold_abs``; none if every pixel is such a maximum (a constant
    image).  With ``exclude_border``, candidates within ``min_distance`` of
    the border are dropped.  Then, highest first (ties in raster order), each
    kept peak drops the candidates closer than ``min_distance`` along every
    axis (plateaus keep one pixel per ``min_distance``).  With
    ``min_distance`` 0 the peaks are all the pixels above ``threshold_abs``.
    The result is a binary image rather than scikit-image's coordinates:
    ``numpy.argwhere(result)`` gives those, (n, ndim) in (z, y, x) order as
    napari Points take them, in raster order.  An image holding NaN is
    refused (ValueError).

    Parameters
    ----------
    image : Image
        The image to search, 2D or 3D.
    min_distance : int
        Smallest distance between peaks along any axis (Chebyshev distance),
        and the radius of the box of the local maxima.
    threshold_abs : float
        Peaks are above this value.
    exclude_border : bool
        Drop peaks within ``min_distance`` of the border.

    Returns
    -------
    Binary
        uint8 image, 1 at the peaks.

    See Also
    --------
    skimage.feature.peak_local_max : the reference, with ``min_distance``,
        ``threshold_abs``, ``exclude_border`` and ``p_norm=numpy.inf``: its
        coordinates are ``numpy.argwhere(result)`` (in another order).

    Examples
    --------
    >>> image = np.zeros((7, 7), np.float32)
    >>> image[3, 2], image[3, 4] = 1.5, 1
    >>> np.argwhere(oclip.peak_local_max(image, min_distance=1)).tolist()
    [[3, 2], [3, 4]]
    >>> np.argwhere(oclip.peak_local_max(image, min_distance=2)).tolist()
    [[3, 2]]
    """
    values = backend.pull(image)
    if image.size == 1 or min_distance == 0:
        found = values > threshold_abs
    else:
        radii = per_axis(image, min_distance, min_distance, min_distance)
        maxima = backend.pull(local_extrema(image, "maximum", radii)).astype(bool)
        if maxima.all():
            found = np.zeros(values.shape, bool)
        else:
            found = maxima & (values > threshold_abs)
            if exclude_border:
                inner = tuple(slice(min_distance, max(n - min_distance, min_distance))
                              for n in values.shape)
                border = np.ones(values.shape, bool)
                border[inner] = False
                found[border] = False
            if min_distance > 1:
                found = spaced_peaks(values, found, min_distance)
    return backend.push(found.astype(np.uint8))


@operation(category="Binarize", nonfinite=REFUSE_NAN)
def detect_minima_box(image: Image, radius_x: Radius = 1, radius_y: Radius = 1,
                      radius_z: Radius = 1) -> Binary:
    """Mark the pixels that are the minimum of their box neighbourhood.

    A pixel is marked when no pixel of the box of ``2 * radius + 1`` around it
    is smaller; borders replicate the edge pixel.  Every pixel of a minimal
    plateau is marked.  An image holding NaN is refused (ValueError).

    Parameters
    ----------
    image : Image
        The image to search, 2D or 3D.
    radius_x : int
        Half-width of the box along x.
    radius_y : int
        Half-width of the box along y.
    radius_z : int
        Half-width of the box along z; ignored for 2D images.

    Returns
    -------
    Binary
        uint8 image, 1 at the local minima.

    See Also
    --------
    scipy.ndimage.minimum_filter : the result equals
        ``minimum_filter(image, size=2 * radius + 1, mode="nearest") == image``.
    """
    return local_extrema(image, "minimum", per_axis(image, radius_x, radius_y, radius_z))


@operation(category="Binarize")
def binary_edge_detection(binary: Binary) -> Binary:
    """Mark the foreground pixels that touch the background.

    A foreground pixel is an edge pixel when one of its face neighbours (4 in
    2D, 6 in 3D) is background.  Pixels outside the image do not count: the
    border replicates the edge pixel, so an object is not cut open where it
    meets the image border.

    Parameters
    ----------
    binary : Binary
        Foreground is every non-zero pixel.

    Returns
    -------
    Binary
        uint8 image, 1 on the inner edge of the foreground.

    See Also
    --------
    skimage.segmentation.find_boundaries : the result equals
        ``find_boundaries(binary, connectivity=1, mode="inner")``, which is
        ``binary & ~scipy.ndimage.binary_erosion(binary, border_value=1)``.
    """
    nx, ny, nz = backend.grid(binary.shape)
    out = backend.create(binary.shape, np.uint8)
    BINARIZE.launch("inner_edges", (nx, ny, nz), binary, out, 0, nx, ny, nz,
                    defines={"T_IN": "uchar", "BINARY": 1})
    return out
