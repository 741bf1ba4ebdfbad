"""Stacks and slices (category "Transform"): putting images together (concatenating,
side by side, pasting, stitching with a blended overlap), planes out of and into
stacks, cutting the border, and halving planes by 2x2 medians.

The kernels are ``stacks.cl``'s: ``place`` copies an image into a larger one at an
offset (converting its type), which every putting together is made of; ``stitch``
blends two images over their overlap; ``half_median`` reduces 2x2 blocks.  Cut outs
are rectangular buffer copies (``backend.copy_box``).

Two images put together give numpy's result dtype of the two (``numpy.result_type``,
float32 where that is no dtype of oclip's): no value is cut, as a numpy
concatenation of the two keeps it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Literal

import numpy as np

from .. import _backend as backend
from ._registry import REFUSE_NAN, operation
from ._types import Image, Range

__all__ = [
    "combine_horizontally",
    "combine_vertically",
    "concatenate_stacks",
    "copy_slice",
    "copy_slice_into_stack",
    "crop_border",
    "downsample_slice_by_slice_half_median",
    "paste",
    "stitch_horizontally",
    "stitch_vertically",
]

STACKS = backend.Program("oclip.ops", "stacks.cl")

#: A pixel position that may lie outside the image (what lies outside is cut off).
Offset = Annotated[int, Range(-1_000_000, 1_000_000, 1)]
#: A plane index.
PlaneIndex = Annotated[int, Range(0, 1_000_000, 1)]
#: A number of pixels (a width), possibly 0.
Width = Annotated[int, Range(0, 1_000_000, 1)]

AXES = "zyx"


def common_dtype(*images: backend.DeviceArray) -> np.dtype:
    """numpy's result dtype of the images, float32 where oclip has no such dtype."""
    dtype = np.result_type(*(image.dtype for image in images))
    return dtype if dtype in backend.SUPPORTED_DTYPES else np.dtype(np.float32)


# Work-items per work-group: a segment of a row (CPU drivers vectorize along it).
_ROW_GROUP = 64


