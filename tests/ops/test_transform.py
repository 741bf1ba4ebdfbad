"""Geometric transforms against scipy.ndimage, scikit-image and numpy, within the
tolerances references/transform.py states (downsample here, of positive images: within
1e-6 relative)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.ndimage as ndi
import skimage.transform
from hypothesis import given, settings
from hypothesis import strategies as st

import oclip

from .._helpers import DTYPES, SHAPES
from .references import REFERENCES
from .references.transform import (
    INTERPOLATIONS,
    about_centre,
    affine_coordinates,
    check,
    plane_rotation,
    zoom_coordinates,
)


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
    result = REFERENCES["scale"].assert_operation_close(
        image, factor_x=factor_x, factor_y=factor_y, factor_z=factor_z,
        interpolation=interpolation)
    zoom = (factor_z, factor_y, factor_x)[3 - image.ndim:]
    assert result.shape == tuple(round(n * f) for n, f in zip(image.shape, zoom, strict=True))


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
    # linear: the same shape, float32, within the tolerance of linear interpolation
    REFERENCES["resample"].assert_operation_close(image, voxel_size_x=0.4, voxel_size_y=0.4,
                                                  voxel_size_z=1.3, target_voxel_size=0.5)


# --- rotate, translate, affine_transform -----------------------------------------------------


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
    # the reference: scipy's affine_transform of the rotations about x, y and z in turn
    REFERENCES["rotate"].assert_operation_close(image, angle_x=20.0, angle_y=-35.0,
                                                angle_z=50.0, interpolation=interpolation)


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
    REFERENCES["translate"].assert_operation_close(
        image, translate_x=translate_x, translate_y=translate_y, translate_z=translate_z,
        interpolation=interpolation)


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
    result = REFERENCES["affine_transform"].assert_operation_close(
        image, matrix=tuple(matrix.ravel()), interpolation=interpolation)
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
    # cut off where the image ends, as slicing
    result = REFERENCES["crop"].assert_operation_close(image, start_x=5, start_y=3, start_z=2,
                                                       size_x=10, size_y=100, size_z=4)
    assert result.dtype == dtype
    REFERENCES["crop"].assert_operation_close(image, size_x=1, size_y=1, size_z=1)


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
    result = REFERENCES["flip"].assert_operation_close(image, flip_x=flip_x, flip_y=flip_y,
                                                       flip_z=flip_z)
    assert result.dtype == dtype


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("which", ["xy", "xz", "yz"])
def test_transpose_equals_swapaxes(which, dtype, make_image):
    REFERENCES["transpose"].assert_operation_close(make_image((9, 21, 33), dtype), which=which)
    REFERENCES["transpose"].assert_operation_close(make_image((37, 53), dtype), which="xy")


def test_transpose_of_a_2d_image_takes_only_xy():
    with pytest.raises(ValueError, match="transpose: parameter 'which' must be 'xy' for a 2D "
                                         "image, got 'yz'"):
        oclip.transpose(np.zeros((3, 4)), which="yz")


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_sub_stack_and_reduce_stack_equal_slicing(dtype, make_image):
    image = make_image((9, 21, 33), dtype)
    REFERENCES["sub_stack"].assert_operation_close(image, start_z=2, end_z=5)
    REFERENCES["sub_stack"].assert_operation_close(image, start_z=8, end_z=100)
    for step, offset in [(2, 0), (3, 1), (4, 8), (20, 0)]:
        result = REFERENCES["reduce_stack"].assert_operation_close(image, step=step,
                                                                   offset=offset)
        assert result.dtype == dtype


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
    result = REFERENCES["upsample"].assert_operation_close(image, factor_x=3, factor_y=2,
                                                           factor_z=4)
    assert result.dtype == dtype


def test_upsample_of_wide_rows_is_exact():
    row = np.arange(3000, dtype=np.float32)[None]
    REFERENCES["upsample"].assert_operation_close(row, factor_x=7, factor_y=1)


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
    expected = REFERENCES["downsample"](image, factor_x=4, factor_y=5, factor_z=2)
    assert result.shape == tuple(-(-n // b) for n, b in zip(image.shape, block, strict=True))
    np.testing.assert_allclose(result, expected, rtol=1e-6)  # positive pixels: no atol


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
    if all(round(n * factor) >= 1 for n in shape):
        arguments = {"factor_x": factor, "factor_y": factor, "factor_z": factor,
                     "interpolation": interpolation}
        result = oclip.scale(image, **arguments)
        # nearest interpolation: any share of ties on images this small
        check(result, REFERENCES["scale"](image, **arguments), image, interpolation,
              zoom_coordinates(shape, result.shape), kept=0.0)
    axes = (image.ndim - 2, image.ndim - 1)
    result = oclip.rotate(image, angle_z=degrees, interpolation=interpolation)
    expected = ndi.rotate(image.astype(np.float64), degrees, axes=axes, reshape=False,
                          order=order, mode="nearest")
    check(result, expected, image, interpolation, rotate_coordinates(degrees, axes, shape),
          kept=0.0)
    REFERENCES["flip"].assert_operation_close(image, flip_x=False, flip_y=True)
    REFERENCES["upsample"].assert_operation_close(image, factor_x=2, factor_y=3, factor_z=1)


# --- rigid transform and deskewing --------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("interpolation", list(INTERPOLATIONS))
def test_rigid_transform_equals_scipy_affine_transform(interpolation, dtype, shape,
                                                       make_image):
    image = make_image(shape, dtype)
    REFERENCES["rigid_transform"].assert_operation_close(
        image, translate_x=2.5, translate_y=-1.25, translate_z=0.75, angle_x=10.0,
        angle_y=-20.0, angle_z=33.0, interpolation=interpolation)


def test_rigid_transform_rotates_then_shifts(make_image):
    image = make_image((9, 21, 33), np.float32)
    rotated = oclip.rotate(image, angle_x=15.0, angle_y=0.0, angle_z=40.0,
                           interpolation="nearest")
    moved = oclip.rigid_transform(image, translate_x=3.0, translate_y=-2.0, translate_z=1.0,
                                  angle_x=15.0, angle_z=40.0, interpolation="nearest")
    # a whole-pixel shift of the rotated image, away from the replicated edges
    np.testing.assert_array_equal(moved[2:, 1:-3, 4:-4], rotated[1:-1, 3:-1, 1:-7])


@pytest.mark.parametrize("sheet", ["y", "x"])
@pytest.mark.parametrize("dtype", [np.uint16, np.float32], ids=str)
@pytest.mark.parametrize(("angle", "sizes"), [(30.0, (0.1449922, 0.1449922, 0.3)),
                                              (31.8, (0.104, 0.104, 0.4)),
                                              (60.0, (0.2, 0.25, 0.15))], ids=str)
def test_deskew_equals_scipy_affine_transform_of_the_hand_derived_map(sheet, dtype, angle,
                                                                      sizes, make_image):
    image = make_image((7, 12, 10), dtype)
    voxel_size_x, voxel_size_y, voxel_size_z = sizes
    result = REFERENCES[f"deskew_{sheet}"].assert_operation_close(
        image, angle=angle, voxel_size_x=voxel_size_x, voxel_size_y=voxel_size_y,
        voxel_size_z=voxel_size_z)
    assert result.dtype == np.float32


def test_deskew_y_places_a_linear_ramp_of_the_sample_as_its_docstring_says():
    # a sample whose intensity rises linearly in coverslip coordinates (z, y, x), in the
    # result's voxels from the volumes' centres; the raw voxel u (z, y, x from the raw
    # centre) lies at z = -sin(a) u_y, y = cos(a) u_y + k u_z, x = q u_x (the docstring)
    a, k, q = np.radians(30.0), 0.3 / 0.15, 0.1 / 0.15
    def sample(z, y, x):
        return 500.0 + 7.0 * z + 3.0 * y - 5.0 * x
    raw_shape = (10, 8, 6)
    u = np.indices(raw_shape, dtype=float) - ((np.array(raw_shape) - 1) / 2)[:, None, None, None]
    raw = sample(-np.sin(a) * u[1], np.cos(a) * u[1] + k * u[0], q * u[2]).astype(np.float32)
    result = oclip.deskew_y(raw, angle=30.0, voxel_size_x=0.1, voxel_size_y=0.15,
                            voxel_size_z=0.3)
    # z: 8 sin 30 = 4; y: 8 cos 30 + 10 * 2 = 26.93 -> 27; x: 6 * 2/3 = 4
    assert result.shape == (4, 27, 4)
    out = np.indices(result.shape, dtype=float) - ((np.array(result.shape) - 1) / 2)[
        :, None, None, None]
    # where the output voxel lies inside the raw volume, linear interpolation of the ramp
    # is exact: u_y = -z / sin(a), u_z = (y - cos(a) u_y) / k, u_x = x / q
    u_y = -out[0] / np.sin(a)
    u_z = (out[1] - np.cos(a) * u_y) / k
    u_x = out[2] / q
    half = (np.array(raw_shape) - 1) / 2
    inside = ((np.abs(u_z) <= half[0]) & (np.abs(u_y) <= half[1]) & (np.abs(u_x) <= half[2]))
    assert inside.sum() > 30
    np.testing.assert_allclose(result[inside], sample(out[0], out[1], out[2])[inside],
                               rtol=1e-5)
    # outside, far from the volume: 0
    assert result[0, 0, 0] == 0 and result[-1, -1, -1] == 0


@pytest.mark.parametrize("operation", ["deskew_x", "deskew_y"])
@pytest.mark.parametrize("angle", [0.0, 90.0])
def test_deskew_refuses_angles_of_0_and_90_degrees(operation, angle):
    with pytest.raises(ValueError, match=f"^{operation}: parameter 'angle'"):
        getattr(oclip, operation)(np.ones((3, 4, 5), np.float32), angle=angle)


@pytest.mark.parametrize("operation", ["deskew_x", "deskew_y"])
def test_deskew_refuses_2d_images_and_bad_voxel_sizes(operation):
    with pytest.raises(ValueError, match=operation):
        getattr(oclip, operation)(np.ones((4, 5), np.float32))
    with pytest.raises(ValueError, match="voxel_size_z"):
        getattr(oclip, operation)(np.ones((3, 4, 5), np.float32), voxel_size_z=0.0)


# --- vector fields ------------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("interpolation", list(INTERPOLATIONS))
def test_apply_vector_field_equals_scipy_map_coordinates(interpolation, dtype, shape,
                                                         make_image, rng):
    image = make_image(shape, dtype)
    # a smooth warp of a few pixels, reaching past the edges, and a random jitter
    grids = np.indices(shape, dtype=np.float64)
    vectors = [(3.0 * np.sin(grids[-1] / 5.0 + axis) + rng.normal(0, 0.3, shape)
                ).astype(np.float32) for axis in range(3)]
    result = REFERENCES["apply_vector_field"].assert_operation_close(
        image, *vectors, interpolation=interpolation)
    assert result.shape == image.shape


def test_apply_vector_field_of_constant_vectors_translates(make_image):
    image = make_image((9, 21, 33), np.float32)
    ones = np.ones(image.shape, np.float32)
    warped = oclip.apply_vector_field(image, -2 * ones, 1.5 * ones, 0 * ones)
    np.testing.assert_allclose(warped, oclip.translate(image, translate_x=2.0,
                                                       translate_y=-1.5), rtol=1e-6)


def test_apply_vector_field_refuses_vectors_of_another_shape():
    image = np.ones((4, 5), np.float32)
    with pytest.raises(ValueError, match=r"^apply_vector_field: parameter 'vector_y'"):
        oclip.apply_vector_field(image, image, np.ones((4, 6), np.float32), image)
