"""References of the filters (ops/filters.py): smoothing, rank filters, the mode of labels,
local variance and standard deviation, against scipy.ndimage (mode="nearest")."""

from __future__ import annotations

import numpy as np
import scipy.ndimage as ndi
import skimage.feature

from ._core import Arguments, Reference, exact, f64, first_image, named, per_axis, smoothing
from .windows import footprint, window_values


def gaussian(image: np.ndarray, sigmas: tuple) -> np.ndarray:
    """scipy's Gaussian truncated at 4 sigma; sigmas of radius int(4 sigma + 0.5) = 0 are
    the identity (as documented; scipy divides by sigma**2 and fails on the smallest)."""
    sigmas = tuple(s if int(4 * s + 0.5) > 0 else 0.0 for s in sigmas)
    return ndi.gaussian_filter(f64(image), sigmas, mode="nearest", truncate=4.0)


def window(v: Arguments, shape: str) -> np.ndarray:
    """The "box" or "sphere" footprint of the arguments' radii."""
    return footprint(first_image(v), shape, v["radius_x"], v["radius_y"], v["radius_z"])


def rank(function, shape: str):
    """A scipy rank filter (or composition of them) over the window, the edge replicated."""
    return lambda v: function(v["image"], footprint=window(v, shape), mode="nearest")


# --- mode of labels ---------------------------------------------------------------------


def smallest_most_frequent(values):
    """The reference rule: the most frequent value, the smallest among ties."""
    found, counts = np.unique(values, return_counts=True)
    return found[np.argmax(counts)]  # np.unique sorts; argmax takes the first


def mode_reference(labels, fp):
    return ndi.generic_filter(labels, smallest_most_frequent, footprint=fp, mode="nearest")


# --- variance and standard deviation ----------------------------------------------------

EPSILON32 = float(np.finfo(np.float32).eps)


def variance_tolerance(image, expected):
    """|error| allowed in a variance: float32 window means err by a few ulp of
    the image's magnitude (delta), so each deviation d by about delta, its
    square by 2 |d| delta + delta^2; plus rounding relative to the variance."""
    delta = 16 * EPSILON32 * float(np.abs(image).max() or 1)
    return 1e-5 * expected + 2 * delta * np.sqrt(expected) + delta**2


def assert_variance_close(result, expected, image):
    assert result.dtype == np.float32 and result.shape == image.shape
    tolerance = variance_tolerance(image, expected)
    error = np.abs(result - expected)
    assert (error <= tolerance).all(), f"largest excess {np.max(error - tolerance)}"


def assert_deviation_close(result, expected, image):
    """An error e in the variance is about e / (2 std) in the deviation."""
    assert result.dtype == np.float32 and result.shape == image.shape
    delta = 16 * EPSILON32 * float(np.abs(image).max() or 1)
    tolerance = 1e-5 * expected + 2 * delta
    error = np.abs(result - expected)
    assert (error <= tolerance).all(), f"largest excess {np.max(error - tolerance)}"


def windowed_variance(shape: str):
    return lambda v: window_values(v["image"], window(v, shape)).var(axis=-1)


def windowed_deviation(shape: str):
    return lambda v: np.sqrt(windowed_variance(shape)(v))


# --- kernels and templates --------------------------------------------------------------

EPSILON64 = float(np.finfo(np.float64).eps)


def kernel_in_image_dimensions(v: Arguments) -> np.ndarray:
    kernel = f64(v["kernel"])
    return kernel.reshape((1,) * (v["image"].ndim - kernel.ndim) + kernel.shape)


def convolve_reference(v: Arguments) -> np.ndarray:
    return ndi.convolve(f64(v["image"]), kernel_in_image_dimensions(v), mode="nearest")


