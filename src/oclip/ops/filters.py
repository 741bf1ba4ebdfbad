"""Smoothing, rank filters and local statistics over box and ellipsoid windows.

Categories "Remove noise" (smoothing, minimum, maximum, median, mode) and
"Filter" (local variance and standard deviation; correlation with a kernel
image, template matching).  "box" windows are
rectangular, of ``2 * radius + 1`` pixels per axis; "sphere" windows are the
ellipsoid of the radii (``_neighbourhood.ellipsoid_footprint``).
"""

from __future__ import annotations

import numpy as np

from .. import _backend as backend
from ._correlate import correlate_window
from ._neighbourhood import (
    box_weights,
    check_window_table,
    convolve_separable,
    extremum_separable,
    extremum_sphere,
    gaussian_weights,
    moments_separable,
    per_axis,
    rank_filter,
    sphere_filter,
    window_size,
)
from ._neighbourhood import mean_sphere as mean_sphere_filter
from ._registry import REFUSE_NAN, REFUSE_NONFINITE, operation, radius_halo, sigma_halo
from ._types import Image, Labels, Radius, Sigma

__all__ = [
    "convolve",
    "gaussian_blur",
    "match_template",
    "maximum_box",
    "maximum_sphere",
    "mean_box",
    "mean_sphere",
    "median_box",
    "median_sphere",
    "minimum_box",
    "minimum_sphere",
    "mode_box",
    "mode_sphere",
    "standard_deviation_box",
    "standard_deviation_sphere",
    "variance_box",
    "variance_sphere",
]


@operation(category="Remove noise", halo=sigma_halo)
def gaussian_blur(image: Image, sigma_x: Sigma = 1.0, sigma_y: Sigma = 1.0,
                  sigma_z: Sigma = 0.0) -> Image:
    """Blur an image with a Gaussian kernel.

    The kernel is truncated at 4 sigma, like scipy's; borders replicate the
    edge pixel.

    Parameters
    ----------
    image : Image
        The image to blur, 2D or 3D.
    sigma_x : float
        Standard deviation along x, in pixels; 0 leaves x alone.
    sigma_y : float
        Standard deviation along y, in pixels; 0 leaves y alone.
    sigma_z : float
        Standard deviation along z, in pixels; ignored for 2D images.

    Returns
    -------
    Image
        float32 image of the same shape.

    See Also
    --------
    scipy.ndimage.gaussian_filter : the reference, with ``mode="nearest"``.
    """
    sigmas = per_axis(image, sigma_x, sigma_y, sigma_z)
    weights = {axis: gaussian_weights(s) for axis, s in sigmas.items() if s > 0}
    return convolve_separable(image, weights)


@operation(category="Remove noise", halo=radius_halo)
def mean_box(image: Image, radius_x: Radius = 1, radius_y: Radius = 1,
             radius_z: Radius = 0) -> Image:
    """Average each pixel's box neighbourhood.

    Parameters
    ----------
    image : Image
        The image to smooth, 2D or 3D.
    radius_x : int
        Half-width of the box along x: the box is ``2 * radius_x + 1`` wide.
    radius_y : int
        Half-width of the box along y.
    radius_z : int
        Half-width of the box along z; ignored for 2D images.

    Returns
    -------
    Image
        float32 image of the same shape.

    See Also
    --------
    scipy.ndimage.uniform_filter : the reference, with ``size = 2 * radius + 1``
        and ``mode="nearest"``.
    """
    radii = per_axis(image, radius_x, radius_y, radius_z)
    return convolve_separable(image, {a: box_weights(r) for a, r in radii.items() if r > 0})


@operation(category="Remove noise", halo=radius_halo, nonfinite=REFUSE_NAN)
def minimum_box(image: Image, radius_x: Radius = 1, radius_y: Radius = 1,
                radius_z: Radius = 0) -> Image:
    """Replace each pixel by the minimum of its box neighbourhood (grey erosion).

    Parameters
    ----------
    image : Image
        The image to filter, 2D or 3D.
    radius_x : int
        Half-width of the box along x: the box is ``2 * radius_x + 1`` wide.
    radius_y : int
        Half-width of the box along y.
    radius_z : int
        Half-width of the box along z; ignored for 2D images.

    Returns
    -------
    Image
        Image of the same shape and dtype.

    See Also
    --------
    scipy.ndimage.minimum_filter : the reference, with ``size = 2 * radius + 1``
        and ``mode="nearest"``.
    """
    return extremum_separable(image, "minimum", per_axis(image, radius_x, radius_y, radius_z))


