"""Otsu thresholding against skimage.filters.threshold_otsu."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.ndimage as ndi

import oclip

from .._helpers import SHAPES
from .references import REFERENCES
from .references.threshold import METHODS


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int16])
def test_integer_images_equal_skimage(shape, dtype, make_image):
    # two populations, as a threshold expects
    image = make_image(shape, np.uint8).astype(dtype)
    image[..., : shape[-1] // 3] //= 4
    # one bin per value: exactly image > scikit-image's threshold
    result = REFERENCES["threshold_otsu"].assert_operation_close(image)
    assert result.dtype == np.uint8


@pytest.mark.parametrize("shape", SHAPES)
def test_float_images_agree_within_one_bin(shape, make_image):
    # skimage uses 256 bins between min and max; float rounding at a bin edge
    # may move the threshold by one bin, so pixels within one bin width of
    # skimage's threshold may go either way.  All others must agree.
    image = ndi.gaussian_filter(make_image(shape, np.float32), 1.0)
    result = oclip.threshold_otsu(image).astype(bool)
    threshold = REFERENCES["threshold_otsu"](image)
    bin_width = (image.max() - image.min()) / 256
    certain = np.abs(image - threshold) > bin_width
    np.testing.assert_array_equal(result[certain], (image > threshold)[certain])
    assert certain.mean() > 0.9


def test_blobs_sample_gives_skimage_result_exactly():
    image = oclip.data.blobs2d()
    np.testing.assert_array_equal(oclip.threshold_otsu(image),
                                  image > REFERENCES["threshold_otsu"](image))


def test_constant_image_gives_empty_foreground():
    image = np.full((5, 6), 42, np.uint16)
    assert not oclip.threshold_otsu(image).any()
    assert not oclip.threshold_otsu(image.astype(np.float32)).any()


def test_two_values_split_between_them():
    image = np.array([[3, 3, 3], [9, 9, 9]], np.float32)
    np.testing.assert_array_equal(oclip.threshold_otsu(image), [[0, 0, 0], [1, 1, 1]])


def test_nan_pixels_are_ignored_and_stay_background():
    image = np.array([[1, 1, 5, 5], [1, np.nan, 5, 5]], np.float32)
    np.testing.assert_array_equal(oclip.threshold_otsu(image), [[0, 0, 1, 1], [0, 0, 1, 1]])


# --- the other histogram thresholds -------------------------------------------------

def two_populations(make_image, shape, dtype):
    image = make_image(shape, np.uint8).astype(np.float32)
    image[..., : shape[-1] // 3] /= 4
    image = ndi.gaussian_filter(image, 1.0)
    if np.dtype(dtype).kind == "u":
        scale = 1 if dtype == np.uint8 else 16
        return (image * scale).astype(dtype)
    return image.astype(dtype)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int16])
def test_thresholds_of_integer_images_equal_skimage(method, shape, dtype, make_image):
    # one bin per value, as scikit-image: the same threshold (li: the same
    # iteration on the same histogram)
    image = two_populations(make_image, shape, dtype)
    result = REFERENCES[f"threshold_{method}"].assert_operation_close(image)
    assert result.dtype == np.uint8


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("shape", SHAPES)
def test_thresholds_of_float_images_agree_within_one_bin(method, shape, make_image):
    # 256 bins between min and max, as scikit-image (li: on the histogram
    # instead of the pixels): pixels within one bin of skimage's threshold may
    # go either way, all others must agree
    image = two_populations(make_image, shape, np.float32)
    result = getattr(oclip, f"threshold_{method}")(image).astype(bool)
    threshold = REFERENCES[f"threshold_{method}"](image)
    bin_width = (image.max() - image.min()) / 256
    certain = np.abs(image - threshold) > bin_width
    np.testing.assert_array_equal(result[certain], (image > threshold)[certain])
    assert certain.mean() > 0.9


@pytest.mark.parametrize("method", METHODS)
def test_thresholds_of_blobs_agree_with_skimage(method):
    image = oclip.data.blobs((64, 96), count=8, seed=4)
    threshold = REFERENCES[f"threshold_{method}"](image)
    result = getattr(oclip, f"threshold_{method}")(image).astype(bool)
    bin_width = (image.max() - image.min()) / 256
    certain = np.abs(image - threshold) > bin_width
    np.testing.assert_array_equal(result[certain], (image > threshold)[certain])


@pytest.mark.parametrize("method", METHODS)
def test_thresholds_of_constant_images_give_empty_foreground(method):
    for dtype in (np.uint8, np.float32):
        assert not getattr(oclip, f"threshold_{method}")(np.full((4, 5), 7, dtype)).any()


@pytest.mark.parametrize("method", ["isodata", "li", "triangle", "yen", "otsu"])
def test_thresholds_ignore_nan_pixels(method):
    image = np.array([[1, 1, 1, 9, 9], [1, np.nan, 1, 9, 2]], np.float32)
    result = getattr(oclip, f"threshold_{method}")(image)
    assert result[1, 1] == 0
    np.testing.assert_array_equal(result[:, 3], 1)


def test_threshold_mean_equals_numpy_mean(make_image):
    image = make_image((9, 21, 33), np.float32)
    # the mean in float64 (scikit-image's of float64 pixels)
    np.testing.assert_array_equal(
        oclip.threshold_mean(image),
        image > REFERENCES["threshold_mean"](image.astype(np.float64)))


# --- local extrema and edges ---------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
@pytest.mark.parametrize("radii", [(1, 1, 1), (2, 1, 0), (0, 3, 1)])
def test_detect_extrema_equal_rank_filters(shape, dtype, radii, make_image):
    image = make_image(shape, dtype)
    if dtype != np.float32:
        image //= 16  # plateaus
    arguments = {"radius_x": radii[0], "radius_y": radii[1], "radius_z": radii[2]}
    maxima = REFERENCES["detect_maxima_box"].assert_operation_close(image, **arguments)
    REFERENCES["detect_minima_box"].assert_operation_close(image, **arguments)
    assert maxima.dtype == np.uint8


def test_detect_maxima_marks_whole_plateaus_and_peaks_found_by_peak_local_max():
    import skimage.feature

    image = np.zeros((9, 12), np.float32)
    image[2, 3] = 5
    image[6, 7:9] = 4  # a plateau of two pixels
    maxima = oclip.detect_maxima_box(image, radius_x=1, radius_y=1)
    assert maxima[2, 3] and maxima[6, 7] and maxima[6, 8]
    peaks = skimage.feature.peak_local_max(image, min_distance=1, exclude_border=False)
    assert all(maxima[tuple(p)] for p in peaks)
    # the flat background is a plateau of (non-strict) maxima too
    assert maxima[0, 0]


@pytest.mark.parametrize("shape", SHAPES)
def test_binary_edge_detection_equals_find_boundaries(shape, rng):
    from skimage.segmentation import find_boundaries

    binary = ndi.binary_opening(rng.random(shape) < 0.6)
    result = REFERENCES["binary_edge_detection"].assert_operation_close(binary)
    np.testing.assert_array_equal(result, find_boundaries(binary, connectivity=1, mode="inner"))


def test_binary_edge_detection_does_not_cut_objects_open_at_the_border():
    binary = np.ones((4, 5), np.uint8)
    binary[1, 2] = 0
    np.testing.assert_array_equal(oclip.binary_edge_detection(binary),
                                  [[0, 0, 1, 0, 0], [0, 1, 0, 1, 0], [0, 0, 1, 0, 0],
                                   [0, 0, 0, 0, 0]])


# --- peaks ---------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(23, 31), (9, 13, 15)])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32], ids=str)
@pytest.mark.parametrize(("min_distance", "exclude_border"), [(1, True), (3, False), (0, True)])
def test_peak_local_max_equals_skimage(shape, dtype, min_distance, exclude_border, rng):
    smooth = ndi.gaussian_filter(rng.random(shape), 1.5)
    image = (smooth / smooth.max() * 200).astype(dtype)
    image[(0,) * len(shape)] = 250  # a peak in the corner: excluded with the border
    REFERENCES["peak_local_max"].assert_operation_close(
        image, min_distance=min_distance, threshold_abs=60.0, exclude_border=exclude_border)


def test_peaks_of_a_plateau_keep_one_pixel_per_min_distance():
    image = np.zeros((9, 9), np.uint8)
    image[3:6, 2:7] = 5
    peaks = oclip.peak_local_max(image, min_distance=3, exclude_border=False)
    # highest first, ties in raster order: [3, 2] drops what lies closer than 3
    assert np.argwhere(peaks).tolist() == [[3, 2], [3, 5]]
    assert not oclip.peak_local_max(np.full((5, 5), 3, np.uint8)).any()


def test_peak_local_max_refuses_a_negative_distance():
    with pytest.raises(ValueError, match="peak_local_max: parameter 'min_distance'"):
        oclip.peak_local_max(np.zeros((5, 5), np.uint8), min_distance=-1)
