"""Derivative filters: gradients, Sobel, box and diamond Laplacians, Laplacian of Gaussian,
Hessian eigenvalues (category "Filter")."""

from __future__ import annotations

import math
from typing import Annotated, Any

import numpy as np

from .. import _backend as backend
from ._correlate import correlate_window
from ._neighbourhood import (
    convolve_separable,
    gaussian_weights,
    per_axis,
    vector_grid,
    vector_width,
)
from ._reductions import minimum_maximum
from ._registry import operation, sigma_halo
from ._types import Image, Range, Sigma

__all__ = [
    "gradient_x",
    "gradient_y",
    "gradient_z",
    "hessian_eigenvalues",
    "laplace_box",
    "laplace_diamond",
    "laplacian_of_gaussian",
    "meijering",
    "sato",
    "sobel",
]

DERIVATIVES = backend.Program("oclip.ops", "derivatives.cl")

#: Central difference (f[i+1] - f[i-1]) / 2 as correlation weights.
CENTRAL_DIFFERENCE = np.array([-0.5, 0.0, 0.5])


def _gradient(image: backend.DeviceArray, axis: int) -> backend.DeviceArray:
    # Along z of a 2D image (one plane, replicated) this gives zeros.
    return convolve_separable(image, {axis: CENTRAL_DIFFERENCE})


@operation(category="Filter", halo=(0, 0, 1))
def gradient_x(image: Image) -> Image:
    """Compute the derivative along x by central differences.

    ``(f[x+1] - f[x-1]) / 2``, with the edge pixel replicated at the borders
    (so half the one-sided difference there).

    Parameters
    ----------
    image : Image
        The image, 2D or 3D.

    Returns
    -------
    Image
        float32 image of the same shape.

    See Also
    --------
    scipy.ndimage.correlate1d : the reference, with weights
        ``[-0.5, 0, 0.5]`` along the last axis and ``mode="nearest"``.
    """
    return _gradient(image, 0)


@operation(category="Filter", halo=(0, 1, 0))
def gradient_y(image: Image) -> Image:
    """Compute the derivative along y by central differences.

    ``(f[y+1] - f[y-1]) / 2``, with the edge pixel replicated at the borders.

    Parameters
    ----------
    image : Image
        The image, 2D or 3D.

    Returns
    -------
    Image
        float32 image of the same shape.

    See Also
    --------
    scipy.ndimage.correlate1d : the reference, with weights
        ``[-0.5, 0, 0.5]`` along the y axis (-2) and ``mode="nearest"``.
    """
    return _gradient(image, 1)


@operation(category="Filter", halo=(1, 0, 0))
def gradient_z(image: Image) -> Image:
    """Compute the derivative along z by central differences.

    ``(f[z+1] - f[z-1]) / 2``, with the edge plane replicated at the borders.
    A 2D image is a single plane: its z derivative is 0 everywhere.

    Parameters
    ----------
    image : Image
        The image, 2D or 3D.

    Returns
    -------
    Image
        float32 image of the same shape.

    See Also
    --------
    scipy.ndimage.correlate1d : the reference, with weights
        ``[-0.5, 0, 0.5]`` along the z axis (0) and ``mode="nearest"``.
    """
    return _gradient(image, 2)


@operation(category="Filter", halo=(1, 1, 1))
def sobel(image: Image) -> Image:
    """Compute the gradient magnitude with Sobel kernels.

    ``sqrt(gx**2 + gy**2 (+ gz**2))``, where each g is the Sobel derivative
    along one axis: the difference ``[-1, 0, 1]`` along it, smoothed with
    ``[1, 2, 1]`` along each other axis (unnormalised, as scipy's).  Borders
    replicate the edge pixel.

    Parameters
    ----------
    image : Image
        The image, 2D or 3D.

    Returns
    -------
    Image
        float32 image of the same shape.

    See Also
    --------
    scipy.ndimage.sobel : the reference: the square root of the sum over the
        axes of ``sobel(image, axis, mode="nearest")**2``, on the image as float.
    """
    out = backend.create(image.shape, np.float32)
    defines = {"T_IN": backend.cl_type_name(image.dtype), "DIMENSIONS": image.ndim,
               "VEC": vector_width()}
    DERIVATIVES.launch("sobel", vector_grid(image.shape), image, out,
                   *backend.grid(image.shape), defines=defines)
    return out


