"""Pixel-wise arithmetic on one or two images (category "Combine")."""

from __future__ import annotations

from .. import _backend as backend
from ._registry import PIXELWISE, operation
from ._types import Image

__all__ = ["add_images", "multiply_image_and_scalar"]

MATH = "math.cl"


def same_shape(name: str, image1: backend.DeviceArray, image2: backend.DeviceArray) -> None:
    """Refuse two images of different shapes, naming the operation."""
    if image1.shape != image2.shape:
        raise ValueError(f"{name}: image1 and image2 must have the same shape, "
                         f"got {image1.shape} and {image2.shape}")


@operation(category="Combine", halo=PIXELWISE)
def add_images(image1: Image, image2: Image) -> Image:
    """Add two images pixel by pixel.

    Parameters
    ----------
    image1 : Image
        First summand.
    image2 : Image
        Second summand, of the same shape.

    Returns
    -------
    Image
        float32 sum.

    See Also
    --------
    numpy.add : the reference, on the images converted to float32.
    """
    same_shape("add_images", image1, image2)
    out = backend.create(image1.shape, "float32")
    defines = {"T1": backend.cl_type_name(image1.dtype), "T2": backend.cl_type_name(image2.dtype)}
    backend.launch(MATH, "add_images", (image1.size,), image1, image2, out, defines=defines)
    return out


@operation(category="Combine", halo=PIXELWISE)
def multiply_image_and_scalar(image: Image, scalar: float = 2.0) -> Image:
    """Multiply every pixel by a number.

    Parameters
    ----------
    image : Image
        The image to scale.
    scalar : float
        The factor.

    Returns
    -------
    Image
        float32 product.

    See Also
    --------
    numpy.multiply : the reference, on the image converted to float32.
    """
    out = backend.create(image.shape, "float32")
    defines = {"T1": backend.cl_type_name(image.dtype)}
    backend.launch(MATH, "multiply_image_and_scalar", (image.size,), image, scalar, out,
                   defines=defines)
    return out
