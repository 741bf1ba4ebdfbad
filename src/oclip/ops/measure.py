"""Measurements of labelled objects: tables and parametric maps (category "Measure").

Per-label reductions run on the device in one pass over the image (see
``_labels.py``); tables come back as numpy columns (one row per label),
maps as float32 images in which every pixel of a label carries the label's
value (background 0).
"""

from __future__ import annotations

import itertools
import math
from typing import Annotated, Literal

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
from ._types import Binary, Image, Labels, Range, Table

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

#: The columns of label_statistics, in order, by their prefix: "bbox",
#: "centroid", "centroid_weighted", "inertia_tensor", "inertia_tensor_eigvals" and
#: "moments_central" stand for their numbered columns (``bbox-0`` ..); the 2D-only
#: columns are left out of 3D tables.
STATISTICS_COLUMNS = (
    "label", "area", "bbox", "centroid", "centroid_weighted", "equivalent_diameter_area",
    "intensity_max", "intensity_mean", "intensity_median", "intensity_min", "intensity_std",
    "intensity_sum", "axis_major_length", "axis_minor_length", "eccentricity", "extent",
    "feret_diameter_max", "inertia_tensor", "inertia_tensor_eigvals", "moments_central",
    "orientation", "perimeter",
    "sum_distance_to_centroid", "mean_distance_to_centroid", "max_distance_to_centroid",
    "max_mean_distance_to_centroid_ratio", "sum_distance_to_mass_center",
    "mean_distance_to_mass_center", "max_distance_to_mass_center",
    "max_mean_distance_to_mass_center_ratio")

#: Columns of 2D tables only.
PLANAR_COLUMNS = ("eccentricity", "feret_diameter_max", "orientation", "perimeter")

#: Weights of the border pixel kinds counted by measure.cl (skimage.measure.perimeter).
_PERIMETER_WEIGHTS = np.array([1.0, math.sqrt(2), (1 + math.sqrt(2)) / 2])


