"""Geometric transforms against scipy.ndimage, scikit-image and numpy.

Tolerances:

* integer index maps (crop, flip, transpose, sub_stack, reduce_stack,
  upsample) exactly;
* linear interpolation within 1e-4 of the value range plus 1e-4 relative:
  oclip maps coordinates in float32 (scipy in float64), an error of about
  1e-5 pixels on these sizes, times the image's slope;
* nearest interpolation exactly, except at pixels whose input coordinate lies
  within 1e-3 of halfway between two pixels (but not exactly halfway), where
  float32 and float64 may round to different neighbours (those are left out;
  they are few, checked);
* downsample (float32 sums of a few pixels) within 1e-6 relative.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.ndimage as ndi
import scipy.special
import skimage.measure
import skimage.transform
from hypothesis import given, settings
from hypothesis import strategies as st

import oclip

from .._helpers import DTYPES, SHAPES

INTERPOLATIONS = {"nearest": 0, "linear": 1}


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
                         kept: float = 0.9) -> None:
    keep = ~near_ties(coordinates)
    assert keep.mean() >= kept
    np.testing.assert_array_equal(result[keep], expected[keep])


def check(result: np.ndarray, expected: np.ndarray, image: np.ndarray, interpolation: str,
          coordinates: np.ndarray, kept: float = 0.9) -> None:
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


def scipy_order(interpolation: str) -> int:
    return INTERPOLATIONS[interpolation]


# --- scale and resample ---------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("interpolation", list(INTERPOLATIONS))
@pytest.mark.parametrize("factors", [(1.7, 0.6, 2.0), (0.5, 0.5, 0.5), (3.0, 1.0, 0.34)],
                         ids=str)
def test_scale_equals_scipy_zoom_in_grid_mode(factors, interpolation, dtype, shape,
                                              make_image):
    image = make_image(shape, dtype)
    factor_x, factor_y, factor_z = factors
    result = oclip.scale(image, factor_x=factor_x, factor_y=factor_y, factor_z=factor_z,
                         interpolation=interpolation)
    zoom = (factor_z, factor_y, factor_x)[3 - image.ndim:]
    expected = ndi.zoom(image.astype(np.float64), zoom, order=scipy_order(interpolation),
                        mode="nearest", grid_mode=True)
    assert result.shape == tuple(round(n * f) for n, f in zip(image.shape, zoom, strict=True))
    check(result, expected, image, interpolation, zoom_coordinates(image.shape, result.shape))


@pytest.mark.parametrize("shape", SHAPES)
def test_scale_by_whole_factors_with_nearest_repeats_pixels(shape, make_image):
    image = make_image(shape, np.uint16)
    result = oclip.scale(image, factor_x=3.0, factor_y=2.0, factor_z=2.0,
                         interpolation="nearest")
    np.testing.assert_array_equal(result, oclip.upsample(image, factor_x=3, factor_y=2,
                                                         factor_z=2))


def test_scale_refuses_an_empty_result():
    with pytest.raises(ValueError, match=r"scale: parameter 'factor_y' \(0.1\) would leave no "
                                         r"pixel of the 4 along y"):
        oclip.scale(np.zeros((4, 40)), factor_x=1.0, factor_y=0.1)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_resample_to_isotropic_voxels_equals_scipy_zoom(shape, dtype, make_image):
    image = make_image(shape, dtype)
    result = oclip.resample(image, voxel_size_x=0.4, voxel_size_y=0.4, voxel_size_z=1.3,
                            target_voxel_size=0.5)
    zoom = (1.3 / 0.5, 0.4 / 0.5, 0.4 / 0.5)[3 - image.ndim:]
    expected = ndi.zoom(image.astype(np.float64), zoom, order=1, mode="nearest",
                        grid_mode=True)
    assert result.shape == expected.shape and result.dtype == np.float32
    assert_linear_close(result, expected, image)


# --- rotate, translate, affine_transform -----------------------------------------------------


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


def rotate_coordinates(angle: float, axes: tuple[int, int], shape: tuple[int, ...]):
    """scipy.ndimage.rotate's input coordinates: a 2D map in the plane of ``axes``."""
    a, b = sorted(axes)
    planar = about_centre(plane_rotation(angle, (0, 1), 2), (shape[a], shape[b]))
    coordinates = np.indices(shape, dtype=np.float64)
    in_plane = affine_coordinates(planar, (shape[a], shape[b]))
    index = [np.newaxis] * len(shape)
    index[a], index[b] = slice(None), slice(None)
    coordinates[a] = np.broadcast_to(in_plane[0][tuple(index)], shape)
    coordinates[b] = np.broadcast_to(in_plane[1][tuple(index)], shape)
    return coordinates


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("interpolation", list(INTERPOLATIONS))
@pytest.mark.parametrize(("angle", "axes"), [("angle_z", (1, 2)), ("angle_y", (0, 2)),
                                             ("angle_x", (0, 1))])
