"""The conventions of the README, checked on hand-made arrays: axes, borders, dtypes."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.ndimage as ndi

import oclip

from .._helpers import DTYPES
from .references import REFERENCES


def test_axis_order_is_numpy_z_y_x(make_image):
    image = make_image((7, 8, 9), np.float32)
    reference = image.astype(np.float64)
    for parameters, sigma in [({"sigma_x": 2.0}, (0, 0, 2.0)),
                              ({"sigma_y": 2.0}, (0, 2.0, 0)),
                              ({"sigma_z": 2.0}, (2.0, 0, 0))]:
        arguments = {"sigma_x": 0.0, "sigma_y": 0.0, "sigma_z": 0.0, **parameters}
        # the axes spelled out here (not the reference's): the convention under test
        np.testing.assert_allclose(oclip.gaussian_blur(image, **arguments),
                                   ndi.gaussian_filter(reference, sigma, mode="nearest"),
                                   rtol=1e-5, atol=1e-3)


def test_z_parameters_are_ignored_for_2d_images(make_image):
    image = make_image((6, 7), np.uint8)
    np.testing.assert_array_equal(oclip.gaussian_blur(image, sigma_z=5.0),
                                  oclip.gaussian_blur(image, sigma_z=0.0))
    np.testing.assert_array_equal(oclip.maximum_box(image, radius_z=4),
                                  oclip.maximum_box(image, radius_z=0))


def test_borders_replicate_the_edge_pixel():
    row = np.array([[0.0, 0.0, 0.0, 3.0, 9.0]], np.float32)
    # mean over 3 at the last pixel with the edge replicated: (3 + 9 + 9) / 3
    assert oclip.mean_box(row, radius_x=1, radius_y=0)[0, -1] == pytest.approx(7.0)
    assert oclip.mean_box(row, radius_x=1, radius_y=0)[0, 0] == pytest.approx(0.0)
    # a window of 7 around the first pixel: 0 three times replicated, then the row
    assert oclip.mean_box(row, radius_x=3, radius_y=0)[0, 0] == pytest.approx(3 / 7)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_output_dtypes(dtype):
    image = np.arange(60, dtype=dtype).reshape(3, 4, 5)
    assert oclip.gaussian_blur(image).dtype == np.float32
    assert oclip.mean_box(image).dtype == np.float32
    assert oclip.add_images(image, image).dtype == np.float32
    assert oclip.multiply_image_and_scalar(image, scalar=2).dtype == np.float32
    assert oclip.minimum_box(image).dtype == dtype
    assert oclip.maximum_box(image).dtype == dtype
    assert oclip.top_hat_box(image).dtype == dtype
    assert oclip.maximum_z_projection(image).dtype == dtype
    assert oclip.threshold_otsu(image).dtype == np.uint8
    assert oclip.connected_components_labeling(image).dtype == np.uint32


def test_float64_and_bool_inputs_follow_the_upload_rule(make_image):
    image = make_image((6, 7), np.float32).astype(np.float64)
    np.testing.assert_array_equal(oclip.gaussian_blur(image),
                                  oclip.gaussian_blur(image.astype(np.float32)))
    mask = image > 100
    np.testing.assert_array_equal(oclip.maximum_box(mask), REFERENCES["maximum_box"](mask))
