"""Pixel-wise operations against numpy (and scikit-image for gamma correction).

Tolerances: exact equality where numpy's float32 arithmetic is exact (one
rounding per operation: +, -, *, abs, min, max, comparisons, clip);
``sqrt``, ``exp`` and ``/`` within OpenCL's bounds for them (3, 3 and 2.5 ulp:
relative 4e-7); ``log`` (oclip's own) within 2 ulp of numpy's; ``power`` and
``gamma_correction`` (``exp(p * log x)``) within ``|p log x| * 1e-7``,
relative 5e-6 on these images; ``power_images`` the same per pixel (against
numpy's power in float64); ``reciprocal`` and ``divide_scalar_by_image``
within 2.5 ulp (relative 3e-7), ``cube_root`` (oclip's own, 1.5 ulp) within
3 ulp of numpy's (relative 4e-7); ``square``, ``negate``, ``degrees_to_radians``,
``radians_to_degrees``, ``nan_to_num``, the remainders, the image-and-scalar
operations, ``multiply_image_and_coordinate`` and every comparison exactly.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import skimage.exposure
from hypothesis import given, settings
from hypothesis import strategies as st

import oclip

from .._helpers import DTYPES, SHAPES
from .references import REFERENCES

ULP3 = 4e-7  # 3 ulp of float32, relative


def f32(image: np.ndarray) -> np.ndarray:
    return image.astype(np.float32)


def signed_image(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """float32 values of both signs over several orders of magnitude, and zeros."""
    values = rng.normal(0, 1, shape) * 10.0 ** rng.integers(-3, 4, shape)
    values[rng.random(shape) < 0.05] = 0
    return values.astype(np.float32)


# --- Filter ----------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_square_root_and_exponential_within_3_ulp(shape, dtype, make_image):
    image = make_image(shape, dtype)
    root = REFERENCES["square_root"].assert_operation_close(image)  # (a pixel may be < 0)
    assert root.dtype == np.float32
    scaled = f32(image) / 60  # exp of uint16 pixels would be inf throughout
    # (here without the reference's atol of 1e-44: no result is that small)
    np.testing.assert_allclose(oclip.exponential(scaled), REFERENCES["exponential"](scaled),
                               rtol=ULP3, atol=0)


def test_exponential_over_the_float32_range_and_its_overflow(rng):
    image = rng.uniform(-110, 95, (40, 50)).astype(np.float32)
    expected = REFERENCES["exponential"](image)
    result = REFERENCES["exponential"].assert_operation_close(image)  # rtol 3 ulp, atol 1e-44
    assert np.array_equal(np.isinf(result), np.isinf(expected)) and np.isinf(result).any()


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_logarithm_within_2_ulp(shape, dtype, make_image):
    image = make_image(shape, dtype)
    # -inf and NaN (log of 0 and of a negative float) as numpy's, the rest within 2 ulp
    result = REFERENCES["logarithm"].assert_operation_close(image)
    assert result.dtype == np.float32


def test_logarithm_over_the_float32_range(rng):
    magnitudes = np.exp(rng.uniform(-103, 88.7, (60, 70)))  # denormals to the largest
    near_one = 1 + rng.uniform(-0.01, 0.01, (60, 70))
    image = np.concatenate([magnitudes, near_one]).astype(np.float32)
    REFERENCES["logarithm"].assert_operation_close(image)  # all finite: within 2 ulp


def test_negative_input_gives_nan_as_numpy(rng):
    image = signed_image(rng, (30, 40))
    image[0, :5] = [-np.inf, np.inf, np.nan, -0.0, 0.0]
    with np.errstate(invalid="ignore", divide="ignore"):
        for name, arguments in [("square_root", {}), ("logarithm", {}),
                                ("power", {"exponent": 1.5})]:
            result = getattr(oclip, name)(image, **arguments)
            expected = REFERENCES[name](image, **arguments)
            np.testing.assert_array_equal(np.isnan(result), np.isnan(expected))
            assert np.isnan(result).sum() > 100
            both = ~np.isnan(expected)
            np.testing.assert_allclose(result[both], expected[both], rtol=5e-6, atol=0)
    assert oclip.logarithm(image)[0, 3] == -np.inf and oclip.logarithm(image)[0, 1] == np.inf


@pytest.mark.parametrize("exponent", [2.0, 0.5, -1.0, 1.0])
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_power_with_numpys_special_exponents_is_exact(exponent, dtype, make_image):
    image = make_image((37, 53), dtype)
    expected = REFERENCES["power"](image, exponent=exponent)
    result = oclip.power(image, exponent=exponent)
    assert result.dtype == np.float32
    np.testing.assert_array_equal(result, expected)  # exactly, not within the tolerance


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("exponent", [2.5, -0.3, 3.0, 0.0, -2.0])
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_power_within_its_tolerance(shape, exponent, dtype, make_image):
    image = make_image(shape, dtype)
    # on these images within 5e-6 relative (tighter than the reference's tolerance, which
    # grows with |exponent log x|)
    np.testing.assert_allclose(oclip.power(image, exponent=exponent),
                               REFERENCES["power"](image, exponent=exponent), rtol=5e-6, atol=0)


def test_power_special_values_as_c():
    values = np.array([[0.0, -0.0, np.inf, -np.inf, np.nan, -2.0, 1e-30, 2.0, -3.0]],
                      np.float32)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for exponent in (2.5, -0.3, 3.0, -3.0, -2.0, 0.0):
            expected = REFERENCES["power"](values, exponent=exponent)
            result = oclip.power(values, exponent=exponent)
            np.testing.assert_allclose(result, expected, rtol=5e-6, atol=0)
            finite = np.isfinite(expected) & (expected != 0)
            # signs of zeros and infinities too (odd exponents keep them)
            assert np.array_equal(np.signbit(result)[~np.isnan(expected)],
                                  np.signbit(expected)[~np.isnan(expected)]), exponent
            assert finite.any()


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("gamma", [0.45, 1.0, 2.2])
def test_gamma_correction_is_scikit_images_power_law(shape, dtype, gamma, make_image):
    image = make_image(shape, dtype)
    if dtype == np.float32:
        image = np.abs(image) / 255  # scikit-image refuses negative pixels
    result = oclip.gamma_correction(image, gamma=gamma)
    assert result.dtype == np.float32
    # on these images within 5e-6 relative (the reference's tolerance grows with
    # |gamma log x|)
    expected = REFERENCES["gamma_correction"](image, gamma=gamma)
    np.testing.assert_allclose(result, expected, rtol=5e-6, atol=1e-30)
    # scikit-image returns the input dtype: it rounds (uint8, through a table) or
    # truncates (other integers) the same values
    reference = skimage.exposure.adjust_gamma(image, gamma)
    if dtype == np.uint8:
        assert np.mean(np.rint(result) == reference) > 0.99
    elif dtype == np.uint16:
        assert np.abs(np.trunc(result) - reference).max() <= 1
    else:
        np.testing.assert_allclose(result, reference, rtol=5e-6)


@pytest.mark.parametrize("gamma", [1e-300, 1e-40, float(np.finfo(np.float32).smallest_normal)])
def test_gamma_correction_with_gammas_below_float32s_range_keeps_zero_at_zero(gamma):
    # a positive gamma too small for float32 must not become 0 (0 ** 0 = 1): found by
    # the property suite
    image = np.array([[0, 1, 255]], np.uint8)
    np.testing.assert_array_equal(oclip.gamma_correction(image, gamma=gamma), [[0, 255, 255]])
    np.testing.assert_array_equal(oclip.gamma_correction(image, gamma=0.0), [[255, 255, 255]])


def test_gamma_correction_of_negative_pixels_is_nan():
    image = np.array([[-0.25, 0.25]], np.float32)
    result = oclip.gamma_correction(image, gamma=0.5)
    assert np.isnan(result[0, 0]) and result[0, 1] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="gamma_correction: parameter 'gamma' must be between 0"):
        oclip.gamma_correction(image, gamma=-1.0)


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.float32], ids=str)
def test_absolute_keeps_the_dtype_as_numpy(dtype, rng):
    info = np.iinfo(dtype) if np.dtype(dtype).kind == "i" else None
    if info is not None:
        image = rng.integers(info.min, info.max, (21, 33), endpoint=True).astype(dtype)
        image[0, 0] = info.min  # stays itself, as in numpy
    else:
        image = signed_image(rng, (21, 33))
        image[0, 0] = -0.0
    result = REFERENCES["absolute"].assert_operation_close(image)
    assert result.dtype == dtype
    if info is None:
        assert not np.signbit(result).any()


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16], ids=str)
def test_absolute_of_unsigned_images_is_a_copy(dtype, make_image):
    image = oclip.push(make_image((9, 21, 33), dtype))
    result = oclip.absolute(image)
    assert result is not image and result.dtype == dtype
    np.testing.assert_array_equal(result.get(), image.get())


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_clip_keeps_the_dtype_with_bounds_rounded_inwards(shape, dtype, make_image):
    image = make_image(shape, dtype)
    # float32 bounds for float images, 51 and 160 for integer images
    result = REFERENCES["clip"].assert_operation_close(image, min=50.5, max=160.25)
    assert result.dtype == dtype
    assert result.min() >= 50.5 and result.max() <= 160.25


def test_clip_edge_cases():
    image = np.array([[0, 3, 200, 255]], np.uint8)
    np.testing.assert_array_equal(oclip.clip(image, min=-1e6, max=1e6), image)
    np.testing.assert_array_equal(oclip.clip(image, min=3.0, max=3.0), [[3, 3, 3, 3]])
    np.testing.assert_array_equal(oclip.clip(image, min=-np.inf, max=np.inf), image)
    np.testing.assert_array_equal(oclip.clip(image, min=100.5, max=np.inf), [[101, 101, 200, 255]])
    floats = np.array([[np.nan, -np.inf, 2.0, np.inf]], np.float32)
    REFERENCES["clip"].assert_operation_close(floats, min=-1.0, max=1.0)
    with pytest.raises(ValueError, match=r"clip: parameter 'min' \(5.0\) must not be above"):
        oclip.clip(image, min=5.0, max=4.0)
    with pytest.raises(ValueError, match="clip: no whole number lies between"):
        oclip.clip(image, min=3.2, max=3.7)


# --- Filter: the functions added with Operations IV ----------------------------------------

NEW_FUNCTIONS = ["square", "negate", "reciprocal", "cube_root", "degrees_to_radians",
                 "radians_to_degrees"]
SPECIAL_VALUES = np.array([[0.0, -0.0, np.inf, -np.inf, np.nan, -8.0, 1e-30, 2.0, -3.5,
                            3e38, -1e-45]], np.float32)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("name", NEW_FUNCTIONS)
def test_new_functions_of_one_image_equal_float32_numpy(name, dtype, shape, make_image, rng):
    image = make_image(shape, dtype)
    if dtype == np.float32:
        image = signed_image(rng, shape)  # both signs, zeros, magnitudes 1e-3 to 1e3
    # exactly, or within 2.5 ulp (reciprocal), 3 ulp (cube_root): the references'
    result = REFERENCES[name].assert_operation_close(image)
    assert result.dtype == np.float32


@pytest.mark.parametrize("name", NEW_FUNCTIONS)
def test_new_functions_take_nan_and_infinity_as_numpy(name):
    # inf, -inf, NaN, signed zeros and the float32 extremes as numpy's (within the
    # references' tolerances; the signs of zeros and infinities too)
    result = REFERENCES[name].assert_operation_close(SPECIAL_VALUES)
    expected = REFERENCES[name](SPECIAL_VALUES)
    shown = ~np.isnan(expected)
    np.testing.assert_array_equal(np.isnan(result), ~shown)
    if name != "reciprocal":  # 1 / -1e-45 is -inf, or -0 flushed: -inf either way
        np.testing.assert_array_equal(np.signbit(result)[shown], np.signbit(expected)[shown])


def test_reciprocal_of_zeros_is_signed_infinity_and_cube_roots_of_cubes_are_exact():
    np.testing.assert_array_equal(oclip.reciprocal(np.array([[0.0, -0.0, np.inf]], np.float32)),
                                  [[np.inf, -np.inf, 0.0]])
    cubes = np.arange(-20, 21, dtype=np.float32) ** 3
    np.testing.assert_array_equal(oclip.cube_root(cubes[None]), np.arange(-20, 21)[None])


def test_cube_root_over_the_float32_range(rng):
    magnitudes = np.exp(rng.uniform(-103, 88.7, (60, 70)))  # denormals to the largest
    signs = np.where(rng.random((60, 70)) < 0.5, -1.0, 1.0)
    image = np.concatenate([magnitudes * signs, 1 + rng.uniform(-0.01, 0.01, (60, 70))])
    REFERENCES["cube_root"].assert_operation_close(image.astype(np.float32))  # within 3 ulp
    # on CPUs 16 pixels per work-item and the rest one each: a size of 16 n + 5
    REFERENCES["cube_root"].assert_operation_close(image.astype(np.float32)[:, :69])


def test_degrees_and_radians_are_numpys_over_the_float32_range(rng):
    angles = (rng.uniform(-1, 1, (50, 60)) * 10.0 ** rng.integers(-30, 36, (50, 60))).astype(
        np.float32)
    for name in ("degrees_to_radians", "radians_to_degrees"):
        REFERENCES[name].assert_operation_close(angles)  # exactly
    np.testing.assert_array_equal(oclip.degrees_to_radians(np.array([[180, 90]], np.uint8)),
                                  [[np.float32(np.pi), np.float32(np.pi / 2)]])


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_nan_to_num_equals_numpys(shape, dtype, make_image, rng):
    image = make_image(shape, dtype)
    if dtype == np.float32:
        for special in (np.nan, np.inf, -np.inf):
            image[rng.random(shape) < 0.1] = special
    result = REFERENCES["nan_to_num"].assert_operation_close(image)  # exactly, same dtype
    assert result.dtype == dtype
    if dtype == np.float32:
        assert np.isfinite(result).all()
        REFERENCES["nan_to_num"].assert_operation_close(image, nan=-1.5, posinf=7.0,
                                                        neginf=-np.inf)
        # numpy's defaults, given
        largest = float(np.finfo(np.float32).max)
        np.testing.assert_array_equal(oclip.nan_to_num(image, posinf=largest, neginf=-largest),
                                      np.nan_to_num(image))


def test_nan_to_num_with_values_beyond_float32_gives_infinity_as_numpy():
    image = np.array([[np.nan, np.inf, -np.inf, 2.0]], np.float32)
    result = oclip.nan_to_num(image, nan=1e40, posinf=1e300, neginf=0.1)
    np.testing.assert_array_equal(result, [[np.inf, np.inf, np.float32(0.1), 2.0]])
    REFERENCES["nan_to_num"].assert_operation_close(image, nan=1e40, posinf=1e300, neginf=0.1)
    integers = np.array([[0, 7, 65535]], np.uint16)
    np.testing.assert_array_equal(oclip.nan_to_num(integers, nan=5.0), integers)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("axis", ["x", "y", "z"])
def test_multiply_image_and_coordinate_equals_numpys_indices(axis, dtype, shape, make_image):
    image = make_image(shape, dtype)
    # exactly image * numpy.indices(shape)[axis] in float32; z of a 2D image: zeros
    result = REFERENCES["multiply_image_and_coordinate"].assert_operation_close(image, axis=axis)
    assert result.dtype == np.float32
    if axis == "z" and len(shape) == 2:
        assert not result.any()
    ones = np.ones(shape, dtype)
    coordinates = oclip.multiply_image_and_coordinate(ones, axis=axis)
    axes = "zyx"[3 - len(shape):]
    if axis in axes:
        assert coordinates.max() == shape[axes.index(axis)] - 1


def test_multiply_image_and_coordinate_is_not_local():
    # the coordinates are the whole image's: no tiles
    assert not oclip.operations()["multiply_image_and_coordinate"].local
    with pytest.raises(ValueError, match="multiply_image_and_coordinate: parameter 'axis'"):
        oclip.multiply_image_and_coordinate(np.ones((3, 4)), axis="w")


# --- Combine -------------------------------------------------------------------------------

FLOAT_COMBINATIONS = ["add_images", "subtract_images", "multiply_images", "absolute_difference",
                      "squared_difference"]
DTYPE_PAIRS = [(np.uint8, np.uint8), (np.uint16, np.uint16), (np.float32, np.float32),
               (np.uint8, np.float32), (np.uint16, np.uint8)]


def pair_ids(pair):
    return f"{np.dtype(pair[0])}-{np.dtype(pair[1])}"


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtypes", DTYPE_PAIRS, ids=pair_ids)
@pytest.mark.parametrize("name", FLOAT_COMBINATIONS)
def test_arithmetic_of_two_images_equals_float32_numpy(name, dtypes, shape, make_image):
    image1, image2 = make_image(shape, dtypes[0]), make_image(shape, dtypes[1])
    result = REFERENCES[name].assert_operation_close(image1, image2)
    assert result.dtype == np.float32


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtypes", DTYPE_PAIRS, ids=pair_ids)
def test_add_images_weighted_equals_float32_numpy(dtypes, shape, make_image):
    image1, image2 = make_image(shape, dtypes[0]), make_image(shape, dtypes[1])
    REFERENCES["add_images_weighted"].assert_operation_close(image1, image2, factor1=0.3,
                                                             factor2=-1.7)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtypes", DTYPE_PAIRS, ids=pair_ids)
def test_divide_images_within_2_5_ulp_with_numpys_inf_and_nan(dtypes, shape, make_image):
    image1, image2 = make_image(shape, dtypes[0]), make_image(shape, dtypes[1])
    image2.flat[::7] = 0
    image1.flat[::14] = 0  # 0 / 0
    result = REFERENCES["divide_images"].assert_operation_close(image1, image2)  # rtol 3e-7
    assert result.dtype == np.float32
    assert np.isnan(result).any() and np.isinf(result).any()


@pytest.mark.parametrize("scalar", [2.5, -0.37, 0.0])
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_image_and_scalar_equal_float32_numpy(scalar, dtype, make_image):
    image = make_image((9, 21, 33), dtype)
    REFERENCES["add_image_and_scalar"].assert_operation_close(image, scalar=scalar)
    REFERENCES["multiply_image_and_scalar"].assert_operation_close(image, scalar=scalar)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("scalar", [2.5, -0.37, 0.0, 255.0])
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("name", ["subtract_image_from_scalar", "divide_scalar_by_image",
                                  "modulo_image_and_scalar", "maximum_image_and_scalar",
                                  "minimum_image_and_scalar"])
def test_new_image_and_scalar_operations_equal_numpy(name, scalar, dtype, shape, make_image,
                                                     rng):
    image = make_image(shape, dtype)
    if dtype == np.float32:
        image = signed_image(rng, shape)
        image.flat[::11] = np.nan
    else:
        image.flat[::7] = 0
    # exactly (divide_scalar_by_image within 2.5 ulp), NaN and inf as numpy's
    result = REFERENCES[name].assert_operation_close(image, scalar=scalar)
    assert result.dtype == np.float32


def test_scalar_minus_and_over_image_special_values():
    image = np.array([[0.0, -0.0, np.inf, np.nan, 4.0]], np.float32)
    np.testing.assert_array_equal(oclip.divide_scalar_by_image(image, scalar=2.0),
                                  [[np.inf, -np.inf, 0.0, np.nan, 0.5]])
    np.testing.assert_array_equal(oclip.divide_scalar_by_image(image, scalar=0.0)[0, :2],
                                  [np.nan, np.nan])
    np.testing.assert_array_equal(oclip.subtract_image_from_scalar(image, scalar=255),
                                  [[255, 255, -np.inf, np.nan, 251]])
    np.testing.assert_array_equal(oclip.maximum_image_and_scalar(image, scalar=1.0),
                                  [[1, 1, np.inf, np.nan, 4]])


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtypes", DTYPE_PAIRS, ids=pair_ids)
def test_modulo_images_equals_numpys_remainder(dtypes, shape, make_image, rng):
    image1, image2 = make_image(shape, dtypes[0]), make_image(shape, dtypes[1]) // 8
    image2 = image2.astype(dtypes[1])
    if dtypes[0] == np.float32:
        image1 = signed_image(rng, shape)
    if dtypes[1] == np.float32:
        image2 = signed_image(rng, shape)
    image2.flat[::9] = 0  # x % 0 is NaN
    result = REFERENCES["modulo_images"].assert_operation_close(image1, image2)  # exactly
    assert result.dtype == np.float32 and np.isnan(result).any()


def test_modulo_special_values_as_numpys():
    values = np.array([0.0, -0.0, 5.5, -5.5, 4.0, -4.0, 1e-30, -1e30, np.inf, -np.inf,
                       np.nan], np.float32)
    dividends, divisors = (a.astype(np.float32) for a in np.meshgrid(values, values))
    # signs of the remainders (and of zero remainders) are numpy's
    result = REFERENCES["modulo_images"].assert_operation_close(dividends, divisors)
    expected = REFERENCES["modulo_images"](dividends, divisors)
    shown = ~np.isnan(expected)
    np.testing.assert_array_equal(np.signbit(result)[shown], np.signbit(expected)[shown])


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtypes", DTYPE_PAIRS, ids=pair_ids)
def test_power_images_within_its_tolerance(dtypes, shape, make_image, rng):
    image1 = make_image(shape, dtypes[0])
    image2 = make_image(shape, dtypes[1])
    image2 = (f32(image2) / f32(image2).max() * 8 - 4).astype(dtypes[1])  # -4..4, or 0..4
    if dtypes[1] != np.float32:
        image2 = (image2 % 5).astype(dtypes[1])
    if dtypes[0] == np.float32:
        image1 = signed_image(rng, shape)  # negative bases: NaN for fractional exponents
    # per pixel within 5e-6 + 2.5e-7 |exponent log base| relative, NaN as numpy's
    result = REFERENCES["power_images"].assert_operation_close(image1, image2)
    assert result.dtype == np.float32


def test_power_images_special_values_as_cs():
    values = np.array([0.0, -0.0, 1.0, -1.0, 0.5, -2.0, 2.5, 3.0, -3.0, np.inf, -np.inf,
                       np.nan], np.float32)
    bases, exponents = (a.astype(np.float32) for a in np.meshgrid(values, values))
    # 1 ** NaN = 1, (-1) ** inf = 1, x ** 0 = 1, (-0) ** -3 = -inf, (-2) ** 2.5 = NaN...
    result = REFERENCES["power_images"].assert_operation_close(bases, exponents)
    # on CPUs 16 pixels per work-item (here all 144), and the rest one each (rows of 12)
    for row in range(len(values)):
        np.testing.assert_array_equal(oclip.power_images(bases[row:row + 1],
                                                         exponents[row:row + 1]),
                                      result[row:row + 1])
    with np.errstate(all="ignore"):
        expected = np.power(bases, exponents)
    exact_pixels = ~np.isfinite(expected) | (expected == 0) | (expected == 1)
    np.testing.assert_array_equal(result[exact_pixels], expected[exact_pixels])
    shown = ~np.isnan(expected)
    np.testing.assert_array_equal(np.signbit(result)[shown], np.signbit(expected)[shown])


EXTREMA = ["maximum_images", "minimum_images"]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtypes", [*DTYPE_PAIRS, (np.int8, np.uint8), (np.int16, np.uint16)],
                         ids=pair_ids)
@pytest.mark.parametrize("name", EXTREMA)
def test_maximum_and_minimum_images_keep_numpys_result_type(name, dtypes, shape, make_image):
    image1 = make_image(shape, np.uint8).astype(dtypes[0])
    image2 = make_image(shape, dtypes[1])
    if np.dtype(dtypes[0]).kind == "i":
        image1 = image1 - np.array(100, dtypes[0])
    REFERENCES[name].assert_operation_close(image1, image2)  # numpy's dtype and values


def test_maximum_and_minimum_images_propagate_nan_and_fall_back_to_float32():
    a = np.array([[np.nan, 1.0, 2.0]], np.float32)
    b = np.array([[0.0, np.nan, 1.0]], np.float32)
    REFERENCES["maximum_images"].assert_operation_close(a, b)
    REFERENCES["minimum_images"].assert_operation_close(a, b)
    # uint32 with int32 is int64 in numpy, which the device lacks: float32
    c = np.array([[1, 2**31]], np.uint32)
    d = np.array([[-5, 7]], np.int32)
    result = oclip.maximum_images(c, d)
    assert result.dtype == np.float32
    np.testing.assert_array_equal(result, REFERENCES["maximum_images"](c, d).astype(np.float32))


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_mask_keeps_the_image_where_the_binary_is_set(shape, dtype, make_image, rng):
    image = make_image(shape, dtype)
    binary = (rng.random(shape) < 0.4).astype(np.uint8) * rng.integers(1, 4, shape, np.uint8)
    result = REFERENCES["mask"].assert_operation_close(image, binary)
    assert result.dtype == dtype
    np.testing.assert_array_equal(oclip.mask(image, binary.astype(bool)), result)


COMPARISONS = ["greater", "smaller", "equal", "greater_or_equal", "smaller_or_equal",
               "not_equal"]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtypes", [*DTYPE_PAIRS, (np.int16, np.uint16)], ids=pair_ids)
@pytest.mark.parametrize("name", COMPARISONS)
def test_comparisons_of_two_images_equal_numpys(name, dtypes, shape, make_image):
    image1 = (make_image(shape, dtypes[0]) // 16 * 16).astype(dtypes[0])  # many ties
    image2 = (make_image(shape, dtypes[1]) // 16 * 16).astype(dtypes[1])
    result = REFERENCES[name].assert_operation_close(image1, image2)
    assert result.dtype == np.uint8
    assert 0 < REFERENCES[name](image1, image2).mean() < 1


def test_comparisons_with_nan_are_false():
    a = np.array([[np.nan, np.nan, 1.0]], np.float32)
    b = np.array([[np.nan, 1.0, np.nan]], np.float32)
    for name in COMPARISONS:
        expected = [[1, 1, 1]] if name == "not_equal" else [[0, 0, 0]]  # as numpy's
        np.testing.assert_array_equal(getattr(oclip, name)(a, b), expected)
    for name in ("greater_or_equal_constant", "smaller_or_equal_constant"):
        np.testing.assert_array_equal(getattr(oclip, name)(a, constant=1.0), [[0, 0, 1]])
    np.testing.assert_array_equal(oclip.not_equal_constant(a, constant=1.0), [[1, 1, 0]])


LOGICAL = ["binary_and", "binary_or", "binary_xor", "binary_subtract"]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", LOGICAL)
def test_logical_operations_equal_numpys(name, shape, rng):
    binary1 = rng.integers(0, 3, shape).astype(np.uint8)  # 2 counts as set
    binary2 = rng.random(shape) < 0.5
    result = REFERENCES[name].assert_operation_close(binary1, binary2)
    assert result.dtype == np.uint8


@pytest.mark.parametrize("shape", SHAPES)
def test_binary_not_equals_numpys(shape, rng):
    binary = rng.integers(0, 3, shape).astype(np.uint8)
    REFERENCES["binary_not"].assert_operation_close(binary)
    floats = np.where(binary > 0, -0.5, 0.0)  # any non-zero float counts as set
    np.testing.assert_array_equal(oclip.binary_not(floats), REFERENCES["binary_not"](binary))


TWO_IMAGE_OPERATIONS = [*FLOAT_COMBINATIONS, "add_images_weighted", "divide_images",
                        "power_images", "modulo_images", *EXTREMA, *COMPARISONS]


@pytest.mark.parametrize("name", TWO_IMAGE_OPERATIONS)
def test_two_images_of_different_shapes_are_refused(name):
    with pytest.raises(ValueError, match=rf"{name}: image1 and image2 must have the same "
                                         r"shape, got \(3, 4\) and \(4, 3\)"):
        getattr(oclip, name)(np.zeros((3, 4)), np.zeros((4, 3)))


def test_mask_and_logical_operations_name_their_parameters_on_shape_mismatch():
    with pytest.raises(ValueError, match=r"mask: image and binary must have the same shape"):
        oclip.mask(np.zeros((3, 4)), np.zeros((3, 5)))
    with pytest.raises(ValueError, match=r"binary_or: binary1 and binary2 must have the same"):
        oclip.binary_or(np.zeros((3, 4)), np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match=r"binary_subtract: binary1 and binary2 must have"):
        oclip.binary_subtract(np.zeros((3, 4)), np.zeros((4, 3)))


# --- Binarize ------------------------------------------------------------------------------

CONSTANT_COMPARISONS = ["greater_constant", "smaller_constant", "equal_constant",
                        "greater_or_equal_constant", "smaller_or_equal_constant",
                        "not_equal_constant"]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", [*DTYPES, np.int16], ids=str)
@pytest.mark.parametrize("constant", [100.0, 99.5, -3.25, 100.000001, 1e9, -1e9, 1e30, -np.inf])
@pytest.mark.parametrize("name", CONSTANT_COMPARISONS)
def test_comparisons_with_a_constant_equal_numpys(name, constant, dtype, shape, make_image):
    image = make_image(shape, dtype)
    if dtype == np.int16:
        image = (image - 2000).astype(np.int16)
    image.flat[::5] = 100
    # numpy: integer pixels exactly against the constant, float32 pixels against
    # the constant rounded to float32
    result = REFERENCES[name].assert_operation_close(image, constant=constant)
    assert result.dtype == np.uint8


def test_float32_pixels_compare_with_the_constant_rounded_to_float32():
    image = np.array([[100.0, 100.00001]], np.float32)
    # 100.000001 rounds to 100.0 in float32 (as numpy compares); integers compare exactly
    np.testing.assert_array_equal(oclip.equal_constant(image, constant=100.000001), [[1, 0]])
    integers = np.array([[100, 101]], np.uint16)
    np.testing.assert_array_equal(oclip.equal_constant(integers, constant=100.000001), [[0, 0]])
    np.testing.assert_array_equal(oclip.greater_constant(integers, constant=100.000001),
                                  [[0, 1]])


# --- invariants on small shapes -------------------------------------------------------------

small_shapes = st.lists(st.integers(1, 6), min_size=2, max_size=3).map(tuple)


@settings(max_examples=25, deadline=None)
@given(shape=small_shapes, seed=st.integers(0, 2**32 - 1),
       dtype=st.sampled_from([np.uint8, np.uint16, np.float32]),
       bounds=st.tuples(st.floats(-10, 300), st.floats(-10, 300)).map(sorted))
def test_small_images(shape, seed, dtype, bounds):
    rng = np.random.default_rng(seed)
    image1 = (rng.random(shape) * 256).astype(dtype)
    image2 = (rng.random(shape) * 256).astype(dtype)
    REFERENCES["squared_difference"].assert_operation_close(image1, image2)
    REFERENCES["greater"].assert_operation_close(image1, image2)
    REFERENCES["maximum_images"].assert_operation_close(image1, image2)
    low, high = bounds
    if dtype == np.float32 or math.ceil(low) <= math.floor(high):
        REFERENCES["clip"].assert_operation_close(image1, min=low, max=high)
    REFERENCES["smaller_constant"].assert_operation_close(image1, constant=low)


def test_categories():
    categories = {name: op.category for name, op in oclip.operations().items()}
    assert {categories[n] for n in ("gamma_correction", "absolute", "power", "square_root",
                                    "logarithm", "exponential", "clip", *NEW_FUNCTIONS,
                                    "nan_to_num", "multiply_image_and_coordinate")} == {"Filter"}
    assert {categories[n] for n in ("add_images_weighted", "mask", "greater", "binary_xor",
                                    "add_image_and_scalar", "divide_images", "power_images",
                                    "modulo_images", "modulo_image_and_scalar",
                                    "maximum_image_and_scalar", "minimum_image_and_scalar",
                                    "subtract_image_from_scalar", "divide_scalar_by_image",
                                    *COMPARISONS, "binary_subtract")} == {"Combine"}
    assert {categories[n] for n in (*CONSTANT_COMPARISONS, "binary_not")} == {"Binarize"}
