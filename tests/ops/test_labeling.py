"""Labeling operations (ops/labeling.py): connected components against
scipy.ndimage.label, the others against compositions of scipy / scikit-image steps."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.ndimage as ndi
from hypothesis import given, settings
from hypothesis import strategies as st

import oclip

from .._helpers import SHAPES
from .references import REFERENCES
from .references.labeling import (
    gaussian,
    otsu,
    relabel_raster,
)


# --- connected_components_labeling ----------------------------------------------
def assert_labels_equal_scipy(binary: np.ndarray, connectivity: str) -> None:
    # uint32, the labels of scipy.ndimage.label
    REFERENCES["connected_components_labeling"].assert_operation_close(
        binary, connectivity=connectivity)


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
    np.testing.assert_array_equal(oclip.connected_components_labeling(image),
                                  REFERENCES["connected_components_labeling"](values))


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


small_shapes = st.one_of(st.tuples(st.integers(1, 12), st.integers(1, 12)),
                         st.tuples(st.integers(1, 5), st.integers(1, 6), st.integers(1, 7)))


def blobs(shape: tuple[int, ...], seed: int = 1) -> np.ndarray:
    count = max(1, int(np.prod(shape)) // (9000 if len(shape) == 3 else 1100))
    return oclip.data.blobs(shape, count=count, seed=seed)


# --- label_spots -------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
def test_label_spots_numbers_pixels_in_raster_order(shape, rng):
    spots = rng.random(shape) < 0.05
    result = REFERENCES["label_spots"].assert_operation_close(spots)
    assert result.dtype == np.uint32


def test_label_spots_of_an_empty_image_is_empty():
    assert not oclip.label_spots(np.zeros((4, 5, 6), np.uint8)).any()


def test_label_spots_gives_touching_pixels_their_own_labels():
    np.testing.assert_array_equal(oclip.label_spots(np.ones((2, 3), np.uint8)),
                                  [[1, 2, 3], [4, 5, 6]])


# --- masked_voronoi_labeling -------------------------------------------------------


@pytest.mark.parametrize("shape", [*SHAPES, (64, 64)])
@pytest.mark.parametrize("density", [0.002, 0.02, 0.2])
def test_masked_voronoi_equals_iterated_scipy_filters(shape, density, rng):
    seeds = rng.random(shape) < density
    mask = ndi.binary_opening(rng.random(shape) < 0.7)
    REFERENCES["masked_voronoi_labeling"].assert_operation_close(seeds, mask)


def test_masked_voronoi_stops_at_the_mask_and_leaves_unseeded_parts():
    mask = np.zeros((5, 12), np.uint8)
    mask[:, :5] = 1
    mask[:, 7:] = 1  # a second part without seeds
    seeds = np.zeros_like(mask)
    seeds[2, 0] = seeds[2, 4] = 1
    result = oclip.masked_voronoi_labeling(seeds, mask)
    assert not result[:, 5:].any()
    np.testing.assert_array_equal(result[:, :5], [[1, 1, 1, 2, 2]] * 5)


def test_masked_voronoi_ties_go_to_the_smaller_label():
    mask = np.ones((1, 5), np.uint8)
    seeds = np.array([[1, 0, 0, 0, 1]], np.uint8)
    np.testing.assert_array_equal(oclip.masked_voronoi_labeling(seeds, mask),
                                  [[1, 1, 1, 2, 2]])


def test_masked_voronoi_refuses_different_shapes():
    with pytest.raises(ValueError, match="masked_voronoi_labeling: binary and mask"):
        oclip.masked_voronoi_labeling(np.ones((3, 4)), np.ones((4, 3)))


@settings(max_examples=25, deadline=None)
@given(shape=small_shapes, seed=st.integers(0, 2**16), density=st.floats(0, 0.5))
def test_masked_voronoi_small_shapes(shape, seed, density):
    rng = np.random.default_rng(seed)
    seeds = rng.random(shape) < density
    mask = rng.random(shape) < 0.8
    REFERENCES["masked_voronoi_labeling"].assert_operation_close(seeds, mask)


# --- voronoi_labeling -----------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
def test_voronoi_labeling_gives_each_pixel_the_nearest_object(shape, rng):
    binary = rng.random(shape) < 0.01
    binary.flat[0] = True
    result = oclip.voronoi_labeling(binary)
    assert result.dtype == np.uint32
    assert result.all()
    # numbered in raster order of the tiles
    np.testing.assert_array_equal(result, relabel_raster(result))
    # each pixel (one of) the nearest objects, exactly the nearest where unique
    REFERENCES["voronoi_labeling"].assert_close(result, binary)


def test_voronoi_labeling_splits_a_line_between_two_objects():
    binary = np.array([[1, 0, 0, 0, 0, 1, 1]], np.uint8)
    np.testing.assert_array_equal(oclip.voronoi_labeling(binary), [[1, 1, 1, 2, 2, 2, 2]])


def test_voronoi_labeling_of_an_empty_image_is_empty():
    assert not oclip.voronoi_labeling(np.zeros((3, 4, 5), np.uint8)).any()


# --- threshold compositions -----------------------------------------------------------


@pytest.mark.parametrize("shape", [(256, 200), (30, 96, 80)])
def test_gauss_otsu_labeling_equals_scipy_steps(shape):
    image = blobs(shape)
    # float32 blur against scipy's float64: pixels at the threshold may flip (1e-3 of
    # them); the same number of labels
    REFERENCES["gauss_otsu_labeling"].assert_operation_close(image, outline_sigma=2.0)


@pytest.mark.parametrize("shape", [(256, 200), (30, 96, 80)])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
def test_voronoi_otsu_labeling_equals_scipy_steps(shape, dtype):
    image = blobs(shape)
    image = (image / image.max() * (250 if dtype == np.uint8 else 4000)).astype(dtype)
    # float32 blur against float64: a local maximum between two almost equal
    # pixels may move; the partition must agree almost everywhere (all but 1e-3 of the
    # pixels, the label count within 1)
    result = REFERENCES["voronoi_otsu_labeling"].assert_operation_close(
        image, spot_sigma=2.0, outline_sigma=2.0)
    assert result.dtype == np.uint32


def test_voronoi_otsu_labeling_separates_two_touching_blobs():
    y, x = np.mgrid[:40, :60]
    image = (np.exp(-((y - 20) ** 2 + (x - 20) ** 2) / 60)
             + np.exp(-((y - 20) ** 2 + (x - 38) ** 2) / 60)).astype(np.float32)
    result = oclip.voronoi_otsu_labeling(image, spot_sigma=2.0, outline_sigma=1.0)
    assert result.max() == 2
    assert result[20, 20] == 1 and result[20, 38] == 2
    np.testing.assert_array_equal(result != 0, otsu(gaussian(image, 1.0)))


def test_voronoi_otsu_labeling_of_a_constant_image_is_empty():
    assert not oclip.voronoi_otsu_labeling(np.full((6, 7), 3, np.uint8)).any()


@pytest.mark.parametrize("shape", [(256, 200), (30, 96, 80)])
@pytest.mark.parametrize("erosions", [0, 2, 5])
def test_eroded_otsu_labeling_equals_scipy_steps(shape, erosions):
    image = blobs(shape)
    # all but 1e-3 of the pixels, the same number of labels
    REFERENCES["eroded_otsu_labeling"].assert_operation_close(
        image, number_of_erosions=erosions, outline_sigma=2.0)


def test_eroded_otsu_labeling_splits_a_dumbbell():
    image = np.zeros((30, 60), np.float32)
    image[5:25, 5:25] = 10
    image[5:25, 35:55] = 10
    image[14:16, 25:35] = 10  # a thin neck
    labels = oclip.eroded_otsu_labeling(image, number_of_erosions=2, outline_sigma=0.0)
    assert labels.max() == 2
    np.testing.assert_array_equal(labels != 0, image > 0)
    assert connected_count(oclip.gauss_otsu_labeling(image, outline_sigma=0.0)) == 1


def connected_count(labels: np.ndarray) -> int:
    return int(labels.max())


# --- watershed_labeling ---------------------------------------------------------------


def distinct_values(rng, shape, dtype):
    """An image whose values all differ: a random permutation, smoothed by ranks."""
    smooth = ndi.gaussian_filter(rng.random(shape), 1.5)
    ranks = np.argsort(np.argsort(smooth.ravel(), kind="stable")).reshape(shape)
    return ranks.astype(dtype)


@pytest.mark.parametrize("shape", [*SHAPES, (64, 64)])
@pytest.mark.parametrize("connectivity", ["diamond", "box"])
@pytest.mark.parametrize("dtype", [np.uint16, np.float32])
def test_watershed_equals_skimage_without_ties(shape, connectivity, dtype, rng):
    image = distinct_values(rng, shape, dtype)
    seeds = np.zeros(shape, np.uint32)
    seeds.flat[rng.choice(image.size, 8, replace=False)] = np.arange(1, 9) * 5
    result = oclip.watershed_labeling(image, seeds, connectivity=connectivity)
    assert result.dtype == np.uint32
    np.testing.assert_array_equal(result, REFERENCES["watershed_labeling"](
        image, seeds, connectivity=connectivity))


def test_watershed_uint8_without_ties_equals_skimage(rng):
    image = distinct_values(rng, (16, 16), np.uint8)
    seeds = np.zeros(image.shape, np.uint32)
    seeds[2, 3], seeds[12, 12], seeds[5, 14] = 1, 2, 3
    np.testing.assert_array_equal(oclip.watershed_labeling(image, seeds),
                                  REFERENCES["watershed_labeling"](image, seeds))


def test_watershed_seed_regions_keep_their_labels(rng):
    image = distinct_values(rng, (30, 40), np.float32)
    seeds = np.zeros(image.shape, np.uint32)
    seeds[3:6, 3:6] = 7
    seeds[20:25, 30:33] = 2
    result = oclip.watershed_labeling(image, seeds)
    np.testing.assert_array_equal(result[seeds > 0], seeds[seeds > 0])
    np.testing.assert_array_equal(result, REFERENCES["watershed_labeling"](image, seeds))


@pytest.mark.parametrize("shape", [(200, 180), (24, 64, 60)])
@pytest.mark.parametrize(("levels", "bound"), [(255, 0.1), (4000, 0.02)])
def test_watershed_with_plateaus_agrees_almost_everywhere(shape, levels, bound):
    # blobs quantised to 8 or 12 bits: plateaus everywhere, where flooding
    # order decides and results may differ (see the docstring)
    blurred = ndi.gaussian_filter(blobs(shape), 2.0)
    peaks = (ndi.maximum_filter(blurred, 5) == blurred) & (blurred > blurred.mean())
    seeds = ndi.label(peaks)[0].astype(np.uint32)
    relief = (levels * (1 - blurred / blurred.max())).astype(np.uint16)
    for connectivity in ("diamond", "box"):
        result = oclip.watershed_labeling(relief, seeds, connectivity=connectivity)
        expected = REFERENCES["watershed_labeling"](relief, seeds, connectivity=connectivity)
        assert result.all()
        assert (result != expected).mean() < bound


def test_watershed_splits_a_ridge_between_two_valleys():
    image = np.array([[0, 1, 2, 3, 9, 3, 2, 1, 0]], np.float32)
    seeds = np.array([[1, 0, 0, 0, 0, 0, 0, 0, 2]], np.uint32)
    result = oclip.watershed_labeling(image, seeds)
    np.testing.assert_array_equal(result[0, :4], 1)
    np.testing.assert_array_equal(result[0, 5:], 2)


def test_watershed_without_seeds_is_empty():
    assert not oclip.watershed_labeling(np.ones((4, 5)), np.zeros((4, 5), np.uint32)).any()


def test_watershed_refuses_different_shapes():
    with pytest.raises(ValueError, match="watershed_labeling: image and labels"):
        oclip.watershed_labeling(np.ones((3, 4)), np.ones((4, 3), np.uint32))


@settings(max_examples=25, deadline=None)
@given(shape=small_shapes, seed=st.integers(0, 2**16),
       connectivity=st.sampled_from(["diamond", "box"]))
def test_watershed_small_shapes_without_ties(shape, seed, connectivity):
    rng = np.random.default_rng(seed)
    image = rng.permutation(int(np.prod(shape))).reshape(shape).astype(np.float32)
    seeds = np.zeros(shape, np.uint32)
    count = min(3, image.size)
    seeds.flat[rng.choice(image.size, count, replace=False)] = np.arange(1, count + 1)
    np.testing.assert_array_equal(oclip.watershed_labeling(image, seeds, connectivity=connectivity),
                                  REFERENCES["watershed_labeling"](image, seeds,
                                                                   connectivity=connectivity))