@operation(category="Filter", halo=(1, 1, 1))
def laplace_box(image: Image) -> Image:
    """Compute a Laplacian over the 3x3 (3x3x3) box.

    The correlation with the kernel that is 8 at the centre and -1 at the 8
    neighbours in 2D (26 and -1 in 3D): ``3**ndim * f - sum of the box``.
    It is the negative of a Laplacian, so bright spots give positive values
    (the sign of ``skimage.filters.laplace``, the opposite of
    ``scipy.ndimage.laplace``).  Borders replicate the edge pixel.

    Parameters
    ----------
    image : Image
        The image, 2D or 3D.

    Returns
    -------
    Image
        float32 image of the same shape.

    See Also
    --------
    scipy.ndimage.correlate : the reference, with the kernel above and
        ``mode="nearest"``.
    """
    ones = {axis: np.ones(3) for axis in range(image.ndim)}
    return convolve_separable(image, ones, finish="centre_minus_sum",
                              centre=3.0 ** image.ndim)


@operation(category="Filter", halo=(1, 1, 1))
def laplace_diamond(image: Image) -> Image:
    """Compute a Laplacian over the face neighbours (the "diamond").

    The correlation with the kernel that is ``2 * ndim`` at the centre and -1
    at the 4 (2D) or 6 (3D) face neighbours: the negative of the sum of the
    second differences ``f[i-1] - 2 f[i] + f[i+1]`` along each axis, so bright
    spots give positive values (the sign of ``skimage.filters.laplace`` and of
    ``laplace_box``, the opposite of ``scipy.ndimage.laplace``).  Borders
    replicate the edge pixel.

    Parameters
    ----------
    image : Image
        The image, 2D or 3D.

    Returns
    -------
    Image
        float32 image of the same shape.

    See Also
    --------
    scipy.ndimage.laplace : the reference, negated, with ``mode="nearest"``.
    skimage.filters.laplace : the same kernel (``ksize=3``), with other borders.

    Examples
    --------
    >>> image = np.zeros((3, 3), np.uint8)
    >>> image[1, 1] = 1
    >>> oclip.laplace_diamond(image)
    array([[ 0., -1.,  0.],
           [-1.,  4., -1.],
           [ 0., -1.,  0.]], dtype=float32)
    """
    kernel = np.zeros((3,) * image.ndim)
    centre = (1,) * image.ndim
    for axis in range(image.ndim):
        for side in (0, 2):
            kernel[(*centre[:axis], side, *centre[axis + 1:])] = -1.0
    kernel[centre] = 2.0 * image.ndim
    return correlate_window(image, "correlate", kernel, centre)


def second_derivative_weights(sigma: float) -> np.ndarray:
    """The second derivative of :func:`gaussian_weights`: the normalised Gaussian times
    ``(x**2 - sigma**2) / sigma**4`` (as scipy's ``gaussian_filter(order=2)``)."""
    weights = gaussian_weights(sigma)
    radius = len(weights) // 2
    offsets = np.arange(-radius, radius + 1, dtype=np.float64)
    return weights * (offsets**2 - sigma**2) / sigma**4