@pytest.mark.parametrize("degrees", [33.0, -120.0, 90.0])
def test_rotate_about_one_axis_equals_scipy_rotate(degrees, angle, axes, interpolation, dtype,
                                                   make_image):
    image = make_image((9, 21, 33), dtype)
    result = oclip.rotate(image, **{"angle_x": 0.0, "angle_y": 0.0, "angle_z": 0.0,
                                    angle: degrees}, interpolation=interpolation)
    expected = ndi.rotate(image.astype(np.float64), degrees, axes=axes, reshape=False,
                          order=scipy_order(interpolation), mode="nearest")
    check(result, expected, image, interpolation, rotate_coordinates(degrees, axes, image.shape))


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("interpolation", list(INTERPOLATIONS))
@pytest.mark.parametrize("degrees", [33.0, -120.0, 90.0, 180.0])
def test_rotate_2d_images_in_their_plane(degrees, interpolation, dtype, make_image):
    image = make_image((37, 53), dtype)
    result = oclip.rotate(image, angle_x=10.0, angle_y=20.0, angle_z=degrees,
                          interpolation=interpolation)  # x and y ignored for 2D
    expected = ndi.rotate(image.astype(np.float64), degrees, reshape=False,
                          order=scipy_order(interpolation), mode="nearest")
    check(result, expected, image, interpolation,
          rotate_coordinates(degrees, (0, 1), image.shape))


@pytest.mark.parametrize("interpolation", list(INTERPOLATIONS))
def test_rotate_about_several_axes_rotates_about_x_then_y_then_z(interpolation, make_image):
    image = make_image((9, 21, 33), np.float32)
    result = oclip.rotate(image, angle_x=20.0, angle_y=-35.0, angle_z=50.0,
                          interpolation=interpolation)
    rotation = (plane_rotation(20.0, (0, 1), 3) @ plane_rotation(-35.0, (0, 2), 3)
                @ plane_rotation(50.0, (1, 2), 3))
    matrix = about_centre(rotation, image.shape)
    expected = ndi.affine_transform(image.astype(np.float64), matrix,
                                    order=scipy_order(interpolation), mode="nearest")
    check(result, expected, image, interpolation, affine_coordinates(matrix, image.shape))


def test_rotations_by_right_angles_compose_as_scipys_in_sequence(make_image):
    # quarter turns of a cube are exact permutations, for scipy's chained rotations too
    image = make_image((7, 7, 7), np.uint16)
    result = oclip.rotate(image, angle_x=90.0, angle_y=90.0, angle_z=-90.0,
                          interpolation="nearest")
    expected = image
    for angle, axes in [(90.0, (0, 1)), (90.0, (0, 2)), (-90.0, (1, 2))]:
        expected = ndi.rotate(expected, angle, axes=axes, reshape=False, order=0,
                              mode="nearest")
    np.testing.assert_array_equal(result, expected)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("interpolation", list(INTERPOLATIONS))
@pytest.mark.parametrize("shift", [(2.3, -1.6, 0.7), (-40.0, 3.0, 1.0), (0.5, 0.5, -0.5)],
                         ids=str)
def test_translate_equals_scipy_shift(shift, interpolation, dtype, shape, make_image):
    image = make_image(shape, dtype)
    translate_x, translate_y, translate_z = shift
    result = oclip.translate(image, translate_x=translate_x, translate_y=translate_y,
                             translate_z=translate_z, interpolation=interpolation)
    shifts = np.array((translate_z, translate_y, translate_x)[3 - image.ndim:])
    expected = ndi.shift(image.astype(np.float64), shifts, order=scipy_order(interpolation),
                         mode="nearest")
    check(result, expected, image, interpolation,
          affine_coordinates(np.column_stack([np.eye(image.ndim), -shifts]), image.shape))


