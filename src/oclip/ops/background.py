"""Background removal (category "Remove background").

Top-hats subtract a morphological background estimate (an opening or a
closing); the Gaussian operations subtract or divide by a blurred copy.
"""

from __future__ import annotations

from .. import _backend as backend
from ._neighbourhood import convolve_separable, extremum_separable, gaussian_weights, per_axis
from ._registry import REFUSE_NAN, operation, sigma_halo
from ._types import Image, Radius, Sigma
from .morphology import morphology, opening_halo

__all__ = [
    "bottom_hat_box",
    "bottom_hat_sphere",
    "difference_of_gaussian",
    "divide_by_gaussian_background",
    "subtract_gaussian_background",
    "top_hat_box",
    "top_hat_sphere",
]

MATH = backend.Program("oclip.ops", "math.cl")


def _subtract_in_place(a: backend.DeviceArray, b: backend.DeviceArray,
                       out: backend.DeviceArray) -> backend.DeviceArray:
    """a - b into ``out`` (one of them), in the images' own type; for differences
    that cannot be negative (an image minus its opening, a closing minus the image)."""
    defines = {"T1": backend.cl_type_name(a.dtype)}
    MATH.launch("subtract_same_type", (a.size,), a, b, out, defines=defines)
    return out


def _top_hat(image: backend.DeviceArray, window: str, radius_x: int, radius_y: int,
             radius_z: int) -> backend.DeviceArray:
    radii = per_axis(image, radius_x, radius_y, radius_z)
    if window == "box":  # the subtraction in the opening's last pass
        eroded = extremum_separable(image, "minimum", radii)
        return extremum_separable(eroded, "maximum", radii, finish="subtract", other=image)
    opened = morphology(image, "opening", window, radii)
    return _subtract_in_place(image, opened, opened)


def _bottom_hat(image: backend.DeviceArray, window: str, radius_x: int, radius_y: int,
                radius_z: int) -> backend.DeviceArray:
    radii = per_axis(image, radius_x, radius_y, radius_z)
    if window == "box":  # the subtraction in the closing's last pass
        dilated = extremum_separable(image, "maximum", radii)
        return extremum_separable(dilated, "minimum", radii, finish="result_minus",
                                  other=image)
    closed = morphology(image, "closing", window, radii)
    return _subtract_in_place(closed, image, closed)


def _difference_halo(sigma1_x: float, sigma1_y: float, sigma1_z: float, sigma2_x: float,
                     sigma2_y: float, sigma2_z: float, **_: float) -> tuple[int, int, int]:
    """The larger of the two Gaussians' halos, per axis."""
    (z1, y1, x1) = sigma_halo(sigma1_x, sigma1_y, sigma1_z)
    (z2, y2, x2) = sigma_halo(sigma2_x, sigma2_y, sigma2_z)
    return max(z1, z2), max(y1, y2), max(x1, x2)


def _gaussian_weights(image: backend.DeviceArray, x: float, y: float, z: float) -> dict:
    return {axis: gaussian_weights(s) for axis, s in per_axis(image, x, y, z).items() if s > 0}


@operation(category="Remove background", halo=opening_halo, nonfinite=REFUSE_NAN)
def top_hat_box(image: Image, radius_x: Radius = 10, radius_y: Radius = 10,
                radius_z: Radius = 0) -> Image:
    """Subtract the background estimated by a grey opening over a box (white top-hat).

    Structures smaller than the box stay; larger bright areas and smooth
    background are removed.

    Parameters
    ----------
    image : Image
        The image to correct, 2D or 3D.
    radius_x : int
        Half-width of the box along x: the box is ``2 * radius_x + 1`` wide.
    radius_y : int
        Half-width of the box along y.
    radius_z : int
        Half-width of the box along z; ignored for 2D images.

    Returns
    -------
    Image
        Image of the same shape and dtype: the image minus its opening, which
        is never negative.

    See Also
    --------
    scipy.ndimage.white_tophat : the reference, with ``size = 2 * radius + 1``
        and ``mode="nearest"``.
    """
    return _top_hat(image, "box", radius_x, radius_y, radius_z)


@operation(category="Remove background", halo=opening_halo, nonfinite=REFUSE_NAN)
def top_hat_sphere(image: Image, radius_x: Radius = 10, radius_y: Radius = 10,
                   radius_z: Radius = 0) -> Image:
    """Subtract the background estimated by a grey opening over an ellipsoid (white top-hat).

    Bright structures that do not contain the ellipsoid of ``minimum_sphere``
    stay; larger bright areas and smooth background are removed.

    Parameters
    ----------
    image : Image
        The image to correct, 2D or 3D.
    radius_x : int
        Radius of the ellipsoid along x.
    radius_y : int
        Radius of the ellipsoid along y.
    radius_z : int
        Radius of the ellipsoid along z; ignored for 2D images.

    Returns
    -------
    Image
        Image of the same shape and dtype: the image minus its opening, which
        is never negative.

    See Also
    --------
    scipy.ndimage.white_tophat : the reference, with ``footprint`` the
        ellipsoid and ``mode="nearest"``.
    """
    return _top_hat(image, "sphere", radius_x, radius_y, radius_z)


@operation(category="Remove background", halo=opening_halo, nonfinite=REFUSE_NAN)
def bottom_hat_box(image: Image, radius_x: Radius = 10, radius_y: Radius = 10,
                   radius_z: Radius = 0) -> Image:
    """Subtract the image from its grey closing over a box (black top-hat).

    Dark structures smaller than the box become bright; the rest becomes 0.

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
        Image of the same shape and dtype: the closing minus the image, which
        is never negative.

    See Also
    --------
    scipy.ndimage.black_tophat : the reference, with ``size = 2 * radius + 1``
        and ``mode="nearest"``.
    """
    return _bottom_hat(image, "box", radius_x, radius_y, radius_z)