@operation(category="Filter", halo=sigma_halo)
def laplacian_of_gaussian(image: Image, sigma_x: Sigma = 1.0, sigma_y: Sigma = 1.0,
                          sigma_z: Sigma = 0.0) -> Image:
    """Compute the Laplacian of the Gaussian-blurred image (LoG).

    The sum over the axes of the image blurred with the Gaussian's second
    derivative along that axis and the Gaussian along the others, each
    truncated at 4 sigma (as ``gaussian_blur``): negative at bright blobs of
    about ``sigma * sqrt(ndim)`` radius (scipy's sign).  An axis whose sigma
    gives a kernel of one pixel (sigma 0, or below 0.125) is neither blurred
    nor differentiated: with ``sigma_z=0`` a 3D image gets the 2D LoG of each
    plane; with every axis so, the result is 0.  Borders replicate the edge
    pixel.

    Parameters
    ----------
    image : Image
        The image, 2D or 3D.
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
    scipy.ndimage.gaussian_laplace : the reference, with ``mode="nearest"``,
        over the axes whose sigma gives more than one pixel (scipy adds the
        blurred image for the others).

    Examples
    --------
    >>> image = np.zeros((1, 9), np.float32)
    >>> image[0, 4] = 1
    >>> response = oclip.laplacian_of_gaussian(image, sigma_x=1, sigma_y=0)
    >>> bool(response[0, 4] < 0), bool(response[0, 1] > 0)
    (True, True)
    """
    sigmas = {axis: s for axis, s in per_axis(image, sigma_x, sigma_y, sigma_z).items()
              if len(gaussian_weights(s)) > 1}
    total: backend.DeviceArray | None = None
    for axis in sigmas:
        weights = {other: gaussian_weights(s) for other, s in sigmas.items()}
        weights[axis] = second_derivative_weights(sigmas[axis])
        term = convolve_separable(image, weights)
        total = term if total is None else total + term
    if total is None:
        return backend.push(np.zeros(image.shape, np.float32))
    return total


@operation(category="Filter")
def hessian_eigenvalues(image: Image, sigma_x: Sigma = 1.0, sigma_y: Sigma = 1.0,
                        sigma_z: Sigma = 0.0) -> Image:
    """Compute the eigenvalues of the Hessian matrix of a Gaussian-blurred image.

    The image is blurred as by ``gaussian_blur``; the Hessian's elements are
    second derivatives by ``numpy.gradient`` (central differences inside,
    one-sided at the borders), as scikit-image's ``hessian_matrix`` without
    Gaussian derivatives takes them.  Bright blobs have all eigenvalues
    negative, bright lines two (3D) or one (2D), bright sheets one (3D).

    Parameters
    ----------
    image : Image
        The image, 2D or 3D.
    sigma_x : float
        Standard deviation of the blur along x, in pixels; 0 leaves x alone.
    sigma_y : float
        Standard deviation of the blur along y, in pixels; 0 leaves y alone.
    sigma_z : float
        Standard deviation of the blur along z, in pixels; ignored for 2D
        images.

    Returns
    -------
    Image
        float32 array with a new leading axis of length ``image.ndim``: the
        eigenvalues at each pixel in decreasing order, ``result[0]`` the
        largest, so of shape ``(2, y, x)`` for 2D, ``(3, z, y, x)`` for 3D.

    See Also
    --------
    skimage.feature.hessian_matrix_eigvals : the reference, of
        ``skimage.feature.hessian_matrix(image, sigma, mode="nearest",
        use_gaussian_derivatives=False, order="rc")``, on the image as float
        (scikit-image rescales integer images to [0, 1]; oclip keeps their
        units).
    """
    sigmas = per_axis(image, sigma_x, sigma_y, sigma_z)
    blurred = convolve_separable(image, {a: gaussian_weights(s) for a, s in sigmas.items()
                                         if s > 0})
    out = backend.create((image.ndim, *image.shape), np.float32)
    defines = {"DIMENSIONS": image.ndim, "T_IN": "float", "VEC": vector_width()}
    DERIVATIVES.launch("hessian_eigenvalues", vector_grid(image.shape), blurred, out,
                   *backend.grid(image.shape), defines=defines)
    return out


# --- ridges ---------------------------------------------------------------------------------

#: A scale of the ridge filters, in pixels.
RidgeSigma = Annotated[float, Range(0.1, 100.0, 0.5)]
#: The most scales a ridge filter takes.
MOST_SCALES = 100


def ridge_sigmas(name: str, sigma_minimum: float, sigma_maximum: float,
                 sigma_step: float) -> list[float]:
    """The scales ``sigma_minimum, sigma_minimum + sigma_step, ...`` up to
    ``sigma_maximum`` (only ``sigma_minimum`` where that is larger), or a ValueError
    naming the parameter."""
    if sigma_maximum < sigma_minimum:
        return [sigma_minimum]
    count = math.floor((sigma_maximum - sigma_minimum) / sigma_step + 1e-9) + 1
    if count > MOST_SCALES:
        raise ValueError(f"{name}: parameter 'sigma_step' gives {count} scales from "
                         f"{sigma_minimum} to {sigma_maximum}; at most {MOST_SCALES} are taken")
    return [sigma_minimum + k * sigma_step for k in range(count)]


