"""References of the pixel-wise operations (ops/math.py), against numpy: float32
arithmetic as numpy's, comparisons, logical operations, clip, gamma correction,
powers, remainders, NaN replacement, coordinates."""

from __future__ import annotations

import math

import numpy as np

from ._core import Reference, close_to, exact, f32, f64, named, quiet, relative


def logarithm_check(result, expected, v):
    """-inf and NaN as numpy's; elsewhere within 2 ulp."""
    finite = np.isfinite(expected)
    np.testing.assert_array_equal(result[~finite], expected[~finite])
    np.testing.assert_allclose(result[finite], expected[finite], rtol=2.5e-7, atol=0)


def power_tolerance(base: np.ndarray, exponent: float) -> np.ndarray:
    """exp(p log x) in float32: log's error of a few ulp of |p log x| becomes a relative
    error of the result; plus test_math's 5e-6."""
    base = np.abs(base.astype(np.float64))
    exponent_of_e = np.where(base > 0, exponent * np.log(np.where(base > 0, base, 1.0)), 0.0)
    return 5e-6 + 2.5e-7 * np.abs(exponent_of_e)


def power_check(result, expected, v):
    close_to(result, expected, power_tolerance(v["image"], v["exponent"]))


#: The smallest normal float32: results below it may be flushed to 0 on devices without
#: denormals (OpenCL allows it).
SMALLEST_NORMAL = float(np.finfo(np.float32).smallest_normal)


def power_images_check(result, expected, v):
    """numpy's power of the float32 values (computed in float64) within ``power``'s
    tolerance per pixel; NaN where numpy's is NaN; results beyond float32's range
    compared as its largest value (either side of the overflow within the tolerance
    passes), below the smallest normal float32 as 0."""
    assert result.dtype == np.float32
    expected = np.asarray(expected, np.float64)
    np.testing.assert_array_equal(np.isnan(result), np.isnan(expected))
    big = float(np.finfo(np.float32).max)
    clipped, wanted = (np.clip(np.nan_to_num(x, nan=0.0, posinf=big, neginf=-big), -big, big)
                       for x in (result.astype(np.float64), expected))
    with np.errstate(invalid="ignore"):  # infinite exponents: exactly 0, 1 or inf
        relative_tolerance = power_tolerance(v["image1"], f32(v["image2"]))
    relative_tolerance[~np.isfinite(relative_tolerance)] = 0.0
    excess = np.abs(clipped - wanted) - (relative_tolerance * np.abs(wanted) + SMALLEST_NORMAL)
    assert (excess <= 0).all(), f"largest excess {excess.max()} at {np.argmax(excess)}"


def coordinate_expected(v):
    image = v["image"]
    axes = "zyx"[3 - image.ndim:]
    if v["axis"] not in axes:  # z of a 2D image: the plane z = 0
        return f32(image) * np.float32(0)
    return f32(image) * np.indices(image.shape, np.float32)[axes.index(v["axis"])]


def nan_to_num_expected(v):
    image = v["image"]
    if image.dtype.kind != "f":
        return image.copy()
    # the replacements rounded to float32 (inf beyond its range) without numpy's warning
    nan, posinf, neginf = (float(np.float32(x)) for x in (v["nan"], v["posinf"], v["neginf"]))
    return np.nan_to_num(image, nan=nan, posinf=posinf, neginf=neginf)


def gamma_scale(image: np.ndarray) -> float:
    """The value that gamma correction maps to itself: the integer dtype's maximum, 1."""
    return float(np.iinfo(image.dtype).max) if image.dtype.kind in "iu" else 1.0


def gamma_check(result, expected, v):
    scale = gamma_scale(v["image"])
    close_to(result, expected, power_tolerance(v["image"] / scale, v["gamma"]),
             atol=1e-37 * scale)


def clip_expected(v):
    image = v["image"]
    if image.dtype.kind == "f":
        return np.clip(image, np.float32(v["min"]), np.float32(v["max"]))
    info = np.iinfo(image.dtype)  # the bounds rounded inwards, within the dtype
    return np.clip(image, np.clip(math.ceil(v["min"]), info.min, info.max),
                   np.clip(math.floor(v["max"]), info.min, info.max)).astype(image.dtype)


def comparison(function):
    return Reference(lambda v: function(v["image1"], v["image2"]).astype(np.uint8), exact)


def logical(function):
    return Reference(lambda v: function(v["binary1"] != 0, v["binary2"] != 0).astype(np.uint8),
                     exact)


def arithmetic(function):
    return Reference(quiet(lambda v: function(f32(v["image1"]), f32(v["image2"]))), exact)


def with_constant(function):
    """numpy: integer pixels exactly against the constant, float32 pixels against the
    constant rounded to float32."""
    return Reference(lambda v: function(v["image"], v["constant"]).astype(np.uint8), exact)


