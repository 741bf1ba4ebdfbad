"""References of the whole-image reductions (ops/statistics.py), against numpy,
scipy.ndimage.center_of_mass and skimage.metrics.mean_squared_error.

Tolerances: sums of integer images, extremes, positions and histograms are exact;
float sums (float32 images accumulated in double precision) within 1e-12 of the sum
of the absolute values, and what is made of them (means, standard deviations, the
mean squared error, the centre of mass) within 1e-12 of their natural scale.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.ndimage as ndi
import skimage.metrics

from ._core import Reference, f64, named

#: The relative rounding allowed of double-precision sums (of about 10**4 .. 10**6 terms).
RTOL = 1e-12


def masked_statistics(image: np.ndarray, mask: np.ndarray | None = None) -> dict[str, float]:
    """pixel_count, sum, mean, minimum, maximum, standard_deviation of image[mask != 0]
    (all pixels without a mask), in float64; NaN but count and sum of no pixels."""
    values = f64(image).ravel() if mask is None else f64(image)[mask != 0]
    if values.size == 0:
        return {"pixel_count": 0, "sum": 0.0, "mean": math.nan, "minimum": math.nan,
                "maximum": math.nan, "standard_deviation": math.nan}
    return {"pixel_count": values.size, "sum": float(values.sum()),
            "mean": float(values.mean()), "minimum": float(values.min()),
            "maximum": float(values.max()), "standard_deviation": float(values.std())}


def image_statistics(image: np.ndarray) -> dict[str, float]:
    table = masked_statistics(image)
    for which, find in (("minimum", np.argmin), ("maximum", np.argmax)):
        for axis, value in enumerate(np.unravel_index(find(image), image.shape)):
            table[f"position_of_{which}-{axis}"] = int(value)
    return table


def _scale(image: np.ndarray, mask: np.ndarray | None = None) -> float:
    """The size of a statistic's values: the largest magnitude of the pixels."""
    values = np.abs(f64(image) if mask is None else f64(image)[mask != 0])
    return float(values.max()) if values.size else 0.0


def check_statistics(result, expected, v) -> None:
    """A one-row table: counts and positions exact (int64), the rest (float64)
    within RTOL of the pixels' magnitude, times the count for the sum."""
    assert list(result) == list(expected), (list(result), list(expected))
    scale = _scale(v["image"], v.get("mask"))
    count = max(int(expected["pixel_count"]), 1)
    for name, column in result.items():
        assert column.shape == (1,), (name, column.shape)
        value = expected[name]
        if name == "pixel_count" or name.startswith("position"):
            assert column.dtype == np.int64 and column[0] == value, (name, column, value)
            continue
        assert column.dtype == np.float64, (name, column.dtype)
        if math.isnan(value):
            assert np.isnan(column[0]), (name, column)
            continue
        tolerance = RTOL * scale * (count if name == "sum" else 1)
        assert abs(column[0] - value) <= tolerance, (name, column[0], value)


def scalar(column: str):
    """The reference of the scalar operation of one statistics column."""
    def expected(v) -> float:
        return masked_statistics(v["image"])[column]

    def check(result, expected, v) -> None:
        assert isinstance(result, float)
        size = v["image"].size if column == "sum" else 1
        tolerance = 0.0 if column in ("minimum", "maximum") else RTOL * _scale(v["image"]) * size
        assert abs(result - expected) <= tolerance, (result, expected)
    return Reference(expected, check)


def positions(which: str):
    def expected(v) -> dict[str, np.ndarray]:
        image = v["image"]
        index = (np.argmax if which == "maximum" else np.argmin)(image)
        return {f"position_of_{which}-{axis}": np.array([value], np.int64)
                for axis, value in enumerate(np.unravel_index(index, image.shape))}
    return Reference(expected, exact_table)


def exact_table(result, expected, v) -> None:
    assert list(result) == list(expected), (list(result), list(expected))
    for name, column in expected.items():
        assert result[name].dtype == column.dtype, (name, result[name].dtype, column.dtype)
        np.testing.assert_array_equal(result[name], column, err_msg=name)


def center_of_mass(v) -> dict[str, np.ndarray]:
    """scipy.ndimage.center_of_mass of the image in float64 (scipy sums float32 images
    in float32); NaN where the weights sum to 0."""
    weights = f64(v["image"])
    if weights.sum() == 0:
        return {f"center_of_mass-{axis}": np.array([math.nan]) for axis in range(weights.ndim)}
    return {f"center_of_mass-{axis}": np.array([value])
            for axis, value in enumerate(ndi.center_of_mass(weights))}


def check_center_of_mass(result, expected, v) -> None:
    """Within RTOL of the largest coordinate, scaled by how much the weights cancel
    (sum of |w| over |sum of w|)."""
    assert list(result) == list(expected), (list(result), list(expected))
    weights = f64(v["image"])
    total = abs(float(weights.sum()))
    for name, column in expected.items():
        assert result[name].dtype == np.float64 and result[name].shape == (1,)
        if np.isnan(column[0]) or total == 0:
            assert np.isnan(result[name][0]) or total < RTOL * np.abs(weights).sum(), name
            continue
        tolerance = RTOL * max(weights.shape) * np.abs(weights).sum() / total
        assert abs(result[name][0] - column[0]) <= tolerance, (name, result[name], column)


def histogram(v) -> dict[str, np.ndarray]:
    """numpy.histogram with ``range=(minimum, maximum)``, or without range where they
    are equal."""
    image, low, high = v["image"], v["minimum"], v["maximum"]
    counts, edges = np.histogram(image, v["bins"], range=None if low == high else (low, high))
    return {"bin_low": edges[:-1].astype(np.float64), "bin_high": edges[1:].astype(np.float64),
            "count": counts.astype(np.int64)}


def mean_squared_error(v) -> float:
    return float(skimage.metrics.mean_squared_error(f64(v["image1"]), f64(v["image2"])))


def check_mean_squared_error(result, expected, v) -> None:
    assert isinstance(result, float)
    scale = max(_scale(v["image1"]), _scale(v["image2"])) ** 2
    assert abs(result - expected) <= RTOL * 4 * scale, (result, expected)


REFERENCES = named({
    "sum_of_all_pixels": scalar("sum"),
    "mean_of_all_pixels": scalar("mean"),
    "minimum_of_all_pixels": scalar("minimum"),
    "maximum_of_all_pixels": scalar("maximum"),
    "standard_deviation_of_all_pixels": scalar("standard_deviation"),
    "statistics_of_masked_pixels": Reference(
        lambda v: masked_statistics(v["image"], v["mask"]), check_statistics),
    "statistics_of_image": Reference(lambda v: image_statistics(v["image"]), check_statistics),
    "position_of_maximum": positions("maximum"),
    "position_of_minimum": positions("minimum"),
    "center_of_mass": Reference(center_of_mass, check_center_of_mass),
    "histogram": Reference(histogram, exact_table),
    "mean_squared_error": Reference(mean_squared_error, check_mean_squared_error),
})