def _hessian_truncate(sigma: float) -> float:
    # scikit-image's rule for Gaussian-derivative Hessians: wider kernels for small sigma
    return 8.0 if sigma > 1 else 100.0


def ridge_halo(sigma_minimum: float, sigma_maximum: float, sigma_step: float,
               **_: Any) -> tuple[int, int, int]:
    """Two passes of a Gaussian of sigma / sqrt(2) per axis, for the largest reach."""
    try:
        sigmas = ridge_sigmas("ridge", sigma_minimum, sigma_maximum, sigma_step)
    except ValueError:  # refused by the operation itself
        sigmas = [sigma_minimum]
    reach = max(2 * int(_hessian_truncate(s) * s / math.sqrt(2) + 0.5) for s in sigmas)
    return (reach, reach, reach)


def first_derivative_weights(sigma: float, truncate: float) -> np.ndarray:
    """Correlation weights of the first derivative of a Gaussian (scipy's
    ``gaussian_filter(order=1)``): ``x / sigma**2`` times the normalised Gaussian."""
    weights = gaussian_weights(sigma, truncate)
    radius = len(weights) // 2
    return weights * np.arange(-radius, radius + 1, dtype=np.float64) / sigma**2


def gaussian_hessian(image: backend.DeviceArray, sigma: float) -> list[backend.DeviceArray]:
    """The Hessian's upper elements, as scikit-image's ``hessian_matrix(sigma,
    use_gaussian_derivatives=True)`` takes them (two first-derivative Gaussians of
    sigma / sqrt(2)), in its order (numpy axes: yy, yx, xx; zz, zy, zx, yy, yx, xx)."""
    scaled, truncate = sigma / math.sqrt(2), _hessian_truncate(sigma)
    smooth = gaussian_weights(scaled, truncate)
    derivative = first_derivative_weights(scaled, truncate)
    axes = list(range(image.ndim))[::-1]  # numpy order: grid axes z (2), y (1), x (0)

    def along(source: backend.DeviceArray, axis: int) -> backend.DeviceArray:
        return convolve_separable(source, {a: derivative if a == axis else smooth
                                           for a in range(image.ndim)})

    gradients = {a: along(image, a) for a in axes}
    return [along(gradients[a], b) for i, a in enumerate(axes) for b in axes[i:]]


@operation(category="Filter", halo=ridge_halo)
def sato(image: Image, sigma_minimum: RidgeSigma = 1.0, sigma_maximum: RidgeSigma = 9.0,
         sigma_step: RidgeSigma = 2.0, black_ridges: bool = True) -> Image:
    """Enhance tubes and ridges with Sato's tubeness filter, over several scales.

    At each scale sigma (``sigma_minimum``, ``sigma_minimum + sigma_step``, ...
    up to ``sigma_maximum``: by default 1, 3, 5, 7, 9, scikit-image's
    ``range(1, 10, 2)``), the eigenvalues of the Hessian of Gaussian
    derivatives (as scikit-image's, truncated at 8 sigma, 100 sigma for sigma
    up to 1); the response is ``sigma**2`` times the geometric mean of the
    eigenvalues but the smallest, clipped to 0; the result is the maximum over
    the scales.  ``black_ridges`` (scikit-image's default) finds dark ridges on
    a bright background; False finds bright ones (fluorescence).  Borders
    replicate the edge pixel.  Computed in float32: within about 1e-4 of the
    image's magnitude in 2D; in 3D, where the second eigenvalue is near 0,
    its square root in the geometric mean magnifies float32's rounding (up to
    about 1e-3 of the image's magnitude there).

    Parameters
    ----------
    image : Image
        The image, 2D or 3D.
    sigma_minimum : float
        The smallest scale, in pixels.
    sigma_maximum : float
        The largest scale, in pixels; below ``sigma_minimum``, the one scale
        ``sigma_minimum`` is taken.
    sigma_step : float
        The step between scales, in pixels (at most 100 scales).
    black_ridges : bool
        Find dark ridges (True) or bright ones (False).

    Returns
    -------
    Image
        float32 image of the same shape, 0 or more.

    Raises
    ------
    ValueError
        If the scales are more than 100.

    See Also
    --------
    skimage.filters.sato : the reference, with ``sigmas`` the scales above and
        ``mode="nearest"`` (on the image as float).

    Examples
    --------
    >>> image = np.zeros((7, 7), np.float32)
    >>> image[:, 3] = 1
    >>> response = oclip.sato(image, sigma_minimum=1, sigma_maximum=1, black_ridges=False)
    >>> int(np.argmax(response[3]))
    3
    """
    sigmas = ridge_sigmas("sato", sigma_minimum, sigma_maximum, sigma_step)
    out = backend.push(np.zeros(image.shape, np.float32))
    defines = {"DIMENSIONS": image.ndim, "T_IN": "float", "VEC": vector_width()}
    for sigma in sigmas:
        elements = gaussian_hessian(image, sigma)
        DERIVATIVES.launch("sato_scale", vector_grid(image.shape), *elements, out,
                           np.float32(1.0 if black_ridges else -1.0), np.float32(sigma**2),
                           *backend.grid(image.shape), defines=defines)
    return out