def random_affine(rng: np.random.Generator, ndim: int) -> np.ndarray:
    """A homogeneous (ndim + 1) square matrix near a rotation, with a shift."""
    matrix = np.eye(ndim + 1)
    matrix[:ndim, :ndim] += rng.uniform(-0.4, 0.4, (ndim, ndim))
    matrix[:ndim, ndim] = rng.uniform(-4, 4, ndim)
    return matrix


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("interpolation", list(INTERPOLATIONS))
def test_affine_transform_equals_scipys(interpolation, dtype, shape, make_image, rng):
    image = make_image(shape, dtype)
    matrix = random_affine(rng, image.ndim)
    result = oclip.affine_transform(image, matrix=tuple(matrix.ravel()),
                                    interpolation=interpolation)
    expected = ndi.affine_transform(image.astype(np.float64), matrix,
                                    order=scipy_order(interpolation), mode="nearest")
    check(result, expected, image, interpolation, affine_coordinates(matrix[:-1], image.shape))
    # the same matrix as a numpy array, and as a list (a workflow file's form)
    np.testing.assert_array_equal(oclip.affine_transform(image, matrix=matrix,
                                                         interpolation=interpolation), result)
    np.testing.assert_array_equal(
        oclip.affine_transform(image, matrix=matrix.ravel().tolist(),
                               interpolation=interpolation), result)


def test_affine_transform_of_a_2d_image_takes_a_4x4_matrix_with_identity_z(make_image, rng):
    image = make_image((37, 53), np.float32)
    planar = random_affine(rng, 2)
    full = np.eye(4)
    full[1:, 1:] = planar
    np.testing.assert_array_equal(oclip.affine_transform(image, matrix=full.ravel()),
                                  oclip.affine_transform(image, matrix=planar.ravel()))
    np.testing.assert_array_equal(oclip.affine_transform(image), image)  # the default


@pytest.mark.parametrize(("matrix", "ndim", "error", "message"), [
    ((1.0,) * 12, 3, ValueError, r"must hold 16 numbers \(a 4x4 matrix, for 3D images\) or 9"),
    ("abc", 3, TypeError, "must be a sequence of 16"),
    (((1, 2), (3,)), 3, TypeError, "must be a sequence of 16 .3D. or 9 .2D. numbers"),
    (("a",) * 16, 3, TypeError, "must be a sequence of 16"),
    ((np.nan,) + (0.0,) * 15, 3, ValueError, "must hold finite numbers"),
    ((*np.eye(4)[:3].ravel(), 0, 0, 1, 1), 3, ValueError,
     r"the last row of a homogeneous matrix must be \[0.0, 0.0, 0.0, 1.0\]"),
    (tuple(np.eye(3).ravel()), 3, ValueError, "a 3D image needs a 4x4 matrix"),
    (tuple((np.eye(4) + np.eye(4, k=1)).ravel()), 2, ValueError,
     "for a 2D image, give 9 numbers"),
])
def test_affine_transform_refuses_bad_matrices(matrix, ndim, error, message):
    image = np.zeros((3,) * ndim, np.float32)
    with pytest.raises(error, match="affine_transform: parameter 'matrix'.*" + message):
        oclip.affine_transform(image, matrix=matrix)


def test_affine_matrix_travels_through_a_workflow_file_and_a_script(make_image, rng):
    from oclip.workflow import Workflow, dumps, loads, to_python

    image = make_image((9, 21, 33), np.float32)
    matrix = random_affine(rng, 3)
    workflow = (Workflow(inputs=["image"])
                .add_step("affine_transform", {"image": "image"},
                          {"matrix": matrix.ravel().tolist()}, id="moved")
                .with_outputs(["moved"]))
    assert workflow.step("moved").params["matrix"] == tuple(matrix.ravel())
    text = dumps(workflow)
    assert "matrix: [" in text
    loaded = loads(text)
    assert loaded == workflow
    expected = oclip.affine_transform(image, matrix=matrix)
    np.testing.assert_array_equal(loaded.run({"image": image})["moved"], expected)
    script = to_python(workflow)
    assert "matrix=(" in script
    namespace: dict = {"__name__": "exported"}
    exec(script, namespace)
    np.testing.assert_array_equal(namespace["run_workflow"](image=image)["moved"], expected)
    with pytest.raises(ValueError, match="parameter 'matrix' must be a list of numbers"):
        Workflow(inputs=["image"]).add_step("affine_transform", {"image": "image"},
                                            {"matrix": [1, "a"]})


