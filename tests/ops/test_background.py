"""Background removal against scipy.ndimage and scikit-image."""

from __future__ import annotations

import numpy as np
import pytest
import skimage.filters
from hypothesis import given, settings
from hypothesis import strategies as st

import oclip

from .._helpers import DTYPES, SHAPES, random_image
from .references import REFERENCES
from .references.windows import assert_smoothing_close, numpy_order

small_shapes = st.one_of(
    st.tuples(st.integers(1, 9), st.integers(1, 9)),
    st.tuples(st.integers(1, 6), st.integers(1, 7), st.integers(1, 8)),
)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("radii", [(2, 2, 1), (5, 1, 0)])
def test_top_hat_box_equals_scipy_white_tophat(shape, dtype, radii, make_image):
    image = make_image(shape, dtype)
    rx, ry, rz = radii
    result = REFERENCES["top_hat_box"].assert_operation_close(image, radius_x=rx, radius_y=ry,
                                                              radius_z=rz)
    assert result.dtype == image.dtype


def test_top_hat_keeps_small_spots_and_removes_a_ramp():
    ramp = np.tile(np.arange(40, dtype=np.float32), (30, 1))
    spotted = ramp.copy()
    spotted[10, 10] += 50
    result = oclip.top_hat_box(spotted, radius_x=3, radius_y=3)
    assert result[10, 10] >= 50
    result[10, 10] = 0
    # a linear ramp minus its opening leaves at most the ramp's rise over a window
    assert result.max() <= 6


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("radii", [(2, 2, 1), (4, 1, 0)])
def test_top_hat_sphere_equals_scipy_white_tophat(shape, dtype, radii, make_image):
    image = make_image(shape, dtype)
    rx, ry, rz = radii
    result = REFERENCES["top_hat_sphere"].assert_operation_close(image, radius_x=rx,
                                                                 radius_y=ry, radius_z=rz)
    assert result.dtype == image.dtype


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("window", ["box", "sphere"])
@pytest.mark.parametrize("radii", [(2, 2, 1), (4, 1, 0)])
def test_bottom_hat_equals_scipy_black_tophat(shape, dtype, window, radii, make_image):
    image = make_image(shape, dtype)
    rx, ry, rz = radii
    result = REFERENCES[f"bottom_hat_{window}"].assert_operation_close(image, radius_x=rx,
                                                                       radius_y=ry, radius_z=rz)
    assert result.dtype == image.dtype


def test_bottom_hat_finds_small_dark_spots():
    image = np.full((20, 21), 50, np.uint8)
    image[5, 5] = 10
    image[11:18, 11:18] = 0  # holds the window's disk: stays background...
    result = oclip.bottom_hat_sphere(image, radius_x=2, radius_y=2)
    assert result[5, 5] == 40
    assert (result[12:17, 12:17] == 0).all()
    assert result[11, 11] == 50  # ...but for the corners, where the disk does not fit
    result[5, 5] = 0
    result[11:18, 11:18] = 0
    assert result.max() == 0


# --- Gaussian backgrounds --------------------------------------------------------------