@operation(category="Filter")
def meijering(image: Image, sigma_minimum: RidgeSigma = 1.0, sigma_maximum: RidgeSigma = 9.0,
              sigma_step: RidgeSigma = 2.0, black_ridges: bool = True) -> Image:
    """Enhance neurites and ridges with Meijering's filter, over several scales.

    At each scale sigma (as ``sato``'s: by default 1, 3, 5, 7, 9), the
    eigenvalues e of the Hessian of Gaussian derivatives (as scikit-image's);
    the values ``l_i = e_i + alpha * (the other e)``, ``alpha = 1 / (ndim + 1)``
    (scikit-image's default), the one of largest magnitude (the first of ties
    in decreasing order of e), clipped to 0, and divided by its maximum over
    the image (unless that is 0); the result is the maximum over the scales,
    from 0 to 1.  ``black_ridges`` (scikit-image's default) finds dark ridges;
    False finds bright ones.  Borders replicate the edge pixel.  The
    normalisation by the whole image's maximum makes the operation not local.
    Computed in float32: within about 1e-4 where a scale's maximum is not
    tiny against the image's magnitude over sigma squared; a scale whose
    values are all float32 rounding (a constant image) normalises rounding,
    as scikit-image's float64 does.

    Parameters
    ----------
    image : Image
        The image, 2D or 3D.
    sigma_minimum : float
        The smallest scale, in pixels.
    sigma_maximum : float
        The largest scale, in pixels; below ``sigma_minimum``, the one scale
        ``sigma_minimum`` is taken.
    sigma_step : float
        The step between scales, in pixels (at most 100 scales).
    black_ridges : bool
        Find dark ridges (True) or bright ones (False).

    Returns
    -------
    Image
        float32 image of the same shape, from 0 to 1.

    Raises
    ------
    ValueError
        If the scales are more than 100.

    See Also
    --------
    skimage.filters.meijering : the reference, with ``sigmas`` the scales above
        and ``mode="nearest"`` (on the image as float).

    Examples
    --------
    >>> image = np.zeros((7, 7), np.float32)
    >>> image[:, 3] = 1
    >>> response = oclip.meijering(image, sigma_minimum=1, sigma_maximum=1,
    ...                            black_ridges=False)
    >>> int(np.argmax(response[3])), float(response.max())
    (3, 1.0)
    """
    sigmas = ridge_sigmas("meijering", sigma_minimum, sigma_maximum, sigma_step)
    out = backend.push(np.zeros(image.shape, np.float32))
    defines = {"DIMENSIONS": image.ndim, "T_IN": "float", "VEC": vector_width()}
    values = backend.create(image.shape, np.float32)
    for sigma in sigmas:
        elements = gaussian_hessian(image, sigma)
        DERIVATIVES.launch("meijering_scale", vector_grid(image.shape), *elements, values,
                           np.float32(1.0 if black_ridges else -1.0),
                           np.float32(1.0 / (image.ndim + 1)), *backend.grid(image.shape),
                           defines=defines)
        DERIVATIVES.launch("normalised_maximum", (image.size,), values,
                           minimum_maximum(values), out, defines=defines)
    return out
