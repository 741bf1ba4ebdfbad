"""Generators and drawing, for synthetic test images and masks (category "Transform").

A generator takes an image and uses only its shape (and, for drawing, its
pixels outside the shape drawn): ``ramp_x(image)`` is an image of the shape
of ``image`` whose value is the x coordinate.  So every generator is an
ordinary operation of one image, as the registry, workflows and the Assistant
know them: in the Assistant it is applied to the selected layer like any
other operation, in a script to an array (``numpy.zeros(shape)`` for a blank
one), and a workflow records it as a step whose input gives the shape.
Nothing is drawn into the input: drawing returns a new image of the input's
shape and dtype, the input's pixels outside the shape, ``value`` inside.

``value`` is converted to the image's dtype: rounded to the nearest integer
(halves to even) and clipped to the dtype's range for integer images, rounded
to float32 for float images.  Coordinates are in pixels, numpy's order of
axes (the pixel ``[z, y, x]`` has its centre at ``(x, y, z)``); the ``*_z``
parameters are ignored for 2D images.  The results depend on the pixels'
positions in the whole image, so these operations are not local (never
tiled).

The Examples of the docstrings run as they stand with ``numpy`` imported as
``np`` and ``oclip`` (tests/ops/test_examples.py runs them).
"""

from __future__ import annotations

from typing import Annotated

import numpy as np

from .. import _backend as backend
from ._registry import operation
from ._types import Image, Range

__all__ = [
    "draw_box",
    "draw_line",
    "draw_sphere",
    "ramp_x",
    "ramp_y",
    "ramp_z",
    "set_border",
]

DRAW = backend.Program("oclip.ops", "draw.cl")

#: A whole pixel position (may lie outside the image).
Position = Annotated[int, Range(-100_000, 100_000, 1)]
#: A number of pixels.
Size = Annotated[int, Range(0, 100_000, 1)]
#: A coordinate in pixels (may lie outside the image).
Coordinate = Annotated[float, Range(-1e6, 1e6, 1.0)]
#: A length in pixels.
Length = Annotated[float, Range(0.0, 1e6, 0.5)]


def pixel_value(dtype: np.dtype, value: float) -> np.generic:
    """``value`` in ``dtype``: rounded (halves to even) and clipped to the range of an
    integer dtype, rounded to float32 for float32."""
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        with np.errstate(over="ignore"):  # beyond float32's range: infinity
            return dtype.type(value)
    info = np.iinfo(dtype)
    return dtype.type(np.clip(np.rint(value), info.min, info.max))


def _ramp(image: backend.DeviceArray, axis: int) -> backend.DeviceArray:
    out = backend.create(image.shape, np.float32)
    DRAW.launch("ramp", backend.grid(image.shape), out, axis, *backend.grid(image.shape))
    return out


@operation(category="Transform")
def ramp_x(image: Image) -> Image:
    """Make an image whose value is each pixel's x coordinate.

    Only the shape of ``image`` is used.

    Parameters
    ----------
    image : Image
        An image of the shape wanted, 2D or 3D.

    Returns
    -------
    Image
        float32 image of the same shape: 0 in the first column, 1 in the next...

    See Also
    --------
    numpy.indices : the reference, ``numpy.indices(image.shape)[-1]`` as float32.

    Examples
    --------
    >>> oclip.ramp_x(np.zeros((2, 3), np.uint8))
    array([[0., 1., 2.],
           [0., 1., 2.]], dtype=float32)
    """
    return _ramp(image, 0)


@operation(category="Transform")
def ramp_y(image: Image) -> Image:
    """Make an image whose value is each pixel's y coordinate.

    Only the shape of ``image`` is used.

    Parameters
    ----------
    image : Image
        An image of the shape wanted, 2D or 3D.

    Returns
    -------
    Image
        float32 image of the same shape: 0 in the first row, 1 in the next...

    See Also
    --------
    numpy.indices : the reference, ``numpy.indices(image.shape)[-2]`` as float32.

    Examples
    --------
    >>> oclip.ramp_y(np.zeros((2, 3), np.uint8))
    array([[0., 0., 0.],
           [1., 1., 1.]], dtype=float32)
    """
    return _ramp(image, 1)


@operation(category="Transform")
def ramp_z(image: Image) -> Image:
    """Make an image whose value is each pixel's z coordinate (plane index).

    Only the shape of ``image`` is used; a 2D image is one plane (all 0).

    Parameters
    ----------
    image : Image
        An image of the shape wanted, 2D or 3D.

    Returns
    -------
    Image
        float32 image of the same shape: 0 in the first plane, 1 in the next...

    See Also
    --------
    numpy.indices : the reference, ``numpy.indices(image.shape)[-3]`` as float32
        (zeros for 2D images).

    Examples
    --------
    >>> oclip.ramp_z(np.zeros((2, 1, 2), np.uint8))
    array([[[0., 0.]],
    <BLANKLINE>
           [[1., 1.]]], dtype=float32)
    """
    return _ramp(image, 2)


