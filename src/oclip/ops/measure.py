"""Measurements of labelled objects: tables and parametric maps (category "Measure").

Per-label reductions run on the device in one pass over the image (see
``_labels.py``); tables come back as numpy columns (one row per label),
maps as float32 images in which every pixel of a label carries the label's
value (background 0).
"""

from __future__ import annotations

import math

import numpy as np

from .. import _backend as backend
from . import _labels
from ._arguments import same_shape
from ._labels import (
    MEASURE,
    Records,
    label_range,
    label_records,
    map_values,
    measure_defines,
)
from ._registry import REFUSE_NONFINITE, operation
from ._types import Binary, Image, Labels, Table

__all__ = [
    "distance_to_centroid_map",
    "extension_ratio_map",
    "jaccard_index",
    "label_statistics",
    "maximum_intensity_map",
    "mean_intensity_map",
    "mean_of_touching_neighbors_map",
    "minimum_intensity_map",
    "pixel_count_map",
    "sorensen_dice",
    "standard_deviation_intensity_map",
    "touching_neighbor_count_map",
]

#: The columns of label_statistics for a 2D image, in order (3D adds a third
#: coordinate to bbox, centroid and centroid_weighted).
STATISTICS_COLUMNS = ("label", "area", "bbox", "centroid", "centroid_weighted",
                      "equivalent_diameter_area", "intensity_max", "intensity_mean",
                      "intensity_min", "intensity_std", "intensity_sum")


def statistics_table(records: Records) -> dict[str, np.ndarray]:
    """The label_statistics columns from device records."""
    columns = records.host()
    count = columns["count"]
    present = np.flatnonzero(count)
    present = present[present > 0]
    ndim = records.ndim
    n = count[present].astype(np.float64)
    # records hold x, y, z; tables use numpy's axis order (z,) y, x
    axes = [2, 1, 0][3 - ndim:]
    table: dict[str, np.ndarray] = {"label": present.astype(np.int64), "area": n}
    for k, a in enumerate(axes):
        table[f"bbox-{k}"] = columns["minimum"][present, a]
    for k, a in enumerate(axes):
        table[f"bbox-{k + ndim}"] = columns["maximum"][present, a] + 1
    for k, a in enumerate(axes):
        table[f"centroid-{k}"] = columns["sum_coordinates"][present, a] / n
    total = columns["sum"][present]
    with np.errstate(divide="ignore", invalid="ignore"):
        for k, a in enumerate(axes):
            table[f"centroid_weighted-{k}"] = (
                columns["sum_weighted_coordinates"][present, a] / total)
    table["equivalent_diameter_area"] = (2 * ndim * n / math.pi) ** (1 / ndim)
    table["intensity_max"] = columns["maximum_value"][present]
    mean = total / n
    table["intensity_mean"] = mean
    table["intensity_min"] = columns["minimum_value"][present]
    variance = columns["sum_squares"][present] / n - mean * mean
    table["intensity_std"] = np.sqrt(np.maximum(variance, 0.0))
    table["intensity_sum"] = total
    return table


@operation(category="Measure", nonfinite=REFUSE_NONFINITE)
def label_statistics(image: Image, labels: Labels) -> Table:
    """Measure every label: size, position, shape and intensity statistics.

    One row per label present (in increasing label order), with the columns
    of ``skimage.measure.regionprops_table`` of the same names:

    - ``label``; ``area``: the pixel count;
    - ``bbox-0`` .. ``bbox-(2 ndim - 1)``: the bounding box, first the
      smallest coordinate per axis (z,) y, x, then the largest plus one;
    - ``centroid-0`` ..: the mean coordinates, axes (z,) y, x;
    - ``centroid_weighted-0`` ..: the intensity-weighted mean coordinates
      (the mass centre);
    - ``equivalent_diameter_area``: the diameter of the disk (ball) of equal area;
    - ``intensity_max``, ``intensity_mean``, ``intensity_min``,
      ``intensity_std`` (population standard deviation, ddof=0);
    - ``intensity_sum``: the sum of the intensities (not in scikit-image).

    All are computed on the device in one pass over the image (see Notes).
    An image without labels gives a table with these columns, all empty.

    Parameters
    ----------
    image : Image
        The intensities to measure, 2D or 3D.
    labels : Labels
        The objects, of the same shape; 0 is background and not measured.

    Returns
    -------
    Table
        dict of column name to 1D numpy array (``label`` and ``bbox``
        int64, the others float64), ready for napari's ``layer.features``;
        numpy columns also when the inputs are device arrays.

    See Also
    --------
    skimage.measure.regionprops_table : the reference, with ``properties=
        ["label", "area", "bbox", "centroid", "centroid_weighted",
        "equivalent_diameter_area", "intensity_max", "intensity_mean",
        "intensity_min", "intensity_std"]``.

    Notes
    -----
    Counts, coordinate sums and bounding boxes are exact.  Intensity sums are
    exact for integer images; for float images each row stretch of a label
    is summed in double precision (single where the device lacks it) and
    added in fixed point, so the totals do not depend on the order of the
    additions and are good to about 1e-15 relative to the largest possible
    total (scikit-image sums float32 images in float32).
    """
    same_shape("label_statistics", image, labels, "image", "labels")
    n, _, _ = label_range(labels)
    values = None
    if n >= _labels.MAX_TABLE:  # rare: huge label values, measured as 1..m
        values = np.unique(labels.get())
        values = values[values > 0]
        labels, n = _labels.compact_values(labels, n)
    table = statistics_table(label_records(labels, image))
    if values is not None:
        table["label"] = values[table["label"] - 1].astype(np.int64)
    return table