# --- integer index maps -----------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_crop_equals_slicing(shape, dtype, make_image):
    image = make_image(shape, dtype)
    result = oclip.crop(image, start_x=5, start_y=3, start_z=2, size_x=10, size_y=100,
                        size_z=4)  # cut off where the image ends, as slicing
    expected = image[..., 3:103, 5:15] if image.ndim == 2 else image[2:6, 3:103, 5:15]
    assert result.dtype == dtype
    np.testing.assert_array_equal(result, expected)
    np.testing.assert_array_equal(oclip.crop(image, size_x=1, size_y=1, size_z=1),
                                  image[(slice(0, 1),) * image.ndim])


def test_crop_refuses_a_start_outside_the_image():
    with pytest.raises(ValueError, match=r"crop: parameter 'start_y' \(5\) must lie in the "
                                         r"image, which has 5 pixels along y"):
        oclip.crop(np.zeros((5, 8)), start_y=5)
    np.testing.assert_array_equal(oclip.crop(np.ones((5, 8)), start_z=99), np.ones((5, 8)))


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("flips", [(True, False, False), (False, True, False),
                                   (False, False, True), (True, True, True)], ids=str)
def test_flip_equals_numpy_flip(flips, dtype, shape, make_image):
    image = make_image(shape, dtype)
    flip_x, flip_y, flip_z = flips
    result = oclip.flip(image, flip_x=flip_x, flip_y=flip_y, flip_z=flip_z)
    axes = tuple(axis for axis, wanted in zip((-1, -2, -3), flips, strict=True)
                 if wanted and -axis <= image.ndim)
    assert result.dtype == dtype
    np.testing.assert_array_equal(result, np.flip(image, axes))


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize(("which", "axes"), [("xy", (2, 1)), ("xz", (2, 0)), ("yz", (1, 0))])
def test_transpose_equals_swapaxes(which, axes, dtype, make_image):
    image = make_image((9, 21, 33), dtype)
    np.testing.assert_array_equal(oclip.transpose(image, which=which),
                                  np.swapaxes(image, *axes))
    flat = make_image((37, 53), dtype)
    np.testing.assert_array_equal(oclip.transpose(flat, which="xy"), flat.T)


def test_transpose_of_a_2d_image_takes_only_xy():
    with pytest.raises(ValueError, match="transpose: parameter 'which' must be 'xy' for a 2D "
                                         "image, got 'yz'"):
        oclip.transpose(np.zeros((3, 4)), which="yz")


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_sub_stack_and_reduce_stack_equal_slicing(dtype, make_image):
    image = make_image((9, 21, 33), dtype)
    np.testing.assert_array_equal(oclip.sub_stack(image, start_z=2, end_z=5), image[2:5])
    np.testing.assert_array_equal(oclip.sub_stack(image, start_z=8, end_z=100), image[8:])
    for step, offset in [(2, 0), (3, 1), (4, 8), (20, 0)]:
        result = oclip.reduce_stack(image, step=step, offset=offset)
        assert result.dtype == dtype
        np.testing.assert_array_equal(result, image[offset::step])


def test_sub_stack_and_reduce_stack_refuse_bad_ranges():
    stack = np.zeros((4, 3, 3))
    with pytest.raises(ValueError, match=r"sub_stack: parameter 'start_z' \(4\) must lie in"):
        oclip.sub_stack(stack, start_z=4, end_z=6)
    with pytest.raises(ValueError, match=r"sub_stack: parameter 'end_z' \(2\) must be above"):
        oclip.sub_stack(stack, start_z=2, end_z=2)
    with pytest.raises(ValueError, match=r"reduce_stack: parameter 'offset' \(4\) must lie"):
        oclip.reduce_stack(stack, offset=4)
    with pytest.raises(ValueError, match="reduce_stack: parameter 'image' must be a 3D image"):
        oclip.reduce_stack(np.zeros((3, 3)))


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_upsample_equals_numpy_repeat(shape, dtype, make_image):
    image = make_image(shape, dtype)
    result = oclip.upsample(image, factor_x=3, factor_y=2, factor_z=4)
    expected = np.repeat(np.repeat(image, 3, axis=-1), 2, axis=-2)
    if image.ndim == 3:
        expected = np.repeat(expected, 4, axis=0)
    assert result.dtype == dtype
    np.testing.assert_array_equal(result, expected)


