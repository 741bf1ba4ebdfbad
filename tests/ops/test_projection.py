"""Projections against numpy, within the tolerances references/projection.py states."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.ndimage as ndi
from hypothesis import given, settings
from hypothesis import strategies as st

import oclip

from .._helpers import DTYPES
from .references import REFERENCES
from .references.projection import AXES, ORDER_STATISTICS, POSITIONS, REDUCTIONS

# (nz, ny, nx): runs longer and shorter than a work-item's, single planes, rows
# and columns; 300 > 256 puts the last run of a row back over its neighbour.
SHAPES_3D = [(9, 21, 33), (1, 5, 4), (40, 1, 7), (3, 300, 1), (4, 7, 300), (2, 1, 1)]
#: The operations of this module beside the reductions' (which take no parameter but
#: the image), for the refusals.
POSITION_NAMES = list(POSITIONS)
ORDER_NAMES = [f"{r}_{a}_projection" for r in ORDER_STATISTICS for a in AXES]


def project(image: np.ndarray, reduction: str, axis: str) -> np.ndarray:
    return getattr(oclip, f"{reduction}_{axis}_projection")(image)


def check(result: np.ndarray, image: np.ndarray, reduction: str, axis: str) -> None:
    REFERENCES[f"{reduction}_{axis}_projection"].assert_close(result, image)


@pytest.mark.parametrize("shape", SHAPES_3D, ids=str)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("axis", list(AXES))
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_projections_equal_numpy(reduction, axis, dtype, shape, make_image):
    image = make_image(shape, dtype)
    check(project(image, reduction, axis), image, reduction, axis)


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.uint32, np.int32], ids=str)
@pytest.mark.parametrize("axis", list(AXES))
def test_projections_of_other_integer_dtypes(axis, dtype, rng):
    info = np.iinfo(dtype)
    image = rng.integers(max(info.min, -2**20), min(info.max, 2**20), (5, 9, 11),
                         endpoint=True).astype(dtype)
    for reduction in ("maximum", "minimum", "sum"):
        check(project(image, reduction, axis), image, reduction, axis)


def test_standard_deviation_of_a_large_offset_is_accurate(rng):
    # camera-like data: a large mean, a small spread
    image = (rng.normal(3000, 2, (64, 17, 19))).astype(np.float32)
    for axis in AXES:
        # within 1e-5 relative (tighter than the reference's 1e-4 of the value range)
        expected = REFERENCES[f"standard_deviation_{axis}_projection"](image)
        np.testing.assert_allclose(project(image, "standard_deviation", axis), expected,
                                   rtol=1e-5)


def test_maximum_and_minimum_propagate_nan():
    image = np.ones((3, 4, 5), np.float32)
    image[1, 2, 3] = np.nan
    image[0, 0, 0] = 5
    for axis in AXES:
        for reduction in ("maximum", "minimum", "sum"):
            result = project(image, reduction, axis)
            expected = REFERENCES[f"{reduction}_{axis}_projection"](image)
            np.testing.assert_array_equal(np.isnan(result), np.isnan(expected))
            assert np.isnan(result).sum() == 1


@pytest.mark.parametrize("shape", SHAPES_3D, ids=str)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_z_position_of_maximum_equals_argmax(shape, dtype, make_image):
    image = make_image(shape, dtype) // 64 * 64 if dtype != np.float32 else make_image(
        shape, dtype).round(-1)  # many ties: the first maximum counts
    image = image.astype(dtype)
    result = REFERENCES["z_position_of_maximum_z_projection"].assert_operation_close(image)
    assert result.dtype == np.uint32


def test_z_position_of_maximum_takes_the_first_nan():
    image = np.zeros((5, 2, 3), np.float32)
    image[3, 0, 0] = np.nan
    image[4, 0, 0] = 7
    image[1, 1, 1] = np.nan
    image[2, 1, 1] = np.nan
    REFERENCES["z_position_of_maximum_z_projection"].assert_operation_close(image)


@pytest.mark.parametrize("name", [f"{r}_{a}_projection" for r in REDUCTIONS for a in AXES]
                         + POSITION_NAMES + ORDER_NAMES)
def test_projections_refuse_2d_images(name):
    with pytest.raises(ValueError, match=rf"{name}: parameter 'image' must be a 3D image"):
        getattr(oclip, name)(np.zeros((4, 5), np.float32))
    assert oclip.get_operation(name).category == "Projection"


def test_results_stay_on_the_device_for_device_input(make_image):
    image = make_image((6, 7, 8), np.uint16)
    result = oclip.mean_y_projection(oclip.push(image))
    assert oclip._backend.is_device_array(result)
    REFERENCES["mean_y_projection"].assert_close(result.get(), image)


@settings(max_examples=25, deadline=None)
@given(shape=st.tuples(st.integers(1, 7), st.integers(1, 7), st.integers(1, 7)),
       seed=st.integers(0, 2**32 - 1), dtype=st.sampled_from([np.uint8, np.float32]),
       reduction=st.sampled_from(REDUCTIONS), axis=st.sampled_from(list(AXES)))
def test_small_stacks(shape, seed, dtype, reduction, axis):
    image = (np.random.default_rng(seed).random(shape) * 200).astype(dtype)
    check(project(image, reduction, axis), image, reduction, axis)
    REFERENCES["z_position_of_maximum_z_projection"].assert_operation_close(image)


# --- positions of the maximum and minimum ------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES_3D, ids=str)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("name", POSITION_NAMES)
def test_positions_of_maximum_and_minimum_equal_argmax_and_argmin(name, dtype, shape,
                                                                  make_image):
    # few levels: many ties, where the first position counts
    image = (make_image(shape, dtype) // 64).astype(dtype)
    REFERENCES[name].assert_operation_close(image)


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.uint32, np.int32], ids=str)
@pytest.mark.parametrize("name", POSITION_NAMES)
def test_positions_of_other_integer_dtypes(name, dtype, rng):
    info = np.iinfo(dtype)
    image = rng.integers(info.min, info.max, (4, 6, 70), endpoint=True).astype(dtype)
    REFERENCES[name].assert_operation_close(image)


@pytest.mark.parametrize("name", POSITION_NAMES)
def test_positions_take_the_first_nan(name):
    image = np.zeros((5, 6, 7), np.float32)
    image[3, 0, 0] = image[0, 3, 0] = image[0, 0, 3] = np.nan
    image[4, 0, 0] = image[0, 4, 0] = image[0, 0, 4] = 7
    image[1, 1, 1] = image[2, 1, 1] = image[1, 2, 1] = image[1, 1, 2] = np.nan
    image[2, 2, 2] = -np.inf
    image[4, 4, 4] = np.inf
    REFERENCES[name].assert_operation_close(image)


def test_positions_by_hand():
    image = np.zeros((3, 2, 4), np.uint8)
    image[2, 0, 1] = 9  # the maximum of the column (y, x) = (0, 1) lies in plane 2
    image[1, 1, 3] = 5
    image[0, 1, 2] = 1  # ... elsewhere ties at 0 give plane 0
    np.testing.assert_array_equal(oclip.z_position_of_maximum_z_projection(image),
                                  [[0, 2, 0, 0], [0, 0, 0, 1]])
    np.testing.assert_array_equal(oclip.z_position_of_minimum_z_projection(image),
                                  [[0, 0, 0, 0], [0, 0, 1, 0]])
    np.testing.assert_array_equal(oclip.x_position_of_maximum_x_projection(image),
                                  [[0, 2], [0, 3], [1, 0]])
    np.testing.assert_array_equal(oclip.y_position_of_minimum_y_projection(image),
                                  [[0, 0, 0, 0], [0, 0, 0, 0], [0, 1, 0, 0]])


# --- median and percentile ---------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES_3D, ids=str)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("axis", list(AXES))
def test_median_equals_numpy(axis, dtype, shape, make_image):
    REFERENCES[f"median_{axis}_projection"].assert_operation_close(make_image(shape, dtype))


@pytest.mark.parametrize("percentile", [0.0, 12.5, 37.3, 50.0, 62.5, 99.9, 100.0])
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("axis", list(AXES))
def test_percentile_equals_numpy(axis, dtype, percentile, make_image):
    for shape in ((9, 21, 33), (4, 7, 300), (2, 1, 1)):
        image = make_image(shape, dtype)
        REFERENCES[f"percentile_{axis}_projection"].assert_operation_close(
            image, percentile=percentile)


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.uint32, np.int32], ids=str)
@pytest.mark.parametrize("name", ORDER_NAMES)
def test_order_statistics_of_other_integer_dtypes(name, dtype, rng):
    info = np.iinfo(dtype)
    image = rng.integers(info.min, info.max, (6, 5, 70), endpoint=True).astype(dtype)
    image[:, 0, 0] = [info.min, info.max] * 3  # differences beyond the dtype
    REFERENCES[name].assert_operation_close(image)


def test_median_and_percentile_by_hand():
    # even and odd lengths, ties, and the weights numpy interpolates with
    image = np.array([[[3, 1, 4, 1]], [[5, 9, 2, 6]]], np.uint8).transpose(2, 1, 0)
    # (4, 1, 2): along z the columns [3, 1, 4, 1] and [5, 9, 2, 6]
    np.testing.assert_array_equal(oclip.median_z_projection(image), [[2.0, 5.5]])
    np.testing.assert_allclose(oclip.percentile_z_projection(image, percentile=25.0),
                               [[1.0, 4.25]])
    np.testing.assert_array_equal(oclip.percentile_z_projection(image, percentile=100.0),
                                  [[4.0, 9.0]])
    np.testing.assert_array_equal(oclip.percentile_z_projection(image, percentile=0.0),
                                  [[1.0, 2.0]])
    odd = np.arange(5, dtype=np.float32)[::-1].reshape(1, 1, 5)
    np.testing.assert_array_equal(oclip.median_x_projection(odd), [[2.0]])


def test_order_statistics_of_infinities_and_signed_zeros_are_numpys():
    image = np.array([-np.inf, -1.0, -0.0, 0.0, 2.0, np.inf, np.inf, 3.0],
                     np.float32).reshape(8, 1, 1)
    image = np.concatenate([image, image[::-1], np.full_like(image, np.inf)], axis=2)
    for percentile in (0.0, 10.0, 50.0, 90.0, 100.0):
        REFERENCES["percentile_z_projection"].assert_operation_close(image,
                                                                     percentile=percentile)
    REFERENCES["median_z_projection"].assert_operation_close(image)


@pytest.mark.parametrize("name", ORDER_NAMES)
def test_order_statistics_refuse_nan(name):
    image = np.ones((3, 4, 5), np.float32)
    image[1, 2, 3] = np.nan
    with pytest.raises(ValueError, match=rf"{name}: parameter 'image': the image holds NaN"):
        getattr(oclip, name)(image)


@pytest.mark.parametrize("percentile", [-1.0, 100.5])
def test_percentile_out_of_range_is_refused(percentile):
    with pytest.raises(ValueError, match=r"percentile_z_projection: parameter 'percentile' "
                                         r"must be between 0.0 and 100.0"):
        oclip.percentile_z_projection(np.zeros((3, 4, 5), np.float32), percentile=percentile)
    with pytest.raises(TypeError, match=r"percentile_y_projection: parameter 'percentile'"):
        oclip.percentile_y_projection(np.zeros((3, 4, 5), np.float32), percentile="50")


@settings(max_examples=25, deadline=None)
@given(shape=st.tuples(st.integers(1, 7), st.integers(1, 7), st.integers(1, 40)),
       seed=st.integers(0, 2**32 - 1), dtype=st.sampled_from([np.uint8, np.float32]),
       percentile=st.floats(0, 100), axis=st.sampled_from(list(AXES)))
def test_small_stacks_of_order_statistics_and_positions(shape, seed, dtype, percentile, axis):
    image = (np.random.default_rng(seed).random(shape) * 200).astype(dtype)
    REFERENCES[f"percentile_{axis}_projection"].assert_operation_close(image,
                                                                       percentile=percentile)
    REFERENCES[f"median_{axis}_projection"].assert_operation_close(image)
    REFERENCES[f"{axis}_position_of_minimum_{axis}_projection"].assert_operation_close(image)


# --- stacks read at z position maps --------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("shape", [(9, 21, 33), (1, 5, 4), (40, 1, 7), (4, 7, 300)], ids=str)
def test_z_position_projection_at_the_maximum_is_the_maximum_projection(shape, dtype,
                                                                        make_image):
    image = make_image(shape, dtype)
    where = oclip.z_position_of_maximum_z_projection(image)
    result = REFERENCES["z_position_projection"].assert_operation_close(image, where)
    np.testing.assert_array_equal(result, image.max(axis=0))


@pytest.mark.parametrize("map_dtype", [np.uint8, np.uint16, np.int16, np.uint32, np.float32],
                         ids=str)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_z_position_maps_of_any_dtype_beyond_the_stack(dtype, map_dtype, make_image, rng):
    image = make_image((6, 9, 11), dtype)
    if np.dtype(map_dtype).kind == "f":
        z_position = rng.uniform(-3, 9, (9, 11)).astype(map_dtype)
        z_position[0, :4] = [np.nan, np.inf, -np.inf, -0.7]  # 0, last, first, 0
        z_position[1, :2] = [3e38, 5.99]
    else:
        info = np.iinfo(map_dtype)
        z_position = rng.integers(max(info.min, -3), 9, (9, 11)).astype(map_dtype)
        z_position[0, :2] = [info.max, max(info.min, -3)]
    REFERENCES["z_position_projection"].assert_operation_close(image, z_position)
    for start_z, end_z in ((-2, 3), (0, 0), (4, -4), (-20, -18)):
        REFERENCES["z_position_range_projection"].assert_operation_close(
            image, z_position, start_z=start_z, end_z=end_z)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_z_position_projections_of_a_2d_image_read_its_one_plane(dtype, make_image, rng):
    image = make_image((21, 33), dtype)
    z_position = rng.integers(-2, 3, (21, 33)).astype(np.int16)  # all beyond 0: plane 0
    result = REFERENCES["z_position_projection"].assert_operation_close(image, z_position)
    np.testing.assert_array_equal(result, image)
    slab = REFERENCES["z_position_range_projection"].assert_operation_close(
        image, z_position, start_z=-1, end_z=1)
    assert slab.shape == (3, 21, 33) and slab.dtype == dtype
    np.testing.assert_array_equal(slab, np.stack([image] * 3))


def test_z_position_projections_by_hand():
    image = np.arange(4 * 2 * 3, dtype=np.uint16).reshape(4, 2, 3)  # plane k holds 6k + i
    z_position = np.array([[0, 1, 2], [3, 7, -1]], np.int16)
    np.testing.assert_array_equal(oclip.z_position_projection(image, z_position),
                                  [[0, 7, 14], [21, 22, 5]])
    slab = oclip.z_position_range_projection(image, z_position, start_z=-1, end_z=1)
    assert slab.shape == (3, 2, 3) and slab.dtype == np.uint16
    np.testing.assert_array_equal(slab, [[[0, 1, 8], [15, 22, 5]],
                                         [[0, 7, 14], [21, 22, 5]],
                                         [[6, 13, 20], [21, 22, 5]]])
    np.testing.assert_array_equal(
        oclip.z_position_range_projection(image, z_position, start_z=1, end_z=-1), slab[::-1])
    # a 2D image is a stack of one plane
    np.testing.assert_array_equal(oclip.z_position_projection(image[2], z_position), image[2])


def test_z_position_projections_refuse_maps_of_another_shape():
    image = np.zeros((3, 4, 5), np.float32)
    for name in ("z_position_projection", "z_position_range_projection"):
        for z_position in (np.zeros((5, 4)), np.zeros((3, 4, 5)), np.zeros((1, 4, 5))):
            with pytest.raises(ValueError, match=rf"{name}: parameter 'z_position' must be a "
                                                 r"2D image \(y, x\) of the shape of the "
                                                 r"stack's planes, \(4, 5\)"):
                getattr(oclip, name)(image, z_position)
        assert oclip.get_operation(name).category == "Projection"


def test_z_position_projection_chains_on_the_device(make_image):
    image = oclip.push(make_image((5, 6, 7), np.float32))
    result = oclip.z_position_projection(image, oclip.z_position_of_minimum_z_projection(image))
    assert oclip._backend.is_device_array(result)
    np.testing.assert_array_equal(result.get(), image.get().min(axis=0))


# --- extended depth of focus ---------------------------------------------------------------

EDF = ["extended_depth_of_focus_variance_projection", "extended_depth_of_focus_sobel_projection"]


def focus_stack(dtype) -> tuple[np.ndarray, np.ndarray]:
    """Four planes of a texture, each sharp in one quadrant and blurred elsewhere, and the
    sharp texture."""
    texture = np.random.default_rng(7).random((40, 48)) * 200
    blurred = ndi.gaussian_filter(texture, 3.0, mode="nearest")
    planes = []
    for k in range(4):
        plane = blurred.copy()
        y0, x0 = (k // 2) * 20, (k % 2) * 24
        quadrant = (slice(y0, y0 + 20), slice(x0, x0 + 24))
        plane[quadrant] = texture[quadrant]
        planes.append(plane)
    return np.stack(planes).astype(dtype), texture.astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("name", EDF)
def test_extended_depth_of_focus_finds_the_sharp_planes(name, dtype):
    stack, texture = focus_stack(dtype)
    result = REFERENCES[name].assert_operation_close(stack, sigma_x=1.0, sigma_y=1.0)
    assert result.dtype == stack.dtype and result.shape == texture.shape
    # away from the quadrants' borders, every pixel is the sharp texture's
    inner = np.zeros(texture.shape, bool)
    for y0, x0 in ((0, 0), (0, 24), (20, 0), (20, 24)):
        inner[y0 + 4:y0 + 16, x0 + 4:x0 + 20] = True
    np.testing.assert_array_equal(result[inner], texture[inner])


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("shape", [(5, 20, 23), (1, 6, 7), (3, 1, 40), (6, 300, 2)], ids=str)
def test_extended_depth_of_focus_equals_the_scipy_composition(shape, dtype, make_image):
    image = make_image(shape, dtype)
    REFERENCES[EDF[0]].assert_operation_close(image, radius_x=1, radius_y=3, sigma_x=0.0,
                                              sigma_y=1.5)
    REFERENCES[EDF[0]].assert_operation_close(image, radius_x=0, radius_y=0, sigma_x=2.0,
                                              sigma_y=2.0)
    REFERENCES[EDF[1]].assert_operation_close(image, sigma_x=0.0, sigma_y=0.0)
    REFERENCES[EDF[1]].assert_operation_close(image, sigma_x=3.0, sigma_y=0.5)


@pytest.mark.parametrize("name", EDF)
def test_extended_depth_of_focus_refuses_2d_and_nonfinite_images(name):
    with pytest.raises(ValueError, match=rf"{name}: parameter 'image' must be a 3D image"):
        getattr(oclip, name)(np.zeros((4, 5), np.float32))
    image = np.ones((3, 4, 5), np.float32)
    image[1, 2, 3] = np.inf
    with pytest.raises(ValueError, match=rf"{name}: parameter 'image': the image holds NaN "
                                         r"or infinite values"):
        getattr(oclip, name)(image)
    with pytest.raises(ValueError, match=rf"{name}: parameter 'sigma_x' must be between"):
        getattr(oclip, name)(np.ones((3, 4, 5), np.float32), sigma_x=-1.0)