def _record_map(labels: backend.DeviceArray, image: backend.DeviceArray | None,
                which: int) -> backend.DeviceArray:
    labels, n = _labels.compact_values(labels)
    records = label_records(labels, image, n)
    values = backend.create(n + 1, np.float32)
    ev, evv, _ = records.exponents
    MEASURE.launch("record_values", (n + 1,), records.data, values, which, ev, evv,
                   defines=measure_defines(records.dtype))
    return map_values(labels, values)


@operation(category="Measure")
def pixel_count_map(labels: Labels) -> Image:
    """Replace every label by its pixel count.

    Parameters
    ----------
    labels : Labels
        The objects; 0 is background.

    Returns
    -------
    Image
        float32 image: each label's pixels carry the label's pixel count,
        background 0.

    See Also
    --------
    skimage.measure.regionprops : the value is the region's ``area``.
    """
    return _record_map(labels, None, 0)


def _intensity_map(name: str, image: backend.DeviceArray, labels: backend.DeviceArray,
                   which: int) -> backend.DeviceArray:
    same_shape(name, image, labels, "image", "labels")
    return _record_map(labels, image, which)


@operation(category="Measure", nonfinite=REFUSE_NONFINITE)
def mean_intensity_map(image: Image, labels: Labels) -> Image:
    """Replace every label by the mean intensity of its pixels.

    Parameters
    ----------
    image : Image
        The intensities.
    labels : Labels
        The objects, of the same shape; 0 is background.

    Returns
    -------
    Image
        float32 image: each label's pixels carry the label's mean intensity,
        background 0.

    See Also
    --------
    skimage.measure.regionprops : the value is the region's ``intensity_mean``.
    """
    return _intensity_map("mean_intensity_map", image, labels, 1)


@operation(category="Measure", nonfinite=REFUSE_NONFINITE)
def minimum_intensity_map(image: Image, labels: Labels) -> Image:
    """Replace every label by the smallest intensity of its pixels.

    Parameters
    ----------
    image : Image
        The intensities.
    labels : Labels
        The objects, of the same shape; 0 is background.

    Returns
    -------
    Image
        float32 image: each label's pixels carry the label's minimum
        intensity, background 0.

    See Also
    --------
    skimage.measure.regionprops : the value is the region's ``intensity_min``.
    """
    return _intensity_map("minimum_intensity_map", image, labels, 2)


@operation(category="Measure", nonfinite=REFUSE_NONFINITE)
def maximum_intensity_map(image: Image, labels: Labels) -> Image:
    """Replace every label by the largest intensity of its pixels.

    Parameters
    ----------
    image : Image
        The intensities.
    labels : Labels
        The objects, of the same shape; 0 is background.

    Returns
    -------
    Image
        float32 image: each label's pixels carry the label's maximum
        intensity, background 0.

    See Also
    --------
    skimage.measure.regionprops : the value is the region's ``intensity_max``.
    """
    return _intensity_map("maximum_intensity_map", image, labels, 3)


