"""References of the measurements (ops/measure.py), against
skimage.measure.regionprops_table, scipy.ndimage and numpy."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.ndimage as ndi
import skimage.measure

from ._core import Reference, exact_values, f64, named, relative

PROPERTIES = ["label", "area", "bbox", "centroid", "centroid_weighted",
              "equivalent_diameter_area", "intensity_max", "intensity_mean", "intensity_median",
              "intensity_min", "intensity_std", "axis_major_length", "axis_minor_length",
              "extent", "inertia_tensor", "inertia_tensor_eigvals", "moments_central"]
#: scikit-image measures these of 2D regions only
PLANAR_PROPERTIES = ["eccentricity", "feret_diameter_max", "orientation", "perimeter"]

#: label_statistics' columns that regionprops_table has not (the clEsperanto ones)
DISTANCE_COLUMNS = [f"{kind}_distance_to_{centre}" for centre in ("centroid", "mass_center")
                    for kind in ("sum", "mean", "max")] + [
    f"max_mean_distance_to_{centre}_ratio" for centre in ("centroid", "mass_center")]
EXTRA_COLUMNS = {"intensity_sum", *DISTANCE_COLUMNS}

#: exact columns (integers, or products of integers and the spacing)
_EXACT = ("label", "bbox", "area")
#: columns computed from coordinates only: good to 1e-9 relative to the column's
#: largest value (central moments that sum to about 0 keep the rounding of their terms)
_GEOMETRIC = ("centroid-", "equivalent_diameter_area", "axis_", "eccentricity", "extent",
              "feret_diameter_max", "inertia_tensor", "moments_central", "perimeter")


def _natural_scale(name: str, table: dict[str, np.ndarray],
                   spacing: tuple[float, ...] | None) -> np.ndarray:
    """Per row, the size of a column's values that the label's size allows: a moment
    of order k of n pixels is at most n L**k, L the bounding box's longest side (in
    physical units); the tolerance of values that are 0 up to rounding."""
    ndim = sum(key.startswith("bbox-") for key in table) // 2
    scale = np.ones(ndim) if spacing is None else np.asarray(spacing, float)
    sides = np.column_stack([(table[f"bbox-{a + ndim}"] - table[f"bbox-{a}"]) * scale[a]
                             for a in range(ndim)])
    side = sides.max(axis=1) if len(sides) else np.zeros(0)
    if name.startswith("moments_central-"):
        order = sum(int(k) for k in name.split("-")[1:])
        return table["area"] / np.prod(scale) * side ** order
    if name.startswith("inertia_tensor"):
        return side ** 2
    if name.startswith(("axis_", "centroid", "equivalent", "perimeter", "feret")):
        return side
    return np.ones_like(side)


#: the properties of label_statistics' columns="basic" (one pass over the pixels)
BASIC_PROPERTIES = ("label", "area", "bbox", "centroid", "centroid_weighted",
                    "equivalent_diameter_area", "intensity_max", "intensity_mean",
                    "intensity_min", "intensity_std")
#: the properties only columns="all" measures (on the host)
HOST_PROPERTIES = ("intensity_median", "feret_diameter_max")


def reference_table(image: np.ndarray, labels: np.ndarray,
                    spacing: tuple[float, ...] | None = None,
                    columns: str = "all") -> dict[str, np.ndarray]:
    """regionprops_table of the properties of label_statistics' ``columns``."""
    properties = PROPERTIES + (PLANAR_PROPERTIES if labels.ndim == 2 else [])
    if columns == "basic":
        properties = [name for name in properties if name in BASIC_PROPERTIES]
    elif columns == "shape":
        properties = [name for name in properties if name not in HOST_PROPERTIES]
    if labels.ndim == 2 and spacing is not None and spacing[0] != spacing[1] and (
            "perimeter" in properties):
        properties.remove("perimeter")  # scikit-image refuses it
    # a region of zero intensity has no weighted centroid: NaN (and a warning)
    with np.errstate(invalid="ignore", divide="ignore"):
        return skimage.measure.regionprops_table(labels, image, properties=properties,
                                                 spacing=spacing)


def statistics_options(v: dict) -> tuple[tuple[float, ...] | None, bool, str]:
    """(spacing in numpy's axis order or None, background, columns) of
    label_statistics' arguments."""
    ndim = v["labels"].ndim
    spacing = tuple(float(v.get(f"spacing_{axis}", 1.0)) for axis in "zyx"[3 - ndim:])
    return ((None if all(s == 1.0 for s in spacing) else spacing), bool(v.get("background")),
            str(v.get("columns", "basic")))