def test_upsample_of_wide_rows_is_exact():
    row = np.arange(3000, dtype=np.float32)[None]
    np.testing.assert_array_equal(oclip.upsample(row, factor_x=7, factor_y=1),
                                  np.repeat(row, 7, axis=1))


@pytest.mark.parametrize(("shape", "factors"), [((36, 54), (4, 3)), ((8, 20, 32), (2, 4, 4))],
                         ids=str)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_downsample_equals_downscale_local_mean(shape, factors, dtype, make_image):
    image = make_image(shape, dtype)
    result = oclip.downsample(image, factor_x=factors[-1], factor_y=factors[-2], factor_z=2)
    assert result.dtype == np.float32
    np.testing.assert_allclose(result, skimage.transform.downscale_local_mean(
        image.astype(np.float64), factors), rtol=1e-6)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_downsample_averages_partial_blocks_over_their_own_pixels(shape, dtype, make_image):
    image = make_image(shape, dtype)
    result = oclip.downsample(image, factor_x=4, factor_y=5, factor_z=2)
    block = (2, 5, 4)[3 - image.ndim:]
    expected = skimage.measure.block_reduce(image.astype(np.float64), block, np.nanmean,
                                            cval=np.nan)
    assert result.shape == tuple(-(-n // b) for n, b in zip(image.shape, block, strict=True))
    np.testing.assert_allclose(result, expected, rtol=1e-6)


def test_per_axis_parameters_of_z_are_ignored_for_2d_images(make_image):
    image = make_image((37, 53), np.uint8)
    for name, z in [("scale", {"factor_z": 3.0}), ("translate", {"translate_z": 5.0}),
                    ("upsample", {"factor_z": 3}), ("downsample", {"factor_z": 3}),
                    ("flip", {"flip_z": True}), ("resample", {"voxel_size_z": 7.0}),
                    ("crop", {"start_z": 9, "size_z": 1})]:
        function = getattr(oclip, name)
        np.testing.assert_array_equal(function(image, **z), function(image), err_msg=name)


def test_categories_and_device_arrays(make_image):
    image = make_image((9, 21, 33), np.uint16)
    for name in ("crop", "flip", "transpose", "scale", "rotate", "translate",
                 "affine_transform", "resample", "downsample", "upsample", "sub_stack",
                 "reduce_stack"):
        assert oclip.get_operation(name).category == "Transform"
        result = getattr(oclip, name)(oclip.push(image))
        assert oclip._backend.is_device_array(result), name


# --- small images -----------------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(shape=st.lists(st.integers(1, 6), min_size=2, max_size=3).map(tuple),
       seed=st.integers(0, 2**32 - 1),
       interpolation=st.sampled_from(list(INTERPOLATIONS)),
       factor=st.floats(0.3, 3.0), degrees=st.floats(-180, 180))
def test_small_images(shape, seed, interpolation, factor, degrees):
    rng = np.random.default_rng(seed)
    image = rng.random(shape).astype(np.float32)
    order = scipy_order(interpolation)
    zoom = (factor,) * image.ndim
    if all(round(n * factor) >= 1 for n in shape):
        result = oclip.scale(image, factor_x=factor, factor_y=factor, factor_z=factor,
                             interpolation=interpolation)
        expected = ndi.zoom(image.astype(np.float64), zoom, order=order, mode="nearest",
                            grid_mode=True)
        check(result, expected, image, interpolation, zoom_coordinates(shape, result.shape),
              kept=0.0)
    axes = (image.ndim - 2, image.ndim - 1)
    result = oclip.rotate(image, angle_z=degrees, interpolation=interpolation)
    expected = ndi.rotate(image.astype(np.float64), degrees, axes=axes, reshape=False,
                          order=order, mode="nearest")
    check(result, expected, image, interpolation, rotate_coordinates(degrees, axes, shape),
          kept=0.0)
    np.testing.assert_array_equal(oclip.flip(image, flip_x=False, flip_y=True),
                                  np.flip(image, -2))
    np.testing.assert_array_equal(oclip.upsample(image, factor_x=2, factor_y=3, factor_z=1),
                                  np.repeat(np.repeat(image, 2, -1), 3, -2))
