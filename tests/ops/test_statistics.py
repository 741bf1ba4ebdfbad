"""Whole-image reductions (ops/statistics.py) against numpy, scipy.ndimage and
skimage.metrics (tests/ops/references/statistics.py: integer sums, extremes,
positions and histograms exact; float sums within 1e-12 of the sum of |pixels|),
and hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

import oclip

from .._helpers import DTYPES, SHAPES, random_image
from .references import REFERENCES

SCALARS = ["sum_of_all_pixels", "mean_of_all_pixels", "minimum_of_all_pixels",
           "maximum_of_all_pixels", "standard_deviation_of_all_pixels"]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", SCALARS)
def test_scalar_reductions_equal_numpy_in_float64(name, shape, dtype, rng):
    image = random_image(rng, shape, dtype)
    result = REFERENCES[name].assert_operation_close(image)
    assert isinstance(result, float)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["statistics_of_image", "position_of_maximum",
                                  "position_of_minimum", "center_of_mass"])
def test_one_row_tables_equal_numpy_and_scipy(name, shape, dtype, rng):
    image = random_image(rng, shape, dtype)
    result = REFERENCES[name].assert_operation_close(image)
    assert {len(column) for column in result.values()} == {1}


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_masked_statistics_equal_numpy_of_the_masked_pixels(shape, dtype, rng):
    image = random_image(rng, shape, dtype)
    mask = (rng.random(shape) < 0.3).astype(np.uint8)
    REFERENCES["statistics_of_masked_pixels"].assert_operation_close(image, mask)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("bins", "low", "high"), [(256, 0.0, 0.0), (7, 20.5, 130.25),
                                                   (1, 0.0, 255.0), (300, 90.0, 90.0)])
def test_histogram_equals_numpy_histogram(shape, dtype, bins, low, high, rng):
    image = random_image(rng, shape, dtype)
    result = REFERENCES["histogram"].assert_operation_close(image, bins, low, high)
    assert list(result) == ["bin_low", "bin_high", "count"]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_mean_squared_error_equals_scikit_image(shape, dtype, rng):
    image1 = random_image(rng, shape, dtype)
    image2 = random_image(rng, shape, np.float32)
    REFERENCES["mean_squared_error"].assert_operation_close(image1, image2)


# --- hand-computed cases --------------------------------------------------------------


def test_hand_computed_scalars_of_a_tiny_image():
    image = np.array([[1, 2], [3, 250]], np.uint8)
    assert oclip.sum_of_all_pixels(image) == 256.0  # beyond uint8: no wrapping
    assert oclip.mean_of_all_pixels(image) == 64.0
    assert oclip.minimum_of_all_pixels(image) == 1.0
    assert oclip.maximum_of_all_pixels(image) == 250.0
    # deviations -63, -62, -61, 186: squares 3969 + 3844 + 3721 + 34596 = 46130
    assert oclip.standard_deviation_of_all_pixels(image) == pytest.approx(
        math.sqrt(46130 / 4), rel=1e-15)


def test_integer_sums_are_exact_beyond_float32():
    image = np.full((3, 1000, 1000), 65535, np.uint16)
    image[0, 0, 0] = 1  # 3e6 * 65535 - 65534 needs 38 bits: float32 sums lose it
    assert oclip.sum_of_all_pixels(image) == 3_000_000 * 65535 - 65534


def test_float_sums_are_accumulated_in_double_precision():
    image = np.full((1000, 1000), 0.1, np.float32)
    image[0, 0] = 1e7  # a float32 running sum drops the 0.1s next to 1e7
    expected = 1e7 + (image.size - 1) * float(np.float32(0.1))
    assert oclip.sum_of_all_pixels(image) == pytest.approx(expected, rel=1e-13)


def test_positions_are_the_first_in_raster_order_in_3d():
    image = np.zeros((2, 3, 4), np.float32)
    image[1, 0, 2] = image[1, 2, 0] = 5.0  # two maxima: the first in raster order
    image[0, 1, 3] = image[1, 1, 1] = -2.0
    assert oclip.position_of_maximum(image) == {
        "position_of_maximum-0": [1], "position_of_maximum-1": [0], "position_of_maximum-2": [2]}
    minimum = oclip.position_of_minimum(image)
    assert [int(minimum[f"position_of_minimum-{a}"][0]) for a in range(3)] == [0, 1, 3]


def test_center_of_mass_by_hand_and_of_a_zero_image():
    image = np.zeros((3, 3), np.uint16)
    image[0, 0], image[2, 1] = 1, 3  # y: (0 + 6) / 4, x: (0 + 3) / 4
    result = oclip.center_of_mass(image)
    assert result["center_of_mass-0"][0] == 1.5 and result["center_of_mass-1"][0] == 0.75
    empty = oclip.center_of_mass(np.zeros((2, 2, 2), np.uint8))
    assert list(empty) == [f"center_of_mass-{a}" for a in range(3)]
    assert all(np.isnan(column[0]) for column in empty.values())


def test_masked_statistics_by_hand_and_of_an_empty_mask():
    image = np.array([[[1, 2], [3, 4]], [[5, 6], [7, 8]]], np.uint16)
    mask = np.zeros(image.shape, np.uint8)
    mask[0, 0, 0] = mask[1, 1, 1] = 1
    table = oclip.statistics_of_masked_pixels(image, mask)
    assert {name: column.tolist() for name, column in table.items()} == {
        "pixel_count": [2], "sum": [9.0], "mean": [4.5], "minimum": [1.0], "maximum": [8.0],
        "standard_deviation": [3.5]}
    empty = oclip.statistics_of_masked_pixels(image, np.zeros(image.shape, np.uint8))
    assert empty["pixel_count"].tolist() == [0] and empty["sum"].tolist() == [0.0]
    assert all(np.isnan(empty[name][0]) for name in ("mean", "minimum", "maximum",
                                                       "standard_deviation"))


def test_histogram_by_hand_last_bin_closed_and_outside_pixels_left_out():
    image = np.array([[0, 1, 2, 3, 4, 9]], np.uint8)
    table = oclip.histogram(image, bins=2, minimum=0, maximum=4)
    assert table["bin_low"].tolist() == [0.0, 2.0] and table["bin_high"].tolist() == [2.0, 4.0]
    assert table["count"].tolist() == [2, 3]  # 4 is in the last bin, 9 outside
    # equal bounds: the image's range (0 .. 9), as numpy without range
    assert oclip.histogram(image, bins=3)["count"].tolist() == [3, 2, 1]
    # a constant image: numpy widens the range by 0.5 on either side
    constant = oclip.histogram(np.full((2, 2), 7, np.float32), bins=2)
    assert constant["bin_low"].tolist() == [6.5, 7.0] and constant["count"].tolist() == [0, 4]


def test_mean_squared_error_by_hand():
    assert oclip.mean_squared_error(np.array([[0, 2]], np.uint8),
                                    np.array([[1, 0]], np.uint16)) == 2.5


@pytest.mark.parametrize(("call", "words"), [
    (lambda image: oclip.histogram(image, 4, minimum=3.0, maximum=1.0),
     "histogram: 'minimum' (3.0) must not be larger than 'maximum'"),
    (lambda image: oclip.histogram(image, 0), "histogram: "),
    (lambda image: oclip.mean_squared_error(image, image[:1]),
     "mean_squared_error: image1 and image2 must have the same shape"),
    (lambda image: oclip.statistics_of_masked_pixels(image, np.ones((1, 1), np.uint8)),
     "statistics_of_masked_pixels: "),
    (lambda image: oclip.sum_of_all_pixels(np.array([[1.0, np.nan]], np.float32)),
     "sum_of_all_pixels: "),
])
def test_bad_input_is_refused_naming_the_operation(call, words):
    image = np.ones((3, 4), np.uint8)
    with pytest.raises(ValueError, match="^" + words.replace("(", r"\(").replace(")", r"\)")):
        call(image)


def test_device_arrays_give_the_same_numbers():
    image = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    device = oclip.push(image)
    assert oclip.sum_of_all_pixels(device) == 276.0
    table = oclip.statistics_of_image(device)
    assert isinstance(table["mean"], np.ndarray) and table["mean"][0] == 11.5


@pytest.mark.parametrize("dtype", DTYPES)
def test_histogram_of_the_gpu_kernel_equals_numpy_too(dtype, rng, monkeypatch):
    from oclip.ops import statistics

    monkeypatch.setattr(statistics, "_on_cpu", lambda: False)  # the atomics' kernel here
    image = random_image(rng, (9, 21, 33), dtype)
    REFERENCES["histogram"].assert_operation_close(image, 50, 0.0, 0.0)
    REFERENCES["histogram"].assert_operation_close(image, 3, 90.0, 110.5)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_the_reductions_of_gpus_equal_numpy_too(shape, dtype, rng, monkeypatch):
    from oclip.ops import statistics

    monkeypatch.setattr(statistics, "_on_cpu", lambda: False)  # pyopencl's reductions here
    image = random_image(rng, shape, dtype)
    mask = (rng.random(shape) < 0.5).astype(np.uint8)
    REFERENCES["statistics_of_image"].assert_operation_close(image)
    REFERENCES["statistics_of_masked_pixels"].assert_operation_close(image, mask)
    REFERENCES["sum_of_all_pixels"].assert_operation_close(image)