@operation(category="Remove noise", halo=radius_halo, nonfinite=REFUSE_NAN)
def maximum_box(image: Image, radius_x: Radius = 1, radius_y: Radius = 1,
                radius_z: Radius = 0) -> Image:
    """Replace each pixel by the maximum of its box neighbourhood (grey dilation).

    Parameters
    ----------
    image : Image
        The image to filter, 2D or 3D.
    radius_x : int
        Half-width of the box along x: the box is ``2 * radius_x + 1`` wide.
    radius_y : int
        Half-width of the box along y.
    radius_z : int
        Half-width of the box along z; ignored for 2D images.

    Returns
    -------
    Image
        Image of the same shape and dtype.

    See Also
    --------
    scipy.ndimage.maximum_filter : the reference, with ``size = 2 * radius + 1``
        and ``mode="nearest"``.
    """
    return extremum_separable(image, "maximum", per_axis(image, radius_x, radius_y, radius_z))


@operation(category="Remove noise", halo=radius_halo, nonfinite=REFUSE_NAN)
def minimum_sphere(image: Image, radius_x: Radius = 1, radius_y: Radius = 1,
                   radius_z: Radius = 0) -> Image:
    """Replace each pixel by the minimum of its ellipsoidal neighbourhood (grey erosion).

    The neighbourhood holds the offsets with
    ``(dx/radius_x)**2 + (dy/radius_y)**2 + (dz/radius_z)**2 <= 1`` (an axis of
    radius 0 contributes only offset 0): a disk or ball for equal radii.

    Parameters
    ----------
    image : Image
        The image to filter, 2D or 3D.
    radius_x : int
        Radius of the ellipsoid along x.
    radius_y : int
        Radius of the ellipsoid along y.
    radius_z : int
        Radius of the ellipsoid along z; ignored for 2D images.

    Returns
    -------
    Image
        Image of the same shape and dtype.

    See Also
    --------
    scipy.ndimage.minimum_filter : the reference, with ``footprint`` the
        ellipsoid (``skimage.morphology.disk`` / ``ball`` for equal radii) and
        ``mode="nearest"``.
    """
    return extremum_sphere(image, "minimum", per_axis(image, radius_x, radius_y, radius_z),
                           operation="minimum_sphere")


@operation(category="Remove noise", halo=radius_halo, nonfinite=REFUSE_NAN)
def maximum_sphere(image: Image, radius_x: Radius = 1, radius_y: Radius = 1,
                   radius_z: Radius = 0) -> Image:
    """Replace each pixel by the maximum of its ellipsoidal neighbourhood (grey dilation).

    The neighbourhood is the ellipsoid of ``minimum_sphere``.

    Parameters
    ----------
    image : Image
        The image to filter, 2D or 3D.
    radius_x : int
        Radius of the ellipsoid along x.
    radius_y : int
        Radius of the ellipsoid along y.
    radius_z : int
        Radius of the ellipsoid along z; ignored for 2D images.

    Returns
    -------
    Image
        Image of the same shape and dtype.

    See Also
    --------
    scipy.ndimage.maximum_filter : the reference, with ``footprint`` the
        ellipsoid and ``mode="nearest"``.
    """
    return extremum_sphere(image, "maximum", per_axis(image, radius_x, radius_y, radius_z),
                           operation="maximum_sphere")


@operation(category="Remove noise", halo=radius_halo)
def mean_sphere(image: Image, radius_x: Radius = 1, radius_y: Radius = 1,
                radius_z: Radius = 0) -> Image:
    """Average each pixel's ellipsoidal neighbourhood.

    The neighbourhood is the ellipsoid of ``minimum_sphere``; borders
    replicate the edge pixel.

    Parameters
    ----------
    image : Image
        The image to smooth, 2D or 3D.
    radius_x : int
        Radius of the ellipsoid along x.
    radius_y : int
        Radius of the ellipsoid along y.
    radius_z : int
        Radius of the ellipsoid along z; ignored for 2D images.

    Returns
    -------
    Image
        float32 image of the same shape.

    See Also
    --------
    scipy.ndimage.correlate : the reference, with the ellipsoid footprint
        divided by its number of pixels as weights and ``mode="nearest"``.
    """
    return mean_sphere_filter(image, per_axis(image, radius_x, radius_y, radius_z),
                              operation="mean_sphere")


