"""References of the measurements (ops/measure.py), against
skimage.measure.regionprops_table, scipy.ndimage and numpy."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.ndimage as ndi
import skimage.measure

from ._core import Reference, exact_values, f64, named, relative

PROPERTIES = ["label", "area", "bbox", "centroid", "centroid_weighted",
              "equivalent_diameter_area", "intensity_max", "intensity_mean", "intensity_min",
              "intensity_std"]


def reference_table(image: np.ndarray, labels: np.ndarray) -> dict[str, np.ndarray]:
    # a region of zero intensity has no weighted centroid: NaN (and a warning)
    with np.errstate(invalid="ignore", divide="ignore"):
        return skimage.measure.regionprops_table(labels, image, properties=PROPERTIES)


def assert_tables_equal(result, expected, image, labels):
    assert set(result) == set(expected) | {"intensity_sum"}
    for name, column in expected.items():
        assert result[name].dtype == column.dtype, name
        assert result[name].shape == column.shape, name
        if name.startswith(("label", "bbox", "area")):
            np.testing.assert_array_equal(result[name], column, err_msg=name)
        elif name.startswith("centroid-") or name == "equivalent_diameter_area":
            np.testing.assert_allclose(result[name], column, rtol=1e-12, err_msg=name)
        elif image.dtype == np.float32:
            # scikit-image sums float32 images in float32
            np.testing.assert_allclose(result[name], column, rtol=2e-6, atol=1e-4,
                                       err_msg=name)
        else:
            np.testing.assert_allclose(result[name], column, rtol=1e-10, err_msg=name)
    index = expected["label"]
    np.testing.assert_allclose(result["intensity_sum"],
                               ndi.sum(image.astype(np.float64), labels, index), rtol=1e-10)


# --- parametric maps --------------------------------------------------------------------


def per_label_map(labels: np.ndarray, values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, np.float64).copy()
    values[0] = 0
    return values[labels]


def intensity_map(function):
    """A scipy per-label reduction of the intensities, 0 for absent labels."""
    def expected(v):
        labels, image = v["labels"], v["image"]
        index = np.arange(labels.max() + 1)
        with np.errstate(invalid="ignore", divide="ignore"):
            values = np.nan_to_num(function(f64(image), labels, index))
        return per_label_map(labels, values)
    return expected


def centroid_distances(labels: np.ndarray) -> np.ndarray:
    out = np.zeros(labels.shape)
    for value in np.unique(labels):
        if value:
            points = np.argwhere(labels == value)
            out[labels == value] = np.linalg.norm(points - points.mean(axis=0), axis=1)
    return out


def extension_ratios(v):
    """The largest over the mean distance to the centroid; 1 for a single pixel."""
    labels = v["labels"]
    distances = centroid_distances(labels)
    out = np.zeros(labels.shape)
    for value in np.unique(labels[labels > 0]):
        d = distances[labels == value]
        out[labels == value] = d.max() / d.mean() if d.mean() > 0 else 1.0
    return out


def touching_reference(labels: np.ndarray) -> dict[int, set[int]]:
    touching: dict[int, set[int]] = {int(v): set() for v in np.unique(labels) if v}
    for axis in range(labels.ndim):
        a = np.moveaxis(labels, axis, 0)
        for first, second in zip(a[:-1].ravel(), a[1:].ravel(), strict=True):
            if first and second and first != second:
                touching[int(first)].add(int(second))
                touching[int(second)].add(int(first))
    return touching


def touching_counts(v):
    labels = v["labels"]
    values = np.zeros(labels.max() + 1)
    for label, others in touching_reference(labels).items():
        values[label] = len(others)
    return per_label_map(labels, values)


def touching_means(v):
    labels, image = v["labels"], v["image"]
    with np.errstate(invalid="ignore", divide="ignore"):
        means = ndi.mean(f64(image), labels, np.arange(labels.max() + 1))
    values = np.zeros(labels.max() + 1)
    for label, others in touching_reference(labels).items():
        values[label] = np.mean(means[[label, *others]])
    return per_label_map(labels, values)


# --- overlap ----------------------------------------------------------------------------------


def overlap(dice: bool):
    def expected(v):
        a, b = v["binary1"] != 0, v["binary2"] != 0
        if dice:
            total = a.sum() + b.sum()
            return 1.0 if total == 0 else 2 * (a & b).sum() / total
        either = (a | b).sum()
        return 1.0 if either == 0 else (a & b).sum() / either
    return expected


def scalar_check(result, expected, v):
    assert result == pytest.approx(expected, rel=1e-12)


REFERENCES = named({
    "label_statistics": Reference(
        lambda v: reference_table(v["image"], v["labels"]),
        lambda r, e, v: assert_tables_equal(r, e, v["image"], v["labels"])),
    "pixel_count_map": Reference(lambda v: per_label_map(
        v["labels"], np.bincount(v["labels"].ravel())), exact_values),
    # float32 results: relative tolerances of float32 rounding
    "mean_intensity_map": Reference(intensity_map(ndi.mean), relative(1e-6, 1e-4)),
    "minimum_intensity_map": Reference(intensity_map(ndi.minimum), relative(1e-7, 1e-4)),
    "maximum_intensity_map": Reference(intensity_map(ndi.maximum), relative(1e-7, 1e-4)),
    "standard_deviation_intensity_map": Reference(intensity_map(ndi.standard_deviation),
                                                  relative(1e-5, 1e-4)),
    "distance_to_centroid_map": Reference(lambda v: centroid_distances(v["labels"]),
                                          relative(1e-5, 1e-5)),
    "extension_ratio_map": Reference(extension_ratios, relative(1e-5)),
    "touching_neighbor_count_map": Reference(touching_counts, exact_values),
    "mean_of_touching_neighbors_map": Reference(touching_means, relative(1e-5)),
    "jaccard_index": Reference(overlap(dice=False), scalar_check),
    "sorensen_dice": Reference(overlap(dice=True), scalar_check),
})