SIGMAS = [(2.0, 2.0, 1.0), (3.5, 0.0, 0.7), (0.0, 0.0, 0.0)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("sigmas", SIGMAS)
def test_subtract_gaussian_background_matches_scipy(shape, dtype, sigmas, make_image):
    image = make_image(shape, dtype)
    sx, sy, sz = sigmas
    REFERENCES["subtract_gaussian_background"].assert_operation_close(
        image, sigma_x=sx, sigma_y=sy, sigma_z=sz)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("sigmas", SIGMAS)
def test_divide_by_gaussian_background_matches_scipy(shape, dtype, sigmas, make_image):
    image = make_image(shape, dtype)
    sx, sy, sz = sigmas
    result = oclip.divide_by_gaussian_background(image, sigma_x=sx, sigma_y=sy, sigma_z=sz)
    expected = REFERENCES["divide_by_gaussian_background"](image, sigma_x=sx, sigma_y=sy,
                                                           sigma_z=sz)
    # the ratio's relative error is the background's (a few ulp) and the
    # division's; backgrounds here are far from 0 (random_image is >= 0, and
    # nowhere 0 over a window): within 1e-5 relative everywhere (tighter than the
    # reference's tolerance, which allows for backgrounds near 0)
    assert result.dtype == np.float32
    np.testing.assert_allclose(result, expected, rtol=1e-5, atol=0)


def test_divide_by_gaussian_background_gives_zero_where_the_background_is_zero():
    image = np.zeros((30, 40), np.float32)
    image[:, 30:] = 8.0  # the left part's blur is exactly 0
    result = oclip.divide_by_gaussian_background(image, sigma_x=1.0, sigma_y=1.0)
    assert np.isfinite(result).all()
    assert (result[:, :20] == 0).all()
    np.testing.assert_allclose(result[:, 35:], 1.0, rtol=1e-6)
    # a zero pixel with zero background, also without blurring (0 / 0)
    flat = oclip.divide_by_gaussian_background(image, sigma_x=0, sigma_y=0)
    np.testing.assert_array_equal(flat, np.where(image > 0, 1.0, 0.0))


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize(("sigma1", "sigma2"), [((1.0, 1.0, 1.0), (3.0, 3.0, 2.0)),
                                                ((0.0, 2.0, 0.5), (1.5, 4.0, 0.5))])
def test_difference_of_gaussian_matches_skimage(shape, dtype, sigma1, sigma2, make_image):
    image = make_image(shape, dtype)
    low, high = numpy_order(image, *sigma1), numpy_order(image, *sigma2)
    # scikit-image rescales integer images to [0, 1]: give it floats
    expected = skimage.filters.difference_of_gaussians(image.astype(np.float64), low, high,
                                                       mode="nearest", truncate=4.0)
    names = [f"sigma{n}_{axis}" for n in (1, 2) for axis in "xyz"]
    result = oclip.difference_of_gaussian(image, **dict(zip(names, sigma1 + sigma2,
                                                            strict=True)))
    assert_smoothing_close(result, expected, image)
    # swapping the sigmas (which scikit-image refuses) gives the negative
    swapped = oclip.difference_of_gaussian(image, **dict(zip(names, sigma2 + sigma1,
                                                             strict=True)))
    np.testing.assert_allclose(swapped, -result, atol=1e-5 * float(np.abs(image).max()))


def test_difference_of_gaussian_of_equal_sigmas_is_zero(make_image):
    image = make_image((9, 21, 33), np.uint16)
    result = oclip.difference_of_gaussian(image, sigma1_x=2, sigma1_y=2, sigma1_z=1,
                                          sigma2_x=2, sigma2_y=2, sigma2_z=1)
    assert result.dtype == np.float32 and not result.any()


@settings(max_examples=20, deadline=None)
@given(shape=small_shapes, sigma=st.floats(0.0, 3.0), seed=st.integers(0, 2**16))
def test_gaussian_backgrounds_on_small_and_one_pixel_axes(shape, sigma, seed):
    image = random_image(np.random.default_rng(seed), shape, np.float32)
    REFERENCES["subtract_gaussian_background"].assert_operation_close(
        image, sigma_x=sigma, sigma_y=sigma, sigma_z=sigma)
    REFERENCES["difference_of_gaussian"].assert_operation_close(
        image, sigma1_x=sigma / 2, sigma1_y=sigma / 2, sigma1_z=sigma / 2, sigma2_x=sigma,
        sigma2_y=sigma, sigma2_z=sigma)


@settings(max_examples=20, deadline=None)
@given(shape=small_shapes, radius=st.integers(0, 3), window=st.sampled_from(["box", "sphere"]),
       seed=st.integers(0, 2**16))
def test_top_and_bottom_hats_on_small_and_one_pixel_axes(shape, radius, window, seed):
    image = random_image(np.random.default_rng(seed), shape, np.uint8)
    arguments = {"radius_x": radius, "radius_y": radius, "radius_z": radius}
    REFERENCES[f"top_hat_{window}"].assert_operation_close(image, **arguments)
    REFERENCES[f"bottom_hat_{window}"].assert_operation_close(image, **arguments)