def _draw(image: backend.DeviceArray, tables: list[np.ndarray], value: float,
          outside: bool = False) -> backend.DeviceArray:
    """``value`` where the per-axis tables (numpy order) sum to at most 1 (or, with
    ``outside``, elsewhere), the image elsewhere."""
    while len(tables) < 3:
        tables.insert(0, np.zeros(1))
    with np.errstate(over="ignore"):  # terms beyond float32's range: infinity, outside
        tz, ty, tx = (backend.push(np.asarray(t, np.float32)) for t in tables)
    out = backend.create(image.shape, image.dtype)
    DRAW.launch("draw_separable", backend.grid(image.shape), image, out, tx, ty, tz,
                pixel_value(image.dtype, value), int(outside), *backend.grid(image.shape),
                defines={"T": backend.cl_type_name(image.dtype)})
    return out


def _numpy_order(image: backend.DeviceArray, x: float, y: float, z: float) -> list[float]:
    return [z, y, x][3 - image.ndim:]


@operation(category="Transform")
def set_border(image: Image, value: float = 0.0,
               width: Annotated[int, Range(0, 1000, 1)] = 1) -> Image:
    """Set the pixels within ``width`` of the image's border to ``value``.

    Along every axis of the image (z too, for 3D images), the first and last
    ``width`` pixels are set; the others keep the image's values.

    Parameters
    ----------
    image : Image
        The image, 2D or 3D; it is not modified.
    value : float
        The value of the border, converted to the image's dtype (see the module
        documentation).
    width : int
        Thickness of the border in pixels; 0 returns a copy.

    Returns
    -------
    Image
        Image of the same shape and dtype.

    See Also
    --------
    numpy.pad : the reference, ``numpy.pad(image[(slice(width, -width),) * ndim],
        width, constant_values=value)`` where the image is larger than the border.

    Examples
    --------
    >>> oclip.set_border(np.ones((3, 4), np.uint8), value=7)
    array([[7, 7, 7, 7],
           [7, 1, 1, 7],
           [7, 7, 7, 7]], dtype=uint8)
    """
    tables = [np.where((np.arange(n) < width) | (np.arange(n) >= n - width), 2.0, 0.0)
              for n in image.shape]
    return _draw(image, tables, value, outside=True)


@operation(category="Transform")
def draw_box(image: Image, start_x: Position = 0, start_y: Position = 0, start_z: Position = 0,
             size_x: Size = 1, size_y: Size = 1, size_z: Size = 1,
             value: float = 1.0) -> Image:
    """Draw a box (a rectangle in 2D) of ``value`` into a copy of the image.

    The box holds the pixels from ``start`` to ``start + size - 1`` along each
    axis; parts outside the image are cut off.

    Parameters
    ----------
    image : Image
        The image to draw into, 2D or 3D; it is not modified.
    start_x : int
        The box's first column (may lie outside the image).
    start_y : int
        The box's first row.
    start_z : int
        The box's first plane; ignored for 2D images.
    size_x : int
        Width of the box in pixels; 0 draws nothing.
    size_y : int
        Height of the box in pixels.
    size_z : int
        Depth of the box in planes; ignored for 2D images.
    value : float
        The value drawn, converted to the image's dtype (see the module
        documentation).

    Returns
    -------
    Image
        Image of the same shape and dtype.

    See Also
    --------
    numpy.ndarray.__setitem__ : the reference, ``image[start_z:start_z + size_z,
        start_y:start_y + size_y, start_x:start_x + size_x] = value`` on a copy
        (starts below 0 counted from 0, not from the end).

    Examples
    --------
    >>> oclip.draw_box(np.zeros((3, 4), np.uint8), start_x=1, start_y=1, size_x=2, size_y=5,
    ...                value=9)
    array([[0, 0, 0, 0],
           [0, 9, 9, 0],
           [0, 9, 9, 0]], dtype=uint8)
    """
    starts = _numpy_order(image, start_x, start_y, start_z)
    sizes = _numpy_order(image, size_x, size_y, size_z)
    tables = [np.where((np.arange(n) >= s) & (np.arange(n) < s + k), 0.0, 2.0)
              for n, s, k in zip(image.shape, starts, sizes, strict=True)]
    return _draw(image, tables, value)


def ellipsoid_terms(n: int, centre: float, radius: float) -> np.ndarray:
    """``((i - centre) / radius)**2`` for i = 0 .. n-1 (float64); an axis of radius 0:
    0 at ``i == centre``, infinity elsewhere."""
    offsets = np.arange(n, dtype=np.float64) - centre
    if radius == 0:
        return np.where(offsets == 0, 0.0, np.inf)
    with np.errstate(over="ignore"):
        return (offsets / radius) ** 2