REFERENCES = named({
    # Filter
    "gamma_correction": Reference(quiet(lambda v: gamma_scale(v["image"]) * (
        f64(v["image"]) / gamma_scale(v["image"])) ** v["gamma"]), gamma_check),
    "absolute": Reference(lambda v: np.abs(v["image"]), exact),
    "power": Reference(quiet(lambda v: np.power(f32(v["image"]), np.float32(v["exponent"]))),
                       power_check),
    # OpenCL's bounds: 3 ulp (sqrt, exp), 2.5 ulp (division)
    "square_root": Reference(quiet(lambda v: np.sqrt(f32(v["image"]))), relative(4e-7)),
    "logarithm": Reference(quiet(lambda v: np.log(f32(v["image"]))), logarithm_check),
    "exponential": Reference(quiet(lambda v: np.exp(f32(v["image"]))), relative(4e-7, 1e-44)),
    "clip": Reference(clip_expected, exact),
    "square": Reference(quiet(lambda v: np.square(f32(v["image"]))), exact),
    "negate": Reference(lambda v: np.negative(f32(v["image"])), exact),
    # OpenCL's bound of 2.5 ulp (division); oclip's cbrt within 1.5 ulp, numpy's 1: 3 ulp
    "reciprocal": Reference(quiet(lambda v: np.reciprocal(f32(v["image"]))),
                            relative(3e-7, SMALLEST_NORMAL)),
    "cube_root": Reference(lambda v: np.cbrt(f32(v["image"])), relative(4e-7)),
    "degrees_to_radians": Reference(quiet(lambda v: np.deg2rad(f32(v["image"]))), exact),
    "radians_to_degrees": Reference(quiet(lambda v: np.rad2deg(f32(v["image"]))), exact),
    "nan_to_num": Reference(quiet(nan_to_num_expected), exact),
    "multiply_image_and_coordinate": Reference(quiet(coordinate_expected), exact),
    # Combine
    "add_images": arithmetic(np.add),
    "subtract_images": arithmetic(np.subtract),
    "multiply_images": arithmetic(np.multiply),
    "absolute_difference": arithmetic(lambda a, b: np.abs(a - b)),
    "squared_difference": arithmetic(lambda a, b: np.square(a - b)),
    "divide_images": Reference(quiet(lambda v: f32(v["image1"]) / f32(v["image2"])),
                               relative(3e-7)),
    "add_images_weighted": Reference(quiet(
        lambda v: f32(v["image1"]) * np.float32(v["factor1"])
        + f32(v["image2"]) * np.float32(v["factor2"])), exact),
    "power_images": Reference(quiet(lambda v: np.power(f64(f32(v["image1"])),
                                                      f64(f32(v["image2"])))),
                              power_images_check),
    "modulo_images": arithmetic(np.remainder),
    "modulo_image_and_scalar": Reference(quiet(
        lambda v: np.remainder(f32(v["image"]), np.float32(v["scalar"]))), exact),
    "subtract_image_from_scalar": Reference(quiet(
        lambda v: np.float32(v["scalar"]) - f32(v["image"])), exact),
    "divide_scalar_by_image": Reference(quiet(
        lambda v: np.float32(v["scalar"]) / f32(v["image"])), relative(3e-7, SMALLEST_NORMAL)),
    # numpy's float64 for integer images and a Python float, the same values in float32
    "maximum_image_and_scalar": Reference(quiet(
        lambda v: np.maximum(v["image"], v["scalar"]).astype(np.float32)), exact),
    "minimum_image_and_scalar": Reference(quiet(
        lambda v: np.minimum(v["image"], v["scalar"]).astype(np.float32)), exact),
    "maximum_images": Reference(lambda v: np.maximum(v["image1"], v["image2"]), exact),
    "minimum_images": Reference(lambda v: np.minimum(v["image1"], v["image2"]), exact),
    "mask": Reference(lambda v: np.where(v["binary"] != 0, v["image"], 0).astype(
        v["image"].dtype), exact),
    "add_image_and_scalar": Reference(quiet(
        lambda v: f32(v["image"]) + np.float32(v["scalar"])), exact),
    "multiply_image_and_scalar": Reference(quiet(
        lambda v: f32(v["image"]) * np.float32(v["scalar"])), exact),
    "greater": comparison(np.greater),
    "smaller": comparison(np.less),
    "equal": comparison(np.equal),
    "greater_or_equal": comparison(np.greater_equal),
    "smaller_or_equal": comparison(np.less_equal),
    "not_equal": comparison(np.not_equal),
    "binary_and": logical(np.logical_and),
    "binary_or": logical(np.logical_or),
    "binary_xor": logical(np.logical_xor),
    "binary_subtract": logical(lambda a, b: np.logical_and(a, np.logical_not(b))),
    # Binarize
    "greater_constant": with_constant(np.greater),
    "smaller_constant": with_constant(np.less),
    "equal_constant": with_constant(np.equal),
    "greater_or_equal_constant": with_constant(np.greater_equal),
    "smaller_or_equal_constant": with_constant(np.less_equal),
    "not_equal_constant": with_constant(np.not_equal),
    "binary_not": Reference(lambda v: (v["binary"] == 0).astype(np.uint8), exact),
})