def _medians(labels: np.ndarray, image: backend.DeviceArray, rows: np.ndarray,
             dtype: np.dtype) -> np.ndarray:
    """The median intensity of each label in ``rows`` (as np.median), on the host.

    Label and intensity are packed into one 64-bit key per pixel (the label
    above an order-preserving 32-bit key of the intensity) and sorted once;
    each label's pixels are then one stretch of the sorted keys.
    """
    if rows.size == 0:
        return np.zeros(0)
    values = labels.ravel()
    intensities = image.get().ravel()
    foreground = values != 0  # the background is not measured (rows > 0)
    values, intensities = values[foreground], intensities[foreground]
    if dtype.kind == "f":
        bits = intensities.astype(np.float32).view(np.uint32)
        keys = np.where(bits & np.uint32(0x80000000), ~bits, bits | np.uint32(0x80000000))
    elif dtype.kind == "i":
        keys = intensities.astype(np.int32).view(np.uint32) ^ np.uint32(0x80000000)
    else:
        keys = intensities.astype(np.uint32)
    packed = np.sort((values.astype(np.uint64) << np.uint64(32)) | keys.astype(np.uint64))
    counts = np.bincount(values)
    starts = np.concatenate([[0], np.cumsum(counts)])[rows]
    n = counts[rows]
    middle = packed[np.stack([starts + (n - 1) // 2, starts + n // 2])]
    decoded = _labels.decode_keys((middle & np.uint64(0xFFFFFFFF)).astype(np.uint32).ravel(),
                                  dtype).reshape(2, -1)
    if dtype.kind == "f":  # as numpy: the mean of the two middle values in float32
        return ((decoded[0].astype(np.float32) + decoded[1].astype(np.float32))
                / np.float32(2)).astype(np.float64)
    return (decoded[0] + decoded[1]) / 2


def _hull(points: np.ndarray) -> np.ndarray:
    """The convex hull's vertices (counter-clockwise, Andrew's monotone chain) of
    distinct integer points (k, 2)."""
    ordered: list[tuple[int, int]] = [
        (int(p), int(q)) for p, q in points[np.lexsort((points[:, 1], points[:, 0]))].tolist()]
    if len(ordered) <= 2:
        return np.array(ordered, np.int64).reshape(-1, 2)

    def chain(sequence: list[tuple[int, int]]) -> list[tuple[int, int]]:
        kept: list[tuple[int, int]] = []
        for py, px in sequence:  # Python integers: exact and fast one by one
            while len(kept) >= 2:
                (ay, ax), (by, bx) = kept[-2], kept[-1]
                if (by - ay) * (px - ax) - (bx - ax) * (py - ay) > 0:
                    break
                kept.pop()
            kept.append((py, px))
        return kept

    lower, upper = chain(ordered), chain(ordered[::-1])
    return np.array(lower[:-1] + upper[:-1], np.int64)


def _feret_diameters(labels: np.ndarray, rows: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """feret_diameter_max of 2D labels as scikit-image computes it, on the host.

    scikit-image takes the pixels (centres) within the convex hull of the
    label's pixel edge midpoints (``convex_hull_image``) and the largest
    distance between the midpoints of the edges between those pixels and the
    others (its contour at 0.5).  Only the ends of the label's row runs can be
    vertices of the first hull, so only they are read; coordinates are doubled
    (integers) until the distances are taken.
    """
    out = np.zeros(rows.size)
    if rows.size == 0:
        return out
    padded = np.pad(labels, ((0, 0), (1, 1)))
    ends = (padded[:, 1:-1] != padded[:, :-2]) | (padded[:, 1:-1] != padded[:, 2:])
    y, x = np.nonzero(ends & (labels != 0))
    values = labels[y, x]
    order = np.argsort(values, kind="stable")
    y, x, values = y[order], x[order], values[order]
    starts = np.searchsorted(values, rows)
    stops = np.searchsorted(values, rows, side="right")
    known: dict[bytes, float] = {}  # labels of one shape (small ones often are)
    for k, (start, stop) in enumerate(zip(starts, stops, strict=True)):
        centres = 2 * np.column_stack([y[start:stop], x[start:stop]]).astype(np.int64)
        key = (centres - centres.min(axis=0)).tobytes()
        if key not in known:
            known[key] = _feret_diameter(centres, scale)
        out[k] = known[key]
    return out


_DIAMOND = np.array([[1, 0], [-1, 0], [0, 1], [0, -1]])


def _feret_diameter(centres: np.ndarray, scale: np.ndarray) -> float:
    """feret_diameter_max of one label from its run ends' doubled coordinates (in
    row-major order)."""
    # only each row's first and last pixel can be vertices of the hull
    _, first = np.unique(centres[:, 0], return_index=True)
    last = np.append(first[1:], len(centres)) - 1
    extremes = np.concatenate([centres[first], centres[last]])
    hull = _hull(np.unique((extremes[:, None, :] + _DIAMOND).reshape(-1, 2), axis=0))
    low = centres.min(axis=0)
    high = centres.max(axis=0)
    gy, gx = np.mgrid[low[0]:high[0] + 1:2, low[1]:high[1] + 1:2]
    inside = np.ones(gy.shape, bool)
    for a, b in zip(hull, np.roll(hull, -1, axis=0), strict=True):
        inside &= (b[0] - a[0]) * (gx - a[1]) - (b[1] - a[1]) * (gy - a[0]) >= 0
    # the contour's points: the midpoints of the edges between the hull image and
    # the other pixels; its rows and columns are intervals, so these are the
    # outer edges of each row's and each column's first and last pixel
    points = []
    for mask, axis in ((inside, 1), (inside.T, 0)):
        lines = np.flatnonzero(mask.any(axis=1))
        start = mask[lines].argmax(axis=1)
        stop = mask.shape[1] - 1 - mask[lines, ::-1].argmax(axis=1)
        for position, step in ((start, -1), (stop, 1)):
            pair = [2 * lines, 2 * position + step]  # doubled, within the box
            points.append(np.column_stack(pair if axis == 1 else pair[::-1]))
    midpoints = (np.concatenate(points) + low) * (scale / 2)
    gaps = midpoints[:, None, :] - midpoints[None, :, :]
    return math.sqrt(float((gaps * gaps).sum(axis=2).max()))


def _shape_columns(table: dict[str, np.ndarray], moments: np.ndarray, count: np.ndarray,
                   widths: np.ndarray, scale: np.ndarray) -> None:
    """The moment-based columns (as regionprops_table) from the central moments
    ``moments[label, r, q, p]`` of z, y, x in pixels; ``scale``: spacing (z,) y, x."""
    ndim = scale.size
    rows = count.size
    # physical moments: each power of a coordinate takes the spacing along it
    sz, sy, sx = ([1.0] * (3 - ndim) + list(scale))
    powers = np.arange(4, dtype=np.float64)
    moments = (moments * (sz ** powers)[:, None, None] * (sy ** powers)[None, :, None]
               * (sx ** powers)[None, None, :])
    mu = moments[:, 0] if ndim == 2 else moments  # [label, (z power,) y power, x power]
    flat = mu.reshape(rows, 4 ** ndim)

    def moment(index: tuple[int, ...]) -> np.ndarray:
        return flat[:, int(np.ravel_multi_index(index, (4,) * ndim))]

    mu0 = moment((0,) * ndim)
    second = np.zeros((rows, ndim, ndim))
    for a in range(ndim):
        for b in range(ndim):
            powers_ab = [0] * ndim
            powers_ab[a] += 1
            powers_ab[b] += 1
            second[:, a, b] = moment(tuple(powers_ab))
    # products of deviations of a symmetric shape sum to 0 up to the rounding of
    # the sums: exactly 0, as scikit-image finds them (the orientation's sign)
    diagonal = np.diagonal(second, axis1=1, axis2=2)
    tiny = np.abs(second) <= 1e-13 * np.sqrt(diagonal[:, :, None] * diagonal[:, None, :])
    second[tiny & ~np.eye(ndim, dtype=bool)] = 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        # as scikit-image: -mu_ab / mu0 off the diagonal (-0.0 for mu_ab = 0), the sum
        # of the other axes' second moments on it
        tensor = -second / mu0[:, None, None]
        for a in range(ndim):
            tensor[:, a, a] = (np.trace(second, axis1=1, axis2=2) - second[:, a, a]) / mu0
    for a in range(ndim):
        for b in range(ndim):
            table[f"inertia_tensor-{a}-{b}"] = tensor[:, a, b]
    eigenvalues = (np.clip(np.linalg.eigvalsh(tensor), 0, None)[:, ::-1] if rows
                   else np.zeros((0, ndim)))
    for a in range(ndim):
        table[f"inertia_tensor_eigvals-{a}"] = eigenvalues[:, a]
    for index in itertools.product(range(4), repeat=ndim):
        table["moments_central-" + "-".join(map(str, index))] = moment(index)
    ev = eigenvalues
    if ndim == 2:
        table["axis_major_length"] = 4 * np.sqrt(ev[:, 0])
        table["axis_minor_length"] = 4 * np.sqrt(ev[:, 1])
        with np.errstate(divide="ignore", invalid="ignore"):
            table["eccentricity"] = np.where(ev[:, 0] == 0, 0.0,
                                             np.sqrt(1 - ev[:, 1] / ev[:, 0]))
        a, b, c = tensor[:, 0, 0], tensor[:, 0, 1], tensor[:, 1, 1]
        # a == c up to the rounding of the sums: the tensor of a symmetric shape
        equal = np.abs(a - c) <= 1e-12 * np.abs(a + c)
        table["orientation"] = np.where(equal, np.where(b < 0, math.pi / 4, -math.pi / 4),
                                        0.5 * np.arctan2(-2 * b, c - a))
    else:
        table["axis_major_length"] = np.sqrt(np.maximum(0, 10 * (ev[:, 0] + ev[:, 1] - ev[:, 2])))
        table["axis_minor_length"] = np.sqrt(np.maximum(0, 10 * (-ev[:, 0] + ev[:, 1] + ev[:, 2])))
    table["extent"] = count / np.prod(widths, axis=1)


def _second_pass_columns(table: dict[str, np.ndarray], ndim: int,
                         columns: dict[str, np.ndarray], labels: backend.DeviceArray,
                         labels_host: np.ndarray | None, present: np.ndarray, n: np.ndarray,
                         spacing: tuple[float, float, float], axes: list[int],
                         scale: np.ndarray) -> None:
    """The shape, perimeter and distance columns (and 2D Feret diameters with the
    labels on the host) from a second pass over the labels, into ``table``."""
    second = _labels.label_moments(labels, columns, spacing, perimeter=ndim == 2)
    widths = (columns["maximum"] - columns["minimum"] + 1)[present][:, axes]
    _shape_columns(table, second["moments"][present], n, widths, scale)
    if ndim == 2:
        kinds = second["perimeter_kinds"][present]
        # as skimage: isotropic pixels only
        table["perimeter"] = (kinds @ _PERIMETER_WEIGHTS * scale[0] if scale[0] == scale[1]
                              else np.full(present.size, np.nan))
        if labels_host is not None:
            table["feret_diameter_max"] = _feret_diameters(labels_host, present, scale)
    sums, maxima = second["distance_sums"][present], second["distance_maxima"][present]
    weighted = np.isfinite(table["centroid_weighted-0"])
    for k, centre in enumerate(("centroid", "mass_center")):
        largest = maxima[:, k]
        average = sums[:, k] / n
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(average > 0, largest / average, 1.0)
        if k == 1:  # no mass centre without intensity
            largest, average, ratio = (np.where(weighted, v, np.nan)
                                       for v in (largest, average, ratio))
        table[f"sum_distance_to_{centre}"] = average * n
        table[f"mean_distance_to_{centre}"] = average
        table[f"max_distance_to_{centre}"] = largest
        table[f"max_mean_distance_to_{centre}_ratio"] = ratio


def statistics_table(records: Records, labels: backend.DeviceArray, image: backend.DeviceArray,
                     spacing: tuple[float, float, float] = (1.0, 1.0, 1.0),
                     shift: int = 0, groups: str = "basic") -> dict[str, np.ndarray]:
    """The label_statistics columns from device records and a second pass over the
    labels; ``spacing`` along x, y, z; ``shift``: the labels are the measured
    labels plus ``shift`` (1 for a background row); ``groups``: which columns
    (label_statistics' ``columns``)."""
    columns = records.host()
    count = columns["count"]
    present = np.flatnonzero(count)
    present = present[present > 0]
    ndim = records.ndim
    n = count[present].astype(np.float64)
    # records hold x, y, z; tables use numpy's axis order (z,) y, x
    axes = [2, 1, 0][3 - ndim:]
    scale = np.array([spacing[a] for a in axes])
    table: dict[str, np.ndarray] = {"label": present.astype(np.int64) - shift,
                                    "area": n * float(np.prod(scale))}
    for k, a in enumerate(axes):
        table[f"bbox-{k}"] = columns["minimum"][present, a]
    for k, a in enumerate(axes):
        table[f"bbox-{k + ndim}"] = columns["maximum"][present, a] + 1
    for k, a in enumerate(axes):
        table[f"centroid-{k}"] = columns["sum_coordinates"][present, a] / n * scale[k]
    total = columns["sum"][present]
    with np.errstate(divide="ignore", invalid="ignore"):
        for k, a in enumerate(axes):
            table[f"centroid_weighted-{k}"] = (
                columns["sum_weighted_coordinates"][present, a] / total * scale[k])
    table["equivalent_diameter_area"] = (2 * ndim * table["area"] / math.pi) ** (1 / ndim)
    table["intensity_max"] = columns["maximum_value"][present]
    mean = total / n
    table["intensity_mean"] = mean
    assert records.dtype is not None
    labels_host = labels.get() if groups == "all" else None
    if labels_host is not None:
        table["intensity_median"] = _medians(labels_host, image, present, records.dtype)
    table["intensity_min"] = columns["minimum_value"][present]
    variance = columns["sum_squares"][present] / n - mean * mean
    table["intensity_std"] = np.sqrt(np.maximum(variance, 0.0))
    table["intensity_sum"] = total
    if groups != "basic":
        _second_pass_columns(table, records.ndim, columns, labels, labels_host, present, n,
                             spacing, axes, scale)
    order = [name for prefix in STATISTICS_COLUMNS for name in table
             if name == prefix or (name.startswith(prefix + "-")
                                   and name[len(prefix) + 1].isdigit())]
    return {name: table[name] for name in order}


#: Which columns label_statistics measures (see its docstring).
StatisticsColumns = Literal["basic", "shape", "all"]

#: A pixel size (any unit), > 0.
_Spacing = Annotated[float, Range(1e-9, 1e9, 0.001)]


@operation(category="Measure", nonfinite=REFUSE_NONFINITE)
def label_statistics(image: Image, labels: Labels, spacing_x: _Spacing = 1.0,
                     spacing_y: _Spacing = 1.0, spacing_z: _Spacing = 1.0,
                     background: bool = False, columns: StatisticsColumns = "basic") -> Table:
    """Measure every label: size, position, shape and intensity statistics.

    One row per label present (in increasing label order), with the columns
    of ``skimage.measure.regionprops_table`` of the same names, in physical
    units (the pixel size ``spacing_x``, ``spacing_y``, ``spacing_z``) as
    ``regionprops_table(..., spacing=(spacing_z, spacing_y, spacing_x))``
    gives them:

    - ``label``; ``area``: the pixel count times the pixel area (volume);
    - ``bbox-0`` .. ``bbox-(2 ndim - 1)``: the bounding box in pixel indices,
      first the smallest coordinate per axis (z,) y, x, then the largest plus one;
    - ``centroid-0`` ..: the mean coordinates, axes (z,) y, x;
    - ``centroid_weighted-0`` ..: the intensity-weighted mean coordinates
      (the mass centre; NaN for a label of total intensity 0);
    - ``equivalent_diameter_area``: the diameter of the disk (ball) of equal area;
    - ``intensity_max``, ``intensity_mean``, ``intensity_min``, ``intensity_std``
      (population standard deviation, ddof=0); ``intensity_median`` with
      ``columns="all"``;
    - ``intensity_sum``: the sum of the intensities (not in scikit-image);
    - ``axis_major_length``, ``axis_minor_length``: of the ellipse (ellipsoid)
      of the same second moments, from ``inertia_tensor_eigvals``;
    - ``eccentricity`` and ``orientation`` (2D only): of that ellipse;
      orientation in radians between -pi/2 and pi/2, the angle between axis 0
      (rows) and the major axis;
    - ``extent``: the area over the bounding box's area;
    - ``inertia_tensor-i-j``, ``inertia_tensor_eigvals-i`` (largest first);
    - ``moments_central-i-j`` (3D: ``-i-j-k``): the central moments of the
      label's pixels, each power from 0 to 3 along every axis (16 columns,
      64 in 3D);
    - ``perimeter`` (2D only): as ``skimage.measure.perimeter`` with
      neighbourhood 4, times the pixel size; NaN for anisotropic pixels,
      where scikit-image refuses it;
    - the distance columns of clEsperanto's ``statistics_of_labelled_pixels``:
      ``sum_distance_to_centroid``, ``mean_distance_to_centroid``,
      ``max_distance_to_centroid``, ``max_mean_distance_to_centroid_ratio``
      (the extension ratio; 1 for a label of one pixel) and the same four
      ``..._to_mass_center`` (NaN without a mass centre): Euclidean distances
      of a label's pixel centres to the label's centroid and to its mass
      centre, in physical units.

    - ``feret_diameter_max`` (2D only, with ``columns="all"``): as
      scikit-image, the largest distance
      between points of the contour (at 0.5) of the pixels within the convex
      hull of the label; computed on the host from the ends of the label's
      row runs (one loop over the labels).

    Not measured: ``feret_diameter_max`` of 3D labels (scikit-image takes a
    marching-cubes surface of the hull), ``solidity`` and ``area_convex``
    (a rasterised convex hull per label, not computed on the device).

    Counts, coordinate sums, bounding boxes, intensity sums, minima and maxima
    come from one pass over the image on the device, the central moments,
    distances and perimeter from a second pass given the centroids; the
    per-label eigenvalues, lengths and angles are computed from those sums on
    the host with numpy.  ``intensity_median`` and ``feret_diameter_max`` are
    computed on the host, only when asked for (``columns="all"``: they cost
    more than all the other columns together, on a GPU far more): the labels
    and intensities are read back and sorted once (label, intensity).
    An image without labels gives a table with these columns, all empty.

    Parameters
    ----------
    image : Image
        The intensities to measure, 2D or 3D.
    labels : Labels
        The objects, of the same shape; 0 is background and not measured,
        unless ``background``.
    spacing_x, spacing_y, spacing_z : float
        The pixel size along x, y and z (z is not used for 2D images),
        between 1e-9 and 1e9.
    background : bool
        Add a row for the background (label 0, first) measured as a label.
    columns : {"basic", "shape", "all"}
        Which columns: "basic" (the default) those of one pass over the pixels
        (label, area, bbox, centroids, equivalent_diameter_area, the intensity
        columns but the median); "shape" also the moment, shape, perimeter and
        distance columns (a second pass); "all" also ``intensity_median`` and
        ``feret_diameter_max``, computed on the host.

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
        "intensity_median", "intensity_min", "intensity_std",
        "axis_major_length", "axis_minor_length", "eccentricity", "extent",
        "feret_diameter_max", "inertia_tensor", "inertia_tensor_eigvals",
        "moments_central", "orientation", "perimeter"]`` and ``spacing``.
    pyclesperanto.statistics_of_labelled_pixels : the distance columns.

    Notes
    -----
    Counts, coordinate sums and bounding boxes are exact.  Intensity sums are
    exact for integer images; for float images each row stretch of a label
    is summed in double precision (single where the device lacks it) and
    added in fixed point, so the totals do not depend on the order of the
    additions and are good to about 1e-15 relative to the largest possible
    total (scikit-image sums float32 images in float32).  The central moments
    and distance sums are fixed point too, scaled per label (by bounds from
    its bounding box and pixel count), good to about 1e-15 relative to the
    largest value the label's size allows; the largest distances are rounded
    to float32.
    """
    same_shape("label_statistics", image, labels, "image", "labels")
    spacing = (float(spacing_x), float(spacing_y), float(spacing_z))
    n, _, _ = label_range(labels)
    values = None
    if n + int(background) >= _labels.MAX_TABLE:  # rare: huge label values, measured as 1..m
        values = np.unique(labels.get())
        values = values[values > 0]
        labels, n = _labels.compact_values(labels, n)
    if background:  # every label one up: the background is measured as label 1
        lut = backend.push(np.arange(1, n + 2, dtype=np.uint32))
        labels = _labels.apply_lut(labels, lut)
        n += 1
    table = statistics_table(label_records(labels, image, n), labels, image, spacing,
                             int(background), columns)
    if values is not None:  # compact label k was values[k - 1]; the background 0
        table["label"] = np.concatenate([[0], values])[table["label"]].astype(np.int64)
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