@operation(category="Transform")
def draw_sphere(image: Image, centre_x: Coordinate = 0.0, centre_y: Coordinate = 0.0,
                centre_z: Coordinate = 0.0, radius_x: Length = 1.0, radius_y: Length = 1.0,
                radius_z: Length = 1.0, value: float = 1.0) -> Image:
    """Draw an ellipsoid (an ellipse in 2D) of ``value`` into a copy of the image.

    The ellipsoid holds the pixels whose centres satisfy
    ``((x - centre_x) / radius_x)**2 + ((y - centre_y) / radius_y)**2
    (+ ((z - centre_z) / radius_z)**2) <= 1``; an axis of radius 0 holds only
    the pixels at its centre (as the "sphere" windows).  Each axis's term is
    rounded to float32 before the sum, so pixels within float32's rounding of
    the surface may go either way.

    Parameters
    ----------
    image : Image
        The image to draw into, 2D or 3D; it is not modified.
    centre_x : float
        x coordinate of the centre in pixels (may lie outside the image).
    centre_y : float
        y coordinate of the centre.
    centre_z : float
        z coordinate of the centre; ignored for 2D images.
    radius_x : float
        Radius along x in pixels.
    radius_y : float
        Radius along y in pixels.
    radius_z : float
        Radius along z in pixels; ignored for 2D images.
    value : float
        The value drawn, converted to the image's dtype (see the module
        documentation).

    Returns
    -------
    Image
        Image of the same shape and dtype.

    See Also
    --------
    skimage.draw.ellipsoid : the same surface (for centres on the pixel grid);
        the reference is ``numpy.indices`` with the inequality above.

    Examples
    --------
    >>> oclip.draw_sphere(np.zeros((5, 5), np.uint8), centre_x=2, centre_y=2, radius_x=2,
    ...                   radius_y=1)
    array([[0, 0, 0, 0, 0],
           [0, 0, 1, 0, 0],
           [1, 1, 1, 1, 1],
           [0, 0, 1, 0, 0],
           [0, 0, 0, 0, 0]], dtype=uint8)
    """
    centres = _numpy_order(image, centre_x, centre_y, centre_z)
    radii = _numpy_order(image, radius_x, radius_y, radius_z)
    tables = [ellipsoid_terms(n, c, r)
              for n, c, r in zip(image.shape, centres, radii, strict=True)]
    return _draw(image, tables, value)


@operation(category="Transform")
def draw_line(image: Image, start_x: Coordinate = 0.0, start_y: Coordinate = 0.0,
              start_z: Coordinate = 0.0, end_x: Coordinate = 1.0, end_y: Coordinate = 1.0,
              end_z: Coordinate = 0.0, thickness: Length = 1.0, value: float = 1.0) -> Image:
    """Draw a straight line of ``value`` and ``thickness`` into a copy of the image.

    The line holds the pixels whose centres lie within ``thickness / 2`` of the
    segment from start to end (a capsule: rounded ends; a disk or ball where
    start and end coincide).  Distances are computed in float32, so pixels
    within float32's rounding of the surface may go either way.

    Parameters
    ----------
    image : Image
        The image to draw into, 2D or 3D; it is not modified.
    start_x : float
        x coordinate of the line's start in pixels (may lie outside the image).
    start_y : float
        y coordinate of the start.
    start_z : float
        z coordinate of the start; ignored for 2D images.
    end_x : float
        x coordinate of the line's end.
    end_y : float
        y coordinate of the end.
    end_z : float
        z coordinate of the end; ignored for 2D images.
    thickness : float
        Diameter of the line in pixels; 0 keeps the pixels exactly on it.
    value : float
        The value drawn, converted to the image's dtype (see the module
        documentation).

    Returns
    -------
    Image
        Image of the same shape and dtype.

    See Also
    --------
    skimage.draw.line_nd : a one-pixel line; the reference is the distance of
        ``numpy.indices`` to the segment (float64), at most ``thickness / 2``.

    Examples
    --------
    >>> oclip.draw_line(np.zeros((3, 5), np.uint8), start_x=0, start_y=1, end_x=4, end_y=1)
    array([[0, 0, 0, 0, 0],
           [1, 1, 1, 1, 1],
           [0, 0, 0, 0, 0]], dtype=uint8)
    """
    z0, z1 = (start_z, end_z) if image.ndim == 3 else (0.0, 0.0)
    out = backend.create(image.shape, image.dtype)
    DRAW.launch("draw_line", backend.grid(image.shape), image, out,
                *(np.float32(c) for c in (start_x, start_y, z0, end_x, end_y, z1)),
                np.float32(thickness / 2), pixel_value(image.dtype, value),
                *backend.grid(image.shape), defines={"T": backend.cl_type_name(image.dtype)})
    return out
