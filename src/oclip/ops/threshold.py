"""Thresholding (category "Binarize")."""

from __future__ import annotations

import numpy as np

from .. import _backend as backend
from ._neighbourhood import extremum_separable, per_axis
from ._reductions import THRESHOLD, histogram, minimum_maximum
from ._registry import operation
from ._types import Binary, Image, Radius

SEGMENTATION = "segmentation.cl"

__all__ = [
    "binary_edge_detection",
    "detect_maxima_box",
    "detect_minima_box",
    "threshold_otsu",
]


def _binarize_above(image: backend.DeviceArray, threshold: backend.DeviceArray,
                    defines: dict[str, object]) -> backend.DeviceArray:
    out = backend.create(image.shape, np.uint8)
    backend.launch(THRESHOLD, "greater_than_threshold", (image.size,), image, threshold, out,
                   defines=defines)
    return out


@operation(category="Binarize")
def threshold_otsu(image: Image) -> Binary:
    """Binarize an image with Otsu's threshold.

    The threshold maximises the between-class variance of the image's
    histogram: one bin per value for 8- and 16-bit images, 256 bins between
    the minimum and the maximum otherwise.  Pixels above it become 1.

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


def otsu_binary(image: backend.DeviceArray) -> backend.DeviceArray:
    """``image > Otsu's threshold`` as uint8, on the device (see threshold_otsu)."""
    value_range = minimum_maximum(image)
    counts, bins = histogram(image, value_range)
    defines = bins.defines(image.dtype)
    threshold = backend.create((1,), image.dtype)
    backend.launch(THRESHOLD, "otsu_threshold", (1,), counts, value_range, threshold,
                   defines=defines)
    return _binarize_above(image, threshold, defines)


def local_extrema(image: backend.DeviceArray, which: str, radii: dict[int, int]
                  ) -> backend.DeviceArray:
    """uint8: 1 where a pixel equals the maximum (minimum) of its box."""
    extremum = extremum_separable(image, which, radii)
    out = backend.create(image.shape, np.uint8)
    backend.launch(SEGMENTATION, "equal_images", (image.size,), image, extremum, out,
                   defines={"T_IN": backend.cl_type_name(image.dtype)})
    return out


@operation(category="Binarize")
def detect_maxima_box(image: Image, radius_x: Radius = 1, radius_y: Radius = 1,
                      radius_z: Radius = 1) -> Binary:
    """Mark the pixels that are the maximum of their box neighbourhood.

    A pixel is marked when no pixel of the box of ``2 * radius + 1`` around it
    is larger; borders replicate the edge pixel.  Every pixel of a plateau
    whose value is the maximum of each of its pixels' boxes is marked (so a
    constant image is marked everywhere); NaN pixels are never marked.

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


@operation(category="Binarize")
def detect_minima_box(image: Image, radius_x: Radius = 1, radius_y: Radius = 1,
                      radius_z: Radius = 1) -> Binary:
    """Mark the pixels that are the minimum of their box neighbourhood.

    A pixel is marked when no pixel of the box of ``2 * radius + 1`` around it
    is smaller; borders replicate the edge pixel.  Every pixel of a minimal
    plateau is marked; NaN pixels are never marked.

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
    backend.launch(SEGMENTATION, "inner_edges", (nx, ny, nz), binary, out, 0, nx, ny, nz,
                   defines={"T_IN": "uchar", "BINARY": 1})
    return out
