"""Background removal (category "Remove background")."""

from __future__ import annotations

from .. import _backend as backend
from ._neighbourhood import extremum_separable, per_axis
from ._registry import operation, radius_halo
from ._types import Image, Radius

__all__ = ["top_hat_box"]

MATH = "math.cl"


def _opening_halo(**params: int) -> tuple[int, int, int]:
    """An opening is a minimum, then a maximum, over the box: twice its radii."""
    return tuple(2 * r for r in radius_halo(**params))


@operation(category="Remove background", halo=_opening_halo)
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
    radii = per_axis(image, radius_x, radius_y, radius_z)
    opened = extremum_separable(extremum_separable(image, "minimum", radii), "maximum", radii)
    defines = {"T1": backend.cl_type_name(image.dtype)}
    backend.launch(MATH, "subtract_same_type", (image.size,), image, opened, opened,
                   defines=defines)
    return opened
