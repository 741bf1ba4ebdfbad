"""Pixel-wise operations: arithmetic and functions of one image (category "Filter"),
of two images or an image and a number (category "Combine"), comparisons with a
number (category "Binarize").

All of them run one kernel of ``math.cl``, generated there per operator; this
module picks the element types:

* arithmetic and functions (``exp``, ``log``, ``cube_root``, ``modulo_images``,
  ``maximum_image_and_scalar``...) convert to float32 and give float32, one
  rounding per operation as numpy's float32 arithmetic;
* ``absolute``, ``clip``, ``nan_to_num``, ``maximum_images``, ``minimum_images``
  and ``mask`` keep the dtype (for two images: numpy's result type of both);
* comparisons and logical operations give binary images (uint8 0/1); integer
  pixels are compared exactly with integers, float pixels in float32.

NaN and infinity go through as in numpy's float32 arithmetic (IEEE): NaN
propagates through arithmetic, minimum and maximum; comparisons with NaN are
false except ``!=``; each operation's docstring names its special values
(division by zero, ``x ** 0``, remainders of 0...).  ``nan_to_num`` replaces
them.  All are local (one pixel in, one out) except
``multiply_image_and_coordinate``, whose result depends on the pixel's
position in the whole image.

The Examples of the docstrings run as they stand with ``numpy`` imported as
``np`` and ``oclip`` (tests/ops/test_examples.py runs them).
"""

from __future__ import annotations

import math as _math
from collections.abc import Callable
from typing import Annotated, Literal

import numpy as np

from .. import _backend as backend
from ._arguments import same_shape
from ._registry import PIXELWISE, operation
from ._types import Binary, Image, Range

__all__ = [
    "absolute",
    "absolute_difference",
    "add_image_and_scalar",
    "add_images",
    "add_images_weighted",
    "binary_and",
    "binary_not",
    "binary_or",
    "binary_subtract",
    "binary_xor",
    "clip",
    "cube_root",
    "degrees_to_radians",
    "divide_images",
    "divide_scalar_by_image",
    "equal",
    "equal_constant",
    "exponential",
    "gamma_correction",
    "greater",
    "greater_constant",
    "greater_or_equal",
    "greater_or_equal_constant",
    "logarithm",
    "mask",
    "maximum_image_and_scalar",
    "maximum_images",
    "minimum_image_and_scalar",
    "minimum_images",
    "modulo_image_and_scalar",
    "modulo_images",
    "multiply_image_and_coordinate",
    "multiply_image_and_scalar",
    "multiply_images",
    "nan_to_num",
    "negate",
    "not_equal",
    "not_equal_constant",
    "power",
    "power_images",
    "radians_to_degrees",
    "reciprocal",
    "smaller",
    "smaller_constant",
    "smaller_or_equal",
    "smaller_or_equal_constant",
    "square",
    "square_root",
    "squared_difference",
    "subtract_image_from_scalar",
    "subtract_images",
]

MATH = backend.Program("oclip.ops", "math.cl")

_FLOAT = np.dtype(np.float32)
#: The kernel parameter type of each compute type.
_SCALAR_TYPES: dict[str, Callable[[float], np.number]] = {
    "float": np.float32, "int": np.int32, "long": np.int64}
_UINT8 = np.dtype(np.uint8)


def _compute_type(*dtypes: np.dtype) -> str:
    """float when any dtype is float, else int for integers of up to 16 bits and
    long for 32-bit ones (exact either way; int vectorizes twice as wide)."""
    if any(np.dtype(d).kind == "f" for d in dtypes):
        return "float"
    return "int" if all(np.dtype(d).itemsize <= 2 for d in dtypes) else "long"