@operation(category="Measure", nonfinite=REFUSE_NONFINITE)
def standard_deviation_intensity_map(image: Image, labels: Labels) -> Image:
    """Replace every label by the standard deviation of its pixels' intensities.

    Parameters
    ----------
    image : Image
        The intensities.
    labels : Labels
        The objects, of the same shape; 0 is background.

    Returns
    -------
    Image
        float32 image: each label's pixels carry the population standard
        deviation (ddof=0) of the label's intensities, background 0.

    See Also
    --------
    skimage.measure.regionprops : the value is the region's ``intensity_std``.
    """
    return _intensity_map("standard_deviation_intensity_map", image, labels, 4)


def _centroids(labels: backend.DeviceArray, n: int) -> tuple[Records, backend.DeviceArray]:
    records = label_records(labels, None, n)
    centroids = backend.create(3 * (n + 1), np.float32)
    MEASURE.launch("record_centroids", (n + 1,), records.data, centroids,
                   defines=measure_defines())
    return records, centroids


@operation(category="Measure")
def distance_to_centroid_map(labels: Labels) -> Image:
    """Give every label pixel its distance to the centroid of its label.

    Parameters
    ----------
    labels : Labels
        The objects; 0 is background.

    Returns
    -------
    Image
        float32 image: the Euclidean distance (pixels) from each label pixel
        to its label's centroid (mean coordinates); background 0.

    See Also
    --------
    skimage.measure.regionprops : ``centroid``; the value at pixel p is
        ``numpy.linalg.norm(p - centroid)``.
    """
    labels, n = _labels.compact_values(labels)
    _, centroids = _centroids(labels, n)
    nx, ny, _ = backend.grid(labels.shape)
    out = backend.create(labels.shape, np.float32)
    MEASURE.launch("centroid_distance_map", (labels.size,), labels, centroids, out,
                   nx, ny, defines=measure_defines())
    return out


@operation(category="Measure")
def extension_ratio_map(labels: Labels) -> Image:
    """Replace every label by its extension ratio: how elongated it is.

    The extension ratio of a label is the largest distance of its pixels to
    its centroid divided by their mean distance to it (as clEsperanto
    defines it): about 1.5 for a disk, 1.33 for a ball, more for elongated
    objects; 1 for a label of a single pixel.

    Parameters
    ----------
    labels : Labels
        The objects; 0 is background.

    Returns
    -------
    Image
        float32 image: each label's pixels carry the label's extension
        ratio, background 0.

    See Also
    --------
    distance_to_centroid_map : the distances whose maximum and mean are
        divided; the ratio equals ``d.max() / d.mean()`` over a label's pixels.
    """
    labels, n = _labels.compact_values(labels)
    records, centroids = _centroids(labels, n)
    _, acc_type = acc_type_of()
    rows, nx, ny, nz = _labels.rows(labels)
    largest = _labels.zeros(n + 1)
    sums = _labels.zeros(2 * (n + 1))
    extent = math.sqrt(nx * nx + ny * ny + nz * nz)
    exponent = max(-120, min(120, math.floor(62 - math.log2(extent * labels.size + 1))))
    defines = measure_defines()
    MEASURE.launch("centroid_distance_sums", (rows,), labels, centroids, largest,
                   sums, acc_type(math.ldexp(1.0, exponent)), nx, ny, defines=defines)
    values = backend.create(n + 1, np.float32)
    MEASURE.launch("extension_ratios", (n + 1,), largest, sums, records.data, values,
                   exponent, defines=defines)
    return map_values(labels, values)


def acc_type_of() -> tuple[str, type]:
    """(OpenCL name, numpy type) of the accumulator of measure.cl."""
    from ._labels import _accumulator

    return _accumulator()


