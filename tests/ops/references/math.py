"""References of the pixel-wise operations (ops/math.py), against numpy: float32
arithmetic as numpy's, comparisons, logical operations, clip, gamma correction."""

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
    "binary_and": logical(np.logical_and),
    "binary_or": logical(np.logical_or),
    "binary_xor": logical(np.logical_xor),
    # Binarize
    "greater_constant": with_constant(np.greater),
    "smaller_constant": with_constant(np.less),
    "equal_constant": with_constant(np.equal),
    "binary_not": Reference(lambda v: (v["binary"] == 0).astype(np.uint8), exact),
})