def statistics_reference(image: np.ndarray, labels: np.ndarray,
                         spacing: tuple[float, ...] | None = None, background: bool = False,
                         columns: str = "basic") -> dict[str, np.ndarray]:
    """regionprops_table; with the background, of the labels plus one (the background
    a label 1), the labels taken back down."""
    if not background:
        return reference_table(image, labels, spacing, columns)
    table = reference_table(image, labels.astype(np.int64) + 1, spacing, columns)
    table["label"] = table["label"] - 1
    return table


def distance_columns(labels: np.ndarray, table: dict[str, np.ndarray],
                     spacing: tuple[float, ...] | None = None) -> dict[str, np.ndarray]:
    """The clEsperanto distance columns, with numpy, from a table's centroids."""
    scale = np.ones(labels.ndim) if spacing is None else np.asarray(spacing, float)
    ndim = labels.ndim
    out: dict[str, list[float]] = {name: [] for name in DISTANCE_COLUMNS}
    for row, value in enumerate(table["label"]):
        points = np.argwhere(labels == value) * scale
        for centre, prefix in (("centroid", "centroid"), ("mass_center", "centroid_weighted")):
            at = np.array([table[f"{prefix}-{k}"][row] for k in range(ndim)])
            d = np.linalg.norm(points - at, axis=1)
            out[f"sum_distance_to_{centre}"].append(d.sum())
            out[f"mean_distance_to_{centre}"].append(d.mean())
            out[f"max_distance_to_{centre}"].append(d.max())
            out[f"max_mean_distance_to_{centre}_ratio"].append(
                d.max() / d.mean() if d.mean() > 0 else 1.0 if d.mean() == 0 else np.nan)
    return {name: np.array(values, np.float64) for name, values in out.items()}


def assert_orientations_close(result, expected, table):
    """Orientations equal modulo pi (the ellipse's axis has no direction), where the
    ellipse has one: not where its tensor is (up to rounding) a multiple of the identity."""
    a, b, c = (table[f"inertia_tensor-{i}-{j}"] for i, j in ((0, 0), (0, 1), (1, 1)))
    defined = np.abs(a - c) + np.abs(b) > 1e-9 * (np.abs(a) + np.abs(c))
    turn = np.angle(np.exp(2j * (result - expected))) / 2
    np.testing.assert_allclose(np.where(defined, turn, 0), 0, atol=1e-9, err_msg="orientation")


def assert_tables_equal(result, expected, image, labels, spacing=None, columns="all"):
    if columns == "basic":
        assert set(result) == set(expected) | {"intensity_sum"}
    else:
        assert set(result) == set(expected) | EXTRA_COLUMNS | (
            {"perimeter"} if labels.ndim == 2 else set())
    for name, column in expected.items():
        assert result[name].dtype == column.dtype, name
        assert result[name].shape == column.shape, name
        if name.startswith(_EXACT):
            if spacing is None:
                np.testing.assert_array_equal(result[name], column, err_msg=name)
            else:
                np.testing.assert_allclose(result[name], column, rtol=1e-14, err_msg=name)
        elif name == "orientation":
            assert_orientations_close(result[name], column, result)
        elif name.startswith(_GEOMETRIC):
            size = _natural_scale(name, expected, spacing)
            # square roots of eigenvalues known to 1e-9 of their scale: to about 1e-4.5
            # where an eigenvalue is about 0 (a line, a circle, very anisotropic pixels)
            root = name.startswith(("axis_", "eccentricity"))
            np.testing.assert_allclose(result[name] / size, column / size, rtol=1e-9,
                                       atol=1e-4 if root else 1e-9, err_msg=name)
        elif image.dtype == np.float32 and name != "intensity_median":
            # scikit-image sums float32 images in float32
            np.testing.assert_allclose(result[name], column, rtol=2e-6, atol=1e-4,
                                       err_msg=name)
        else:
            np.testing.assert_allclose(result[name], column, rtol=1e-10, err_msg=name)
    if labels.ndim == 2 and "perimeter" not in expected and columns != "basic":
        assert np.isnan(result["perimeter"]).all()
    index = expected["label"]
    np.testing.assert_allclose(result["intensity_sum"],
                               ndi.sum(image.astype(np.float64), labels, index), rtol=1e-10)
    distances = distance_columns(labels, result, spacing) if columns != "basic" else {}
    for name, column in distances.items():
        # the largest distances are float32
        np.testing.assert_allclose(result[name], column, rtol=1e-6 if "max" in name else 1e-9,
                                   atol=1e-9, err_msg=name)


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
        lambda v: statistics_reference(v["image"], v["labels"], *statistics_options(v)),
        lambda r, e, v: assert_tables_equal(r, e, v["image"], v["labels"],
                                            statistics_options(v)[0],
                                            statistics_options(v)[2])),
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
