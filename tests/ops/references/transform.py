"""References of the geometric transforms (ops/transform.py), against scipy.ndimage,
scikit-image and numpy.

Tolerances:

* integer index maps (crop, flip, transpose, sub_stack, reduce_stack,
  upsample) exactly;
* linear interpolation within 1e-4 of the value range plus 1e-4 relative:
  oclip maps coordinates in float32 (scipy in float64), an error of about
  1e-5 pixels on these sizes, times the image's slope;
* nearest interpolation exactly, except at pixels whose input coordinate lies
  within 1e-3 of halfway between two pixels (but not exactly halfway), where
  float32 and float64 may round to different neighbours (those are left out;
  at most 10% of the pixels: :data:`KEPT`);
* deskew_x, deskew_y (linear, 0 outside the stack) within 1e-4 of the value
  range with 0 included, plus 1e-4 relative;
* downsample (float32 sums of n pixels) within n float32 roundings (6e-8) of the
  largest pixel plus 1e-6 relative.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import scipy.ndimage as ndi
import scipy.special
import skimage.measure

from ._core import Arguments, Reference, exact, f64, named, per_axis, relative

INTERPOLATIONS = {"nearest": 0, "linear": 1}
#: The share of pixels of nearest interpolation that must lie away from ties.
KEPT = 0.9


def assert_linear_close(result: np.ndarray, expected: np.ndarray, image: np.ndarray) -> None:
    spread = float(image.max()) - float(image.min())
    np.testing.assert_allclose(result, expected, rtol=1e-4, atol=1e-4 * spread + 1e-30)


def affine_coordinates(matrix: np.ndarray, out_shape: tuple[int, ...]) -> np.ndarray:
    """Input coordinates (ndim, *out_shape) of every output pixel under the
    (ndim, ndim + 1) output-to-input map, computed as scipy.ndimage does: the
    offset plus each axis' term in turn, in float64."""
    out = np.indices(out_shape, dtype=np.float64)
    coordinates = np.empty_like(out)
    for axis in range(len(out_shape)):
        value = np.full(out_shape, matrix[axis, -1])
        for term in range(len(out_shape)):
            value = value + matrix[axis, term] * out[term]
        coordinates[axis] = value
    return coordinates


def zoom_coordinates(in_shape: tuple[int, ...], out_shape: tuple[int, ...]) -> np.ndarray:
    """scipy.ndimage.zoom's input coordinates in grid mode: (i + 0.5) * zoom - 0.5."""
    out = np.indices(out_shape, dtype=np.float64)
    zoom = np.array(in_shape, float) / np.array(out_shape, float)
    return np.stack([(out[a] + 0.5) * zoom[a] - 0.5 for a in range(len(out_shape))])


def near_ties(coordinates: np.ndarray, margin: float = 1e-3) -> np.ndarray:
    """Pixels with a coordinate within ``margin`` of halfway between two pixels,
    but not exactly halfway (exact halves round up alike in float32 and 64)."""
    distance = np.abs(coordinates - np.floor(coordinates) - 0.5)
    return np.any((distance < margin) & (distance > 0), axis=0)


def assert_nearest_equal(result: np.ndarray, expected: np.ndarray, coordinates: np.ndarray,
                         kept: float = KEPT) -> None:
    keep = ~near_ties(coordinates)
    assert keep.mean() >= kept
    np.testing.assert_array_equal(result[keep], expected[keep])


def check(result: np.ndarray, expected: np.ndarray, image: np.ndarray, interpolation: str,
          coordinates: np.ndarray, kept: float = KEPT) -> None:
    """Compare with scipy's result; ``coordinates`` are scipy's input coordinates
    of the output pixels (for the ties of nearest interpolation, of which at
    most ``1 - kept`` are expected)."""
    assert result.shape == expected.shape
    if interpolation == "linear":
        assert result.dtype == np.float32
        assert_linear_close(result, expected, image)
    else:
        assert result.dtype == image.dtype
        assert_nearest_equal(result, expected, coordinates, kept)


def plane_rotation(angle: float, axes: tuple[int, int], ndim: int) -> np.ndarray:
    """scipy.ndimage.rotate's output-to-input rotation in the plane of ``axes``."""
    c, s = scipy.special.cosdg(angle), scipy.special.sindg(angle)
    rotation = np.eye(ndim)
    a, b = sorted(axes)
    rotation[a, a], rotation[a, b], rotation[b, a], rotation[b, b] = c, s, -s, c
    return rotation


