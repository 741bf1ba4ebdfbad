"""Label processing against scipy / scikit-image compositions."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.ndimage as ndi
import skimage.segmentation as segmentation
from hypothesis import given, settings
from hypothesis import strategies as st

import oclip
from oclip.ops._neighbourhood import ellipsoid_footprint

from .._helpers import SHAPES

small_shapes = st.one_of(st.tuples(st.integers(1, 12), st.integers(1, 12)),
                         st.tuples(st.integers(1, 5), st.integers(1, 6), st.integers(1, 7)))


def sequential(labels: np.ndarray) -> np.ndarray:
    return segmentation.relabel_sequential(labels)[0].astype(np.uint32)


def sphere(radius: int, ndim: int) -> np.ndarray:
    return np.asarray(ellipsoid_footprint(dict.fromkeys(range(ndim), radius)))


def random_labels(rng: np.random.Generator, shape: tuple[int, ...], count: int = 12,
                  fill: float = 0.5) -> np.ndarray:
    """Touching, gapped labels: a Voronoi tiling of random seeds, cut by a mask."""
    seeds = np.zeros(shape, np.uint32)
    seeds.flat[rng.choice(int(np.prod(shape)), min(count, int(np.prod(shape))),
                          replace=False)] = rng.permutation(np.arange(1, count + 1) * 3)[:min(
                              count, int(np.prod(shape)))]
    _, indices = ndi.distance_transform_edt(seeds == 0, return_indices=True)
    tiles = seeds[tuple(indices)]
    mask = ndi.gaussian_filter(rng.random(shape), 1.0) > np.quantile(
        ndi.gaussian_filter(rng.random(shape), 1.0), 1 - fill) if fill < 1 else True
    return (tiles * mask).astype(np.uint32)


@pytest.fixture(params=SHAPES, ids=["2d", "3d"])
def labels(request, rng) -> np.ndarray:
    return random_labels(rng, request.param)


# --- renumbering and exclusion -------------------------------------------------------


def test_relabel_sequential_equals_skimage(labels):
    result = oclip.relabel_sequential(labels)
    assert result.dtype == np.uint32
    np.testing.assert_array_equal(result, sequential(labels))


def test_relabel_sequential_with_huge_label_values():
    labels = np.array([[0, 4_000_000_000, 7], [7, 0, 2**31]], np.uint32)
    np.testing.assert_array_equal(oclip.relabel_sequential(labels), [[0, 3, 1], [1, 0, 2]])


def border_labels_removed(labels: np.ndarray) -> np.ndarray:
    rim = np.ones(labels.shape, bool)
    rim[tuple(slice(1, -1) for _ in labels.shape)] = False
    return sequential(np.where(np.isin(labels, labels[rim]), 0, labels))


def test_exclude_labels_on_edges_removes_every_label_with_a_border_pixel(labels):
    np.testing.assert_array_equal(oclip.exclude_labels_on_edges(labels),
                                  border_labels_removed(labels))


def test_exclude_labels_on_edges_equals_clear_border_for_connected_labels(rng):
    # clear_border removes connected pieces; with connected labels that is the same
    labels, _ = ndi.label(rng.random((30, 40)) < 0.4)
    np.testing.assert_array_equal(oclip.exclude_labels_on_edges(labels),
                                  sequential(segmentation.clear_border(labels)))


def test_exclude_labels_on_edges_in_2d_ignores_nothing_but_the_rim():
    labels = np.zeros((5, 6), np.uint32)
    labels[0, 2] = 1
    labels[2, 2:4] = 2
    labels[3, 5] = 3
    labels[4, 0] = 4
    np.testing.assert_array_equal(oclip.exclude_labels_on_edges(labels), (labels == 2) * 1)


def counts_of(labels: np.ndarray) -> np.ndarray:
    return np.bincount(labels.ravel())


@pytest.mark.parametrize("size", [0, 5, 20, 60])
def test_size_exclusions_equal_bincount_filters(labels, size):
    counts = counts_of(labels)

    def keep(condition):
        lut = np.zeros(len(counts), np.uint32)
        lut[1:] = np.arange(1, len(counts)) * condition[1:]
        return sequential(lut[labels])

    np.testing.assert_array_equal(oclip.exclude_small_labels(labels, maximum_size=size),
                                  keep(counts > size))
    np.testing.assert_array_equal(oclip.exclude_large_labels(labels, minimum_size=size),
                                  keep(counts < size))
    np.testing.assert_array_equal(
        oclip.exclude_labels_outside_size_range(labels, minimum_size=size, maximum_size=3 * size),
        keep((counts >= size) & (counts <= 3 * size)))


def test_exclude_small_labels_equals_remove_small_objects(labels):
    from skimage.morphology import remove_small_objects

    expected = sequential(remove_small_objects(labels.astype(np.int64), max_size=20))
    np.testing.assert_array_equal(oclip.exclude_small_labels(labels, maximum_size=20), expected)


# --- growth and shrinking ----------------------------------------------------------------


def equally_near(labels: np.ndarray) -> np.ndarray:
    """Pixels with two different labels at the smallest distance (ties)."""
    values = [v for v in np.unique(labels) if v]
    stack = np.stack([ndi.distance_transform_edt(labels != v) for v in values])
    nearest = stack.min(axis=0)
    return (stack == nearest).sum(axis=0) > 1


@pytest.mark.parametrize("radius", [1, 2, 4])
def test_dilate_labels_equals_expand_labels_except_at_ties(labels, radius):
    result = oclip.dilate_labels(labels, radius=radius)
    expected = segmentation.expand_labels(labels, distance=radius)
    tie = equally_near(labels)
    np.testing.assert_array_equal(result[~tie], expected[~tie])
    np.testing.assert_array_equal(result != 0, expected != 0)
    assert (result != expected).mean() < 0.05


def test_dilate_labels_never_merges_and_ties_go_to_the_first_pixel():
    labels = np.array([[1, 0, 0, 0, 2]], np.uint32)
    np.testing.assert_array_equal(oclip.dilate_labels(labels, radius=2), [[1, 1, 1, 2, 2]])
    np.testing.assert_array_equal(oclip.dilate_labels(labels, radius=1), [[1, 1, 0, 2, 2]])


def test_extend_labeling_via_voronoi_equals_edt_except_at_ties(labels):
    result = oclip.extend_labeling_via_voronoi(labels)
    _, indices = ndi.distance_transform_edt(labels == 0, return_indices=True)
    expected = labels[tuple(indices)]
    tie = equally_near(labels)
    assert result.all()
    np.testing.assert_array_equal(result[~tie], expected[~tie])


def erosion_reference(labels: np.ndarray, radius: int) -> np.ndarray:
    footprint = sphere(radius, labels.ndim)
    out = np.zeros_like(labels)
    for value in np.unique(labels):
        if value:
            kept = ndi.binary_erosion(labels == value, footprint, border_value=1)
            out[kept] = value
    return out


@pytest.mark.parametrize("radius", [1, 2, 3])
def test_erode_labels_equals_per_label_binary_erosion(labels, radius):
    np.testing.assert_array_equal(oclip.erode_labels(labels, radius=radius),
                                  sequential(erosion_reference(labels, radius)))


def test_erode_labels_keeps_numbers_of_split_pieces():
    labels = np.zeros((7, 15), np.uint32)
    labels[1:6, 1:6] = 5
    labels[1:6, 9:14] = 5
    labels[3, 6:9] = 5  # a thin bridge
    labels[0, 0] = 2
    result = oclip.erode_labels(labels, radius=1)
    assert set(np.unique(result)) == {0, 1}
    assert ndi.label(result)[1] == 2


def opening_reference(labels: np.ndarray, radius: int) -> np.ndarray:
    footprint = sphere(radius, labels.ndim)
    out = np.zeros_like(labels)
    for value in np.unique(labels):
        if value:
            eroded = ndi.binary_erosion(labels == value, footprint, border_value=1)
            out[ndi.binary_dilation(eroded, footprint)] = value
    return sequential(out)


@pytest.mark.parametrize("radius", [1, 2])
def test_opening_labels_equals_per_label_binary_opening(labels, radius):
    np.testing.assert_array_equal(oclip.opening_labels(labels, radius=radius),
                                  opening_reference(labels, radius))


def closing_reference(labels: np.ndarray, radius: int) -> np.ndarray:
    expanded = segmentation.expand_labels(labels, distance=radius)
    closed = ndi.binary_erosion(expanded != 0, sphere(radius, labels.ndim), border_value=1)
    return expanded * closed


@pytest.mark.parametrize("radius", [1, 2])
def test_closing_labels_equals_closed_foreground_with_expanded_labels(labels, radius):
    result = oclip.closing_labels(labels, radius=radius)
    expected = closing_reference(labels, radius)
    np.testing.assert_array_equal(result != 0, expected != 0)
    tie = equally_near(labels)
    np.testing.assert_array_equal(result[~tie], expected[~tie])
    assert (result >= (labels != 0)).all()  # a closing only adds


def test_closing_fills_a_gap_narrower_than_the_sphere():
    labels = np.zeros((9, 12), np.uint32)
    labels[2:7, 1:5] = 1
    labels[2:7, 6:11] = 1
    np.testing.assert_array_equal(oclip.closing_labels(labels, radius=1)[3:6, 5], 1)


@pytest.mark.parametrize("radius", [1, 2])
def test_smooth_labels_is_opening_then_closing(labels, radius):
    opened = opening_reference(labels, radius)
    expected = sequential(closing_reference(opened, radius))
    result = oclip.smooth_labels(labels, radius=radius)
    tie = equally_near(opened) if opened.any() else np.zeros(labels.shape, bool)
    np.testing.assert_array_equal(result != 0, expected != 0)
    np.testing.assert_array_equal(result[~tie], expected[~tie])


# --- merging and combining --------------------------------------------------------------


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


def test_merge_touching_labels_equals_graph_components(labels):
    np.testing.assert_array_equal(oclip.merge_touching_labels(labels), merge_reference(labels))


def test_merge_touching_labels_keeps_diagonal_neighbours_apart():
    labels = np.array([[1, 0], [0, 2]], np.uint32)
    np.testing.assert_array_equal(oclip.merge_touching_labels(labels), [[1, 0], [0, 2]])
    labels = np.array([[1, 3, 0, 4]], np.uint32)
    np.testing.assert_array_equal(oclip.merge_touching_labels(labels), [[1, 1, 0, 2]])


def test_combine_labels_draws_labels2_over_labels1(rng):
    labels1 = random_labels(rng, (37, 53))
    labels2 = random_labels(rng, (37, 53), count=5, fill=0.2)
    expected = sequential(np.where(labels2 > 0, labels2.astype(np.int64) + labels1.max(),
                                   labels1))
    np.testing.assert_array_equal(oclip.combine_labels(labels1, labels2), expected)


def test_subtract_labels_removes_pixels_labelled_in_labels2(rng):
    labels1 = random_labels(rng, (9, 21, 33))
    labels2 = random_labels(rng, (9, 21, 33), count=5, fill=0.3)
    np.testing.assert_array_equal(oclip.subtract_labels(labels1, labels2),
                                  sequential(np.where(labels2 > 0, 0, labels1)))


@pytest.mark.parametrize("name", ["combine_labels", "subtract_labels"])
def test_two_label_operations_refuse_different_shapes(name):
    with pytest.raises(ValueError, match=f"{name}: labels1 and labels2"):
        getattr(oclip, name)(np.ones((3, 4), np.uint32), np.ones((4, 3), np.uint32))


# --- reductions -----------------------------------------------------------------------------


def test_reduce_labels_to_centroids_equals_rounded_regionprops_centroids(labels):
    from skimage.measure import regionprops

    result = oclip.reduce_labels_to_centroids(labels)
    expected = np.zeros_like(labels)
    for region in sorted(regionprops(labels), key=lambda r: r.label):
        expected[tuple(np.floor(np.array(region.centroid) + 0.5).astype(int))] = region.label
    np.testing.assert_array_equal(result, expected)


def test_centroid_of_a_ring_lies_in_its_hole():
    labels = np.zeros((7, 7), np.uint32)
    labels[1:6, 1:6] = 3
    labels[2:5, 2:5] = 0
    result = oclip.reduce_labels_to_centroids(labels)
    assert result[3, 3] == 3 and result.sum() == 3


def test_reduce_labels_to_label_edges_equals_find_boundaries(labels):
    expected = labels * segmentation.find_boundaries(labels, connectivity=1, mode="inner")
    np.testing.assert_array_equal(oclip.reduce_labels_to_label_edges(labels), expected)


# --- holes -------------------------------------------------------------------------------------


def test_fill_holes_in_labels_equals_per_label_fill_holes(rng):
    labels = np.zeros((40, 50), np.uint32)
    labels[2:12, 2:15] = 1
    labels[5:8, 5:9] = 0  # a hole
    labels[20:35, 20:45] = 2
    labels[24:30, 25:30] = 0  # a hole
    labels[26:28, 27:28] = 0
    labels[25:31, 34:40] = 0  # a hole with another label inside, enclosed by 2 only?
    labels[27:29, 36:38] = 3
    labels[0:5, 30:40] = 4  # touching the border
    labels[0:2, 33:36] = 0  # open to the border: no hole
    result = oclip.fill_holes_in_labels(labels)
    expected = labels.copy()
    for value in (1, 2, 4):
        filled = ndi.binary_fill_holes(labels == value) & (labels == 0)
        expected[filled] = value
    # the background around label 3 touches labels 2 and 3: not a hole
    expected[25:31, 34:40] = labels[25:31, 34:40]
    np.testing.assert_array_equal(result, expected)


@pytest.mark.parametrize("shape", SHAPES)
def test_fill_holes_in_labels_on_random_labels(shape, rng):
    labels = random_labels(rng, shape, count=6, fill=0.6)
    labels = labels * (rng.random(shape) > 0.1)  # pepper holes
    result = oclip.fill_holes_in_labels(labels)
    background, _ = ndi.label(labels == 0)  # face connectivity
    expected = labels.copy()
    for k in range(1, background.max() + 1):
        region = background == k
        around = ndi.binary_dilation(region) & ~region
        values = np.unique(labels[around])
        slices = ndi.find_objects(region.astype(int))[0]
        on_border = any(s.start == 0 or s.stop == n for s, n in zip(slices, shape, strict=True))
        if not on_border and len(values) == 1 and values[0] != 0:
            expected[region] = values[0]
    np.testing.assert_array_equal(result, expected)


# --- edge cases -----------------------------------------------------------------------------------

ALL = ["relabel_sequential", "exclude_labels_on_edges", "exclude_small_labels",
       "exclude_large_labels", "exclude_labels_outside_size_range", "dilate_labels",
       "erode_labels", "opening_labels", "closing_labels", "smooth_labels",
       "extend_labeling_via_voronoi", "merge_touching_labels", "reduce_labels_to_centroids",
       "reduce_labels_to_label_edges", "fill_holes_in_labels"]


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("shape", [(5, 6), (3, 4, 5)])
def test_empty_label_images_stay_empty(name, shape):
    result = getattr(oclip, name)(np.zeros(shape, np.uint32))
    assert result.dtype == np.uint32 and result.shape == shape and not result.any()


@pytest.mark.parametrize("name", ALL)
def test_results_are_sequential_label_images(name, labels):
    result = getattr(oclip, name)(labels)
    values = np.unique(result)
    if name in ("dilate_labels", "extend_labeling_via_voronoi", "closing_labels",
                "reduce_labels_to_centroids", "reduce_labels_to_label_edges",
                "fill_holes_in_labels"):
        assert set(values) <= set(np.unique(labels))  # these keep the values
    else:
        np.testing.assert_array_equal(values[values > 0], np.arange(1, len(values[values > 0]) + 1))


@settings(max_examples=25, deadline=None)
@given(shape=small_shapes, seed=st.integers(0, 2**16), radius=st.integers(1, 2))
def test_small_shapes(shape, seed, radius):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 4, shape).astype(np.uint32)
    np.testing.assert_array_equal(oclip.erode_labels(labels, radius=radius),
                                  sequential(erosion_reference(labels, radius)))
    np.testing.assert_array_equal(oclip.merge_touching_labels(labels), merge_reference(labels))
    np.testing.assert_array_equal(oclip.relabel_sequential(labels * 7), sequential(labels))
    dilated = oclip.dilate_labels(labels, radius=radius)
    np.testing.assert_array_equal(dilated != 0,
                                  segmentation.expand_labels(labels, radius) != 0)
    np.testing.assert_array_equal(oclip.exclude_labels_on_edges(labels),
                                  border_labels_removed(labels))


def test_a_3d_image_of_one_plane_is_all_border():
    labels = np.zeros((1, 5, 5), np.uint32)
    labels[0, 1:4, 1:4] = 1
    labels[0, 2, 2] = 0
    assert not oclip.exclude_labels_on_edges(labels).any()
    np.testing.assert_array_equal(oclip.fill_holes_in_labels(labels), labels)
    np.testing.assert_array_equal(oclip.fill_holes_in_labels(labels[0])[2, 2], 1)
    np.testing.assert_array_equal(ndi.binary_fill_holes(labels)[0, 2, 2], 0)
