"""Gradients, Sobel, box Laplacian and Hessian eigenvalues against scipy / scikit-image."""

from __future__ import annotations

import numpy as np
import pytest
import skimage.feature
from hypothesis import given, settings
from hypothesis import strategies as st

import oclip

from .._helpers import DTYPES, SHAPES, random_image
from .references import REFERENCES
from .references.derivatives import assert_eigenvalues_close, hessian_reference
from .references.windows import numpy_order

small_shapes = st.one_of(
    st.tuples(st.integers(1, 9), st.integers(1, 9)),
    st.tuples(st.integers(1, 6), st.integers(1, 7), st.integers(1, 8)),
)

# --- gradients ---------------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("name", ["x", "y", "z"])
def test_gradients_equal_scipy_correlate1d(shape, dtype, name, make_image):
    image = make_image(shape, dtype)
    # z of a 2D image: one plane, replicated (0); (b - a) / 2 of float32 values,
    # rounded once: exact to float32
    result = REFERENCES[f"gradient_{name}"].assert_operation_close(image)
    assert result.dtype == np.float32 and result.shape == image.shape


def test_gradient_of_a_ramp():
    ramp = np.tile(np.arange(6, dtype=np.float32) * 3, (4, 1))
    # 3 inside; at the ends half the one-sided difference, the edge replicated
    np.testing.assert_array_equal(oclip.gradient_x(ramp)[0], [1.5, 3, 3, 3, 3, 1.5])
    assert not oclip.gradient_y(ramp).any()


# --- Sobel and Laplacian -----------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_sobel_matches_scipy(shape, dtype, make_image):
    image = make_image(shape, dtype)
    REFERENCES["sobel"].assert_operation_close(image)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_laplace_box_matches_scipy_correlate(shape, dtype, make_image):
    image = make_image(shape, dtype)
    result = REFERENCES["laplace_box"].assert_operation_close(image)
    if dtype != np.float32:  # integer sums below 2**24: exact
        np.testing.assert_array_equal(result, REFERENCES["laplace_box"](image))


def test_sobel_and_laplace_hand_made():
    ramp = np.tile(np.arange(6, dtype=np.float32) * 3, (4, 1))
    # Sobel along x: 1 + 2 + 1 rows of the difference 6 inside, 3 at the ends
    np.testing.assert_array_equal(oclip.sobel(ramp)[1], [12, 24, 24, 24, 24, 12])
    assert not oclip.laplace_box(ramp)[:, 1:-1].any()
    spot = np.zeros((5, 5, 5), np.uint8)
    spot[2, 2, 2] = 10
    laplace = oclip.laplace_box(spot)
    assert laplace[2, 2, 2] == 260  # bright spots are positive
    assert laplace[1, 1, 1] == laplace[2, 1, 2] == -10
    assert not oclip.sobel(np.full((3, 4, 5), 7, np.uint16)).any()


# --- Hessian eigenvalues -----------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("sigmas", [(1.0, 1.0, 1.0), (2.0, 0.5, 0.0)])
def test_hessian_eigenvalues_match_skimage(shape, dtype, sigmas, make_image):
    image = make_image(shape, dtype)
    sx, sy, sz = sigmas
    sigma = numpy_order(image, sx, sy, sz)
    # scikit-image rescales integer images to [0, 1]: give it floats
    elements = skimage.feature.hessian_matrix(image.astype(np.float64), sigma, mode="nearest",
                                              use_gaussian_derivatives=False, order="rc")
    expected = skimage.feature.hessian_matrix_eigvals(elements)
    result = oclip.hessian_eigenvalues(image, sigma_x=sx, sigma_y=sy, sigma_z=sz)
    assert_eigenvalues_close(result, expected, image)
    assert (np.diff(result, axis=0) <= 0).all()  # decreasing


def test_hessian_eigenvalues_where_they_coincide():
    # an isotropic bright blob: equal eigenvalues at its centre, two equal ones
    # along the axes through it, where closed-form float32 formulas lose half
    # their digits
    grid = np.indices((15, 17, 19)) - np.array([7, 8, 9])[:, None, None, None]
    blob = (1000 * np.exp(-(grid**2).sum(axis=0) / 8.0)).astype(np.float32)
    result = REFERENCES["hessian_eigenvalues"].assert_operation_close(blob, sigma_x=1,
                                                                      sigma_y=1, sigma_z=1)
    centre = result[:, 7, 8, 9]
    assert (centre < 0).all()
    np.testing.assert_allclose(centre, centre.mean(), rtol=1e-5)


def test_hessian_eigenvalues_of_a_bright_line_and_a_plane():
    line = np.zeros((11, 13), np.float32)
    line[6, :] = 100
    values = oclip.hessian_eigenvalues(line, sigma_x=1, sigma_y=1)
    # across the line strongly negative, along it 0 (away from the ends' borders)
    assert values[1, 6, 3:-3].max() < -10
    np.testing.assert_allclose(values[0, 6, 3:-3], 0, atol=1e-4)
    # a 3D image of one plane: no z derivatives, so its eigenvalues and a 0
    plane = line[None]
    values3d = oclip.hessian_eigenvalues(plane, sigma_x=1, sigma_y=1, sigma_z=1)
    expected = np.sort(np.concatenate([np.zeros((1, *plane.shape)), values[:, None]]),
                       axis=0)[::-1]
    np.testing.assert_allclose(values3d, expected, atol=1e-5)