@operation(category="Remove noise", halo=radius_halo, nonfinite=REFUSE_NAN)
def median_box(image: Image, radius_x: Radius = 1, radius_y: Radius = 1,
               radius_z: Radius = 0) -> Image:
    """Replace each pixel by the median of its box neighbourhood.

    Exact for every dtype; the window may hold at most 1024 pixels (e.g.
    radius 4 in 3D, 15 in 2D).

    Parameters
    ----------
    image : Image
        The image to filter, 2D or 3D.
    radius_x : int
        Half-width of the box along x: the box is ``2 * radius_x + 1`` wide.
    radius_y : int
        Half-width of the box along y.
    radius_z : int
        Half-width of the box along z; ignored for 2D images.

    Returns
    -------
    Image
        Image of the same shape and dtype.

    Raises
    ------
    ValueError
        If the box holds more than 1024 pixels.

    See Also
    --------
    scipy.ndimage.median_filter : the reference, with ``size = 2 * radius + 1``
        and ``mode="nearest"``.
    """
    radii = per_axis(image, radius_x, radius_y, radius_z)
    return rank_filter(image, "median", radii, "box", "median_box")


@operation(category="Remove noise", halo=radius_halo, nonfinite=REFUSE_NAN)
def median_sphere(image: Image, radius_x: Radius = 1, radius_y: Radius = 1,
                  radius_z: Radius = 0) -> Image:
    """Replace each pixel by the median of its ellipsoidal neighbourhood.

    The neighbourhood is the ellipsoid of ``minimum_sphere``; it may hold at
    most 1024 pixels (e.g. radius 6 in 3D, 18 in 2D).

    Parameters
    ----------
    image : Image
        The image to filter, 2D or 3D.
    radius_x : int
        Radius of the ellipsoid along x.
    radius_y : int
        Radius of the ellipsoid along y.
    radius_z : int
        Radius of the ellipsoid along z; ignored for 2D images.

    Returns
    -------
    Image
        Image of the same shape and dtype.

    Raises
    ------
    ValueError
        If the ellipsoid holds more than 1024 pixels.

    See Also
    --------
    scipy.ndimage.median_filter : the reference, with ``footprint`` the
        ellipsoid and ``mode="nearest"``.
    """
    radii = per_axis(image, radius_x, radius_y, radius_z)
    return rank_filter(image, "median", radii, "sphere", "median_sphere")


@operation(category="Remove noise", halo=radius_halo)
def mode_box(labels: Labels, radius_x: Radius = 1, radius_y: Radius = 1,
             radius_z: Radius = 0) -> Labels:
    """Replace each label by the most frequent label of its box neighbourhood.

    Smooths the outlines of labelled objects; background (0) counts like any
    label.  Where several labels are equally frequent, the smallest wins.
    Labels keep their numbers: an object that vanishes leaves a gap in the
    numbering.  The window may hold at most 1024 pixels.

    Parameters
    ----------
    labels : Labels
        The label image to filter, 2D or 3D.
    radius_x : int
        Half-width of the box along x: the box is ``2 * radius_x + 1`` wide.
    radius_y : int
        Half-width of the box along y.
    radius_z : int
        Half-width of the box along z; ignored for 2D images.

    Returns
    -------
    Labels
        uint32 label image of the same shape.

    Raises
    ------
    ValueError
        If the box holds more than 1024 pixels.

    See Also
    --------
    scipy.ndimage.generic_filter : the reference, with a function that returns
        the smallest of the most frequent values, ``size = 2 * radius + 1``
        and ``mode="nearest"``.
    skimage.filters.rank.majority : the same rule, with borders that count
        only the pixels inside the image.
    """
    radii = per_axis(labels, radius_x, radius_y, radius_z)
    return rank_filter(labels, "mode", radii, "box", "mode_box")


@operation(category="Remove noise", halo=radius_halo)
def mode_sphere(labels: Labels, radius_x: Radius = 1, radius_y: Radius = 1,
                radius_z: Radius = 0) -> Labels:
    """Replace each label by the most frequent label of its ellipsoidal neighbourhood.

    As ``mode_box`` (the smallest of equally frequent labels wins; labels keep
    their numbers) over the ellipsoid of ``minimum_sphere``, which may hold at
    most 1024 pixels.

    Parameters
    ----------
    labels : Labels
        The label image to filter, 2D or 3D.
    radius_x : int
        Radius of the ellipsoid along x.
    radius_y : int
        Radius of the ellipsoid along y.
    radius_z : int
        Radius of the ellipsoid along z; ignored for 2D images.

    Returns
    -------
    Labels
        uint32 label image of the same shape.

    Raises
    ------
    ValueError
        If the ellipsoid holds more than 1024 pixels.

    See Also
    --------
    scipy.ndimage.generic_filter : the reference, with a function that returns
        the smallest of the most frequent values, ``footprint`` the ellipsoid
        and ``mode="nearest"``.
    """
    radii = per_axis(labels, radius_x, radius_y, radius_z)
    return rank_filter(labels, "mode", radii, "sphere", "mode_sphere")


