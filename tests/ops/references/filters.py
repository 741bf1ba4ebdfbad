"""References of the filters (ops/filters.py): smoothing, rank filters, the mode of labels,
local variance and standard deviation, against scipy.ndimage (mode="nearest")."""

from __future__ import annotations

import numpy as np
import scipy.ndimage as ndi

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


REFERENCES = named({
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
