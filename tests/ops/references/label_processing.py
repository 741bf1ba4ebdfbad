"""References of label processing (ops/label_processing.py), against scipy /
scikit-image compositions."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.ndimage as ndi
import skimage.measure
import skimage.segmentation as segmentation

from oclip.ops._neighbourhood import ellipsoid_footprint

from ._core import Reference, exact, named


def sequential(labels: np.ndarray) -> np.ndarray:
    return segmentation.relabel_sequential(labels)[0].astype(np.uint32)


def sphere(radius: int, ndim: int) -> np.ndarray:
    return np.asarray(ellipsoid_footprint(dict.fromkeys(range(ndim), radius)))


# --- renumbering and exclusion -------------------------------------------------------


def border_labels_removed(labels: np.ndarray) -> np.ndarray:
    rim = np.ones(labels.shape, bool)
    rim[tuple(slice(1, -1) for _ in labels.shape)] = False
    return sequential(np.where(np.isin(labels, labels[rim]), 0, labels))


def keep_sizes(condition: Callable[[np.ndarray, dict], np.ndarray]):
    """The labels whose pixel count meets ``condition(counts, arguments)``, renumbered."""
    def expected(v):
        labels = v["labels"]
        counts = np.bincount(labels.ravel())
        keep = condition(counts, v)
        lut = np.arange(len(counts), dtype=np.uint32) * keep
        lut[0] = 0
        return sequential(lut[labels])
    return expected


# --- growth and shrinking ----------------------------------------------------------------


def equally_near(labels: np.ndarray) -> np.ndarray:
    """Pixels with two different labels at the smallest distance (ties)."""
    values = [v for v in np.unique(labels) if v]
    stack = np.stack([ndi.distance_transform_edt(labels != v) for v in values])
    nearest = stack.min(axis=0)
    return (stack == nearest).sum(axis=0) > 1


def unless_tied(result, expected, v):
    """Equal but at pixels equally near to two labels (of ``labels``); the same
    foreground everywhere."""
    labels = v["labels"]
    if not labels.any():
        assert not result.any()
        return
    np.testing.assert_array_equal(result != 0, expected != 0)
    tie = equally_near(labels)
    np.testing.assert_array_equal(result[~tie], expected[~tie])


def nearest_label(v):
    """Every pixel the label of its nearest labelled pixel (scipy's EDT)."""
    labels = v["labels"]
    if not labels.any():
        return labels
    _, indices = ndi.distance_transform_edt(labels == 0, return_indices=True)
    return labels[tuple(indices)]


def erosion_reference(labels: np.ndarray, radius: int) -> np.ndarray:
    footprint = sphere(radius, labels.ndim)
    out = np.zeros_like(labels)
    for value in np.unique(labels):
        if value:
            kept = ndi.binary_erosion(labels == value, footprint, border_value=1)
            out[kept] = value
    return out


def opening_reference(labels: np.ndarray, radius: int) -> np.ndarray:
    footprint = sphere(radius, labels.ndim)
    out = np.zeros_like(labels)
    for value in np.unique(labels):
        if value:
            eroded = ndi.binary_erosion(labels == value, footprint, border_value=1)
            out[ndi.binary_dilation(eroded, footprint)] = value
    return sequential(out)


def closing_reference(labels: np.ndarray, radius: int) -> np.ndarray:
    expanded = segmentation.expand_labels(labels, distance=radius)
    closed = ndi.binary_erosion(expanded != 0, sphere(radius, labels.ndim), border_value=1)
    return expanded * closed


def smooth_check(result, expected, v):
    """As :func:`unless_tied`, the ties those of the opened labels."""
    opened = opening_reference(v["labels"], v["radius"])
    np.testing.assert_array_equal(result != 0, expected != 0)
    if opened.any():
        tie = equally_near(opened)
        np.testing.assert_array_equal(result[~tie], expected[~tie])


# --- merging ------------------------------------------------------------------------------


def merge_reference(labels: np.ndarray) -> np.ndarray:
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = int(labels.max()) + 1
    pairs = []
    for axis in range(labels.ndim):
        a = np.moveaxis(labels, axis, 0)
        first, second = a[:-1].ravel(), a[1:].ravel()
        touching = (first != second) & (first != 0) & (second != 0)
        pairs.append(np.stack([first[touching], second[touching]]))
    pairs = np.concatenate(pairs, axis=1)
    graph = coo_matrix((np.ones(pairs.shape[1]), (pairs[0], pairs[1])), shape=(n, n))
    _, group = connected_components(graph, directed=False)
    # groups numbered by their smallest label; background stays 0
    present = np.unique(labels[labels > 0])
    smallest = {}
    for value in present:
        smallest.setdefault(group[value], value)
    order = sorted(smallest.values())
    number = {group[v]: k + 1 for k, v in enumerate(order)}
    lut = np.zeros(n, np.uint32)
    for value in present:
        lut[value] = number[group[value]]
    return lut[labels]


# --- reductions and holes -----------------------------------------------------------------


def centroids(v):
    """Each label at its regionprops centroid, rounded half up."""
    labels = v["labels"]
    out = np.zeros_like(labels)
    for region in skimage.measure.regionprops(labels):
        out[tuple(np.floor(np.array(region.centroid) + 0.5).astype(int))] = region.label
    return out


def filled_holes(v):
    """Background regions (face-connected) enclosed by one label, not on the border,
    take that label."""
    labels = v["labels"]
    regions, count = ndi.label(labels == 0)
    out = labels.copy()
    for k in range(1, count + 1):
        region = regions == k
        around = np.unique(labels[ndi.binary_dilation(region) & ~region])
        slices = ndi.find_objects(region.astype(int))[0]
        on_border = any(s.start == 0 or s.stop == n
                        for s, n in zip(slices, labels.shape, strict=True))
        if not on_border and len(around) == 1 and around[0] != 0:
            out[region] = around[0]
    return out


REFERENCES = named({
    "relabel_sequential": Reference(lambda v: sequential(v["labels"]), exact),
    "exclude_labels_on_edges": Reference(lambda v: border_labels_removed(v["labels"]), exact),
    "exclude_small_labels": Reference(keep_sizes(lambda c, v: c > v["maximum_size"]), exact),
    "exclude_large_labels": Reference(keep_sizes(lambda c, v: c < v["minimum_size"]), exact),
    "exclude_labels_outside_size_range": Reference(keep_sizes(
        lambda c, v: (c >= v["minimum_size"]) & (c <= v["maximum_size"])), exact),
    "dilate_labels": Reference(lambda v: segmentation.expand_labels(
        v["labels"], distance=v["radius"]), unless_tied),
    "extend_labeling_via_voronoi": Reference(nearest_label, unless_tied),
    "erode_labels": Reference(lambda v: sequential(erosion_reference(v["labels"], v["radius"])),
                              exact),
    "opening_labels": Reference(lambda v: opening_reference(v["labels"], v["radius"]), exact),
    "closing_labels": Reference(lambda v: closing_reference(v["labels"], v["radius"]),
                                unless_tied),
    "smooth_labels": Reference(lambda v: sequential(closing_reference(
        opening_reference(v["labels"], v["radius"]), v["radius"])), smooth_check),
    "merge_touching_labels": Reference(lambda v: merge_reference(v["labels"]), exact),
    "combine_labels": Reference(lambda v: sequential(np.where(
        v["labels2"] > 0, v["labels2"].astype(np.int64) + v["labels1"].max(), v["labels1"])),
        exact),
    "subtract_labels": Reference(lambda v: sequential(np.where(v["labels2"] > 0, 0,
                                                               v["labels1"])), exact),
    "reduce_labels_to_centroids": Reference(centroids, exact),
    "reduce_labels_to_label_edges": Reference(lambda v: v["labels"] * (
        segmentation.find_boundaries(v["labels"], connectivity=1, mode="inner")), exact),
    "fill_holes_in_labels": Reference(filled_holes, exact),
})
