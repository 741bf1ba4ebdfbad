"""Connected-component labeling against scipy.ndimage.label."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.ndimage as ndi
from hypothesis import given, settings
from hypothesis import strategies as st

import oclip

from .._helpers import SHAPES


def structure(connectivity: str, ndim: int) -> np.ndarray:
    if connectivity == "box":
        return np.ones((3,) * ndim, bool)
    return ndi.generate_binary_structure(ndim, 1)


def assert_labels_equal_scipy(binary: np.ndarray, connectivity: str) -> None:
    result = oclip.connected_components_labeling(binary, connectivity=connectivity)
    expected, _ = ndi.label(binary, structure=structure(connectivity, binary.ndim))
    assert result.dtype == np.uint32
    np.testing.assert_array_equal(result, expected)


@pytest.mark.parametrize("shape", [*SHAPES, (64, 63), (17, 30, 29)])
@pytest.mark.parametrize("connectivity", ["box", "diamond"])
@pytest.mark.parametrize("density", [0.3, 0.5, 0.7])
def test_random_images_equal_scipy(shape, connectivity, density, rng):
    assert_labels_equal_scipy((rng.random(shape) < density).astype(np.uint8), connectivity)


def test_diagonal_neighbours_join_only_with_box():
    binary = np.array([[1, 0, 0],
                       [0, 1, 0],
                       [0, 0, 1]], np.uint8)
    np.testing.assert_array_equal(oclip.connected_components_labeling(binary), binary)
    np.testing.assert_array_equal(
        oclip.connected_components_labeling(binary, connectivity="diamond"),
        [[1, 0, 0], [0, 2, 0], [0, 0, 3]])


def test_labels_follow_raster_order_of_first_pixels():
    # the column object starts first (row 0) and reaches below-left of the
    # object that starts in row 1; numbering goes by first pixels only
    binary = np.array([[0, 0, 1, 0, 0],
                       [1, 0, 1, 0, 0],
                       [1, 0, 1, 0, 0],
                       [0, 1, 1, 0, 0]], np.uint8)
    np.testing.assert_array_equal(
        oclip.connected_components_labeling(binary, connectivity="diamond"),
        [[0, 0, 1, 0, 0],
         [2, 0, 1, 0, 0],
         [2, 0, 1, 0, 0],
         [0, 1, 1, 0, 0]])


def test_spiral_needs_many_unions():
    # one path winding through the image: a worst case for merge order
    spiral = np.zeros((41, 41), np.uint8)
    top, left, bottom, right = 0, 0, 40, 40
    while top <= bottom and left <= right:
        spiral[top, left:right + 1] = 1
        spiral[top:bottom + 1, right] = 1
        if top + 2 <= bottom:
            spiral[bottom, left:right + 1] = 1
        if left + 2 <= right:
            spiral[top + 2:bottom + 1, left] = 1
        top, left, bottom, right = top + 2, left + 2, bottom - 2, right - 2
        if top <= bottom:
            spiral[top - 1 if top - 1 > 0 else 0, left - 2 if left >= 2 else 0] = 1
    assert_labels_equal_scipy(spiral, "diamond")
    assert_labels_equal_scipy(spiral, "box")


def test_empty_and_full_images():
    assert not oclip.connected_components_labeling(np.zeros((5, 6, 7), np.uint8)).any()
    full = oclip.connected_components_labeling(np.ones((5, 6, 7), np.uint8))
    np.testing.assert_array_equal(full, np.ones((5, 6, 7), np.uint32))


def test_objects_on_every_border(rng):
    binary = np.zeros((8, 9, 10), np.uint8)
    binary[0], binary[-1], binary[:, 0], binary[:, :, -1] = 1, 1, 1, 1
    binary[3:5, 3:5, 3:5] = 1
    assert_labels_equal_scipy(binary, "box")
    assert_labels_equal_scipy(binary, "diamond")


def test_three_dimensional_connections_through_planes():
    binary = np.zeros((3, 3, 3), np.uint8)
    binary[0, 0, 0] = binary[1, 1, 1] = binary[2, 2, 2] = 1  # corner to corner
    binary[0, 2, 0] = binary[1, 2, 0] = 1  # face to face along z
    assert_labels_equal_scipy(binary, "box")
    assert_labels_equal_scipy(binary, "diamond")


@settings(max_examples=30, deadline=None)
@given(shape=st.one_of(st.tuples(st.integers(1, 12), st.integers(1, 12)),
                       st.tuples(st.integers(1, 6), st.integers(1, 6), st.integers(1, 6))),
       density=st.floats(0.0, 1.0), connectivity=st.sampled_from(["box", "diamond"]),
       seed=st.integers(0, 2**16))
def test_small_shapes_equal_scipy(shape, density, connectivity, seed):
    binary = (np.random.default_rng(seed).random(shape) < density).astype(np.uint8)
    assert_labels_equal_scipy(binary, connectivity)


def test_hundred_thousand_labels_equal_scipy():
    # 2x2 squares on a grid of pitch 3: 333 * 333 = 110889 components
    binary = np.zeros((1000, 1000), np.uint8)
    for dy in range(2):
        for dx in range(2):
            binary[dy::3, dx::3][:333, :333] = 1
    result = oclip.connected_components_labeling(binary, connectivity="diamond")
    assert result.max() == 333 * 333
    assert_labels_equal_scipy(binary, "diamond")
    assert_labels_equal_scipy(binary, "box")


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32, bool])
def test_any_non_zero_pixel_is_foreground(dtype, rng):
    values = rng.random((13, 17)) < 0.5
    image = (values * rng.integers(1, 200, values.shape)).astype(dtype)
    expected, _ = ndi.label(values, structure=np.ones((3, 3)))
    np.testing.assert_array_equal(oclip.connected_components_labeling(image), expected)


def test_uint8_values_other_than_one_are_foreground():
    binary = np.array([[255, 7, 0, 1]], np.uint8)
    np.testing.assert_array_equal(oclip.connected_components_labeling(binary), [[1, 1, 0, 2]])


def test_long_rows_and_columns():
    # runs that span whole rows, and a comb whose teeth join only at the bottom
    binary = np.zeros((40, 300), np.uint8)
    binary[0] = 1
    binary[5:39, ::2] = 1
    binary[39, :] = 1
    binary[2, 1::3] = 1
    assert_labels_equal_scipy(binary, "box")
    assert_labels_equal_scipy(binary, "diamond")
    assert_labels_equal_scipy(binary.T.copy(), "diamond")