@operation(category="Filter", halo=radius_halo)
def variance_box(image: Image, radius_x: Radius = 1, radius_y: Radius = 1,
                 radius_z: Radius = 0) -> Image:
    """Compute the variance of each pixel's box neighbourhood.

    The population variance ``mean((v - mean(v))**2)`` of the window's values
    ``v``, computed from deviations (not as ``mean(v**2) - mean(v)**2``, which
    loses the variance of a bright, flat region to rounding).

    Parameters
    ----------
    image : Image
        The image, 2D or 3D.
    radius_x : int
        Half-width of the box along x: the box is ``2 * radius_x + 1`` wide.
    radius_y : int
        Half-width of the box along y.
    radius_z : int
        Half-width of the box along z; ignored for 2D images.

    Returns
    -------
    Image
        float32 image of the same shape.

    See Also
    --------
    scipy.ndimage.generic_filter : the reference, with ``numpy.var``,
        ``size = 2 * radius + 1`` and ``mode="nearest"``.
    """
    radii = per_axis(image, radius_x, radius_y, radius_z)
    return moments_separable(image, "variance", radii)


@operation(category="Filter", halo=radius_halo)
def variance_sphere(image: Image, radius_x: Radius = 1, radius_y: Radius = 1,
                    radius_z: Radius = 0) -> Image:
    """Compute the variance of each pixel's ellipsoidal neighbourhood.

    The population variance (as ``variance_box``) over the ellipsoid of
    ``minimum_sphere``.

    Parameters
    ----------
    image : Image
        The image, 2D or 3D.
    radius_x : int
        Radius of the ellipsoid along x.
    radius_y : int
        Radius of the ellipsoid along y.
    radius_z : int
        Radius of the ellipsoid along z; ignored for 2D images.

    Returns
    -------
    Image
        float32 image of the same shape.

    See Also
    --------
    scipy.ndimage.generic_filter : the reference, with ``numpy.var``,
        ``footprint`` the ellipsoid and ``mode="nearest"``.
    """
    radii = per_axis(image, radius_x, radius_y, radius_z)
    check_window_table(radii, operation="variance_sphere")
    return sphere_filter(image, "variance_window", radii, np.float32,
                         float(window_size(radii)), static=True, vector=True,
                         operation="variance_sphere")


@operation(category="Filter", halo=radius_halo)
def standard_deviation_box(image: Image, radius_x: Radius = 1, radius_y: Radius = 1,
                           radius_z: Radius = 0) -> Image:
    """Compute the standard deviation of each pixel's box neighbourhood.

    The square root of ``variance_box``: the population standard deviation.

    Parameters
    ----------
    image : Image
        The image, 2D or 3D.
    radius_x : int
        Half-width of the box along x: the box is ``2 * radius_x + 1`` wide.
    radius_y : int
        Half-width of the box along y.
    radius_z : int
        Half-width of the box along z; ignored for 2D images.

    Returns
    -------
    Image
        float32 image of the same shape.

    See Also
    --------
    scipy.ndimage.generic_filter : the reference, with ``numpy.std``,
        ``size = 2 * radius + 1`` and ``mode="nearest"``.
    """
    radii = per_axis(image, radius_x, radius_y, radius_z)
    return moments_separable(image, "standard_deviation", radii)


@operation(category="Filter", halo=radius_halo)
def standard_deviation_sphere(image: Image, radius_x: Radius = 1, radius_y: Radius = 1,
                              radius_z: Radius = 0) -> Image:
    """Compute the standard deviation of each pixel's ellipsoidal neighbourhood.

    The square root of ``variance_sphere``: the population standard deviation
    over the ellipsoid of ``minimum_sphere``.

    Parameters
    ----------
    image : Image
        The image, 2D or 3D.
    radius_x : int
        Radius of the ellipsoid along x.
    radius_y : int
        Radius of the ellipsoid along y.
    radius_z : int
        Radius of the ellipsoid along z; ignored for 2D images.

    Returns
    -------
    Image
        float32 image of the same shape.

    See Also
    --------
    scipy.ndimage.generic_filter : the reference, with ``numpy.std``,
        ``footprint`` the ellipsoid and ``mode="nearest"``.
    """
    radii = per_axis(image, radius_x, radius_y, radius_z)
    check_window_table(radii, operation="standard_deviation_sphere")
    return sphere_filter(image, "standard_deviation_window", radii, np.float32,
                         float(window_size(radii)), static=True, vector=True,
                         operation="standard_deviation_sphere")


