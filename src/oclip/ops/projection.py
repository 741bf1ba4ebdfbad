"""Projections of 3D images (category "Projection")."""

from __future__ import annotations

from .. import _backend as backend
from ._registry import operation
from ._types import Image

__all__ = ["maximum_z_projection"]

PROJECTION = "projection.cl"


@operation(category="Projection", dimensions=(3,))
def maximum_z_projection(image: Image) -> Image:
    """Project a stack onto the (y, x) plane by its maximum along z.

    Parameters
    ----------
    image : Image
        A 3D image (z, y, x).

    Returns
    -------
    Image
        2D image (y, x) of the same dtype.

    See Also
    --------
    numpy.max : the reference, ``image.max(axis=0)``.
    """
    nx, ny, nz = backend.grid(image.shape)
    out = backend.create(image.shape[1:], image.dtype)
    backend.launch(PROJECTION, "maximum_z", (nx, ny), image, out, nx, ny, nz,
                   defines={"T": backend.cl_type_name(image.dtype)})
    return out