def test_hessian_reference_is_skimage_where_skimage_works(make_image):
    image = make_image((9, 21, 33), np.float32)
    elements = skimage.feature.hessian_matrix(image.astype(np.float64), 1.5, mode="nearest",
                                              use_gaussian_derivatives=False, order="rc")
    np.testing.assert_allclose(hessian_reference(image, 1.5),
                               skimage.feature.hessian_matrix_eigvals(elements), atol=1e-9)


@settings(max_examples=25, deadline=None)
@given(shape=small_shapes, sigma=st.floats(0.0, 2.0), seed=st.integers(0, 2**16))
def test_derivatives_on_small_and_one_pixel_axes(shape, sigma, seed):
    image = random_image(np.random.default_rng(seed), shape, np.float32)
    REFERENCES["hessian_eigenvalues"].assert_operation_close(image, sigma_x=sigma,
                                                             sigma_y=sigma, sigma_z=sigma)
    REFERENCES["sobel"].assert_operation_close(image)
    REFERENCES["laplace_box"].assert_operation_close(image)
    REFERENCES["gradient_y"].assert_operation_close(image)


# --- diamond Laplacian, Laplacian of Gaussian ----------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_laplace_diamond_is_minus_scipy_laplace(shape, dtype, make_image):
    image = make_image(shape, dtype)
    REFERENCES["laplace_diamond"].assert_operation_close(image)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("sigmas", [(1.0, 1.0, 1.0), (2.0, 0.7, 0.0), (0.0, 1.5, 0.1)])
def test_laplacian_of_gaussian_equals_scipy_gaussian_laplace(shape, dtype, sigmas, make_image):
    image = make_image(shape, dtype)
    sigma_x, sigma_y, sigma_z = sigmas
    REFERENCES["laplacian_of_gaussian"].assert_operation_close(
        image, sigma_x=sigma_x, sigma_y=sigma_y, sigma_z=sigma_z)


def test_laplacian_of_gaussian_of_a_blob_is_most_negative_at_its_centre():
    yy, xx = np.mgrid[:21, :21]
    blob = np.exp(-((yy - 10) ** 2 + (xx - 10) ** 2) / (2 * 2.0**2)).astype(np.float32)
    response = oclip.laplacian_of_gaussian(blob, sigma_x=2, sigma_y=2)
    assert np.unravel_index(np.argmin(response), response.shape) == (10, 10)
    assert (oclip.laplacian_of_gaussian(blob, sigma_x=0, sigma_y=0) == 0).all()


# --- ridges ----------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(23, 29), (9, 13, 15)])
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize(("scales", "black_ridges"), [((1.0, 3.0, 2.0), True),
                                                      ((0.5, 2.0, 0.75), False)])
def test_sato_equals_skimage(shape, dtype, scales, black_ridges, make_image):
    image = make_image(shape, dtype)
    low, high, step = scales
    REFERENCES["sato"].assert_operation_close(image, sigma_minimum=low, sigma_maximum=high,
                                              sigma_step=step, black_ridges=black_ridges)


def test_sato_finds_a_bright_line_with_white_ridges_only():
    image = np.zeros((15, 15), np.float32)
    image[:, 7] = 10
    white = oclip.sato(image, sigma_minimum=1, sigma_maximum=2, sigma_step=1,
                       black_ridges=False)
    black = oclip.sato(image, sigma_minimum=1, sigma_maximum=2, sigma_step=1)
    assert (np.argmax(white, axis=1) == 7).all()
    assert black[:, 7].max() == 0
    # a largest scale below the smallest: the smallest alone
    np.testing.assert_array_equal(
        oclip.sato(image, sigma_minimum=1, sigma_maximum=0.5, black_ridges=False),
        oclip.sato(image, sigma_minimum=1, sigma_maximum=1, black_ridges=False))


@pytest.mark.parametrize(("arguments", "says"), [
    ({"sigma_minimum": 0.1, "sigma_maximum": 100.0, "sigma_step": 0.1},
     "sato: parameter 'sigma_step'"),
    ({"sigma_minimum": 0.0}, "sato: parameter 'sigma_minimum'"),
])
def test_sato_refuses_bad_scales(arguments, says):
    with pytest.raises(ValueError, match=says):
        oclip.sato(np.zeros((5, 5), np.float32), **arguments)


@pytest.mark.parametrize("shape", [(23, 29), (9, 13, 15)])
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize(("scales", "black_ridges"), [((1.0, 3.0, 2.0), True),
                                                      ((0.5, 2.0, 0.75), False)])
def test_meijering_equals_skimage(shape, dtype, scales, black_ridges, make_image):
    image = make_image(shape, dtype)
    low, high, step = scales
    result = REFERENCES["meijering"].assert_operation_close(
        image, sigma_minimum=low, sigma_maximum=high, sigma_step=step,
        black_ridges=black_ridges)
    assert result.max() == pytest.approx(1, abs=1e-6)


def test_meijering_finds_a_bright_line_with_white_ridges():
    image = np.zeros((15, 15), np.float32)
    image[:, 7] = 10
    white = oclip.meijering(image, sigma_minimum=1, sigma_maximum=2, sigma_step=1,
                            black_ridges=False)
    assert (np.argmax(white, axis=1) == 7).all()
    with pytest.raises(ValueError, match="meijering: parameter 'sigma_step'"):
        oclip.meijering(image, sigma_minimum=0.1, sigma_maximum=100.0, sigma_step=0.1)
