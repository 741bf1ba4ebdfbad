"""Otsu thresholding against skimage.filters.threshold_otsu."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.ndimage as ndi
import skimage.filters

import oclip

from .._helpers import SHAPES


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int16])
def test_integer_images_equal_skimage(shape, dtype, make_image):
    # two populations, as a threshold expects
    image = make_image(shape, np.uint8).astype(dtype)
    image[..., : shape[-1] // 3] //= 4
    result = oclip.threshold_otsu(image)
    assert result.dtype == np.uint8
    expected = image > skimage.filters.threshold_otsu(image)
    np.testing.assert_array_equal(result, expected)


@pytest.mark.parametrize("shape", SHAPES)
def test_float_images_agree_within_one_bin(shape, make_image):
    # skimage uses 256 bins between min and max; float rounding at a bin edge
    # may move the threshold by one bin, so pixels within one bin width of
    # skimage's threshold may go either way.  All others must agree.
    image = ndi.gaussian_filter(make_image(shape, np.float32), 1.0)
    result = oclip.threshold_otsu(image).astype(bool)
    threshold = skimage.filters.threshold_otsu(image)
    bin_width = (image.max() - image.min()) / 256
    certain = np.abs(image - threshold) > bin_width
    np.testing.assert_array_equal(result[certain], (image > threshold)[certain])
    assert certain.mean() > 0.9


def test_blobs_sample_gives_skimage_result_exactly():
    image = oclip.data.blobs2d()
    np.testing.assert_array_equal(oclip.threshold_otsu(image),
                                  image > skimage.filters.threshold_otsu(image))


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
