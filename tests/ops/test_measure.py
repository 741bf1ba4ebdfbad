"""Measurements against skimage.measure.regionprops_table and scipy.ndimage."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.ndimage as ndi
from hypothesis import given, settings
from hypothesis import strategies as st

import oclip

from .._helpers import DTYPES, SHAPES, random_image
from .references import REFERENCES
from .references.measure import EXTRA_COLUMNS, assert_tables_equal, reference_table
from .test_label_processing import random_labels


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("columns", ["basic", "shape", "all"])
def test_label_statistics_equal_regionprops_table(shape, dtype, columns, rng):
    labels = random_labels(rng, shape, count=15)
    image = random_image(rng, shape, dtype)
    result = REFERENCES["label_statistics"].assert_operation_close(image, labels,
                                                                   columns=columns)
    assert ("intensity_median" in result) == (columns == "all")
    assert any(name.startswith("moments_central-") for name in result) == (columns != "basic")


def test_label_statistics_on_blobs_in_3d_match_float64_sums():
    image = oclip.data.blobs((20, 64, 64), count=20, seed=3)
    labels = oclip.voronoi_otsu_labeling(image)
    result = oclip.label_statistics(image, labels)
    index = np.arange(1, labels.max() + 1)
    image64 = image.astype(np.float64)
    np.testing.assert_allclose(result["intensity_mean"], ndi.mean(image64, labels, index),
                               rtol=1e-12)
    np.testing.assert_allclose(result["intensity_std"],
                               ndi.standard_deviation(image64, labels, index), rtol=1e-9)
    centres = np.array(ndi.center_of_mass(image64, labels, index))
    for axis in range(3):
        np.testing.assert_allclose(result[f"centroid_weighted-{axis}"], centres[:, axis],
                                   rtol=1e-12)


def test_signed_and_negative_intensities(rng):
    labels = random_labels(rng, (30, 40))
    for image in (rng.integers(-300, 300, labels.shape).astype(np.int16),
                  rng.normal(-5, 3, labels.shape).astype(np.float32)):
        result = oclip.label_statistics(image, labels)
        index = result["label"]
        np.testing.assert_array_equal(result["intensity_min"], ndi.minimum(image, labels, index))
        np.testing.assert_array_equal(result["intensity_max"], ndi.maximum(image, labels, index))
        np.testing.assert_allclose(result["intensity_mean"],
                                   ndi.mean(image.astype(np.float64), labels, index), rtol=1e-9)


def test_touching_objects_on_borders_and_a_single_object():
    labels = np.zeros((6, 8), np.uint32)
    labels[:, :4] = 2
    labels[:3, 4:] = 5  # touches label 2 and three borders
    image = np.arange(48, dtype=np.uint16).reshape(6, 8)
    REFERENCES["label_statistics"].assert_operation_close(image, labels)
    single = oclip.label_statistics(image, np.ones_like(labels))
    np.testing.assert_array_equal(single["label"], [1])
    assert single["area"][0] == 48 and single["intensity_sum"][0] == image.sum()


@pytest.mark.parametrize("shape", [(5, 6), (3, 4, 5)])
def test_empty_label_image_gives_an_empty_table(shape):
    image = np.ones(shape, np.float32)
    result = oclip.label_statistics(image, np.zeros(shape, np.uint32), columns="all")
    expected = reference_table(image, np.zeros(shape, np.int64))
    assert set(result) == set(expected) | EXTRA_COLUMNS
    for name, column in result.items():
        assert column.shape == (0,), name
        if name in expected:
            assert column.dtype == expected[name].dtype


def test_hundred_thousand_labels():
    # 2x2 squares on a grid of pitch 3: 111 556 labels
    labels = np.zeros((1002, 1002), np.uint32)
    grid = np.arange(334 * 334, dtype=np.uint32).reshape(334, 334) + 1
    for dy in range(2):
        for dx in range(2):
            labels[dy::3, dx::3] = grid
    image = random_image(np.random.default_rng(1), labels.shape, np.uint16)
    result = oclip.label_statistics(image, labels)
    assert len(result["label"]) == 334 * 334
    np.testing.assert_array_equal(result["area"], 4.0)
    index = result["label"]
    np.testing.assert_allclose(result["intensity_mean"],
                               ndi.mean(image.astype(np.float64), labels, index), rtol=1e-12)
    np.testing.assert_array_equal(result["bbox-0"], np.repeat(np.arange(334) * 3, 334))


def test_labels_with_gaps_and_huge_values(rng):
    labels = np.zeros((10, 12), np.uint32)
    labels[1:4, 1:4] = 7
    labels[5:9, 6:11] = 3_000_000_000
    image = random_image(rng, labels.shape, np.float32)
    result = oclip.label_statistics(image, labels, columns="all")
    compact = np.searchsorted(np.unique(labels), labels)
    expected = reference_table(image, compact)
    expected["label"] = np.array([7, 3_000_000_000])
    assert_tables_equal(result, expected, image, labels.astype(np.int64))


@pytest.mark.parametrize("scale", [1e-38, 1e-25, 1e25])
def test_intensities_far_from_one_keep_their_precision(scale, rng):
    # the fixed-point sums' scale was clamped to 2**120: images of values near float32's
    # smallest normal number lost their sums, their weighted centroids came out NaN
    # (found by the property suite)
    labels = random_labels(rng, (9, 21, 33))
    image = random_image(rng, labels.shape, np.float32) * np.float32(scale)
    image64 = image.astype(np.float64)
    result = oclip.label_statistics(image, labels)
    index = result["label"]
    with np.errstate(invalid="ignore", divide="ignore"):  # scipy divides for absent labels
        sums = ndi.sum(image64, labels, index)
        deviations = ndi.standard_deviation(image64, labels, index)
        centres = np.array(ndi.center_of_mass(image64, labels, index))
    np.testing.assert_allclose(result["intensity_sum"], sums, rtol=1e-12)
    np.testing.assert_allclose(result["intensity_std"], deviations, rtol=1e-6)
    for axis in range(3):
        np.testing.assert_allclose(result[f"centroid_weighted-{axis}"], centres[:, axis],
                                   rtol=1e-12)
    # relative 1e-6 alone (the reference's atol of 1e-4 would hide these magnitudes)
    np.testing.assert_allclose(oclip.mean_intensity_map(image, labels),
                               REFERENCES["mean_intensity_map"](image, labels), rtol=1e-6)


def test_label_statistics_refuses_different_shapes():
    with pytest.raises(ValueError, match="label_statistics: image and labels"):
        oclip.label_statistics(np.ones((3, 4)), np.ones((4, 3), np.uint32))


def test_device_inputs_give_numpy_columns(rng):
    labels = random_labels(rng, (20, 30))
    image = random_image(rng, labels.shape, np.uint8)
    result = oclip.label_statistics(oclip.push(image), oclip.push(labels))
    assert all(isinstance(column, np.ndarray) for column in result.values())


@settings(max_examples=25, deadline=None)
@given(shape=st.one_of(st.tuples(st.integers(1, 10), st.integers(1, 10)),
                       st.tuples(st.integers(1, 4), st.integers(1, 5), st.integers(1, 6))),
       seed=st.integers(0, 2**16))
def test_label_statistics_small_shapes(shape, seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 4, shape).astype(np.uint32)
    image = rng.integers(0, 256, shape).astype(np.uint8)
    REFERENCES["label_statistics"].assert_operation_close(image, labels)



# --- shape columns, physical units, background row ------------------------------------


def hand_made_labels() -> np.ndarray:
    """A rectangle, a tilted ellipse, a single pixel, a line and an L on the border."""
    labels = np.zeros((30, 40), np.uint32)
    labels[3:10, 4:20] = 1
    yy, xx = np.mgrid[:30, :40]
    ellipse = (yy - 18) ** 2 / 30 + (xx - 28) ** 2 / 8 + (yy - 18) * (xx - 28) / 10 < 1
    labels[ellipse] = 2
    labels[27, 2] = 3
    labels[14, 2:14] = 4
    labels[20:30, 0] = 5
    labels[29, 0:6] = 5
    return labels


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("spacing", [None, (0.5, 0.5), (0.75, 0.25)])
def test_hand_made_shapes_equal_regionprops_table(dtype, spacing, rng):
    labels = hand_made_labels()
    image = random_image(rng, labels.shape, dtype)
    options = {} if spacing is None else {"spacing_y": spacing[0], "spacing_x": spacing[1]}
    result = oclip.label_statistics(image, labels, **options, columns="all")
    expected = reference_table(image, labels, spacing)
    assert_tables_equal(result, expected, image, labels, spacing)
    # hand-computed: the 7 x 16 rectangle
    assert result["extent"][0] == 1.0
    scale = 1.0 if spacing is None else spacing[1]
    if spacing is None or spacing[0] == spacing[1]:
        # skimage's perimeter of a rectangle: its border pixels, each of weight 1
        assert result["perimeter"][0] == pytest.approx((2 * 16 + 2 * 7 - 4) * scale, rel=1e-12)
        assert result["orientation"][0] == pytest.approx(np.pi / 2)  # the long axis along x
        # the contour of a pixel, and of a line of 12, at half a pixel from the centres
        assert result["feret_diameter_max"][2] == pytest.approx(scale, rel=1e-12)
        assert result["feret_diameter_max"][3] == pytest.approx(12 * scale, rel=1e-12)
    else:
        assert np.isnan(result["perimeter"]).all()
        assert result["orientation"][0] == 0.0  # 5.25 high, 4 wide
    assert result["eccentricity"][2] == 0.0 and result["axis_major_length"][2] == 0.0
    assert result["max_mean_distance_to_centroid_ratio"][2] == 1.0


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("spacing", [None, (2.0, 0.5, 0.25)])
def test_random_labels_in_3d_in_physical_units(dtype, spacing, rng):
    labels = random_labels(rng, (9, 21, 33), count=12)
    image = random_image(rng, labels.shape, dtype)
    options = {} if spacing is None else dict(zip(("spacing_z", "spacing_y", "spacing_x"),
                                                  spacing, strict=True))
    result = oclip.label_statistics(image, labels, **options, columns="all")
    assert not {"eccentricity", "orientation", "perimeter"} & set(result)
    assert len([name for name in result if name.startswith("moments_central-")]) == 64
    assert_tables_equal(result, reference_table(image, labels, spacing), image, labels,
                        spacing)


def test_nuclei_in_microns_equal_regionprops_table():
    # the "done when": a 3D nuclei image measured in microns
    image = oclip.data.blobs((16, 48, 48), count=10, seed=5)
    labels = oclip.voronoi_otsu_labeling(image, spot_sigma=2, outline_sigma=1)
    spacing = (0.9, 0.16, 0.16)
    result = oclip.label_statistics(image, labels, spacing_z=0.9, spacing_y=0.16,
                                    spacing_x=0.16, columns="all")
    assert len(result["label"]) >= 5
    assert_tables_equal(result, reference_table(image, labels, spacing), image, labels,
                        spacing)


@pytest.mark.parametrize("shape", [(20, 30), (5, 12, 14)])
def test_background_row(shape, rng):
    labels = random_labels(rng, shape, count=6)
    image = random_image(rng, shape, np.uint16)
    result = oclip.label_statistics(image, labels, background=True, columns="all")
    assert result["label"][0] == 0
    np.testing.assert_array_equal(result["label"][1:],
                                  oclip.label_statistics(image, labels)["label"])
    # the background measured as a label: regionprops_table of the labels plus one
    expected = reference_table(image, labels.astype(np.int64) + 1)
    expected["label"] -= 1
    assert_tables_equal(result, expected, image, labels)


def test_background_row_with_huge_label_values(rng):
    labels = np.zeros((10, 12), np.uint32)
    labels[1:4, 1:4] = 7
    labels[5:9, 6:11] = 3_000_000_000
    image = random_image(rng, labels.shape, np.float32)
    result = oclip.label_statistics(image, labels, background=True)
    np.testing.assert_array_equal(result["label"], [0, 7, 3_000_000_000])
    assert result["area"][0] == 120 - 9 - 20


def test_medians_with_ties_and_even_counts():
    labels = np.array([[1, 1, 2, 2, 2], [1, 1, 0, 3, 3]], np.uint32)
    image = np.array([[5, 1, 7, 7, 2], [3, 9, 100, 4, 4]], np.float32)
    result = oclip.label_statistics(image, labels, columns="all")
    np.testing.assert_array_equal(result["intensity_median"], [4.0, 7.0, 4.0])
    signed = oclip.label_statistics(-image.astype(np.int16), labels, columns="all")
    np.testing.assert_array_equal(signed["intensity_median"], [-4.0, -7.0, -4.0])


def test_distances_to_the_centroid_and_the_mass_centre():
    labels = np.zeros((5, 7), np.uint32)
    labels[2, 1:6] = 1  # a line of 5 pixels, centroid at x = 3
    image = np.zeros(labels.shape, np.uint8)
    image[2, 5] = 1  # all the mass at x = 5
    result = oclip.label_statistics(image, labels, spacing_x=2.0, columns="shape")
    assert result["mean_distance_to_centroid"][0] == pytest.approx(2 * (2 + 1 + 0 + 1 + 2) / 5)
    assert result["max_distance_to_centroid"][0] == pytest.approx(4.0)
    assert result["mean_distance_to_mass_center"][0] == pytest.approx(2 * (4 + 3 + 2 + 1) / 5)
    assert result["max_distance_to_mass_center"][0] == pytest.approx(8.0)
    assert result["max_mean_distance_to_mass_center_ratio"][0] == pytest.approx(8.0 / 4.0)
    dark = oclip.label_statistics(np.zeros_like(image), labels, columns="shape")
    assert np.isnan(dark["mean_distance_to_mass_center"][0])
    assert dark["mean_distance_to_centroid"][0] == pytest.approx(6 / 5)


@pytest.mark.parametrize("parameter", ["spacing_x", "spacing_y", "spacing_z"])
def test_spacing_must_be_positive(parameter):
    with pytest.raises(ValueError, match=f"label_statistics: parameter '{parameter}'"):
        oclip.label_statistics(np.ones((3, 4)), np.ones((3, 4), np.uint32), **{parameter: 0.0})

# --- parametric maps --------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_intensity_maps_equal_scipy_per_label_reductions(shape, dtype, rng):
    labels = random_labels(rng, shape)
    image = random_image(rng, shape, dtype)
    for name in ["mean_intensity_map", "minimum_intensity_map", "maximum_intensity_map",
                 "standard_deviation_intensity_map"]:
        # float32 results: relative tolerance of float32 rounding
        result = REFERENCES[name].assert_operation_close(image, labels)
        assert result.dtype == np.float32


def test_pixel_count_map_equals_bincount(rng):
    labels = random_labels(rng, (9, 21, 33))
    REFERENCES["pixel_count_map"].assert_operation_close(labels)


@pytest.mark.parametrize("shape", SHAPES)
def test_distance_to_centroid_map(shape, rng):
    labels = random_labels(rng, shape)
    REFERENCES["distance_to_centroid_map"].assert_operation_close(labels)


@pytest.mark.parametrize("shape", SHAPES)
def test_extension_ratio_map_is_max_over_mean_distance(shape, rng):
    labels = random_labels(rng, shape)
    labels[tuple(0 for _ in shape)] = labels.max() + 1  # a single-pixel label
    REFERENCES["extension_ratio_map"].assert_operation_close(labels)


def test_extension_ratio_of_a_disk_and_a_bar():
    y, x = np.mgrid[:41, :81]
    labels = (((y - 20) ** 2 + (x - 20) ** 2) <= 15 ** 2).astype(np.uint32)
    labels[18:23, 45:80] = 2
    result = oclip.extension_ratio_map(labels)
    assert 1.4 < result[20, 20] < 1.6  # a disk: max 15, mean about 10
    assert result[20, 60] > 1.8


@pytest.mark.parametrize("shape", SHAPES)
def test_touching_neighbor_count_map(shape, rng):
    labels = random_labels(rng, shape, fill=0.8)
    REFERENCES["touching_neighbor_count_map"].assert_operation_close(labels)


@pytest.mark.parametrize("shape", SHAPES)
def test_mean_of_touching_neighbors_map(shape, rng):
    labels = random_labels(rng, shape, fill=0.8)
    image = random_image(rng, shape, np.float32)
    REFERENCES["mean_of_touching_neighbors_map"].assert_operation_close(image, labels)


@pytest.mark.parametrize("name", ["pixel_count_map", "distance_to_centroid_map",
                                  "extension_ratio_map", "touching_neighbor_count_map"])
def test_maps_of_empty_label_images_are_zero(name):
    result = getattr(oclip, name)(np.zeros((4, 5, 6), np.uint32))
    assert result.dtype == np.float32 and not result.any()


# --- overlap ----------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
def test_jaccard_and_dice_equal_numpy(shape, rng):
    a = rng.random(shape) < 0.4
    b = rng.random(shape) < 0.5
    labels = (a * rng.integers(1, 9, shape)).astype(np.uint32)
    REFERENCES["jaccard_index"].assert_operation_close(labels, b)  # rel=1e-12
    REFERENCES["sorensen_dice"].assert_operation_close(a, b)


def test_overlap_of_empty_and_identical_masks():
    empty = np.zeros((4, 5), bool)
    assert oclip.jaccard_index(empty, empty) == 1.0
    assert oclip.sorensen_dice(empty, empty) == 1.0
    full = ~empty
    assert oclip.jaccard_index(full, full) == 1.0
    assert oclip.jaccard_index(full, empty) == 0.0
    assert isinstance(oclip.sorensen_dice(full, empty), float)