def _launch_rows(kernel: str, grid: tuple[int, int, int], *arguments: object,
                 defines: dict[str, object]) -> None:
    """Launch ``kernel`` of stacks.cl over ``grid`` (x, y, z), x rounded up to whole
    work-groups of one row segment each (the kernels return past their width)."""
    nx, ny, nz = grid
    group = min(_ROW_GROUP, nx)
    STACKS.launch(kernel, (-(-nx // group) * group, ny, nz), *arguments, defines=defines,
                  local_size=(group, 1, 1))


def place(image: backend.DeviceArray, out: backend.DeviceArray,
          offset: Sequence[int]) -> None:
    """Copy ``image`` into ``out`` at ``offset`` (numpy order, as many as out.ndim),
    converting to out's dtype; what lands outside ``out`` is dropped."""
    nx, ny, _ = backend.grid(image.shape)
    z0, y0, x0 = (0,) * (3 - len(offset)) + tuple(offset)
    _launch_rows("place", backend.grid(image.shape), image, out, nx, ny,
                 *backend.grid(out.shape), x0, y0, z0,
                 defines={"T_IN": backend.cl_type_name(image.dtype),
                          "T_OUT": backend.cl_type_name(out.dtype)})


def _check_same_ndim(name: str, first: backend.DeviceArray, second: backend.DeviceArray,
                     names: tuple[str, str]) -> None:
    if first.ndim != second.ndim:
        raise ValueError(f"{name}: parameter '{names[1]}' must have as many dimensions as "
                         f"'{names[0]}' ({first.ndim}D, shape {first.shape}), got "
                         f"{second.ndim}D, shape {second.shape}")


def _check_sides(name: str, first: backend.DeviceArray, second: backend.DeviceArray,
                 axis: int, names: tuple[str, str] = ("image1", "image2")) -> None:
    """The two images must agree along every axis but ``axis`` (a numpy axis)."""
    _check_same_ndim(name, first, second, names)
    for a, (m, n) in enumerate(zip(first.shape, second.shape, strict=True)):
        if a != axis and m != n:
            axis_name = AXES[3 - first.ndim + a]
            raise ValueError(f"{name}: parameter '{names[1]}' must have the size of "
                             f"'{names[0]}' along {axis_name} ({m} pixels), got {n} "
                             f"(shapes {first.shape} and {second.shape})")


def _concatenate(name: str, first: backend.DeviceArray, second: backend.DeviceArray,
                 axis: int) -> backend.DeviceArray:
    _check_sides(name, first, second, axis)
    shape = list(first.shape)
    shape[axis] += second.shape[axis]
    out = backend.create(tuple(shape), common_dtype(first, second))
    place(first, out, (0,) * first.ndim)
    offset = [0] * first.ndim
    offset[axis] = first.shape[axis]
    place(second, out, offset)
    return out


@operation(category="Transform")
def concatenate_stacks(image1: Image, image2: Image,
                       axis: Literal["z", "y", "x"] = "z") -> Image:
    """Put two images one after the other along an axis.

    Parameters
    ----------
    image1 : Image
        The first image, 2D or 3D.
    image2 : Image
        The second image, of the same size along the other axes (and for "y"
        or "x" of the same dimensionality).
    axis : str
        The axis to put them along: "z" (the planes of ``image2`` after those
        of ``image1``; a 2D image counts as a stack of one plane, so two 2D
        images give a stack of two), "y" or "x".

    Returns
    -------
    Image
        The images' common dtype (``numpy.result_type``), as long as both along
        ``axis``.

    See Also
    --------
    numpy.concatenate : the reference, along axis 0, 1 or 2 (z, y, x of a 3D
        image; y, x of a 2D one; for "z", 2D images as ``image[numpy.newaxis]``).

    Examples
    --------
    >>> first = np.zeros((2, 3, 4), np.uint8)
    >>> second = np.ones((5, 3, 4), np.uint16)
    >>> stack = oclip.concatenate_stacks(first, second)
    >>> stack.shape, stack.dtype.name, int(stack[2:].min())
    ((7, 3, 4), 'uint16', 1)
    """
    if axis == "z":
        image1, image2 = (image if image.ndim == 3 else image.reshape((1, *image.shape))
                          for image in (image1, image2))
    return _concatenate("concatenate_stacks", image1, image2,
                        AXES[3 - image1.ndim:].index(axis))


@operation(category="Transform")
def combine_horizontally(image1: Image, image2: Image) -> Image:
    """Put two images side by side: ``image2`` right of ``image1`` (along x).

    Parameters
    ----------
    image1 : Image
        The left image, 2D or 3D.
    image2 : Image
        The right image, of the same height (and depth).

    Returns
    -------
    Image
        The images' common dtype, the sum of their widths wide.

    See Also
    --------
    numpy.concatenate : the reference, along the last axis (x).

    Examples
    --------
    >>> oclip.combine_horizontally(np.zeros((3, 4)), np.ones((3, 2))).shape
    (3, 6)
    """
    return _concatenate("combine_horizontally", image1, image2, image1.ndim - 1)


@operation(category="Transform")
def combine_vertically(image1: Image, image2: Image) -> Image:
    """Put two images one above the other: ``image2`` below ``image1`` (along y).

    Parameters
    ----------
    image1 : Image
        The upper image, 2D or 3D.
    image2 : Image
        The lower image, of the same width (and depth).

    Returns
    -------
    Image
        The images' common dtype, the sum of their heights high.

    See Also
    --------
    numpy.concatenate : the reference, along the y axis (-2).

    Examples
    --------
    >>> oclip.combine_vertically(np.zeros((3, 4)), np.ones((2, 4))).shape
    (5, 4)
    """
    return _concatenate("combine_vertically", image1, image2, image1.ndim - 2)


@operation(category="Transform")
def paste(image: Image, destination: Image, destination_x: Offset = 0,
          destination_y: Offset = 0, destination_z: Offset = 0) -> Image:
    """Paste an image into another one at a position.

    The pixel (z, y, x) of ``image`` goes to ``(z + destination_z, y +
    destination_y, x + destination_x)`` of a copy of ``destination``; what
    lands outside it is cut off (a negative position cuts the start).

    Parameters
    ----------
    image : Image
        The image to paste, 2D or 3D.
    destination : Image
        The image to paste into, of the same dimensionality.
    destination_x : int
        Where ``image``'s first column goes.
    destination_y : int
        Where its first row goes.
    destination_z : int
        Where its first plane goes; ignored for 2D images.

    Returns
    -------
    Image
        ``destination``'s shape, the images' common dtype.

    See Also
    --------
    numpy.ndarray.__setitem__ : the reference, assigning ``image`` (its part
        inside) to the box at the position in a copy of ``destination``.

    Examples
    --------
    >>> result = oclip.paste(np.ones((2, 2), np.uint8), np.zeros((3, 4), np.uint8),
    ...                      destination_x=3, destination_y=1)
    >>> result
    array([[0, 0, 0, 0],
           [0, 0, 0, 1],
           [0, 0, 0, 1]], dtype=uint8)
    """
    _check_same_ndim("paste", image, destination, ("image", "destination"))
    out = backend.create(destination.shape, common_dtype(image, destination))
    place(destination, out, (0,) * destination.ndim)
    position = (destination_z, destination_y, destination_x)[3 - image.ndim:]
    place(image, out, position)
    return out


def _check_slice(name: str, stack: backend.DeviceArray, slice_index: int) -> None:
    if slice_index >= stack.shape[0]:
        raise ValueError(f"{name}: parameter 'slice_index' ({slice_index}) must lie in the "
                         f"stack of {stack.shape[0]} planes")


@operation(category="Transform", dimensions=(3,))
def copy_slice(image: Image, slice_index: PlaneIndex = 0) -> Image:
    """Copy one plane out of a stack.

    Parameters
    ----------
    image : Image
        A 3D image (z, y, x).
    slice_index : int
        The plane to copy; must lie in the stack.

    Returns
    -------
    Image
        2D image (y, x) of the same dtype.

    See Also
    --------
    numpy.ndarray.__getitem__ : the reference, ``image[slice_index]``.

    Examples
    --------
    >>> stack = np.arange(12, dtype=np.uint16).reshape(3, 2, 2)
    >>> oclip.copy_slice(stack, slice_index=1)
    array([[4, 5],
           [6, 7]], dtype=uint16)
    """
    _check_slice("copy_slice", image, slice_index)
    return backend.copy_box(image, (slice_index, 0, 0), image.shape[1:])


@operation(category="Transform")
def copy_slice_into_stack(stack: Image, plane: Image, slice_index: PlaneIndex = 0) -> Image:
    """Put a 2D image into a stack, in place of one of its planes.

    Parameters
    ----------
    stack : Image
        A 3D image (z, y, x); a 2D image counts as a stack of one plane.
    plane : Image
        A 2D image (y, x) of the stack's plane shape.
    slice_index : int
        The plane it replaces; must lie in the stack.

    Returns
    -------
    Image
        A copy of ``stack`` with the plane replaced, in the images' common dtype.

    See Also
    --------
    numpy.ndarray.__setitem__ : the reference, ``stack[slice_index] = plane`` on
        a copy.

    Examples
    --------
    >>> result = oclip.copy_slice_into_stack(np.zeros((3, 2, 2), np.uint8),
    ...                                      np.full((2, 2), 7, np.uint8), slice_index=2)
    >>> result[:, 0, 0]
    array([0, 0, 7], dtype=uint8)
    """
    name = "copy_slice_into_stack"
    planes = stack if stack.ndim == 3 else stack.reshape((1, *stack.shape))
    if plane.ndim != 2 or plane.shape != planes.shape[1:]:
        raise ValueError(f"{name}: parameter 'plane' must be a 2D image of the stack's "
                         f"plane shape {planes.shape[1:]}, got shape {plane.shape}")
    _check_slice(name, planes, slice_index)
    out = backend.create(stack.shape, common_dtype(stack, plane))
    place(stack, out, (0,) * stack.ndim)
    place(plane, out, (slice_index, 0, 0)[3 - stack.ndim:])
    return out


@operation(category="Transform")
def crop_border(image: Image, border_size: Width = 1) -> Image:
    """Cut ``border_size`` pixels off each side of an image, along every axis.

    Parameters
    ----------
    image : Image
        The image, 2D or 3D (a 3D image loses planes at both ends too).
    border_size : int
        The pixels removed at each end of each axis; at least one pixel must
        remain along every axis.

    Returns
    -------
    Image
        Image of the same dtype, ``size - 2 * border_size`` pixels per axis.

    See Also
    --------
    numpy.ndarray.__getitem__ : the reference, ``image[b:-b, b:-b(, b:-b)]``.

    Examples
    --------
    >>> oclip.crop_border(np.zeros((5, 7, 9), np.uint8), border_size=2).shape
    (1, 3, 5)
    """
    for axis, size in zip(AXES[3 - image.ndim:], image.shape, strict=True):
        if size - 2 * border_size < 1:
            raise ValueError(f"crop_border: parameter 'border_size' ({border_size}) leaves "
                             f"no pixel of the {size} along {axis}")
    shape = tuple(n - 2 * border_size for n in image.shape)
    return backend.copy_box(image, (border_size,) * image.ndim, shape)


@operation(category="Transform", nonfinite=REFUSE_NAN)
def downsample_slice_by_slice_half_median(image: Image) -> Image:
    """Halve each plane in x and y, every output pixel the median of a 2x2 block.

    Output pixel (z, y, x) is the median of the input pixels (z, 2y .. 2y + 1,
    2x .. 2x + 1): the mean of the two middle values of the four, as
    clEsperanto's ``downsample_slice_by_slice_half_median`` and
    ``numpy.median``.  z is left alone; an odd last row or column is dropped.

    Parameters
    ----------
    image : Image
        The image, 2D or 3D, at least 2 pixels along y and x.

    Returns
    -------
    Image
        float32 image of ``size // 2`` pixels along y and x.

    See Also
    --------
    numpy.median : the reference, of each 2x2 block (``image[..., :2 * (ny // 2),
        :2 * (nx // 2)]`` reshaped to blocks).

    Examples
    --------
    >>> image = np.array([[1, 9, 2, 2], [5, 3, 2, 8]], np.uint8)
    >>> oclip.downsample_slice_by_slice_half_median(image)
    array([[4., 2.]], dtype=float32)
    """
    ny, nx = image.shape[-2:]
    if ny < 2 or nx < 2:
        raise ValueError("downsample_slice_by_slice_half_median: parameter 'image' needs at "
                         f"least 2 pixels along y and x, got shape {image.shape}")
    out = backend.create((*image.shape[:-2], ny // 2, nx // 2), np.float32)
    ox, oy, oz = backend.grid(out.shape)
    _launch_rows("half_median", (ox, oy, oz), image, out, nx, ny, ox, oy,
                 defines={"T_IN": backend.cl_type_name(image.dtype)})
    return out


def _stitch(name: str, first: backend.DeviceArray, second: backend.DeviceArray,
            overlap: int, axis: int) -> backend.DeviceArray:
    """Stitch along numpy axis ``axis`` (the last: x, the one before: y)."""
    _check_sides(name, first, second, axis)
    widths = (first.shape[axis], second.shape[axis])
    if overlap > min(widths):
        raise ValueError(f"{name}: parameter 'overlap' ({overlap}) must not exceed either "
                         f"image's size along {AXES[3 - first.ndim + axis]} ({widths[0]} "
                         f"and {widths[1]})")
    shape = list(first.shape)
    shape[axis] = widths[0] + widths[1] - overlap
    out = backend.create(tuple(shape), np.float32)
    ox, oy, oz = backend.grid(out.shape)
    _launch_rows("stitch", (ox, oy, oz), first, second, out, ox, oy,
                 0 if axis == first.ndim - 1 else 1, widths[0], widths[0] - overlap,
                 defines={"T_A": backend.cl_type_name(first.dtype),
                          "T_B": backend.cl_type_name(second.dtype)})
    return out


@operation(category="Transform")
def stitch_horizontally(image1: Image, image2: Image, overlap: Width = 4) -> Image:
    """Stitch two images side by side (``image2`` right of ``image1``) whose last and
    first ``overlap`` columns show the same area, blending them linearly.

    The result is ``width1 + width2 - overlap`` wide.  Column ``j`` (0 ..
    overlap - 1) of the overlap is ``(1 - w) * image1[..., width1 - overlap + j]
    + w * image2[..., j]`` with ``w = (j + 1) / (overlap + 1)``: the weight
    moves from ``image1`` to ``image2`` across the overlap.

    Parameters
    ----------
    image1 : Image
        The left image, 2D or 3D.
    image2 : Image
        The right image, of the same height (and depth).
    overlap : int
        The number of columns the images share (0: side by side); at most
        either image's width.

    Returns
    -------
    Image
        float32 image.

    See Also
    --------
    numpy.concatenate : the reference, of ``image1``'s columns before the
        overlap, the blend above and ``image2``'s columns after it.

    Examples
    --------
    >>> left = np.zeros((1, 4), np.uint8)
    >>> right = np.full((1, 4), 40, np.uint8)
    >>> oclip.stitch_horizontally(left, right, overlap=3)
    array([[ 0., 10., 20., 30., 40.]], dtype=float32)
    """
    return _stitch("stitch_horizontally", image1, image2, overlap, image1.ndim - 1)


@operation(category="Transform")
def stitch_vertically(image1: Image, image2: Image, overlap: Width = 4) -> Image:
    """Stitch two images one above the other (``image2`` below ``image1``) whose last
    and first ``overlap`` rows show the same area, blending them linearly.

    As ``stitch_horizontally`` along y: the result is ``height1 + height2 -
    overlap`` high; row ``j`` of the overlap is ``(1 - w) * image1[..., height1
    - overlap + j, :] + w * image2[..., j, :]``, ``w = (j + 1) / (overlap + 1)``.

    Parameters
    ----------
    image1 : Image
        The upper image, 2D or 3D.
    image2 : Image
        The lower image, of the same width (and depth).
    overlap : int
        The number of rows the images share (0: one above the other); at most
        either image's height.

    Returns
    -------
    Image
        float32 image.

    See Also
    --------
    numpy.concatenate : the reference, along y, of ``image1``'s rows before the
        overlap, the blend and ``image2``'s rows after it.

    Examples
    --------
    >>> top = np.zeros((3, 1), np.float32)
    >>> bottom = np.full((2, 1), 3, np.float32)
    >>> oclip.stitch_vertically(top, bottom, overlap=2)[:, 0]
    array([0., 1., 2.], dtype=float32)
    """
    return _stitch("stitch_vertically", image1, image2, overlap, image1.ndim - 2)