def assert_convolution_close(result, expected, v: Arguments) -> None:
    """float32 sums: a few roundings of sum |kernel| |image| per tap; scipy leaves out
    weights of magnitude up to float64's epsilon, which the device takes in."""
    assert result.dtype == np.float32 and result.shape == v["image"].shape
    kernel = kernel_in_image_dimensions(v)
    magnitude = np.abs(f64(v["image"]))
    bound = ndi.convolve(magnitude, np.abs(kernel), mode="nearest")
    left_out = ndi.convolve(magnitude, np.abs(kernel) * (np.abs(kernel) <= EPSILON64),
                            mode="nearest")
    tolerance = 4 * (kernel.size + 1) * EPSILON32 * bound + left_out
    error = np.abs(result - expected)
    assert (error <= tolerance).all(), f"largest excess {np.max(error - tolerance)}"


def match_template_reference(v: Arguments) -> np.ndarray:
    return skimage.feature.match_template(f64(v["image"]), f64(v["template"]),
                                          pad_input=True, mode="edge")


def windows_of(image: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """The window of ``shape`` of each pixel, placed as match_template places it, the
    edge replicated: (*image.shape, window size)."""
    padded = np.pad(f64(image), [(t // 2, t - 1 - t // 2) for t in shape], mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, shape)
    return windows.reshape(*image.shape, -1)


def assert_match_close(result, expected, v: Arguments) -> None:
    """Within float32's rounding of the window's sums, relative to its variance: the
    error grows as ``n eps max|d|**2 / sum d**2`` (d: the window's values relative to
    its mean).  Pixels where scikit-image's denominator is at most float64's epsilon
    (it gives 0 there, oclip only for constant windows) are not compared."""
    image, template = v["image"], v["template"]
    assert result.dtype == np.float32 and result.shape == image.shape
    assert np.isfinite(result).all()
    windows = windows_of(image, template.shape)
    deviations = windows - windows.mean(axis=-1, keepdims=True)
    variance = (deviations**2).sum(axis=-1)
    spread = np.abs(windows - windows[..., :1]).max(axis=-1) ** 2
    n = windows.shape[-1]
    ssd = float(((f64(template) - f64(template).mean()) ** 2).sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        tolerance = 1e-5 + 16 * n * EPSILON32 * n * spread / variance
    compared = np.sqrt(np.maximum(variance, 0) * ssd) > EPSILON64
    error = np.abs(result - expected)
    assert (error[compared] <= tolerance[compared]).all(), (
        f"largest excess {np.max((error - tolerance)[compared])}")
    assert (result[~compared & (variance == 0)] == 0).all()


REFERENCES = named({
    "convolve": Reference(convolve_reference, assert_convolution_close),
    "match_template": Reference(match_template_reference, assert_match_close),
    "gaussian_blur": Reference(lambda v: gaussian(v["image"], per_axis(v, "sigma")),
                               smoothing),
    "mean_box": Reference(lambda v: ndi.uniform_filter(
        f64(v["image"]), [2 * r + 1 for r in per_axis(v, "radius")], mode="nearest"),
        smoothing),
    "mean_sphere": Reference(lambda v: ndi.correlate(
        f64(v["image"]), window(v, "sphere") / window(v, "sphere").sum(), mode="nearest"),
        smoothing),
    **{f"{which}_{shape}": Reference(rank(function, shape), exact)
       for which, function in (("minimum", ndi.minimum_filter), ("maximum", ndi.maximum_filter),
                               ("median", ndi.median_filter))
       for shape in ("box", "sphere")},
    **{f"mode_{shape}": Reference(lambda v, shape=shape: mode_reference(
        v["labels"], window(v, shape)), exact) for shape in ("box", "sphere")},
    **{f"variance_{shape}": Reference(
        windowed_variance(shape), lambda r, e, v: assert_variance_close(r, e, v["image"]))
       for shape in ("box", "sphere")},
    **{f"standard_deviation_{shape}": Reference(
        windowed_deviation(shape), lambda r, e, v: assert_deviation_close(r, e, v["image"]))
       for shape in ("box", "sphere")},
})
