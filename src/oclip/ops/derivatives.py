"""Derivative filters: gradients, Sobel, box and diamond Laplacians, Laplacian of Gaussian,
Hessian eigenvalues (category "Filter")."""

from __future__ import annotations

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
from ._registry import operation, sigma_halo
from ._types import Image, Sigma

__all__ = [
    "gradient_x",
    "gradient_y",
    "gradient_z",
    "hessian_eigenvalues",
    "laplace_box",
    "laplace_diamond",
    "laplacian_of_gaussian",
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
