"""Grey opening and closing (category "Filter") and binary morphology ("Binarize").

Erosion is the minimum over a window, dilation the maximum; opening is an
erosion followed by a dilation, closing the reverse.  Each step replicates
the edge pixel at the borders (scipy's ``mode="nearest"``), which for these
windows is the same as leaving the pixels outside the image out: a binary
erosion does not eat into objects from the image border (scipy's
``binary_erosion`` with ``border_value=1``), a dilation does not grow from it
(``border_value=0``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from .. import _backend as backend
from ._neighbourhood import extremum_separable, extremum_sphere, per_axis
from ._registry import REFUSE_NAN, operation, radius_halo
from ._types import Binary, Image, Radius

__all__ = [
    "binary_closing_box",
    "binary_closing_sphere",
    "binary_dilation_box",
    "binary_dilation_sphere",
    "binary_erosion_box",
    "binary_erosion_sphere",
    "binary_opening_box",
    "binary_opening_sphere",
    "closing_box",
    "closing_sphere",
    "opening_box",
    "opening_sphere",
]

_EXTREMUM: dict[str, Callable[..., backend.DeviceArray]] = {
    "box": extremum_separable, "sphere": extremum_sphere}
# The steps of each operation, in order.
_STEPS = {
    "erosion": ("minimum",),
    "dilation": ("maximum",),
    "opening": ("minimum", "maximum"),
    "closing": ("maximum", "minimum"),
}


def opening_halo(**params: int) -> tuple[int, int, int]:
    """Halo of an opening or closing, a minimum and a maximum over the window: twice
    its radii, as (z, y, x)."""
    z, y, x = radius_halo(**params)
    return 2 * z, 2 * y, 2 * x


def morphology(image: backend.DeviceArray, which: str, window: str,
               radii: Mapping[int, int], *, binary: bool = False) -> backend.DeviceArray:
    """Erosion, dilation, opening or closing over a "box" or "sphere" window.

    Grey (keeps the dtype) or, with ``binary``, of the image's non-zero pixels
    (0/1 uint8 result).
    """
    # the name of the operation (opening_sphere, binary_erosion_box...), for errors
    named = {"operation": f"{'binary_' if binary else ''}{which}_{window}"}
    result = image
    for number, step in enumerate(_STEPS[which]):
        # the first step reads any non-zero as 1; its result is 0/1 already
        result = _EXTREMUM[window](result, step, radii, binary=binary and number == 0,
                                   **(named if window == "sphere" else {}))
    return result


# --- grey ------------------------------------------------------------------------


@operation(category="Filter", halo=opening_halo, nonfinite=REFUSE_NAN)
def opening_box(image: Image, radius_x: Radius = 1, radius_y: Radius = 1,
                radius_z: Radius = 0) -> Image:
    """Open an image with a box: the maximum of the minimum (grey opening).

    Removes bright structures smaller than the box, keeps the rest.

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
    scipy.ndimage.grey_opening : the reference, with ``size = 2 * radius + 1``
        and ``mode="nearest"``.
    """
    return morphology(image, "opening", "box", per_axis(image, radius_x, radius_y, radius_z))


@operation(category="Filter", halo=opening_halo, nonfinite=REFUSE_NAN)
def opening_sphere(image: Image, radius_x: Radius = 1, radius_y: Radius = 1,
                   radius_z: Radius = 0) -> Image:
    """Open an image with an ellipsoid: the maximum of the minimum (grey opening).

    The window is the ellipsoid of ``minimum_sphere``.

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
    scipy.ndimage.grey_opening : the reference, with ``footprint`` the
        ellipsoid and ``mode="nearest"``.
    """
    return morphology(image, "opening", "sphere", per_axis(image, radius_x, radius_y, radius_z))


@operation(category="Filter", halo=opening_halo, nonfinite=REFUSE_NAN)
def closing_box(image: Image, radius_x: Radius = 1, radius_y: Radius = 1,
                radius_z: Radius = 0) -> Image:
    """Close an image with a box: the minimum of the maximum (grey closing).

    Fills dark structures smaller than the box, keeps the rest.

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
    scipy.ndimage.grey_closing : the reference, with ``size = 2 * radius + 1``
        and ``mode="nearest"``.
    """
    return morphology(image, "closing", "box", per_axis(image, radius_x, radius_y, radius_z))


@operation(category="Filter", halo=opening_halo, nonfinite=REFUSE_NAN)
def closing_sphere(image: Image, radius_x: Radius = 1, radius_y: Radius = 1,
                   radius_z: Radius = 0) -> Image:
    """Close an image with an ellipsoid: the minimum of the maximum (grey closing).

    The window is the ellipsoid of ``minimum_sphere``.

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
    scipy.ndimage.grey_closing : the reference, with ``footprint`` the
        ellipsoid and ``mode="nearest"``.
    """
    return morphology(image, "closing", "sphere", per_axis(image, radius_x, radius_y, radius_z))


# --- binary ----------------------------------------------------------------------


@operation(category="Binarize", halo=radius_halo)
def binary_erosion_box(binary: Binary, radius_x: Radius = 1, radius_y: Radius = 1,
                       radius_z: Radius = 0) -> Binary:
    """Erode a binary image with a box: keep the pixels whose whole box is foreground.

    Pixels outside the image count as the nearest edge pixel, so objects
    touching the border are not eroded from it.

    Parameters
    ----------
    binary : Binary
        The binary image, 2D or 3D; any non-zero pixel is foreground.
    radius_x : int
        Half-width of the box along x: the box is ``2 * radius_x + 1`` wide.
    radius_y : int
        Half-width of the box along y.
    radius_z : int
        Half-width of the box along z; ignored for 2D images.

    Returns
    -------
    Binary
        uint8 image of 0 and 1, of the same shape.

    See Also
    --------
    scipy.ndimage.binary_erosion : the reference, with ``structure`` the box
        and ``border_value=1`` (equivalently: on the input padded by the radii
        with ``numpy.pad(mode="edge")``, cropped back).
    """
    radii = per_axis(binary, radius_x, radius_y, radius_z)
    return morphology(binary, "erosion", "box", radii, binary=True)


@operation(category="Binarize", halo=radius_halo)
def binary_erosion_sphere(binary: Binary, radius_x: Radius = 1, radius_y: Radius = 1,
                          radius_z: Radius = 0) -> Binary:
    """Erode a binary image with an ellipsoid: keep the pixels whose whole ellipsoid is foreground.

    The window is the ellipsoid of ``minimum_sphere``; pixels outside the
    image count as the nearest edge pixel.

    Parameters
    ----------
    binary : Binary
        The binary image, 2D or 3D; any non-zero pixel is foreground.
    radius_x : int
        Radius of the ellipsoid along x.
    radius_y : int
        Radius of the ellipsoid along y.
    radius_z : int
        Radius of the ellipsoid along z; ignored for 2D images.

    Returns
    -------
    Binary
        uint8 image of 0 and 1, of the same shape.

    See Also
    --------
    scipy.ndimage.binary_erosion : the reference, with ``structure`` the
        ellipsoid and ``border_value=1``.
    """
    radii = per_axis(binary, radius_x, radius_y, radius_z)
    return morphology(binary, "erosion", "sphere", radii, binary=True)


@operation(category="Binarize", halo=radius_halo)
def binary_dilation_box(binary: Binary, radius_x: Radius = 1, radius_y: Radius = 1,
                        radius_z: Radius = 0) -> Binary:
    """Dilate a binary image with a box: mark the pixels whose box touches foreground.

    Parameters
    ----------
    binary : Binary
        The binary image, 2D or 3D; any non-zero pixel is foreground.
    radius_x : int
        Half-width of the box along x: the box is ``2 * radius_x + 1`` wide.
    radius_y : int
        Half-width of the box along y.
    radius_z : int
        Half-width of the box along z; ignored for 2D images.

    Returns
    -------
    Binary
        uint8 image of 0 and 1, of the same shape.

    See Also
    --------
    scipy.ndimage.binary_dilation : the reference, with ``structure`` the box
        (``border_value=0``, which here equals replicating the edge).
    """
    radii = per_axis(binary, radius_x, radius_y, radius_z)
    return morphology(binary, "dilation", "box", radii, binary=True)


@operation(category="Binarize", halo=radius_halo)
def binary_dilation_sphere(binary: Binary, radius_x: Radius = 1, radius_y: Radius = 1,
                           radius_z: Radius = 0) -> Binary:
    """Dilate a binary image with an ellipsoid: mark the pixels whose ellipsoid touches foreground.

    The window is the ellipsoid of ``minimum_sphere``.

    Parameters
    ----------
    binary : Binary
        The binary image, 2D or 3D; any non-zero pixel is foreground.
    radius_x : int
        Radius of the ellipsoid along x.
    radius_y : int
        Radius of the ellipsoid along y.
    radius_z : int
        Radius of the ellipsoid along z; ignored for 2D images.

    Returns
    -------
    Binary
        uint8 image of 0 and 1, of the same shape.

    See Also
    --------
    scipy.ndimage.binary_dilation : the reference, with ``structure`` the
        ellipsoid.
    """
    radii = per_axis(binary, radius_x, radius_y, radius_z)
    return morphology(binary, "dilation", "sphere", radii, binary=True)


@operation(category="Binarize", halo=opening_halo)
def binary_opening_box(binary: Binary, radius_x: Radius = 1, radius_y: Radius = 1,
                       radius_z: Radius = 0) -> Binary:
    """Open a binary image with a box: erode, then dilate.

    Removes foreground structures smaller than the box.  Both steps
    replicate the edge pixel at the borders.

    Parameters
    ----------
    binary : Binary
        The binary image, 2D or 3D; any non-zero pixel is foreground.
    radius_x : int
        Half-width of the box along x: the box is ``2 * radius_x + 1`` wide.
    radius_y : int
        Half-width of the box along y.
    radius_z : int
        Half-width of the box along z; ignored for 2D images.

    Returns
    -------
    Binary
        uint8 image of 0 and 1, of the same shape.

    See Also
    --------
    scipy.ndimage.binary_opening : the reference for the interior; at the
        borders ``binary_dilation(binary_erosion(b, box, border_value=1), box)``
        (scipy's ``binary_opening`` uses one border value for both steps).
    """
    radii = per_axis(binary, radius_x, radius_y, radius_z)
    return morphology(binary, "opening", "box", radii, binary=True)


@operation(category="Binarize", halo=opening_halo)
def binary_opening_sphere(binary: Binary, radius_x: Radius = 1, radius_y: Radius = 1,
                          radius_z: Radius = 0) -> Binary:
    """Open a binary image with an ellipsoid: erode, then dilate.

    The window is the ellipsoid of ``minimum_sphere``; both steps replicate
    the edge pixel at the borders.

    Parameters
    ----------
    binary : Binary
        The binary image, 2D or 3D; any non-zero pixel is foreground.
    radius_x : int
        Radius of the ellipsoid along x.
    radius_y : int
        Radius of the ellipsoid along y.
    radius_z : int
        Radius of the ellipsoid along z; ignored for 2D images.

    Returns
    -------
    Binary
        uint8 image of 0 and 1, of the same shape.

    See Also
    --------
    scipy.ndimage.binary_opening : the reference for the interior; at the
        borders ``binary_dilation(binary_erosion(b, ellipsoid, border_value=1),
        ellipsoid)``.
    """
    radii = per_axis(binary, radius_x, radius_y, radius_z)
    return morphology(binary, "opening", "sphere", radii, binary=True)


@operation(category="Binarize", halo=opening_halo)
def binary_closing_box(binary: Binary, radius_x: Radius = 1, radius_y: Radius = 1,
                       radius_z: Radius = 0) -> Binary:
    """Close a binary image with a box: dilate, then erode.

    Fills background gaps smaller than the box.  Both steps replicate the
    edge pixel at the borders, so objects at the border stay closed there.

    Parameters
    ----------
    binary : Binary
        The binary image, 2D or 3D; any non-zero pixel is foreground.
    radius_x : int
        Half-width of the box along x: the box is ``2 * radius_x + 1`` wide.
    radius_y : int
        Half-width of the box along y.
    radius_z : int
        Half-width of the box along z; ignored for 2D images.

    Returns
    -------
    Binary
        uint8 image of 0 and 1, of the same shape.

    See Also
    --------
    scipy.ndimage.binary_closing : the reference for the interior; at the
        borders ``binary_erosion(binary_dilation(b, box), box, border_value=1)``.
    """
    radii = per_axis(binary, radius_x, radius_y, radius_z)
    return morphology(binary, "closing", "box", radii, binary=True)


@operation(category="Binarize", halo=opening_halo)
def binary_closing_sphere(binary: Binary, radius_x: Radius = 1, radius_y: Radius = 1,
                          radius_z: Radius = 0) -> Binary:
    """Close a binary image with an ellipsoid: dilate, then erode.

    The window is the ellipsoid of ``minimum_sphere``; both steps replicate
    the edge pixel at the borders.

    Parameters
    ----------
    binary : Binary
        The binary image, 2D or 3D; any non-zero pixel is foreground.
    radius_x : int
        Radius of the ellipsoid along x.
    radius_y : int
        Radius of the ellipsoid along y.
    radius_z : int
        Radius of the ellipsoid along z; ignored for 2D images.

    Returns
    -------
    Binary
        uint8 image of 0 and 1, of the same shape.

    See Also
    --------
    scipy.ndimage.binary_closing : the reference for the interior; at the
        borders ``binary_erosion(binary_dilation(b, ellipsoid), ellipsoid,
        border_value=1)``.
    """
    radii = per_axis(binary, radius_x, radius_y, radius_z)
    return morphology(binary, "closing", "sphere", radii, binary=True)