def about_centre(rotation: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """The map of a rotation about the centre, its offset computed as scipy's."""
    centre = (np.array(shape, float) - 1) / 2
    return np.column_stack([rotation, centre - rotation @ centre])


# --- the interpolating transforms: scipy's values, and its input coordinates ----------


def order_of(v: Arguments) -> int:
    return INTERPOLATIONS[v.get("interpolation", "linear")]


def zoom_factors(v: Arguments) -> tuple:
    return per_axis(v, "factor")


def resample_factors(v: Arguments) -> tuple:
    return tuple(s / v["target_voxel_size"] for s in per_axis(v, "voxel_size"))


def zoomed(factors: Callable[[Arguments], tuple]) -> Callable[[Arguments], np.ndarray]:
    return lambda v: ndi.zoom(f64(v["image"]), factors(v), order=order_of(v), mode="nearest",
                              grid_mode=True)


def zoomed_coordinates(v: Arguments, out_shape: tuple[int, ...]) -> np.ndarray:
    return zoom_coordinates(v["image"].shape, out_shape)


def rotation_matrix(v: Arguments) -> np.ndarray:
    """About x, then y, then z (2D images: z only), about the centre."""
    image = v["image"]
    if image.ndim == 2:
        rotation = plane_rotation(v["angle_z"], (0, 1), 2)
    else:
        rotation = (plane_rotation(v["angle_x"], (0, 1), 3)
                    @ plane_rotation(v["angle_y"], (0, 2), 3)
                    @ plane_rotation(v["angle_z"], (1, 2), 3))
    return about_centre(rotation, image.shape)


def translation_matrix(v: Arguments) -> np.ndarray:
    shifts = np.array(per_axis(v, "translate"))
    return np.column_stack([np.eye(v["image"].ndim), -shifts])


def homogeneous_matrix(v: Arguments) -> np.ndarray:
    ndim = v["image"].ndim
    return np.reshape(v["matrix"], (ndim + 1, ndim + 1))


def affine_matrix(v: Arguments) -> np.ndarray:
    return homogeneous_matrix(v)[:-1]


def mapped(matrix: Callable[[Arguments], np.ndarray]) -> Callable[[Arguments], np.ndarray]:
    return lambda v: ndi.affine_transform(f64(v["image"]), matrix(v), order=order_of(v),
                                          mode="nearest")


def mapped_coordinates(matrix: Callable[[Arguments], np.ndarray]):
    return lambda v, out_shape: affine_coordinates(matrix(v), out_shape)


def interpolation_tolerance(coordinates: Callable[[Arguments, tuple[int, ...]], np.ndarray],
                            kept: float = KEPT):
    """:func:`check` with scipy's input coordinates of the arguments."""
    def tolerance(result, expected, v):
        check(result, expected, v["image"], v.get("interpolation", "linear"),
              coordinates(v, expected.shape), kept)
    return tolerance


def rigid_matrix(v: Arguments) -> np.ndarray:
    """The rotation about the centre (as rotate), then the shift: the output pixel p
    takes the input at R (p - t - c) + c."""
    rotation = rotation_matrix(v)
    shifts = np.array(per_axis(v, "translate"))
    return np.column_stack([rotation[:, :-1], rotation[:, -1] - rotation[:, :-1] @ shifts])


# --- deskewing: the matrix and the shape, derived by hand from the documented geometry ----


def deskew_geometry(v: Arguments, sheet: str) -> tuple[np.ndarray, tuple[int, ...]]:
    """scipy's (3, 4) output-to-input map and the output shape of deskew_<sheet>.

    With the result's voxel the raw pixel size along the sheet axis ``sheet`` (y or x),
    k = voxel_size_z / that size (a stage step) and q = the other in-plane axis' pixel
    size / that size, the raw voxel u (from the raw centre) lands at Z = -sin(a) u_s,
    S = cos(a) u_s + k u_z (along the sheet axis), O = q u_o (the other axis); solved
    for u: u_s = -Z / sin(a), u_z = S / k + cos(a) Z / (sin(a) k), u_o = O / q.
    """
    image = v["image"]
    a = math.radians(v["angle"])
    other = "x" if sheet == "y" else "y"
    size = v[f"voxel_size_{sheet}"]
    k, q = v["voxel_size_z"] / size, v[f"voxel_size_{other}"] / size
    s_axis, o_axis = ("zyx".index(sheet), "zyx".index(other))
    n_sheet, n_other, nz = image.shape[s_axis], image.shape[o_axis], image.shape[0]
    shape = [0, 0, 0]
    shape[0] = max(1, round(n_sheet * math.sin(a)))
    shape[s_axis] = max(1, round(n_sheet * math.cos(a) + nz * k))
    shape[o_axis] = max(1, round(n_other * q))
    linear = np.zeros((3, 3))
    linear[0, 0] = math.cos(a) / (math.sin(a) * k)
    linear[0, s_axis] = 1 / k
    linear[s_axis, 0] = -1 / math.sin(a)
    linear[o_axis, o_axis] = 1 / q
    raw_centre = (np.array(image.shape, float) - 1) / 2
    out_centre = (np.array(shape, float) - 1) / 2
    return np.column_stack([linear, raw_centre - linear @ out_centre]), tuple(shape)


def deskewed(sheet: str) -> Callable[[Arguments], np.ndarray]:
    def expected(v: Arguments) -> np.ndarray:
        matrix, shape = deskew_geometry(v, sheet)
        return ndi.affine_transform(f64(v["image"]), matrix, output_shape=shape, order=1,
                                    mode="grid-constant", cval=0.0)
    return expected


def deskew_check(result, expected, v):
    """float32 coordinates (scipy's are float64): within 1e-4 of the value range,
    0 included (the result blends into the zeros outside), plus 1e-4 relative."""
    image = v["image"]
    assert result.dtype == np.float32 and result.shape == expected.shape
    spread = max(float(image.max()), 0.0) - min(float(image.min()), 0.0)
    np.testing.assert_allclose(result, expected, rtol=1e-4, atol=1e-4 * spread + 1e-30)


def field_coordinates(v: Arguments, out_shape: tuple[int, ...]) -> np.ndarray:
    """apply_vector_field's input coordinates: the pixel's plus its displacement, in
    float64 (for 2D images, vector_z is not read)."""
    image = v["image"]
    vectors = [v["vector_z"], v["vector_y"], v["vector_x"]][3 - image.ndim:]
    return np.indices(image.shape, dtype=np.float64) + np.stack([f64(a) for a in vectors])


def field_mapped(v: Arguments) -> np.ndarray:
    return ndi.map_coordinates(f64(v["image"]), field_coordinates(v, v["image"].shape),
                               order=order_of(v), mode="nearest")


#: scipy's input coordinates of the output pixels of the interpolating transforms, as
#: functions of the arguments and the output shape.
COORDINATES = {
    "scale": zoomed_coordinates,
    "resample": zoomed_coordinates,
    "rotate": mapped_coordinates(rotation_matrix),
    "translate": mapped_coordinates(translation_matrix),
    "affine_transform": mapped_coordinates(affine_matrix),
    "rigid_transform": mapped_coordinates(rigid_matrix),
    "apply_vector_field": field_coordinates,
}


# --- index maps and block means -----------------------------------------------------------


def cropped(v):
    image = v["image"]
    starts, sizes = per_axis(v, "start"), per_axis(v, "size")
    return image[tuple(slice(a, a + n) for a, n in zip(starts, sizes, strict=True))]


def flipped(v):
    image = v["image"]
    axes = tuple(axis for axis, wanted in zip((-1, -2, -3), (v["flip_x"], v["flip_y"],
                                                             v["flip_z"]), strict=True)
                 if wanted and -axis <= image.ndim)
    return np.flip(image, axes)


def transposed(v):
    image = v["image"]
    order = "zyx"[3 - image.ndim:]
    return np.swapaxes(image, order.index(v["which"][0]), order.index(v["which"][1]))


def repeated(v):
    image = v["image"]
    for axis, count in enumerate(per_axis(v, "factor")):
        image = np.repeat(image, count, axis=axis)
    return image


def block_means(v):
    """Means of blocks of factor pixels per axis, partial blocks over their own pixels."""
    image = v["image"]
    return skimage.measure.block_reduce(f64(image), per_axis(v, "factor"), np.nanmean,
                                        cval=np.nan)


def block_means_check(result, expected, v):
    """float32 sums of n pixels: within n float32 roundings (6e-8) of the largest pixel
    (test_transform's 1e-6 relative are 16 of them, on positive images; here the pixels
    may cancel, and blocks hold up to 343)."""
    image = v["image"]
    block = math.prod(min(f, n) for f, n in zip(per_axis(v, "factor"), image.shape,
                                                 strict=True))
    relative(1e-6, block * 6e-8 * float(np.abs(image).max()))(result, expected, v)


REFERENCES = named({
    "scale": Reference(zoomed(zoom_factors), interpolation_tolerance(COORDINATES["scale"])),
    "resample": Reference(zoomed(resample_factors),
                          interpolation_tolerance(COORDINATES["resample"])),
    "rotate": Reference(mapped(rotation_matrix), interpolation_tolerance(COORDINATES["rotate"])),
    "translate": Reference(lambda v: ndi.shift(f64(v["image"]), per_axis(v, "translate"),
                                               order=order_of(v), mode="nearest"),
                           interpolation_tolerance(COORDINATES["translate"])),
    "affine_transform": Reference(mapped(homogeneous_matrix),
                                  interpolation_tolerance(COORDINATES["affine_transform"])),
    "rigid_transform": Reference(mapped(rigid_matrix),
                                 interpolation_tolerance(COORDINATES["rigid_transform"])),
    "apply_vector_field": Reference(field_mapped,
                                    interpolation_tolerance(COORDINATES["apply_vector_field"])),
    "deskew_y": Reference(deskewed("y"), deskew_check),
    "deskew_x": Reference(deskewed("x"), deskew_check),
    "crop": Reference(cropped, exact),
    "flip": Reference(flipped, exact),
    "transpose": Reference(transposed, exact),
    "sub_stack": Reference(lambda v: v["image"][v["start_z"]:v["end_z"]], exact),
    "reduce_stack": Reference(lambda v: v["image"][v["offset"]::v["step"]], exact),
    "upsample": Reference(repeated, exact),
    "downsample": Reference(block_means, block_means_check),
})