# --- windows given by an image: kernels and templates -----------------------------------

@operation(category="Filter")
def convolve(image: Image, kernel: Image) -> Image:
    """Convolve an image with a kernel image.

    ``result[i] = sum over j of kernel[j] * image[i - j + c]``, with ``c`` the
    kernel's centre: its middle element, for an even side the one after the
    middle (as scipy's ``convolve``).  Borders replicate the edge pixel.  The
    kernel may have any size (even sides included) and fewer dimensions than
    the image (a 2D kernel convolves each plane of a 3D image); its values are
    taken as float32, and its zero weights take no pixel in (NaN included), as
    scipy's.  The sums are float32: the result is within a few float32
    roundings of ``sum |kernel| |image|``.  The window's size comes from the
    kernel image, so the operation is not local (never tiled).

    Parameters
    ----------
    image : Image
        The image to convolve, 2D or 3D.
    kernel : Image
        The weights, of the image's dimensions or fewer.

    Returns
    -------
    Image
        float32 image of the same shape.

    Raises
    ------
    ValueError
        If the kernel has more dimensions than the image.

    See Also
    --------
    scipy.ndimage.convolve : the reference, with ``mode="nearest"``;
        ``scipy.ndimage.correlate`` is this with the kernel flipped.

    Examples
    --------
    >>> image = np.array([[0, 0, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0]], np.float32)
    >>> oclip.convolve(image, np.array([[1, 2, 3]], np.float32))
    array([[0., 0., 0., 0.],
           [0., 1., 2., 3.],
           [0., 0., 0., 0.]], dtype=float32)
    """
    if kernel.ndim > image.ndim:
        raise ValueError(f"convolve: kernel has {kernel.ndim} dimensions, more than the "
                         f"image's {image.ndim}")
    weights = backend.pull(kernel).astype(np.float64)
    flipped = weights[(slice(None, None, -1),) * weights.ndim]
    # scipy: the flipped kernel, its origin moved by one along even sides
    centre = tuple(side // 2 - (1 - side % 2) for side in weights.shape)
    return correlate_window(image, "correlate", flipped, centre)


@operation(category="Filter", nonfinite=REFUSE_NONFINITE)
def match_template(image: Image, template: Image) -> Image:
    """Match a template at every pixel: the normalised cross-correlation.

    At each pixel, the Pearson correlation of the template with the window of
    the template's shape placed as scikit-image's ``pad_input=True`` places it
    (its element ``shape // 2`` on the pixel), the edge replicated beyond the
    borders: from -1 to 1, 1 where the window is the template up to a linear
    change of intensities.  Windows (and templates) of one value give 0.
    Computed in float32, from the window's values relative to its first value;
    within about 1e-4 of the reference where the window's variance is not
    tiny against its values' magnitude.  scikit-image also gives 0 where the
    denominator is below float64's epsilon (an absolute bound, met by images
    of very small values); oclip only for constant windows.  NaN and
    infinities are refused.  Not local (the window comes from the template).

    Parameters
    ----------
    image : Image
        The image to search, 2D or 3D.
    template : Image
        The pattern, of the image's dimensions and no larger than the image
        along any axis.

    Returns
    -------
    Image
        float32 image of the image's shape.

    Raises
    ------
    ValueError
        If the template's dimensions differ from the image's or it is larger
        along an axis.

    See Also
    --------
    skimage.feature.match_template : the reference, with ``pad_input=True,
        mode="edge"`` (on the image as float).

    Examples
    --------
    >>> image = np.array([[0, 0, 0, 0, 0], [0, 1, 3, 1, 0], [0, 0, 0, 0, 0]], np.uint8)
    >>> response = oclip.match_template(image, np.array([[1, 3, 1]], np.uint8))
    >>> float(response[1, 2])
    1.0
    """
    if template.ndim != image.ndim:
        raise ValueError(f"match_template: template has {template.ndim} dimensions, the "
                         f"image {image.ndim}; they must have the same")
    if any(t > n for t, n in zip(template.shape, image.shape, strict=True)):
        raise ValueError(f"match_template: template of shape {template.shape} is larger "
                         f"than the image of shape {image.shape}")
    values = backend.pull(template).astype(np.float64)
    deviations = values - values.mean()
    weights = deviations.astype(np.float32)
    ssd = float(np.sum(deviations ** 2))
    centre = tuple(side // 2 for side in values.shape)
    return correlate_window(image, "match_template", weights, centre,
                            np.float32(weights.astype(np.float64).mean()), np.float32(ssd))
