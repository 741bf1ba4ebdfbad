"""Smoothing and rank filters over box windows (category "Remove noise")."""

from __future__ import annotations

from ._neighbourhood import (
    box_weights,
    convolve_separable,
    extremum_separable,
    gaussian_weights,
    per_axis,
    sphere_filter,
)
from ._registry import operation, radius_halo, sigma_halo
from ._types import Image, Radius, Sigma

__all__ = [
    "gaussian_blur",
    "maximum_box",
    "maximum_sphere",
    "mean_box",
    "minimum_box",
    "minimum_sphere",
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


@operation(category="Remove noise", halo=radius_halo)
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


@operation(category="Remove noise", halo=radius_halo)
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


@operation(category="Remove noise", halo=radius_halo)
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
    radii = per_axis(image, radius_x, radius_y, radius_z)
    return sphere_filter(image, "minimum_sphere", radii, image.dtype)


@operation(category="Remove noise", halo=radius_halo)
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
    radii = per_axis(image, radius_x, radius_y, radius_z)
    return sphere_filter(image, "maximum_sphere", radii, image.dtype)