def _pixelwise(operator: str, inputs: tuple[backend.DeviceArray, ...], out_dtype: np.dtype,
               compute: str = "float", p: float = 0.0, q: float = 0.0,
               vector: bool = False, r: float = 0.0) -> backend.DeviceArray:
    """Run the kernel ``operator`` of math.cl (``unary_*`` or ``binary_*`` by the
    number of inputs) with compute type ``compute`` ("float", "int" or "long"),
    which is also the type of the parameters ``p``, ``q`` and ``r`` (converted
    to float32 without overflow warnings: beyond its range they are infinite).
    ``vector``: use the kernel's 16-lane version ``unary16_*`` (``binary16_*``) on
    CPUs."""
    first = inputs[0]
    second = inputs[1] if len(inputs) > 1 else first
    out = backend.create(first.shape, out_dtype)
    is_float = compute == "float"
    defines = {
        "T1": backend.cl_type_name(first.dtype),
        "T2": backend.cl_type_name(second.dtype),
        "TC": compute,
        "TOUT": backend.cl_type_name(out_dtype),
        "TP": compute,
        "TC_FLOAT": int(is_float),
    }
    with np.errstate(over="ignore"):
        parameters = tuple(_SCALAR_TYPES[compute](value) for value in (p, q, r))
    kind = "unary" if len(inputs) == 1 else "binary"
    if vector and backend.current_device().type == "CPU":
        whole = first.size // 16 * 16
        if whole:
            MATH.launch(f"{kind}16_{operator}", (whole // 16,), *inputs, out, *parameters,
                        defines=defines)
        if first.size > whole:
            MATH.launch(f"{kind}16tail_{operator}", (first.size - whole,), *inputs, out,
                        *parameters, np.uint64(whole), defines=defines)
        return out
    MATH.launch(f"{kind}_{operator}", (first.size,), *inputs, out, *parameters,
                defines=defines, local_size=_group_size(first.size))
    return out


def _group_size(size: int) -> tuple[int] | None:
    """Work-items per work-group of the pixel-wise kernels on CPUs: the largest
    power of two up to 4096 that divides the size (PoCL runs a work-group as
    one vectorized loop, faster than its own choice), else
    the driver's choice (also on other devices)."""
    device = backend.current_device()
    limit = _group_limits.get(device.index)
    if limit is None:
        limit = _group_limits[device.index] = (
            min(4096, device.cl_device.max_work_group_size) if device.type == "CPU" else 0)
    group = size & -size  # the largest power of two dividing size
    return (min(group, limit),) if min(group, limit) >= 256 else None


_group_limits: dict[int, int] = {}


def _float_function(operator: str, image: backend.DeviceArray, p: float = 0.0,
                    q: float = 0.0, vector: bool = False) -> backend.DeviceArray:
    return _pixelwise(operator, (image,), _FLOAT, "float", p, q, vector)


def _float_combination(name: str, operator: str, image1: backend.DeviceArray,
                       image2: backend.DeviceArray, p: float = 0.0,
                       q: float = 0.0, vector: bool = False) -> backend.DeviceArray:
    same_shape(name, image1, image2)
    return _pixelwise(operator, (image1, image2), _FLOAT, "float", p, q, vector)


def _result_type(*dtypes: np.dtype) -> np.dtype:
    """numpy's result type of the dtypes if the device supports it, else float32."""
    result = np.result_type(*dtypes)
    return result if result in backend.SUPPORTED_DTYPES else _FLOAT


# --- Filter: functions of one image --------------------------------------------------


@operation(category="Filter", halo=PIXELWISE)
def gamma_correction(image: Image,
                     gamma: Annotated[float, Range(0.0, 100.0, 0.1)] = 1.0) -> Image:
    """Apply the power law ``scale * (image / scale) ** gamma`` pixel by pixel.

    ``scale`` is the largest value of the input's dtype for integer images
    (255 for uint8, 65535 for uint16) and 1 for float images, as in
    scikit-image: the range of the dtype is kept, gamma < 1 brightens,
    gamma > 1 darkens.

    Parameters
    ----------
    image : Image
        The image to correct, 2D or 3D.
    gamma : float
        The exponent, not negative.

    Returns
    -------
    Image
        float32 image of the same shape.  Negative pixels give NaN unless
        gamma is a whole number (numpy's power).

    See Also
    --------
    skimage.exposure.adjust_gamma : the reference, before its conversion back
        to the input's dtype (which truncates integers).
    """
    if gamma == 1.0:
        return _float_function("multiply_scalar", image, 1.0)  # exactly the image
    scale = float(np.iinfo(image.dtype).max) if image.dtype.kind in "iu" else 1.0
    # A positive gamma below float32's normal range would reach the kernel as 0 (or as a
    # denormal, which devices may flush to 0), turning 0 ** gamma = 0 into 1.  In float32
    # every such gamma gives what the smallest normal one gives: 0 for 0, else 1.
    gamma = max(gamma, float(np.finfo(np.float32).smallest_normal)) if gamma > 0 else gamma
    return _float_function("gamma_correction", image, gamma, scale, vector=True)


@operation(category="Filter", halo=PIXELWISE)
def absolute(image: Image) -> Image:
    """Take the absolute value of every pixel.

    Parameters
    ----------
    image : Image
        The image, 2D or 3D.

    Returns
    -------
    Image
        Image of the same shape and dtype.  Unsigned images come back
        unchanged (a copy); for signed integers the most negative value stays
        itself, as in numpy (``absolute(int8(-128)) == -128``).

    See Also
    --------
    numpy.absolute : the reference.
    """
    if image.dtype.kind == "u":
        return image.copy()
    return _pixelwise("absolute", (image,), image.dtype, _compute_type(image.dtype))


@operation(category="Filter", halo=PIXELWISE)
def power(image: Image, exponent: Annotated[float, Range(-100.0, 100.0, 0.5)] = 2.0) -> Image:
    """Raise every pixel to a power.

    Parameters
    ----------
    image : Image
        The base, 2D or 3D.
    exponent : float
        The exponent.

    Returns
    -------
    Image
        float32 image of the same shape: ``image ** exponent`` in float32.
        Negative pixels with a fractional exponent give NaN, 0 with a negative
        exponent inf, as in numpy.

    See Also
    --------
    numpy.power : the reference, on the image converted to float32.

    Notes
    -----
    As numpy, the exponents 2, 0.5, -1 and 1 are computed as ``image * image``,
    ``sqrt(image)``, ``1 / image`` and ``image`` (exact: bit for bit numpy's
    results); other exponents as ``exp(exponent * log|image|)`` with the signs
    and special values of C's ``powf``, within a relative error of about
    ``|exponent * log(image)| * 1e-7``.
    """
    special = {2.0: "square", 0.5: "square_root", -1.0: "reciprocal", 1.0: "multiply_scalar"}
    if exponent in special:
        return _float_function(special[exponent], image, 1.0)
    return _float_function("power", image, exponent, vector=True)


@operation(category="Filter", halo=PIXELWISE)
def square_root(image: Image) -> Image:
    """Take the square root of every pixel.

    Parameters
    ----------
    image : Image
        The image, 2D or 3D.

    Returns
    -------
    Image
        float32 image of the same shape; negative pixels give NaN, as in numpy.

    See Also
    --------
    numpy.sqrt : the reference, on the image converted to float32.
    """
    return _float_function("square_root", image)


@operation(category="Filter", halo=PIXELWISE)
def logarithm(image: Image) -> Image:
    """Take the natural logarithm of every pixel.

    Parameters
    ----------
    image : Image
        The image, 2D or 3D.

    Returns
    -------
    Image
        float32 image of the same shape; 0 gives -inf and negative pixels NaN,
        as in numpy.

    See Also
    --------
    numpy.log : the reference, on the image converted to float32.
    """
    return _float_function("logarithm", image, vector=True)


@operation(category="Filter", halo=PIXELWISE)
def exponential(image: Image) -> Image:
    """Take the exponential (e to the power of the pixel) of every pixel.

    Parameters
    ----------
    image : Image
        The image, 2D or 3D.

    Returns
    -------
    Image
        float32 image of the same shape; pixels above about 88.7 give inf,
        as in numpy.

    See Also
    --------
    numpy.exp : the reference, on the image converted to float32.
    """
    return _float_function("exponential", image, vector=True)


@operation(category="Filter", halo=PIXELWISE)
def clip(image: Image, min: float = 0.0, max: float = 255.0) -> Image:
    """Limit every pixel to the interval [min, max].

    Parameters
    ----------
    image : Image
        The image, 2D or 3D.
    min : float
        Pixels below it become ``min``.  For integer images it is rounded up
        to a whole number (and limited to the dtype's range).
    max : float
        Pixels above it become ``max``, not below ``min``.  For integer images
        it is rounded down to a whole number (and limited to the dtype's range).

    Returns
    -------
    Image
        Image of the same shape and dtype; NaN stays NaN.

    See Also
    --------
    numpy.clip : the reference (with the bounds rounded inwards for integer
        images, so the result keeps the dtype and lies within [min, max]).
    """
    if min > max:
        raise ValueError(f"clip: parameter 'min' ({min}) must not be above 'max' ({max})")
    if image.dtype.kind == "f":
        return _pixelwise("clip", (image,), image.dtype, "float", min, max)
    info = np.iinfo(image.dtype)  # bounds limited to the dtype first (they may be infinite)
    low = _math.ceil(np.clip(min, info.min, info.max))
    high = _math.floor(np.clip(max, info.min, info.max))
    if low > high:
        raise ValueError(f"clip: no whole number lies between 'min' ({min}) and 'max' "
                         f"({max}) for an image of dtype {image.dtype}")
    return _pixelwise("clip", (image,), image.dtype, _compute_type(image.dtype), low, high)


@operation(category="Filter", halo=PIXELWISE)
def square(image: Image) -> Image:
    """Square every pixel.

    Parameters
    ----------
    image : Image
        The image, 2D or 3D.

    Returns
    -------
    Image
        float32 ``image * image`` (inf beyond float32's range).

    See Also
    --------
    numpy.square : the reference, on the image converted to float32.

    Examples
    --------
    >>> oclip.square(np.array([[1, 2, 3]], np.uint8))
    array([[1., 4., 9.]], dtype=float32)
    """
    return _float_function("square", image)


@operation(category="Filter", halo=PIXELWISE)
def reciprocal(image: Image) -> Image:
    """Take ``1 / image`` pixel by pixel.

    Parameters
    ----------
    image : Image
        The image, 2D or 3D.

    Returns
    -------
    Image
        float32 reciprocal.  Zero gives inf (-0.0: -inf), inf gives 0 and NaN
        stays NaN, as in numpy's float32 division.

    See Also
    --------
    numpy.reciprocal : the reference, on the image converted to float32.

    Examples
    --------
    >>> oclip.reciprocal(np.array([[4.0, -0.5, 0.0]], np.float32))
    array([[ 0.25, -2.  ,   inf]], dtype=float32)
    """
    return _float_function("reciprocal", image)


@operation(category="Filter", halo=PIXELWISE)
def cube_root(image: Image) -> Image:
    """Take the real cube root of every pixel.

    Parameters
    ----------
    image : Image
        The image, 2D or 3D.

    Returns
    -------
    Image
        float32 cube root; negative pixels give negative roots (no NaN),
        infinities and NaN stay themselves, as numpy's.

    See Also
    --------
    numpy.cbrt : the reference, on the image converted to float32.

    Examples
    --------
    >>> oclip.cube_root(np.array([[-8.0, 0.0, 27.0]], np.float32))
    array([[-2.,  0.,  3.]], dtype=float32)
    """
    return _float_function("cube_root", image, vector=True)


@operation(category="Filter", halo=PIXELWISE)
def negate(image: Image) -> Image:
    """Change the sign of every pixel.

    Parameters
    ----------
    image : Image
        The image, 2D or 3D.

    Returns
    -------
    Image
        float32 ``-image`` (also for integer images, which numpy would wrap
        around in their own dtype).

    See Also
    --------
    numpy.negative : the reference, on the image converted to float32.

    Examples
    --------
    >>> oclip.negate(np.array([[1, 5, 255]], np.uint8))
    array([[  -1.,   -5., -255.]], dtype=float32)
    """
    return _float_function("negate", image)


#: The factors of numpy's float32 deg2rad and rad2deg: pi / 180 and 180 / pi, each
#: computed in float32 from pi in float32.
_DEGREES_TO_RADIANS = float(np.float32(_math.pi) / np.float32(180.0))
_RADIANS_TO_DEGREES = float(np.float32(180.0) / np.float32(_math.pi))


@operation(category="Filter", halo=PIXELWISE)
def degrees_to_radians(image: Image) -> Image:
    """Convert angles in degrees to radians, pixel by pixel.

    Parameters
    ----------
    image : Image
        Angles in degrees, 2D or 3D.

    Returns
    -------
    Image
        float32 angles in radians: ``image * (pi / 180)`` with the factor in
        float32, as numpy's float32 ``deg2rad`` (the same values).

    See Also
    --------
    numpy.deg2rad : the reference, on the image converted to float32.

    Examples
    --------
    >>> oclip.degrees_to_radians(np.array([[0, 90, 180]], np.uint8))
    array([[0.       , 1.5707964, 3.1415927]], dtype=float32)
    """
    return _float_function("multiply_scalar", image, _DEGREES_TO_RADIANS)


@operation(category="Filter", halo=PIXELWISE)
def radians_to_degrees(image: Image) -> Image:
    """Convert angles in radians to degrees, pixel by pixel.

    Parameters
    ----------
    image : Image
        Angles in radians, 2D or 3D.

    Returns
    -------
    Image
        float32 angles in degrees: ``image * (180 / pi)`` with the factor in
        float32, as numpy's float32 ``rad2deg`` (the same values).

    See Also
    --------
    numpy.rad2deg : the reference, on the image converted to float32.

    Examples
    --------
    >>> oclip.radians_to_degrees(np.array([[0.0, np.pi / 2, np.pi]], np.float32))
    array([[  0.,  90., 180.]], dtype=float32)
    """
    return _float_function("multiply_scalar", image, _RADIANS_TO_DEGREES)


@operation(category="Filter", halo=PIXELWISE)
def nan_to_num(image: Image, nan: float = 0.0, posinf: float = 0.0,
               neginf: float = 0.0) -> Image:
    """Replace NaN and infinite pixels by numbers.

    By default all of them become 0 (numpy's defaults for the infinities are
    the largest and the lowest float32, ``3.4028235e38`` and ``-3.4028235e38``:
    pass them for numpy's result).

    Parameters
    ----------
    image : Image
        The image, 2D or 3D.
    nan : float
        The value of NaN pixels.
    posinf : float
        The value of +inf pixels.
    neginf : float
        The value of -inf pixels.

    Returns
    -------
    Image
        Image of the same dtype: float32 images with the replacements (each
        value rounded to float32; beyond float32's range it is an infinity, as
        numpy converts it); integer images, which hold no NaN or infinity,
        unchanged.

    See Also
    --------
    numpy.nan_to_num : the reference, ``numpy.nan_to_num(image, nan=nan,
        posinf=posinf, neginf=neginf)``.

    Examples
    --------
    >>> ratio = np.array([[np.nan, np.inf, -np.inf, 1.5]], np.float32)
    >>> oclip.nan_to_num(ratio, nan=0.0, posinf=100.0, neginf=-100.0)
    array([[   0. ,  100. , -100. ,    1.5]], dtype=float32)
    """
    if image.dtype.kind != "f":
        return _pixelwise("nan_to_num", (image,), image.dtype, _compute_type(image.dtype))
    return _pixelwise("nan_to_num", (image,), image.dtype, "float", nan, posinf, r=neginf)


#: The largest side whose every coordinate float32 holds exactly (the coordinate's
#: divisors reach the kernel as float32; the kernel counts pixels in 32 bits).
_LARGEST_SIDE = 2**24


@operation(category="Filter")
def multiply_image_and_coordinate(image: Image,
                                  axis: Literal["x", "y", "z"] = "x") -> Image:
    """Multiply every pixel by its coordinate (index) along an axis.

    Parameters
    ----------
    image : Image
        The image, 2D or 3D.
    axis : str
        "x", "y" or "z": the axis whose coordinate, counted from 0, multiplies
        the pixel.  A 2D image is the plane z = 0: "z" gives zeros (and NaN
        where the image is NaN or infinite, as 0 * NaN, 0 * inf in numpy).

    Returns
    -------
    Image
        float32 product, of the same shape.  Not local: the coordinates are
        those of the whole image.

    See Also
    --------
    numpy.indices : the reference, ``image * numpy.indices(image.shape)[axis]``
        in float32.

    Examples
    --------
    >>> oclip.multiply_image_and_coordinate(np.full((2, 4), 10, np.uint8), axis="x")
    array([[ 0., 10., 20., 30.],
           [ 0., 10., 20., 30.]], dtype=float32)
    """
    sides = dict(zip("zyx"[3 - image.ndim:], image.shape, strict=True))
    if max(image.shape) > _LARGEST_SIDE or image.size >= 2**32:
        raise ValueError(f"multiply_image_and_coordinate: images of fewer than 2**32 pixels "
                         f"with sides of up to {_LARGEST_SIDE} are supported, got shape "
                         f"{image.shape}")
    below = {"x": (1, 1), "y": (sides["x"], 1), "z": (sides["x"], sides.get("y", 1))}[axis]
    if axis not in sides:  # z of a 2D image
        below = (1, 1)
    return _pixelwise("multiply_coordinate", (image,), _FLOAT, "float", below[0], below[1],
                      r=sides.get(axis, 1))



# --- Combine: two images, or an image and a number --------------------------------------


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
    return _float_combination("add_images", "add", image1, image2)


@operation(category="Combine", halo=PIXELWISE)
def add_images_weighted(image1: Image, image2: Image, factor1: float = 1.0,
                        factor2: float = 1.0) -> Image:
    """Add two images, each multiplied by a factor: ``factor1 * image1 + factor2 * image2``.

    Parameters
    ----------
    image1 : Image
        First summand.
    image2 : Image
        Second summand, of the same shape.
    factor1 : float
        Weight of the first image.
    factor2 : float
        Weight of the second image.

    Returns
    -------
    Image
        float32 weighted sum.

    See Also
    --------
    numpy.add : the reference, ``image1 * factor1 + image2 * factor2`` in float32.
    """
    return _float_combination("add_images_weighted", "add_weighted", image1, image2,
                              factor1, factor2)


@operation(category="Combine", halo=PIXELWISE)
def subtract_images(image1: Image, image2: Image) -> Image:
    """Subtract the second image from the first, pixel by pixel.

    Parameters
    ----------
    image1 : Image
        The minuend.
    image2 : Image
        The subtrahend, of the same shape.

    Returns
    -------
    Image
        float32 difference ``image1 - image2`` (negative where image2 is larger).

    See Also
    --------
    numpy.subtract : the reference, on the images converted to float32.
    """
    return _float_combination("subtract_images", "subtract", image1, image2)


@operation(category="Combine", halo=PIXELWISE)
def multiply_images(image1: Image, image2: Image) -> Image:
    """Multiply two images pixel by pixel.

    Parameters
    ----------
    image1 : Image
        First factor.
    image2 : Image
        Second factor, of the same shape.

    Returns
    -------
    Image
        float32 product.

    See Also
    --------
    numpy.multiply : the reference, on the images converted to float32.
    """
    return _float_combination("multiply_images", "multiply", image1, image2)


@operation(category="Combine", halo=PIXELWISE)
def divide_images(image1: Image, image2: Image) -> Image:
    """Divide the first image by the second, pixel by pixel.

    Parameters
    ----------
    image1 : Image
        The dividend.
    image2 : Image
        The divisor, of the same shape.

    Returns
    -------
    Image
        float32 quotient.  Division by zero gives inf (or -inf), and 0 / 0
        gives NaN, as in numpy's float32 division.

    See Also
    --------
    numpy.divide : the reference, on the images converted to float32.
    """
    return _float_combination("divide_images", "divide", image1, image2)


@operation(category="Combine", halo=PIXELWISE)
def absolute_difference(image1: Image, image2: Image) -> Image:
    """Take the absolute difference ``|image1 - image2|`` pixel by pixel.

    Parameters
    ----------
    image1 : Image
        First image.
    image2 : Image
        Second image, of the same shape.

    Returns
    -------
    Image
        float32 absolute difference.

    See Also
    --------
    numpy.absolute : the reference, ``numpy.abs(image1 - image2)`` in float32.
    """
    return _float_combination("absolute_difference", "absolute_difference", image1, image2)


@operation(category="Combine", halo=PIXELWISE)
def squared_difference(image1: Image, image2: Image) -> Image:
    """Take the squared difference ``(image1 - image2) ** 2`` pixel by pixel.

    Parameters
    ----------
    image1 : Image
        First image.
    image2 : Image
        Second image, of the same shape.

    Returns
    -------
    Image
        float32 squared difference.

    See Also
    --------
    numpy.square : the reference, ``numpy.square(image1 - image2)`` in float32.
    """
    return _float_combination("squared_difference", "squared_difference", image1, image2)


@operation(category="Combine", halo=PIXELWISE)
def power_images(image1: Image, image2: Image) -> Image:
    """Raise the pixels of the first image to the powers in the second, pixel by pixel.

    Parameters
    ----------
    image1 : Image
        The bases.
    image2 : Image
        The exponents, of the same shape.

    Returns
    -------
    Image
        float32 ``image1 ** image2``, with the special values of numpy's (C's)
        power: a negative base with a non-whole exponent gives NaN, ``x ** 0``
        is 1 and ``1 ** y`` is 1 (even for NaN), ``0 ** -y`` is inf; beyond
        float32's range inf, below it 0.

    See Also
    --------
    numpy.power : the reference, on the images converted to float32 (computed as
        ``exp(image2 * log|image1|)``: within ``|image2 * log(image1)| * 2.5e-7``
        relative, as ``power``).

    Examples
    --------
    >>> bases = np.array([[2.0, 9.0, -2.0]], np.float32)
    >>> exponents = np.array([[2.0, 0.5, 3.0]], np.float32)
    >>> oclip.power_images(bases, exponents)
    array([[ 4.,  3., -8.]], dtype=float32)
    """
    return _float_combination("power_images", "power_images", image1, image2, vector=True)


@operation(category="Combine", halo=PIXELWISE)
def modulo_images(image1: Image, image2: Image) -> Image:
    """Take the remainder of dividing the first image by the second, pixel by pixel.

    Parameters
    ----------
    image1 : Image
        The dividend.
    image2 : Image
        The divisor, of the same shape.

    Returns
    -------
    Image
        float32 remainder with the sign of the divisor (Python's and numpy's
        ``%``, not C's ``fmod``): ``image1 - floor(image1 / image2) * image2``
        up to one rounding.  A divisor of 0 gives NaN, as numpy's float32
        remainder, and so do infinite dividends and NaN.

    See Also
    --------
    numpy.remainder : the reference, on the images converted to float32.

    Examples
    --------
    >>> time = np.array([[7, 8, 9]], np.uint8)
    >>> period = np.array([[3, 3, 4]], np.uint8)
    >>> oclip.modulo_images(time, period)
    array([[1., 2., 1.]], dtype=float32)
    """
    return _float_combination("modulo_images", "modulo", image1, image2)


def _extremum_images(name: str, operator: str, image1: backend.DeviceArray,
                     image2: backend.DeviceArray) -> backend.DeviceArray:
    same_shape(name, image1, image2)
    out_dtype = _result_type(image1.dtype, image2.dtype)
    return _pixelwise(operator, (image1, image2), out_dtype, _compute_type(out_dtype))


@operation(category="Combine", halo=PIXELWISE)
def maximum_images(image1: Image, image2: Image) -> Image:
    """Take the larger of two pixels, pixel by pixel.

    Parameters
    ----------
    image1 : Image
        First image.
    image2 : Image
        Second image, of the same shape.

    Returns
    -------
    Image
        Image of numpy's result type of both dtypes (the dtype itself for two
        images of one dtype; float32 where numpy's would be 64-bit).  NaN
        wins, as in numpy.

    See Also
    --------
    numpy.maximum : the reference.
    """
    return _extremum_images("maximum_images", "maximum", image1, image2)


@operation(category="Combine", halo=PIXELWISE)
def minimum_images(image1: Image, image2: Image) -> Image:
    """Take the smaller of two pixels, pixel by pixel.

    Parameters
    ----------
    image1 : Image
        First image.
    image2 : Image
        Second image, of the same shape.

    Returns
    -------
    Image
        Image of numpy's result type of both dtypes (the dtype itself for two
        images of one dtype; float32 where numpy's would be 64-bit).  NaN
        wins, as in numpy.

    See Also
    --------
    numpy.minimum : the reference.
    """
    return _extremum_images("minimum_images", "minimum", image1, image2)


@operation(category="Combine", halo=PIXELWISE)
def mask(image: Image, binary: Binary) -> Image:
    """Keep the pixels of an image where a binary image is set, and set the others to 0.

    Parameters
    ----------
    image : Image
        The image to mask, 2D or 3D.
    binary : Binary
        The mask, of the same shape: pixels of ``image`` where it is non-zero
        are kept.

    Returns
    -------
    Image
        Image of the same shape and dtype as ``image``.

    See Also
    --------
    numpy.where : the reference, ``numpy.where(binary != 0, image, 0)``.
    """
    same_shape("mask", image, binary, "image", "binary")
    return _pixelwise("mask", (image, binary), image.dtype, _compute_type(image.dtype))


@operation(category="Combine", halo=PIXELWISE)
def add_image_and_scalar(image: Image, scalar: float = 1.0) -> Image:
    """Add a number to every pixel.

    Parameters
    ----------
    image : Image
        The image, 2D or 3D.
    scalar : float
        The number to add.

    Returns
    -------
    Image
        float32 sum.

    See Also
    --------
    numpy.add : the reference, on the image converted to float32.
    """
    return _float_function("add_scalar", image, scalar)


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
    return _float_function("multiply_scalar", image, scalar)


@operation(category="Combine", halo=PIXELWISE)
def subtract_image_from_scalar(image: Image, scalar: float = 0.0) -> Image:
    """Subtract every pixel from a number: ``scalar - image``.

    Parameters
    ----------
    image : Image
        The image, 2D or 3D.
    scalar : float
        The minuend (255 inverts an 8-bit image).

    Returns
    -------
    Image
        float32 difference.

    See Also
    --------
    numpy.subtract : the reference, ``scalar - image`` in float32.

    Examples
    --------
    >>> oclip.subtract_image_from_scalar(np.array([[0, 100, 255]], np.uint8), scalar=255)
    array([[255., 155.,   0.]], dtype=float32)
    """
    return _float_function("subtract_from_scalar", image, scalar)


@operation(category="Combine", halo=PIXELWISE)
def divide_scalar_by_image(image: Image, scalar: float = 1.0) -> Image:
    """Divide a number by every pixel: ``scalar / image``.

    Parameters
    ----------
    image : Image
        The divisor, 2D or 3D.
    scalar : float
        The dividend.

    Returns
    -------
    Image
        float32 quotient.  Division by zero gives inf (or -inf), and 0 / 0
        gives NaN, as in numpy's float32 division.

    See Also
    --------
    numpy.divide : the reference, ``scalar / image`` in float32.

    Examples
    --------
    >>> oclip.divide_scalar_by_image(np.array([[1, 2, 4]], np.uint16), scalar=1.0)
    array([[1.  , 0.5 , 0.25]], dtype=float32)
    """
    return _float_function("divide_scalar", image, scalar)


@operation(category="Combine", halo=PIXELWISE)
def modulo_image_and_scalar(image: Image, scalar: float = 2.0) -> Image:
    """Take the remainder of dividing every pixel by a number.

    Parameters
    ----------
    image : Image
        The dividend, 2D or 3D.
    scalar : float
        The divisor.

    Returns
    -------
    Image
        float32 remainder with the sign of the divisor, as numpy's ``%``
        (see ``modulo_images``); a divisor of 0 gives NaN throughout.

    See Also
    --------
    numpy.remainder : the reference, ``image % scalar`` in float32.

    Examples
    --------
    >>> oclip.modulo_image_and_scalar(np.array([[-1.5, 0.0, 1.0, 2.5]], np.float32), scalar=2.0)
    array([[0.5, 0. , 1. , 0.5]], dtype=float32)
    """
    return _float_function("modulo_scalar", image, scalar)


@operation(category="Combine", halo=PIXELWISE)
def maximum_image_and_scalar(image: Image, scalar: float = 0.0) -> Image:
    """Take the larger of every pixel and a number.

    Parameters
    ----------
    image : Image
        The image, 2D or 3D.
    scalar : float
        The number.

    Returns
    -------
    Image
        float32 image (numpy's result for an integer image and a Python float
        is float64, here rounded to float32: the same values).  NaN pixels
        stay NaN, as in numpy.

    See Also
    --------
    numpy.maximum : the reference, ``numpy.maximum(image, scalar)``.

    Examples
    --------
    >>> oclip.maximum_image_and_scalar(np.array([[-3.0, 0.5, 7.0]], np.float32), scalar=0.0)
    array([[0. , 0.5, 7. ]], dtype=float32)
    """
    return _float_function("maximum_scalar", image, scalar)


@operation(category="Combine", halo=PIXELWISE)
def minimum_image_and_scalar(image: Image, scalar: float = 0.0) -> Image:
    """Take the smaller of every pixel and a number.

    Parameters
    ----------
    image : Image
        The image, 2D or 3D.
    scalar : float
        The number.

    Returns
    -------
    Image
        float32 image (numpy's result for an integer image and a Python float
        is float64, here rounded to float32: the same values).  NaN pixels
        stay NaN, as in numpy.

    See Also
    --------
    numpy.minimum : the reference, ``numpy.minimum(image, scalar)``.

    Examples
    --------
    >>> oclip.minimum_image_and_scalar(np.array([[10, 2000, 65535]], np.uint16), scalar=1000.0)
    array([[  10., 1000., 1000.]], dtype=float32)
    """
    return _float_function("minimum_scalar", image, scalar)


def _compare_images(name: str, operator: str, image1: backend.DeviceArray,
                    image2: backend.DeviceArray) -> backend.DeviceArray:
    same_shape(name, image1, image2)
    return _pixelwise(operator, (image1, image2), _UINT8,
                      _compute_type(image1.dtype, image2.dtype))


@operation(category="Combine", halo=PIXELWISE)
def greater(image1: Image, image2: Image) -> Binary:
    """Mark the pixels where the first image is greater than the second.

    Parameters
    ----------
    image1 : Image
        First image.
    image2 : Image
        Second image, of the same shape.

    Returns
    -------
    Binary
        uint8 image, 1 where ``image1 > image2``.  Integer images are compared
        exactly; when either image is float, both are compared as float32.

    See Also
    --------
    numpy.greater : the reference.
    """
    return _compare_images("greater", "greater", image1, image2)


@operation(category="Combine", halo=PIXELWISE)
def smaller(image1: Image, image2: Image) -> Binary:
    """Mark the pixels where the first image is smaller than the second.

    Parameters
    ----------
    image1 : Image
        First image.
    image2 : Image
        Second image, of the same shape.

    Returns
    -------
    Binary
        uint8 image, 1 where ``image1 < image2``.  Integer images are compared
        exactly; when either image is float, both are compared as float32.

    See Also
    --------
    numpy.less : the reference.
    """
    return _compare_images("smaller", "smaller", image1, image2)


@operation(category="Combine", halo=PIXELWISE)
def equal(image1: Image, image2: Image) -> Binary:
    """Mark the pixels where two images are equal.

    Parameters
    ----------
    image1 : Image
        First image.
    image2 : Image
        Second image, of the same shape.

    Returns
    -------
    Binary
        uint8 image, 1 where ``image1 == image2`` (never where either is NaN).
        Integer images are compared exactly; when either image is float, both
        are compared as float32.

    See Also
    --------
    numpy.equal : the reference.
    """
    return _compare_images("equal", "equal", image1, image2)


@operation(category="Combine", halo=PIXELWISE)
def greater_or_equal(image1: Image, image2: Image) -> Binary:
    """Mark the pixels where the first image is greater than or equal to the second.

    Parameters
    ----------
    image1 : Image
        First image.
    image2 : Image
        Second image, of the same shape.

    Returns
    -------
    Binary
        uint8 image, 1 where ``image1 >= image2`` (never where either is NaN).
        Integer images are compared exactly; when either image is float, both
        are compared as float32.

    See Also
    --------
    numpy.greater_equal : the reference.

    Examples
    --------
    >>> image1 = np.array([[1, 2, 3]], np.uint8)
    >>> image2 = np.array([[2, 2, 2]], np.uint8)
    >>> oclip.greater_or_equal(image1, image2)
    array([[0, 1, 1]], dtype=uint8)
    """
    return _compare_images("greater_or_equal", "greater_or_equal", image1, image2)


@operation(category="Combine", halo=PIXELWISE)
def smaller_or_equal(image1: Image, image2: Image) -> Binary:
    """Mark the pixels where the first image is smaller than or equal to the second.

    Parameters
    ----------
    image1 : Image
        First image.
    image2 : Image
        Second image, of the same shape.

    Returns
    -------
    Binary
        uint8 image, 1 where ``image1 <= image2`` (never where either is NaN).
        Integer images are compared exactly; when either image is float, both
        are compared as float32.

    See Also
    --------
    numpy.less_equal : the reference.

    Examples
    --------
    >>> image1 = np.array([[1, 2, 3]], np.uint8)
    >>> image2 = np.array([[2, 2, 2]], np.uint8)
    >>> oclip.smaller_or_equal(image1, image2)
    array([[1, 1, 0]], dtype=uint8)
    """
    return _compare_images("smaller_or_equal", "smaller_or_equal", image1, image2)


@operation(category="Combine", halo=PIXELWISE)
def not_equal(image1: Image, image2: Image) -> Binary:
    """Mark the pixels where two images differ.

    Parameters
    ----------
    image1 : Image
        First image.
    image2 : Image
        Second image, of the same shape.

    Returns
    -------
    Binary
        uint8 image, 1 where ``image1 != image2`` (always where either is NaN,
        as in numpy).  Integer images are compared exactly; when either image
        is float, both are compared as float32.

    See Also
    --------
    numpy.not_equal : the reference.

    Examples
    --------
    >>> before = np.array([[1.0, 2.0, np.nan]], np.float32)
    >>> after = np.array([[1.0, 2.5, np.nan]], np.float32)
    >>> oclip.not_equal(before, after)
    array([[0, 1, 1]], dtype=uint8)
    """
    return _compare_images("not_equal", "not_equal", image1, image2)


def _logical(name: str, operator: str, binary1: backend.DeviceArray,
             binary2: backend.DeviceArray) -> backend.DeviceArray:
    same_shape(name, binary1, binary2, "binary1", "binary2")
    return _pixelwise(operator, (binary1, binary2), _UINT8, "int")


@operation(category="Combine", halo=PIXELWISE)
def binary_and(binary1: Binary, binary2: Binary) -> Binary:
    """Mark the pixels set in both binary images (logical and).

    Parameters
    ----------
    binary1 : Binary
        First binary image (any non-zero pixel counts as set).
    binary2 : Binary
        Second binary image, of the same shape.

    Returns
    -------
    Binary
        uint8 image of 0 and 1.

    See Also
    --------
    numpy.logical_and : the reference.
    """
    return _logical("binary_and", "binary_and", binary1, binary2)


@operation(category="Combine", halo=PIXELWISE)
def binary_or(binary1: Binary, binary2: Binary) -> Binary:
    """Mark the pixels set in either binary image (logical or).

    Parameters
    ----------
    binary1 : Binary
        First binary image (any non-zero pixel counts as set).
    binary2 : Binary
        Second binary image, of the same shape.

    Returns
    -------
    Binary
        uint8 image of 0 and 1.

    See Also
    --------
    numpy.logical_or : the reference.
    """
    return _logical("binary_or", "binary_or", binary1, binary2)


@operation(category="Combine", halo=PIXELWISE)
def binary_xor(binary1: Binary, binary2: Binary) -> Binary:
    """Mark the pixels set in exactly one of two binary images (exclusive or).

    Parameters
    ----------
    binary1 : Binary
        First binary image (any non-zero pixel counts as set).
    binary2 : Binary
        Second binary image, of the same shape.

    Returns
    -------
    Binary
        uint8 image of 0 and 1.

    See Also
    --------
    numpy.logical_xor : the reference.
    """
    return _logical("binary_xor", "binary_xor", binary1, binary2)


@operation(category="Combine", halo=PIXELWISE)
def binary_subtract(binary1: Binary, binary2: Binary) -> Binary:
    """Mark the pixels set in the first binary image and not in the second.

    Parameters
    ----------
    binary1 : Binary
        The binary image to subtract from (any non-zero pixel counts as set).
    binary2 : Binary
        The binary image to subtract, of the same shape.

    Returns
    -------
    Binary
        uint8 image of 0 and 1.

    See Also
    --------
    numpy.logical_and : the reference, ``logical_and(binary1, logical_not(binary2))``.

    Examples
    --------
    >>> dilated = np.array([[0, 1, 1, 1, 0]], np.uint8)
    >>> binary = np.array([[0, 0, 1, 0, 0]], np.uint8)
    >>> oclip.binary_subtract(dilated, binary)
    array([[0, 1, 0, 1, 0]], dtype=uint8)
    """
    return _logical("binary_subtract", "binary_subtract", binary1, binary2)



# --- Binarize: an image against a number ---------------------------------------------

# Integer pixels n are compared with a whole number equivalent to the constant c:
# n > c  <=>  n > floor(c);  n >= c  <=>  n >= ceil(c);  n < c  <=>  n < ceil(c);
# n <= c  <=>  n <= floor(c);  n == c (n != c) only (except) for a whole c, else
# against one past the dtype's maximum.  Constants beyond the dtype's range are
# first limited to one past its ends.


def _compare_constant(operator: str, image: backend.DeviceArray,
                      constant: float) -> backend.DeviceArray:
    if image.dtype.kind == "f":
        return _pixelwise(operator, (image,), _UINT8, "float", constant)
    info = np.iinfo(image.dtype)
    limited = min(max(constant, info.min - 1.0), info.max + 1.0)
    if operator in ("greater_constant", "smaller_or_equal_constant"):
        threshold = _math.floor(limited)
    elif operator in ("smaller_constant", "greater_or_equal_constant"):
        threshold = _math.ceil(limited)
    else:
        threshold = int(limited) if limited.is_integer() else int(info.max) + 1
    return _pixelwise(operator, (image,), _UINT8, _compute_type(image.dtype), threshold)


@operation(category="Binarize", halo=PIXELWISE)
def greater_constant(image: Image, constant: float = 0.0) -> Binary:
    """Mark the pixels greater than a number.

    Parameters
    ----------
    image : Image
        The image to binarize, 2D or 3D.
    constant : float
        The number to compare with.

    Returns
    -------
    Binary
        uint8 image, 1 where ``image > constant``.  Integer pixels are compared
        exactly; float32 pixels with the constant rounded to float32 (as numpy
        compares a float32 array with a Python float).

    See Also
    --------
    numpy.greater : the reference, ``image > constant``.
    """
    return _compare_constant("greater_constant", image, constant)


@operation(category="Binarize", halo=PIXELWISE)
def smaller_constant(image: Image, constant: float = 0.0) -> Binary:
    """Mark the pixels smaller than a number.

    Parameters
    ----------
    image : Image
        The image to binarize, 2D or 3D.
    constant : float
        The number to compare with.

    Returns
    -------
    Binary
        uint8 image, 1 where ``image < constant``.  Integer pixels are compared
        exactly; float32 pixels with the constant rounded to float32 (as numpy
        compares a float32 array with a Python float).

    See Also
    --------
    numpy.less : the reference, ``image < constant``.
    """
    return _compare_constant("smaller_constant", image, constant)


@operation(category="Binarize", halo=PIXELWISE)
def equal_constant(image: Image, constant: float = 0.0) -> Binary:
    """Mark the pixels equal to a number.

    Parameters
    ----------
    image : Image
        The image to binarize, 2D or 3D.
    constant : float
        The number to compare with.

    Returns
    -------
    Binary
        uint8 image, 1 where ``image == constant``.  Integer pixels are compared
        exactly (no pixel equals a fractional constant); float32 pixels with the
        constant rounded to float32 (as numpy compares a float32 array with a
        Python float).

    See Also
    --------
    numpy.equal : the reference, ``image == constant``.
    """
    return _compare_constant("equal_constant", image, constant)


@operation(category="Binarize", halo=PIXELWISE)
def greater_or_equal_constant(image: Image, constant: float = 0.0) -> Binary:
    """Mark the pixels greater than or equal to a number.

    Parameters
    ----------
    image : Image
        The image to binarize, 2D or 3D.
    constant : float
        The number to compare with.

    Returns
    -------
    Binary
        uint8 image, 1 where ``image >= constant`` (never where it is NaN).
        Integer pixels are compared exactly; float32 pixels with the constant
        rounded to float32 (as numpy compares a float32 array with a Python
        float).

    See Also
    --------
    numpy.greater_equal : the reference, ``image >= constant``.

    Examples
    --------
    >>> oclip.greater_or_equal_constant(np.array([[99, 100, 101]], np.uint8), constant=100)
    array([[0, 1, 1]], dtype=uint8)
    """
    return _compare_constant("greater_or_equal_constant", image, constant)


@operation(category="Binarize", halo=PIXELWISE)
def smaller_or_equal_constant(image: Image, constant: float = 0.0) -> Binary:
    """Mark the pixels smaller than or equal to a number.

    Parameters
    ----------
    image : Image
        The image to binarize, 2D or 3D.
    constant : float
        The number to compare with.

    Returns
    -------
    Binary
        uint8 image, 1 where ``image <= constant`` (never where it is NaN).
        Integer pixels are compared exactly; float32 pixels with the constant
        rounded to float32 (as numpy compares a float32 array with a Python
        float).

    See Also
    --------
    numpy.less_equal : the reference, ``image <= constant``.

    Examples
    --------
    >>> oclip.smaller_or_equal_constant(np.array([[9.5, 10.0, 10.5]], np.float32), constant=10)
    array([[1, 1, 0]], dtype=uint8)
    """
    return _compare_constant("smaller_or_equal_constant", image, constant)


@operation(category="Binarize", halo=PIXELWISE)
def not_equal_constant(image: Image, constant: float = 0.0) -> Binary:
    """Mark the pixels that differ from a number.

    Parameters
    ----------
    image : Image
        The image to binarize, 2D or 3D.
    constant : float
        The number to compare with.

    Returns
    -------
    Binary
        uint8 image, 1 where ``image != constant`` (always where it is NaN).
        Integer pixels are compared exactly (every pixel differs from a
        fractional constant); float32 pixels with the constant rounded to
        float32 (as numpy compares a float32 array with a Python float).

    See Also
    --------
    numpy.not_equal : the reference, ``image != constant``.

    Examples
    --------
    >>> oclip.not_equal_constant(np.array([[0, 3, 0, 7]], np.uint16), constant=0)
    array([[0, 1, 0, 1]], dtype=uint8)
    """
    return _compare_constant("not_equal_constant", image, constant)


@operation(category="Binarize", halo=PIXELWISE)
def binary_not(binary: Binary) -> Binary:
    """Invert a binary image: set pixels become 0, the others 1.

    Parameters
    ----------
    binary : Binary
        The binary image (any non-zero pixel counts as set), 2D or 3D.

    Returns
    -------
    Binary
        uint8 image of 0 and 1.

    See Also
    --------
    numpy.logical_not : the reference.
    """
    return _pixelwise("binary_not", (binary,), _UINT8, "int")