def _overlap(name: str, binary1: backend.DeviceArray, binary2: backend.DeviceArray
             ) -> tuple[int, int, int]:
    """(|A|, |B|, |A and B|) of two binary images, on the device."""
    same_shape(name, binary1, binary2, "binary1", "binary2")
    size = binary1.size
    chunks = max(1, min(64 * backend.current_device().compute_units, size // 4096))
    chunk = -(-size // chunks)
    partial = backend.create(3 * chunks, np.uint32)
    MEASURE.launch("overlap_chunks", (chunks,), binary1, binary2, np.uint64(size),
                   np.uint64(chunk), partial, defines=measure_defines())
    a, b, both = partial.get().reshape(chunks, 3).astype(np.int64).sum(axis=0)
    return int(a), int(b), int(both)


@operation(category="Measure")
def jaccard_index(binary1: Binary, binary2: Binary) -> float:
    """The Jaccard index of two masks: overlap over union of their foregrounds.

    Label images may be given: their foregrounds (non-zero pixels) are
    compared, whatever the labels.

    Parameters
    ----------
    binary1 : Binary
        First mask (or label image): every non-zero pixel.
    binary2 : Binary
        Second mask of the same shape.

    Returns
    -------
    float
        ``|A & B| / |A | B|`` between 0 and 1; 1 when both masks are empty.

    See Also
    --------
    sklearn.metrics.jaccard_score : the same on flattened boolean masks;
        with numpy, ``(a & b).sum() / (a | b).sum()``.
    """
    a, b, both = _overlap("jaccard_index", binary1, binary2)
    union = a + b - both
    return 1.0 if union == 0 else both / union


@operation(category="Measure")
def sorensen_dice(binary1: Binary, binary2: Binary) -> float:
    """The Sørensen-Dice coefficient of two masks: twice the overlap over the sum of sizes.

    Label images may be given: their foregrounds (non-zero pixels) are
    compared, whatever the labels.

    Parameters
    ----------
    binary1 : Binary
        First mask (or label image): every non-zero pixel.
    binary2 : Binary
        Second mask of the same shape.

    Returns
    -------
    float
        ``2 |A & B| / (|A| + |B|)`` between 0 and 1; 1 when both masks are empty.

    See Also
    --------
    scipy.spatial.distance.dice : one minus this coefficient, on flattened
        boolean masks.
    """
    a, b, both = _overlap("sorensen_dice", binary1, binary2)
    return 1.0 if a + b == 0 else 2 * both / (a + b)


def _host_map(labels: backend.DeviceArray, values: np.ndarray) -> backend.DeviceArray:
    """Map per-label values (numpy, index = label) onto the label image."""
    return map_values(labels, backend.push(values.astype(np.float32)))


@operation(category="Measure")
def touching_neighbor_count_map(labels: Labels) -> Image:
    """Replace every label by the number of other labels it touches.

    Two labels touch when a pixel of one shares a face with a pixel of the
    other (4 neighbours in 2D, 6 in 3D); the background does not count.

    Parameters
    ----------
    labels : Labels
        The objects.

    Returns
    -------
    Image
        float32 image: each label's pixels carry its number of touching
        labels, background 0.

    See Also
    --------
    numpy.unique : the count is the number of distinct labels other than
        the label and 0 among the face neighbours of its pixels.
    """
    labels, n = _labels.compact_values(labels)
    pairs = _labels.touching_pairs(labels)
    counts = (np.bincount(pairs[:, 0], minlength=n + 1)
              + np.bincount(pairs[:, 1], minlength=n + 1))
    return _host_map(labels, counts)


@operation(category="Measure", nonfinite=REFUSE_NONFINITE)
def mean_of_touching_neighbors_map(image: Image, labels: Labels) -> Image:
    """Replace every label by the mean value of itself and the labels it touches.

    Each label's value is the mean of ``image`` over its pixels (for a
    parametric map, such as ``pixel_count_map``, the map's value); the
    result for a label is the mean of the values of the label itself and of
    every label that touches it (shares a face; the background does not
    count), each counted once: a smoothing over the neighbourhood graph.

    Parameters
    ----------
    image : Image
        The values: intensities or a parametric map of the labels.
    labels : Labels
        The objects, of the same shape.

    Returns
    -------
    Image
        float32 image: each label's pixels carry the mean over the label and
        its touching neighbours; background 0.

    See Also
    --------
    scipy.ndimage.mean : the per-label means ``mean(image, labels, index)``
        that are averaged over each label's touching neighbours and itself.
    """
    same_shape("mean_of_touching_neighbors_map", image, labels, "image", "labels")
    labels, n = _labels.compact_values(labels)
    columns = label_records(labels, image, n).host()
    count = columns["count"]
    with np.errstate(divide="ignore", invalid="ignore"):
        means = np.where(count > 0, columns["sum"] / np.maximum(count, 1), 0.0)
    present = (count > 0).astype(np.float64)
    present[0] = 0
    means[0] = 0
    pairs = _labels.touching_pairs(labels)
    sums = means.copy() + np.bincount(pairs[:, 0], weights=means[pairs[:, 1]], minlength=n + 1) \
        + np.bincount(pairs[:, 1], weights=means[pairs[:, 0]], minlength=n + 1)
    members = present + np.bincount(pairs[:, 0], minlength=n + 1) \
        + np.bincount(pairs[:, 1], minlength=n + 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        values = np.where(members > 0, sums / np.maximum(members, 1), 0.0)
    return _host_map(labels, values)