@operation(category="Remove background", halo=opening_halo, nonfinite=REFUSE_NAN)
def bottom_hat_sphere(image: Image, radius_x: Radius = 10, radius_y: Radius = 10,
                      radius_z: Radius = 0) -> Image:
    """Subtract the image from its grey closing over an ellipsoid (black top-hat).

    Dark structures that do not contain the ellipsoid of ``minimum_sphere``
    become bright; the rest becomes 0.

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
        Image of the same shape and dtype: the closing minus the image, which
        is never negative.

    See Also
    --------
    scipy.ndimage.black_tophat : the reference, with ``footprint`` the
        ellipsoid and ``mode="nearest"``.
    """
    return _bottom_hat(image, "sphere", radius_x, radius_y, radius_z)


@operation(category="Remove background", halo=sigma_halo)
def subtract_gaussian_background(image: Image, sigma_x: Sigma = 10.0, sigma_y: Sigma = 10.0,
                                 sigma_z: Sigma = 0.0) -> Image:
    """Subtract the background estimated by a Gaussian blur.

    The result is ``image - gaussian_blur(image, sigma)``: structures much
    smaller than sigma stay, smooth background is removed.  Negative where
    the image is below its background.

    Parameters
    ----------
    image : Image
        The image to correct, 2D or 3D.
    sigma_x : float
        Standard deviation of the background's blur along x, in pixels.
    sigma_y : float
        Standard deviation of the background's blur along y, in pixels.
    sigma_z : float
        Standard deviation of the background's blur along z, in pixels;
        ignored for 2D images.

    Returns
    -------
    Image
        float32 image of the same shape.

    See Also
    --------
    scipy.ndimage.gaussian_filter : the reference is the image minus its
        ``gaussian_filter`` with ``mode="nearest"`` (as ``gaussian_blur``).
    """
    weights = _gaussian_weights(image, sigma_x, sigma_y, sigma_z)
    return convolve_separable(image, weights, finish="subtract")


@operation(category="Remove background", halo=sigma_halo)
def divide_by_gaussian_background(image: Image, sigma_x: Sigma = 10.0, sigma_y: Sigma = 10.0,
                                  sigma_z: Sigma = 0.0) -> Image:
    """Divide an image by its background estimated by a Gaussian blur.

    The result is ``image / gaussian_blur(image, sigma)``: corrects uneven
    illumination (about 1 where the image equals its background).  Where the
    background is exactly 0 the result is 0 (not inf or NaN); a background
    near 0, or negative, as in images with negative values, gives large or
    negative ratios.

    Parameters
    ----------
    image : Image
        The image to correct, 2D or 3D; meant for non-negative intensities.
    sigma_x : float
        Standard deviation of the background's blur along x, in pixels.
    sigma_y : float
        Standard deviation of the background's blur along y, in pixels.
    sigma_z : float
        Standard deviation of the background's blur along z, in pixels;
        ignored for 2D images.

    Returns
    -------
    Image
        float32 image of the same shape.

    See Also
    --------
    scipy.ndimage.gaussian_filter : the reference is
        ``numpy.divide(image, background, where=background != 0)`` (0
        elsewhere) with the background from ``gaussian_filter`` with
        ``mode="nearest"``.
    """
    weights = _gaussian_weights(image, sigma_x, sigma_y, sigma_z)
    return convolve_separable(image, weights, finish="divide")


@operation(category="Remove background", halo=_difference_halo)
def difference_of_gaussian(image: Image, sigma1_x: Sigma = 2.0, sigma1_y: Sigma = 2.0,
                           sigma1_z: Sigma = 0.0, sigma2_x: Sigma = 4.0,
                           sigma2_y: Sigma = 4.0, sigma2_z: Sigma = 0.0) -> Image:
    """Subtract a stronger Gaussian blur from a weaker one (difference of Gaussians).

    The result is ``gaussian_blur(image, sigma1) - gaussian_blur(image,
    sigma2)``: a band-pass filter that enhances spots between the two sizes
    (sigma1 < sigma2; the reverse gives the negative).  Intensities keep their
    units, unlike scikit-image's, which rescales integer images to [0, 1]
    first.

    Parameters
    ----------
    image : Image
        The image to filter, 2D or 3D.
    sigma1_x : float
        Standard deviation of the first (weaker) blur along x, in pixels.
    sigma1_y : float
        Standard deviation of the first blur along y, in pixels.
    sigma1_z : float
        Standard deviation of the first blur along z, in pixels; ignored for
        2D images.
    sigma2_x : float
        Standard deviation of the second (stronger) blur along x, in pixels.
    sigma2_y : float
        Standard deviation of the second blur along y, in pixels.
    sigma2_z : float
        Standard deviation of the second blur along z, in pixels; ignored for
        2D images.

    Returns
    -------
    Image
        float32 image of the same shape.

    See Also
    --------
    skimage.filters.difference_of_gaussians : the reference, with
        ``low_sigma`` = sigma1, ``high_sigma`` = sigma2 (numpy axis order) and
        ``mode="nearest"``, on the image as float.
    """
    weak = convolve_separable(image, _gaussian_weights(image, sigma1_x, sigma1_y, sigma1_z))
    strong = _gaussian_weights(image, sigma2_x, sigma2_y, sigma2_z)
    return convolve_separable(image, strong, finish="subtract", other=weak)
