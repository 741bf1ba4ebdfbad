"""Geometric transforms (category "Transform").

Three kernels of ``transform.cl`` serve them all:

* ``scale``, ``resample``, ``rotate``, ``translate``, ``affine_transform``,
  ``rigid_transform``, ``deskew_x`` and ``deskew_y`` compute an affine map on
  the host (a 3x4 matrix, from output to input coordinates, numpy axis order,
  as ``scipy.ndimage.affine_transform``) and sample the input there with
  nearest or linear interpolation; ``apply_vector_field`` samples with the
  identity map plus a displacement per pixel;
* ``flip``, ``transpose`` and ``upsample`` are integer index maps (a
  gather), exact and dtype-keeping;
* ``crop``, ``sub_stack`` and ``reduce_stack`` are rectangular buffer copies;
* ``downsample`` averages blocks.

Interpolation: "nearest" copies a pixel (the result keeps the dtype; a
coordinate exactly halfway between two pixels takes the upper one, as
scipy's order 0); "linear" interpolates linearly along each axis and gives
float32.  Outside the image, the edge pixel is replicated (scipy's
``mode="nearest"``), except for the deskews, where the input is 0 outside the
raw stack (scipy's ``mode="grid-constant"``): the wedges a sweep leaves
empty stay empty.

Stacks and slices (concatenating, pasting, stitching, planes in and out) are
``stacks.py``'s.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Annotated, Literal

import numpy as np

from .. import _backend as backend
from ._registry import operation
from ._types import Image, Range

__all__ = [
    "affine_transform",
    "apply_vector_field",
    "crop",
    "deskew_x",
    "deskew_y",
    "downsample",
    "flip",
    "reduce_stack",
    "resample",
    "rigid_transform",
    "rotate",
    "scale",
    "sub_stack",
    "translate",
    "transpose",
    "upsample",
]

TRANSFORM = backend.Program("oclip.ops", "transform.cl")

Interpolation = Literal["nearest", "linear"]
#: A zoom factor per axis.
Factor = Annotated[float, Range(0.01, 100.0, 0.1)]
#: An integer factor per axis (block size, repetitions).
IntegerFactor = Annotated[int, Range(1, 1000, 1)]
#: A pixel position (a start).
Position = Annotated[int, Range(0, 1_000_000, 1)]
#: A number of pixels (a size).
Size = Annotated[int, Range(1, 1_000_000, 1)]
#: An angle in degrees.
Angle = Annotated[float, Range(-360.0, 360.0, 1.0)]
#: A shift in pixels.
Shift = Annotated[float, Range(-100_000.0, 100_000.0, 1.0)]
#: A voxel size in any unit (the same for all voxel sizes).
VoxelSize = Annotated[float, Range(0.001, 1_000_000.0, 0.001)]
#: A 4x4 (3D) or 3x3 (2D) homogeneous matrix, row by row, (z, y, x) order.
AffineMatrix = list[float]

IDENTITY_4X4 = (1.0, 0.0, 0.0, 0.0,
                0.0, 1.0, 0.0, 0.0,
                0.0, 0.0, 1.0, 0.0,
                0.0, 0.0, 0.0, 1.0)


# Work-items per work-group: a segment of an output row (see transform.cl).
_ROW_GROUP = 64


def _launch_rows(kernel: str, out: backend.DeviceArray, *arguments: object,
                 defines: dict[str, object]) -> None:
    """Launch ``kernel(*arguments)`` of transform.cl over the pixels of ``out``:
    x rounded up to whole work-groups of one row segment each."""
    ox, oy, oz = backend.grid(out.shape)
    group = min(_ROW_GROUP, ox)
    TRANSFORM.launch(kernel, (-(-ox // group) * group, oy, oz), *arguments,
                   defines=defines, local_size=(group, 1, 1))


# --- the sampling kernel -----------------------------------------------------------------


def sample(image: backend.DeviceArray, matrix: np.ndarray, out_shape: Sequence[int],
           interpolation: str, *, zero_outside: bool = False,
           field: Sequence[backend.DeviceArray] | None = None) -> backend.DeviceArray:
    """Sample ``image`` at ``matrix @ (output coordinates, 1)``.

    ``matrix`` is (ndim, ndim + 1), numpy axis order, mapping output to input
    coordinates.  "nearest" keeps the dtype, "linear" gives float32.  Outside
    the image the edge is replicated (scipy's ``mode="nearest"``), or with
    ``zero_outside`` the input is 0 there (scipy's ``mode="grid-constant"``).
    ``field``: images (x, y, z) of the output's shape, added to the mapped
    coordinates (2D: z is not read).
    """
    ndim = image.ndim
    # about the output's centre, as transform.cl takes it
    centre = (np.array(out_shape, float) - 1) / 2
    full = np.zeros((3, 4))
    full[3 - ndim:, 3 - ndim:3] = matrix[:, :ndim]
    full[3 - ndim:, 3] = matrix[:, :ndim] @ centre + matrix[:, ndim]
    out_dtype = image.dtype if interpolation == "nearest" else np.dtype(np.float32)
    out = backend.create(tuple(out_shape), out_dtype)
    defines = {"T_IN": backend.cl_type_name(image.dtype),
               "T_OUT": backend.cl_type_name(out_dtype), "DIMS": ndim,
               "ZERO_OUTSIDE": int(zero_outside)}
    vectors: tuple[backend.DeviceArray, ...] = ()
    if field is not None:
        vectors = tuple(field)
        defines.update({f"T_V{axis}": backend.cl_type_name(v.dtype)
                        for axis, v in zip("XYZ", vectors, strict=True)})
    _launch_rows(f"sample_{interpolation}", out, image, out, *backend.grid(image.shape),
                 *backend.grid(out.shape), *(float(v) for v in full.ravel()), *vectors,
                 defines=defines)
    return out


def _zoom_map(in_shape: Sequence[int], out_shape: Sequence[int]) -> np.ndarray:
    """The map of a zoom that aligns pixel edges (scipy's ``grid_mode=True``):
    ``input = (output + 0.5) * n_in / n_out - 0.5`` per axis."""
    ratios = np.array(in_shape, float) / np.array(out_shape, float)
    return np.column_stack([np.diag(ratios), 0.5 * ratios - 0.5])


def _zoomed_shape(name: str, image: backend.DeviceArray, factors: dict[str, float],
                  what: str) -> tuple[int, ...]:
    """round(size * factor) per axis (numpy order), refusing empty results."""
    axes = "zyx"[3 - image.ndim:]
    shape = []
    for axis, size in zip(axes, image.shape, strict=True):
        count = round(size * factors[axis])
        if count < 1:
            raise ValueError(f"{name}: parameter '{what}_{axis}' ({factors[axis]}) would "
                             f"leave no pixel of the {size} along {axis}")
        shape.append(count)
    return tuple(shape)


@operation(category="Transform")
def scale(image: Image, factor_x: Factor = 2.0, factor_y: Factor = 2.0, factor_z: Factor = 1.0,
          interpolation: Interpolation = "linear") -> Image:
    """Resize an image by a factor per axis.

    The result has ``round(size * factor)`` pixels along each axis (round
    half to even, as Python's ``round``).  Pixel edges are aligned: the
    result covers the same field of view, each output pixel the input area
    ``size / new size`` times as wide, and the input is sampled at
    ``(i + 0.5) * size / new_size - 0.5`` for output pixel ``i``.

    Parameters
    ----------
    image : Image
        The image to resize, 2D or 3D.
    factor_x : float
        Zoom factor along x (above 1 enlarges).
    factor_y : float
        Zoom factor along y.
    factor_z : float
        Zoom factor along z; ignored for 2D images.
    interpolation : str
        "nearest" copies the closest pixel (an integer factor then repeats
        each pixel, as ``upsample``); "linear" interpolates linearly.

    Returns
    -------
    Image
        The resized image: the input's dtype for "nearest", float32 for
        "linear".

    See Also
    --------
    scipy.ndimage.zoom : the reference, with ``grid_mode=True``,
        ``mode="nearest"`` and ``order`` 0 (nearest) or 1 (linear).
    """
    factors = {"x": factor_x, "y": factor_y, "z": factor_z}
    out_shape = _zoomed_shape("scale", image, factors, "factor")
    return sample(image, _zoom_map(image.shape, out_shape), out_shape, interpolation)


@operation(category="Transform")
def resample(image: Image, voxel_size_x: VoxelSize = 1.0, voxel_size_y: VoxelSize = 1.0,
             voxel_size_z: VoxelSize = 1.0, target_voxel_size: VoxelSize = 1.0) -> Image:
    """Resample an image to cubic voxels of a given size (e.g. to make z isotropic).

    Each axis is zoomed by ``voxel_size / target_voxel_size`` with linear
    interpolation, as ``scale``: ``round(size * voxel_size / target_voxel_size)``
    pixels, pixel edges aligned.

    Parameters
    ----------
    image : Image
        The image to resample, 2D or 3D.
    voxel_size_x : float
        The input's pixel size along x (any unit, the same for all sizes).
    voxel_size_y : float
        The input's pixel size along y.
    voxel_size_z : float
        The input's pixel size along z (the plane spacing); ignored for 2D images.
    target_voxel_size : float
        The result's pixel size along every axis.

    Returns
    -------
    Image
        float32 image.

    See Also
    --------
    scipy.ndimage.zoom : the reference, with ``zoom = voxel_size /
        target_voxel_size``, ``order=1``, ``grid_mode=True``, ``mode="nearest"``.
    """
    factors = {"x": voxel_size_x / target_voxel_size, "y": voxel_size_y / target_voxel_size,
               "z": voxel_size_z / target_voxel_size}
    out_shape = _zoomed_shape("resample", image, factors, "voxel_size")
    return sample(image, _zoom_map(image.shape, out_shape), out_shape, "linear")


def _plane_rotation(angle: float, axes: tuple[int, int]) -> np.ndarray:
    """scipy.ndimage.rotate's output-to-input rotation in the plane of ``axes``
    (numpy axes of a 3D image, ascending), as a 3x3 matrix."""
    radians = math.radians(angle)
    # exact values at multiples of 90 degrees keep ties of nearest sampling exact
    c, s = (round(v, 15) + 0.0 for v in (math.cos(radians), math.sin(radians)))
    rotation = np.eye(3)
    a, b = axes
    rotation[a, a], rotation[a, b], rotation[b, a], rotation[b, b] = c, s, -s, c
    return rotation


def rotation_matrix(shape: Sequence[int], angle_x: float, angle_y: float,
                    angle_z: float) -> np.ndarray:
    """The (ndim, ndim + 1) output-to-input map of ``rotate`` for an image of ``shape``."""
    ndim = len(shape)
    rotation = _plane_rotation(angle_z, (1, 2))
    if ndim == 3:
        rotation = _plane_rotation(angle_x, (0, 1)) @ _plane_rotation(angle_y, (0, 2)) @ rotation
    rotation = rotation[3 - ndim:, 3 - ndim:]
    centre = (np.array(shape, float) - 1) / 2
    return np.column_stack([rotation, centre - rotation @ centre])


@operation(category="Transform")
def rotate(image: Image, angle_x: Angle = 0.0, angle_y: Angle = 0.0, angle_z: Angle = 45.0,
           interpolation: Interpolation = "linear") -> Image:
    """Rotate an image about its centre.

    The result has the input's shape (corners rotated out of it are cut,
    areas rotated into it replicate the edge).  The centre is the middle of
    the image, ``(size - 1) / 2`` along each axis.  Each angle rotates as
    ``scipy.ndimage.rotate`` in one plane: ``angle_z`` in the (y, x) plane
    (``axes=(1, 2)``, for 2D images ``axes=(0, 1)``), ``angle_y`` in the
    (z, x) plane (``axes=(0, 2)``), ``angle_x`` in the (z, y) plane
    (``axes=(0, 1)``).  Several angles rotate about x first, then y, then z,
    with a single interpolation.

    Parameters
    ----------
    image : Image
        The image to rotate, 2D or 3D.
    angle_x : float
        Rotation about the x axis, in degrees; ignored for 2D images.
    angle_y : float
        Rotation about the y axis, in degrees; ignored for 2D images.
    angle_z : float
        Rotation about the z axis (in the image plane), in degrees; positive
        angles turn the image counter-clockwise as napari shows it.
    interpolation : str
        "nearest" copies the closest pixel; "linear" interpolates linearly.

    Returns
    -------
    Image
        Image of the same shape: the input's dtype for "nearest", float32 for
        "linear".

    See Also
    --------
    scipy.ndimage.rotate : the reference for one angle, with ``reshape=False``,
        ``mode="nearest"`` and ``order`` 0 (nearest) or 1 (linear).
    scipy.ndimage.affine_transform : the reference for several angles, with the
        product of the rotations and the offset keeping the centre in place.
    """
    matrix = rotation_matrix(image.shape, angle_x, angle_y, angle_z)
    return sample(image, matrix, image.shape, interpolation)


@operation(category="Transform")
def translate(image: Image, translate_x: Shift = 0.0, translate_y: Shift = 0.0,
              translate_z: Shift = 0.0, interpolation: Interpolation = "linear") -> Image:
    """Shift an image by a (possibly fractional) number of pixels along each axis.

    The output pixel at ``p`` takes the input at ``p - translate``; areas
    shifted into the image replicate the edge.

    Parameters
    ----------
    image : Image
        The image to shift, 2D or 3D.
    translate_x : float
        Shift along x, in pixels (positive: towards larger x).
    translate_y : float
        Shift along y, in pixels.
    translate_z : float
        Shift along z, in pixels; ignored for 2D images.
    interpolation : str
        "nearest" copies the closest pixel; "linear" interpolates linearly
        (for fractional shifts).

    Returns
    -------
    Image
        Image of the same shape: the input's dtype for "nearest", float32 for
        "linear".

    See Also
    --------
    scipy.ndimage.shift : the reference, with ``shift=(translate_z,
        translate_y, translate_x)``, ``mode="nearest"`` and ``order`` 0 or 1.
    """
    shifts = np.array([translate_z, translate_y, translate_x][3 - image.ndim:])
    matrix = np.column_stack([np.eye(image.ndim), -shifts])
    return sample(image, matrix, image.shape, interpolation)


def affine_matrix(name: str, matrix: object, ndim: int) -> np.ndarray:
    """Check the ``matrix`` argument of ``affine_transform`` and return the
    (ndim, ndim + 1) part of it."""
    where = f"{name}: parameter 'matrix'"
    try:
        values = np.array(matrix, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{where} must be a sequence of 16 (3D) or 9 (2D) numbers, "
                        f"got {matrix!r}") from None
    if values.shape not in ((16,), (9,), (4, 4), (3, 3)):
        raise ValueError(f"{where} must hold 16 numbers (a 4x4 matrix, for 3D images) or 9 "
                         f"(3x3, for 2D images), row by row; got shape {values.shape}")
    size = 4 if values.size == 16 else 3
    values = values.reshape(size, size)
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{where} must hold finite numbers, got {values.ravel().tolist()}")
    if not np.array_equal(values[-1], np.eye(size)[-1]):
        raise ValueError(f"{where}: the last row of a homogeneous matrix must be "
                         f"{np.eye(size)[-1].tolist()}, got {values[-1].tolist()}")
    if ndim == 3 and size == 3:
        raise ValueError(f"{where}: a 3D image needs a 4x4 matrix (16 numbers), got 3x3")
    if ndim == 2 and size == 4:
        if not (np.array_equal(values[0], [1, 0, 0, 0])
                and np.array_equal(values[:, 0], [1, 0, 0, 0])):
            raise ValueError(f"{where}: for a 2D image, give 9 numbers (a 3x3 matrix in "
                             "(y, x)), or 16 whose z row and column are the identity's")
        values = values[1:, 1:]
    return values[:-1]


@operation(category="Transform")
def affine_transform(image: Image,
                     # list[float] gives magicgui's list widget; the default is a tuple
                     # so that no call can change it, and any sequence is accepted
                     matrix: AffineMatrix = IDENTITY_4X4,  # type: ignore[assignment]
                     interpolation: Interpolation = "linear") -> Image:
    """Transform an image by an affine map given as a homogeneous matrix.

    The matrix maps output coordinates to input coordinates (as
    ``scipy.ndimage.affine_transform``): the output pixel at ``(z, y, x)``
    takes the input at ``matrix @ (z, y, x, 1)``.  To move an image by a
    transform ``A``, give the inverse of ``A``.

    Parameters
    ----------
    image : Image
        The image to transform, 2D or 3D.
    matrix : list of float
        The homogeneous matrix, row by row, in numpy's (z, y, x) axis order:
        16 numbers (4x4) for a 3D image, 9 (3x3, (y, x)) for a 2D image;
        a 4x4 matrix whose z row and column are the identity's also serves a
        2D image.  The last row must be (0, ..., 0, 1).  A 4x4 or 3x3 numpy
        array is accepted too.
    interpolation : str
        "nearest" copies the closest pixel; "linear" interpolates linearly.

    Returns
    -------
    Image
        Image of the same shape: the input's dtype for "nearest", float32 for
        "linear".

    See Also
    --------
    scipy.ndimage.affine_transform : the reference, with the homogeneous
        matrix, ``mode="nearest"`` and ``order`` 0 (nearest) or 1 (linear).
    """
    values = affine_matrix("affine_transform", matrix, image.ndim)
    return sample(image, values, image.shape, interpolation)


@operation(category="Transform")
def rigid_transform(image: Image, translate_x: Shift = 0.0, translate_y: Shift = 0.0,
                    translate_z: Shift = 0.0, angle_x: Angle = 0.0, angle_y: Angle = 0.0,
                    angle_z: Angle = 0.0, interpolation: Interpolation = "linear") -> Image:
    """Rotate an image about its centre and shift it, with a single interpolation.

    The rotation is ``rotate``'s (about x, then y, then z, about the centre
    ``(size - 1) / 2``), the shift ``translate``'s, applied after the
    rotation: the output pixel at ``p`` takes the input at
    ``R (p - t - c) + c``, with ``R`` the output-to-input rotation of
    ``rotate``, ``t`` the shift and ``c`` the centre.  The result has the
    input's shape; areas moved into it replicate the edge.

    Parameters
    ----------
    image : Image
        The image to move, 2D or 3D.
    translate_x : float
        Shift along x after the rotation, in pixels.
    translate_y : float
        Shift along y, in pixels.
    translate_z : float
        Shift along z, in pixels; ignored for 2D images.
    angle_x : float
        Rotation about the x axis, in degrees (as ``rotate``); ignored for 2D images.
    angle_y : float
        Rotation about the y axis, in degrees; ignored for 2D images.
    angle_z : float
        Rotation about the z axis (in the image plane), in degrees.
    interpolation : str
        "nearest" copies the closest pixel; "linear" interpolates linearly.

    Returns
    -------
    Image
        Image of the same shape: the input's dtype for "nearest", float32 for
        "linear".

    See Also
    --------
    scipy.ndimage.affine_transform : the reference, with the rotation about the
        centre followed by the shift as one matrix, ``mode="nearest"`` and
        ``order`` 0 (nearest) or 1 (linear).

    Examples
    --------
    >>> image = np.zeros((5, 5), np.float32)
    >>> image[2, 3] = 1
    >>> moved = oclip.rigid_transform(image, translate_y=1.0, angle_z=90.0)
    >>> [int(i) for i in np.argwhere(moved > 0.5)[0]]
    [2, 2]
    """
    rotation = rotation_matrix(image.shape, angle_x, angle_y, angle_z)
    shifts = np.array([translate_z, translate_y, translate_x][3 - image.ndim:])
    matrix = rotation.copy()
    matrix[:, -1] -= rotation[:, :-1] @ shifts
    return sample(image, matrix, image.shape, interpolation)


@operation(category="Transform")
def apply_vector_field(image: Image, vector_x: Image, vector_y: Image, vector_z: Image,
                       interpolation: Interpolation = "linear") -> Image:
    """Warp an image by a displacement per pixel.

    The output pixel at ``(z, y, x)`` takes the input at ``(z + vector_z[z, y,
    x], y + vector_y[z, y, x], x + vector_x[z, y, x])`` (displacements in
    pixels, as clEsperanto's ``apply_vector_field``); coordinates outside the
    image replicate the edge.

    Parameters
    ----------
    image : Image
        The image to warp, 2D or 3D.
    vector_x : Image
        The displacement along x of every output pixel, in pixels: the image's
        shape, any dtype (fractions in float32).
    vector_y : Image
        The displacement along y, the image's shape.
    vector_z : Image
        The displacement along z, the image's shape; not read for 2D images
        (give any image of the shape, e.g. ``vector_x``).
    interpolation : str
        "nearest" copies the closest pixel; "linear" interpolates linearly.

    Returns
    -------
    Image
        Image of the same shape: the input's dtype for "nearest", float32 for
        "linear".

    See Also
    --------
    scipy.ndimage.map_coordinates : the reference, with ``numpy.indices(shape) +
        (vector_z, vector_y, vector_x)`` as coordinates, ``mode="nearest"`` and
        ``order`` 0 (nearest) or 1 (linear).

    Examples
    --------
    >>> image = np.array([[0, 10, 20, 30]], np.float32)
    >>> shift = np.full((1, 4), 0.5, np.float32)
    >>> oclip.apply_vector_field(image, shift, np.zeros((1, 4), np.float32), shift)
    array([[ 5., 15., 25., 30.]], dtype=float32)
    """
    vectors = {"vector_x": vector_x, "vector_y": vector_y, "vector_z": vector_z}
    for name, vector in vectors.items():
        if vector.shape != image.shape:
            raise ValueError(f"apply_vector_field: parameter '{name}' must have the image's "
                             f"shape {image.shape}, got {vector.shape}")
    identity = np.column_stack([np.eye(image.ndim), np.zeros(image.ndim)])
    return sample(image, identity, image.shape, interpolation,
                  field=(vector_x, vector_y, vector_z))


# --- deskewing ---------------------------------------------------------------------------

#: The angle of a light sheet to the coverslip, in degrees (0 and 90 are refused: no skew
#: to undo, or no volume).
SheetAngle = Annotated[float, Range(0.1, 89.9, 0.5)]


def _deskew(name: str, image: backend.DeviceArray, angle: float, sheet_axis: int,
            pixel_size: float, other_size: float, voxel_size_z: float) -> backend.DeviceArray:
    """Deskew along numpy axis ``sheet_axis`` (1: y, 2: x) of a stack: see deskew_y.

    ``pixel_size`` is the raw pixel size along the sheet axis (the result's
    voxel size), ``other_size`` along the other in-plane axis.
    """
    if not 0.0 < angle < 90.0:
        raise ValueError(f"{name}: parameter 'angle' ({angle}) must lie strictly between 0 "
                         "and 90 degrees (the light sheet's angle to the coverslip)")
    radians = math.radians(angle)
    s, c = math.sin(radians), math.cos(radians)
    step = voxel_size_z / pixel_size           # the stage step, in output voxels
    ratio = other_size / pixel_size            # the other axis' pixel, in output voxels
    other = 3 - sheet_axis                     # numpy axis of the other in-plane axis
    # forward map of centred raw coordinates (z, y, x) to centred output ones
    forward = np.zeros((3, 3))
    forward[0, sheet_axis] = -s                 # height above the coverslip
    forward[sheet_axis, sheet_axis] = c         # along the scan: the sheet's foot ...
    forward[sheet_axis, 0] = step               # ... plus the stage's steps
    forward[other, other] = ratio
    nz, ny, nx = image.shape
    n_sheet, n_other = (ny, nx) if sheet_axis == 1 else (nx, ny)
    extents = {0: n_sheet * s, sheet_axis: n_sheet * c + nz * step, other: n_other * ratio}
    out_shape = tuple(max(1, round(extents[axis])) for axis in range(3))
    inverse = np.linalg.inv(forward)
    raw_centre = (np.array(image.shape, float) - 1) / 2
    out_centre = (np.array(out_shape, float) - 1) / 2
    matrix = np.column_stack([inverse, raw_centre - inverse @ out_centre])
    return sample(image, matrix, out_shape, "linear", zero_outside=True)


@operation(category="Transform", dimensions=(3,))
def deskew_y(image: Image, angle: SheetAngle = 30.0, voxel_size_x: VoxelSize = 1.0,
             voxel_size_y: VoxelSize = 1.0, voxel_size_z: VoxelSize = 1.0) -> Image:
    """Deskew a stack of oblique light-sheet planes swept along y (lattice light-sheet,
    oblique-plane microscopy) into coverslip coordinates.

    Geometry.  Each plane ``z`` of the raw stack (z, y, x) is one image of the
    light sheet: its x axis lies parallel to the coverslip, its y axis in the
    sheet at ``angle`` degrees to the coverslip.  Between planes the sheet
    moves by ``voxel_size_z`` parallel to the coverslip, along the direction
    of the planes' y axis projected onto the coverslip.  The result is the
    volume in the coverslip's frame: x as the raw x, y parallel to the
    coverslip along the sweep, z perpendicular to the coverslip, with cubic
    voxels of ``voxel_size_y`` along every axis (x is resampled to it if
    ``voxel_size_x`` differs).  With coordinates counted from each volume's
    centre, in the result's voxels, the raw voxel at ``(zr, yr, xr)`` lands
    at::

        z = -sin(angle) * yr
        y =  cos(angle) * yr + (voxel_size_z / voxel_size_y) * zr
        x =  (voxel_size_x / voxel_size_y) * xr

    (the raw y axis points towards the coverslip as it goes along the sweep,
    and each plane is shifted by one stage step along y).  These are the
    axes, orientation and shape of pyclesperanto_prototype's ``deskew_y``
    (``scale_factor=1``, ``voxel_size_x == voxel_size_y``); its placement
    may differ from this one by a fraction of a voxel (it puts the corner of
    the volume's box at 0, this one the centres together).  The result's
    shape covers the whole raw volume's box of voxels: along z
    ``round(ny * sin(angle))``, along y ``round(ny * cos(angle) + nz *
    voxel_size_z / voxel_size_y)``, along x ``round(nx * voxel_size_x /
    voxel_size_y)`` (at least 1), the raw volume's centre at the result's
    centre ``(size - 1) / 2``.  Values are interpolated linearly; outside the
    raw volume the input counts as 0 (the wedges the sweep leaves empty are 0,
    and the volume's faces blend into them over one raw pixel).

    Parameters
    ----------
    image : Image
        The raw stack (z, y, x): one plane per sheet position.
    angle : float
        The light sheet's angle to the coverslip, in degrees, strictly
        between 0 and 90.
    voxel_size_x : float
        The raw pixel size along x (any unit, the same for all sizes).
    voxel_size_y : float
        The raw pixel size along y, in the sheet; the result's voxel size.
    voxel_size_z : float
        The stage step between planes (the raw stack's z step).

    Returns
    -------
    Image
        float32 3D image in coverslip coordinates (see Geometry above).

    See Also
    --------
    scipy.ndimage.affine_transform : the reference, with the inverse of the map
        above (about the centres) as matrix, the result's shape as
        ``output_shape``, ``order=1`` and ``mode="grid-constant"`` (cval 0).
    deskew_x : the same for planes swept along x.

    Examples
    --------
    >>> raw = np.ones((4, 6, 5), np.float32)
    >>> oclip.deskew_y(raw, angle=30.0, voxel_size_z=2.0).shape
    (3, 13, 5)
    """
    return _deskew("deskew_y", image, angle, 1, voxel_size_y, voxel_size_x, voxel_size_z)


@operation(category="Transform", dimensions=(3,))
def deskew_x(image: Image, angle: SheetAngle = 31.8, voxel_size_x: VoxelSize = 1.0,
             voxel_size_y: VoxelSize = 1.0, voxel_size_z: VoxelSize = 1.0) -> Image:
    """Deskew a stack of oblique light-sheet planes swept along x into coverslip
    coordinates.

    As ``deskew_y`` with the roles of x and y swapped: each raw plane's x axis
    lies in the sheet at ``angle`` degrees to the coverslip, its y axis
    parallel to the coverslip, and the stage moves by ``voxel_size_z`` along
    x between planes.  The result has cubic voxels of ``voxel_size_x``; from
    the volumes' centres, in the result's voxels, the raw voxel at ``(zr, yr,
    xr)`` lands at::

        z = -sin(angle) * xr
        y =  (voxel_size_y / voxel_size_x) * yr
        x =  cos(angle) * xr + (voxel_size_z / voxel_size_x) * zr

    the axes, orientation and shape of pyclesperanto_prototype's ``deskew_x``
    (``scale_factor=1``, placed by the centres, see ``deskew_y``).  Shape:
    along z ``round(nx * sin(angle))``, along y ``round(ny * voxel_size_y /
    voxel_size_x)``, along x ``round(nx * cos(angle) + nz * voxel_size_z /
    voxel_size_x)`` (at least 1), centred; linear interpolation, 0 outside the
    raw volume.

    Parameters
    ----------
    image : Image
        The raw stack (z, y, x): one plane per sheet position.
    angle : float
        The light sheet's angle to the coverslip, in degrees, strictly
        between 0 and 90.
    voxel_size_x : float
        The raw pixel size along x, in the sheet; the result's voxel size.
    voxel_size_y : float
        The raw pixel size along y (any unit, the same for all sizes).
    voxel_size_z : float
        The stage step between planes (the raw stack's z step).

    Returns
    -------
    Image
        float32 3D image in coverslip coordinates.

    See Also
    --------
    scipy.ndimage.affine_transform : the reference, with the inverse of the map
        above (about the centres), ``order=1`` and ``mode="grid-constant"``.
    deskew_y : the geometry in detail.

    Examples
    --------
    >>> raw = np.ones((4, 5, 6), np.float32)
    >>> oclip.deskew_x(raw, angle=30.0, voxel_size_z=2.0).shape
    (3, 5, 13)
    """
    return _deskew("deskew_x", image, angle, 2, voxel_size_x, voxel_size_y, voxel_size_z)


# --- integer index maps ------------------------------------------------------------------


def _strides(shape: Sequence[int]) -> tuple[int, int, int]:
    """Element strides (x, y, z) of a C-contiguous image of numpy ``shape``."""
    nx, ny, _ = backend.grid(tuple(shape))
    return 1, nx, nx * ny


def gather(image: backend.DeviceArray, out_shape: Sequence[int], base: int,
           strides: Sequence[int],
           repeats: Sequence[int] = (1, 1, 1)) -> backend.DeviceArray:
    """out[z, y, x] = image.flat[base + (x // rx) * sx + (y // ry) * sy + (z // rz) * sz]
    with ``strides`` = (sx, sy, sz) and ``repeats`` = (rx, ry, rz) (grid order)."""
    out = backend.create(tuple(out_shape), image.dtype)
    repeat = any(r != 1 for r in repeats)
    defines = {"T": backend.cl_type_name(image.dtype), "X_REPEAT": int(repeat)}
    _launch_rows("gather", out, image, out, *backend.grid(out.shape)[:2], np.int64(base),
                 *(np.int64(s) for s in strides), *(np.float32(1.0 / r) for r in repeats),
                 defines=defines)
    return out


@operation(category="Transform")
def crop(image: Image, start_x: Position = 0, start_y: Position = 0, start_z: Position = 0,
         size_x: Size = 100, size_y: Size = 100, size_z: Size = 100) -> Image:
    """Cut out a box of an image.

    The box starts at (start_z, start_y, start_x) and is ``size`` pixels long
    along each axis, cut off where the image ends (as numpy slicing).

    Parameters
    ----------
    image : Image
        The image to crop, 2D or 3D.
    start_x : int
        First column kept; must lie in the image.
    start_y : int
        First row kept; must lie in the image.
    start_z : int
        First plane kept; must lie in the image; ignored for 2D images.
    size_x : int
        Number of columns kept (fewer where the image ends).
    size_y : int
        Number of rows kept (fewer where the image ends).
    size_z : int
        Number of planes kept (fewer where the image ends); ignored for 2D images.

    Returns
    -------
    Image
        Image of the same dtype.

    See Also
    --------
    numpy.ndarray.__getitem__ : the reference,
        ``image[start_z:start_z + size_z, start_y:start_y + size_y, start_x:start_x + size_x]``.
    """
    axes = "zyx"[3 - image.ndim:]
    starts = dict(zip("zyx", (start_z, start_y, start_x), strict=True))
    sizes = dict(zip("zyx", (size_z, size_y, size_x), strict=True))
    out_shape = []
    for axis, length in zip(axes, image.shape, strict=True):
        if starts[axis] >= length:
            raise ValueError(f"crop: parameter 'start_{axis}' ({starts[axis]}) must lie in the "
                             f"image, which has {length} pixels along {axis}")
        out_shape.append(min(sizes[axis], length - starts[axis]))
    return backend.copy_box(image, [starts[axis] for axis in axes], out_shape)


@operation(category="Transform")
def flip(image: Image, flip_x: bool = True, flip_y: bool = False,
         flip_z: bool = False) -> Image:
    """Mirror an image along the chosen axes.

    Parameters
    ----------
    image : Image
        The image to mirror, 2D or 3D.
    flip_x : bool
        Reverse the order of the columns (left-right).
    flip_y : bool
        Reverse the order of the rows (up-down).
    flip_z : bool
        Reverse the order of the planes; ignored for 2D images.

    Returns
    -------
    Image
        Image of the same shape and dtype.

    See Also
    --------
    numpy.flip : the reference, along the chosen axes.
    """
    strides = list(_strides(image.shape))
    sizes = backend.grid(image.shape)
    base = 0
    for axis, wanted in enumerate((flip_x, flip_y, flip_z)):
        if wanted:
            base += (sizes[axis] - 1) * strides[axis]
            strides[axis] = -strides[axis]
    return gather(image, image.shape, base, strides)


@operation(category="Transform")
def transpose(image: Image, which: Literal["xy", "xz", "yz"] = "xy") -> Image:
    """Swap two axes of an image.

    Parameters
    ----------
    image : Image
        The image, 2D or 3D.
    which : str
        The axes to swap: "xy", "xz" or "yz" (2D images have only "xy").

    Returns
    -------
    Image
        Image of the same dtype whose shape has the two sizes swapped.

    See Also
    --------
    numpy.swapaxes : the reference, e.g. ``numpy.swapaxes(image, -1, -2)`` for "xy".
    """
    if image.ndim == 2 and which != "xy":
        raise ValueError(f"transpose: parameter 'which' must be 'xy' for a 2D image, "
                         f"got {which!r}")
    first, second = ("xyz".index(which[0]), "xyz".index(which[1]))
    strides = list(_strides(image.shape))
    sizes = list(backend.grid(image.shape))
    strides[first], strides[second] = strides[second], strides[first]
    sizes[first], sizes[second] = sizes[second], sizes[first]
    out_shape = tuple(sizes[::-1][3 - image.ndim:])
    return gather(image, out_shape, 0, strides)


@operation(category="Transform", dimensions=(3,))
def sub_stack(image: Image, start_z: Position = 0, end_z: Size = 10) -> Image:
    """Keep the planes from ``start_z`` up to (not including) ``end_z`` of a stack.

    Parameters
    ----------
    image : Image
        A 3D image (z, y, x).
    start_z : int
        First plane kept; must lie in the stack.
    end_z : int
        The plane after the last one kept (as a Python slice); cut off at the
        end of the stack; must be above ``start_z``.

    Returns
    -------
    Image
        3D image of the same dtype with ``min(end_z, nz) - start_z`` planes.

    See Also
    --------
    numpy.ndarray.__getitem__ : the reference, ``image[start_z:end_z]``.
    """
    nz = image.shape[0]
    if start_z >= nz:
        raise ValueError(f"sub_stack: parameter 'start_z' ({start_z}) must lie in the stack "
                         f"of {nz} planes")
    if end_z <= start_z:
        raise ValueError(f"sub_stack: parameter 'end_z' ({end_z}) must be above 'start_z' "
                         f"({start_z})")
    out_shape = (min(end_z, nz) - start_z, *image.shape[1:])
    return backend.copy_box(image, (start_z, 0, 0), out_shape)


@operation(category="Transform", dimensions=(3,))
def reduce_stack(image: Image, step: IntegerFactor = 2, offset: Position = 0) -> Image:
    """Keep every ``step``-th plane of a stack, starting at plane ``offset``.

    Parameters
    ----------
    image : Image
        A 3D image (z, y, x).
    step : int
        Distance between the planes kept.
    offset : int
        First plane kept; must lie in the stack.

    Returns
    -------
    Image
        3D image of the same dtype with ``ceil((nz - offset) / step)`` planes.

    See Also
    --------
    numpy.ndarray.__getitem__ : the reference, ``image[offset::step]``.
    """
    nz = image.shape[0]
    if offset >= nz:
        raise ValueError(f"reduce_stack: parameter 'offset' ({offset}) must lie in the stack "
                         f"of {nz} planes")
    out_shape = (-(-(nz - offset) // step), *image.shape[1:])
    return backend.copy_planes(image, range(offset, nz, step), out_shape)


@operation(category="Transform")
def upsample(image: Image, factor_x: IntegerFactor = 2, factor_y: IntegerFactor = 2,
             factor_z: IntegerFactor = 1) -> Image:
    """Enlarge an image by repeating every pixel a whole number of times per axis.

    Parameters
    ----------
    image : Image
        The image to enlarge, 2D or 3D.
    factor_x : int
        Repetitions along x.
    factor_y : int
        Repetitions along y.
    factor_z : int
        Repetitions along z; ignored for 2D images.

    Returns
    -------
    Image
        Image of the same dtype, ``size * factor`` pixels along each axis.

    See Also
    --------
    numpy.repeat : the reference, applied along each axis.
    """
    repeats = (factor_x, factor_y, factor_z if image.ndim == 3 else 1)
    out_shape = tuple(n * r for n, r in zip(image.shape, repeats[::-1][3 - image.ndim:],
                                            strict=True))
    return gather(image, out_shape, 0, _strides(image.shape), repeats)


@operation(category="Transform")
def downsample(image: Image, factor_x: IntegerFactor = 2, factor_y: IntegerFactor = 2,
               factor_z: IntegerFactor = 1) -> Image:
    """Shrink an image by averaging blocks of a whole number of pixels per axis.

    Output pixel ``i`` along an axis averages input pixels ``i * factor`` to
    ``(i + 1) * factor - 1``.  Where a size is not divisible by its factor,
    the last block holds the remaining pixels and averages only those: the
    result has ``ceil(size / factor)`` pixels and no pixel is dropped.

    Parameters
    ----------
    image : Image
        The image to shrink, 2D or 3D.
    factor_x : int
        Block width along x.
    factor_y : int
        Block width along y.
    factor_z : int
        Block width along z; ignored for 2D images.

    Returns
    -------
    Image
        float32 image of ``ceil(size / factor)`` pixels per axis.

    See Also
    --------
    skimage.transform.downscale_local_mean : the reference where sizes are
        divisible by the factors (elsewhere it pads with zeros, which darkens
        the last block; here the block is averaged over its own pixels, as
        ``skimage.measure.block_reduce(image, factors, numpy.nanmean,
        cval=numpy.nan)`` gives it).
    """
    factors = (factor_x, factor_y, factor_z if image.ndim == 3 else 1)
    sizes = backend.grid(image.shape)
    out_grid = tuple(-(-n // f) for n, f in zip(sizes, factors, strict=True))
    out = backend.create(out_grid[::-1][3 - image.ndim:], np.float32)
    _launch_rows("block_mean", out, image, out, *sizes, *out_grid[:2], *factors,
                 defines={"T_IN": backend.cl_type_name(image.dtype), "T_OUT": "float",
                          "DIMS": image.ndim})
    return out
