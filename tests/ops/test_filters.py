"""Smoothing and rank filters against scipy.ndimage (mode="nearest")."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.ndimage as ndi
import skimage.morphology
from hypothesis import given, settings
from hypothesis import strategies as st

import oclip

from .._helpers import DTYPES, SHAPES, random_image

# float32 accumulation against scipy's float64: relative error of a few ulp
# per tap, stated against the image's magnitude.
SMOOTHING_RTOL = 1e-5


def assert_smoothing_close(result, expected, image):
    assert result.dtype == np.float32 and result.shape == image.shape
    np.testing.assert_allclose(result, expected, rtol=SMOOTHING_RTOL,
                               atol=SMOOTHING_RTOL * float(np.abs(image).max() or 1))


def scipy_axes(image, x, y, z):
    """Per-axis values in numpy axis order."""
    return (z, y, x) if image.ndim == 3 else (y, x)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("sigmas", [(1.0, 1.0, 1.0), (2.5, 0.7, 0.0), (0.0, 3.0, 1.5)])
def test_gaussian_blur_matches_scipy(shape, dtype, sigmas, make_image):
    image = make_image(shape, dtype)
    sx, sy, sz = sigmas
    result = oclip.gaussian_blur(image, sigma_x=sx, sigma_y=sy, sigma_z=sz)
    expected = ndi.gaussian_filter(image.astype(np.float64), scipy_axes(image, sx, sy, sz),
                                   mode="nearest", truncate=4.0)
    assert_smoothing_close(result, expected, image)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("radii", [(1, 1, 1), (3, 0, 2)])
def test_mean_box_matches_scipy(shape, dtype, radii, make_image):
    image = make_image(shape, dtype)
    rx, ry, rz = radii
    result = oclip.mean_box(image, radius_x=rx, radius_y=ry, radius_z=rz)
    size = [2 * r + 1 for r in scipy_axes(image, rx, ry, rz)]
    expected = ndi.uniform_filter(image.astype(np.float64), size, mode="nearest")
    assert_smoothing_close(result, expected, image)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize(("which", "reference"), [("minimum", ndi.minimum_filter),
                                                  ("maximum", ndi.maximum_filter)])
@pytest.mark.parametrize("radii", [(1, 1, 1), (4, 0, 2)])
def test_minimum_and_maximum_box_equal_scipy(shape, dtype, which, reference, radii, make_image):
    image = make_image(shape, dtype)
    rx, ry, rz = radii
    result = getattr(oclip, f"{which}_box")(image, radius_x=rx, radius_y=ry, radius_z=rz)
    size = [2 * r + 1 for r in scipy_axes(image, rx, ry, rz)]
    assert result.dtype == image.dtype
    np.testing.assert_array_equal(result, reference(image, size=size, mode="nearest"))


def test_radius_zero_and_sigma_zero_copy_the_image(make_image):
    image = make_image((5, 6, 7), np.uint16)
    np.testing.assert_array_equal(oclip.minimum_box(image, radius_x=0, radius_y=0), image)
    blurred = oclip.gaussian_blur(image, sigma_x=0, sigma_y=0, sigma_z=0)
    assert blurred.dtype == np.float32
    np.testing.assert_array_equal(blurred, image.astype(np.float32))


def test_windows_larger_than_the_image(make_image):
    image = make_image((3, 4), np.float32)
    np.testing.assert_array_equal(oclip.maximum_box(image, radius_x=10, radius_y=10),
                                  np.full_like(image, image.max()))
    expected = ndi.gaussian_filter(image.astype(np.float64), 6.0, mode="nearest")
    assert_smoothing_close(oclip.gaussian_blur(image, sigma_x=6, sigma_y=6), expected, image)


small_shapes = st.one_of(
    st.tuples(st.integers(1, 9), st.integers(1, 9)),
    st.tuples(st.integers(1, 6), st.integers(1, 7), st.integers(1, 8)),
)


@settings(max_examples=30, deadline=None)
@given(shape=small_shapes, sigma=st.one_of(st.just(0.0), st.floats(0.05, 3.0)),
       radius=st.integers(0, 3),
       seed=st.integers(0, 2**16))
def test_filters_on_small_and_one_pixel_axes(shape, sigma, radius, seed):
    image = random_image(np.random.default_rng(seed), shape, np.float32)
    blurred = oclip.gaussian_blur(image, sigma_x=sigma, sigma_y=sigma, sigma_z=sigma)
    expected = ndi.gaussian_filter(image.astype(np.float64), sigma, mode="nearest")
    assert_smoothing_close(blurred, expected, image)
    minimum = oclip.minimum_box(image, radius_x=radius, radius_y=radius, radius_z=radius)
    np.testing.assert_array_equal(
        minimum, ndi.minimum_filter(image, size=2 * radius + 1, mode="nearest"))


@pytest.mark.parametrize("sigma", [1e-300, 2.7e-267, 0.1])
def test_sigmas_below_an_eighth_pixel_leave_the_image_alone(sigma, make_image):
    # the kernel of radius int(4 * sigma + 0.5) = 0 is the identity (scipy
    # divides by sigma**2 and fails on the smallest of these)
    image = make_image((5, 6), np.float32)
    np.testing.assert_array_equal(oclip.gaussian_blur(image, sigma_x=sigma, sigma_y=sigma), image)


def ellipsoid(rz: int, ry: int, rx: int) -> np.ndarray:
    """The ellipsoid footprint written out: offsets with sum((d/r)^2) <= 1."""
    footprint = np.zeros((2 * rz + 1, 2 * ry + 1, 2 * rx + 1), bool)
    for dz, dy, dx in np.ndindex(footprint.shape):
        offsets = (dz - rz, dy - ry, dx - rx)
        radii = (rz, ry, rx)
        if all(d == 0 for d, r in zip(offsets, radii, strict=True) if r == 0):
            footprint[dz, dy, dx] = sum((d / r) ** 2 for d, r in
                                        zip(offsets, radii, strict=True) if r > 0) <= 1
    return footprint


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("radius", [1, 2, 4])
@pytest.mark.parametrize(("which", "reference"), [("minimum", ndi.minimum_filter),
                                                  ("maximum", ndi.maximum_filter)])
def test_sphere_filters_with_equal_radii_use_skimage_disk_and_ball(dtype, radius, which,
                                                                   reference, make_image):
    function = getattr(oclip, f"{which}_sphere")
    flat = make_image((37, 53), dtype)
    np.testing.assert_array_equal(
        function(flat, radius_x=radius, radius_y=radius),
        reference(flat, footprint=skimage.morphology.disk(radius), mode="nearest"))
    volume = make_image((9, 21, 33), dtype)
    result = function(volume, radius_x=radius, radius_y=radius, radius_z=radius)
    assert result.dtype == dtype
    np.testing.assert_array_equal(
        result, reference(volume, footprint=skimage.morphology.ball(radius), mode="nearest"))


@pytest.mark.parametrize("radii", [(1, 2, 3), (0, 3, 1), (2, 0, 0), (3, 1, 0)])
def test_sphere_filters_with_unequal_radii(radii, make_image):
    rz, ry, rx = radii
    volume = make_image((9, 21, 33), np.uint16)
    np.testing.assert_array_equal(
        oclip.minimum_sphere(volume, radius_x=rx, radius_y=ry, radius_z=rz),
        ndi.minimum_filter(volume, footprint=ellipsoid(rz, ry, rx), mode="nearest"))
    flat = volume[4]
    np.testing.assert_array_equal(
        oclip.maximum_sphere(flat, radius_x=rx, radius_y=ry, radius_z=rz),
        ndi.maximum_filter(flat, footprint=ellipsoid(0, ry, rx)[0], mode="nearest"))


def test_ellipsoid_footprint_helper_matches_the_written_out_definition():
    from oclip.ops._neighbourhood import ellipsoid_footprint

    for rz, ry, rx in [(1, 2, 3), (0, 3, 1), (2, 2, 2), (0, 0, 0), (4, 1, 0)]:
        np.testing.assert_array_equal(ellipsoid_footprint({0: rx, 1: ry, 2: rz}),
                                      ellipsoid(rz, ry, rx))
