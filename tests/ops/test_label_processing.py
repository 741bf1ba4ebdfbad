"""Label processing against scipy / scikit-image compositions."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.ndimage as ndi
import skimage.segmentation as segmentation
from hypothesis import given, settings
from hypothesis import strategies as st

import oclip

from .._helpers import SHAPES
from .references import REFERENCES
from .references.label_processing import (
    sequential,
)

small_shapes = st.one_of(st.tuples(st.integers(1, 12), st.integers(1, 12)),
                         st.tuples(st.integers(1, 5), st.integers(1, 6), st.integers(1, 7)))


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
    result = REFERENCES["relabel_sequential"].assert_operation_close(labels)
    assert result.dtype == np.uint32


def test_relabel_sequential_with_huge_label_values():
    labels = np.array([[0, 4_000_000_000, 7], [7, 0, 2**31]], np.uint32)
    np.testing.assert_array_equal(oclip.relabel_sequential(labels), [[0, 3, 1], [1, 0, 2]])


def test_exclude_labels_on_edges_removes_every_label_with_a_border_pixel(labels):
    REFERENCES["exclude_labels_on_edges"].assert_operation_close(labels)


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


@pytest.mark.parametrize("size", [0, 5, 20, 60])
def test_size_exclusions_equal_bincount_filters(labels, size):
    REFERENCES["exclude_small_labels"].assert_operation_close(labels, maximum_size=size)
    REFERENCES["exclude_large_labels"].assert_operation_close(labels, minimum_size=size)
    REFERENCES["exclude_labels_outside_size_range"].assert_operation_close(
        labels, minimum_size=size, maximum_size=3 * size)


def test_exclude_small_labels_equals_remove_small_objects(labels):
    from skimage.morphology import remove_small_objects

    expected = sequential(remove_small_objects(labels.astype(np.int64), max_size=20))
    np.testing.assert_array_equal(oclip.exclude_small_labels(labels, maximum_size=20), expected)


# --- growth and shrinking ----------------------------------------------------------------


@pytest.mark.parametrize("radius", [1, 2, 4])
def test_dilate_labels_equals_expand_labels_except_at_ties(labels, radius):
    # the same foreground, the same labels but at ties
    result = REFERENCES["dilate_labels"].assert_operation_close(labels, radius=radius)
    assert (result != REFERENCES["dilate_labels"](labels, radius=radius)).mean() < 0.05


def test_dilate_labels_never_merges_and_ties_go_to_the_first_pixel():
    labels = np.array([[1, 0, 0, 0, 2]], np.uint32)
    np.testing.assert_array_equal(oclip.dilate_labels(labels, radius=2), [[1, 1, 1, 2, 2]])
    np.testing.assert_array_equal(oclip.dilate_labels(labels, radius=1), [[1, 1, 0, 2, 2]])


def test_extend_labeling_via_voronoi_equals_edt_except_at_ties(labels):
    result = REFERENCES["extend_labeling_via_voronoi"].assert_operation_close(labels)
    assert result.all()


@pytest.mark.parametrize("radius", [1, 2, 3])
def test_erode_labels_equals_per_label_binary_erosion(labels, radius):
    REFERENCES["erode_labels"].assert_operation_close(labels, radius=radius)


def test_erode_labels_keeps_numbers_of_split_pieces():
    labels = np.zeros((7, 15), np.uint32)
    labels[1:6, 1:6] = 5
    labels[1:6, 9:14] = 5
    labels[3, 6:9] = 5  # a thin bridge
    labels[0, 0] = 2
    result = oclip.erode_labels(labels, radius=1)
    assert set(np.unique(result)) == {0, 1}
    assert ndi.label(result)[1] == 2


@pytest.mark.parametrize("radius", [1, 2])
def test_opening_labels_equals_per_label_binary_opening(labels, radius):
    REFERENCES["opening_labels"].assert_operation_close(labels, radius=radius)


@pytest.mark.parametrize("radius", [1, 2])
def test_closing_labels_equals_closed_foreground_with_expanded_labels(labels, radius):
    # the same foreground, the expanded labels but at ties
    result = REFERENCES["closing_labels"].assert_operation_close(labels, radius=radius)
    assert (result >= (labels != 0)).all()  # a closing only adds


def test_closing_fills_a_gap_narrower_than_the_sphere():
    labels = np.zeros((9, 12), np.uint32)
    labels[2:7, 1:5] = 1
    labels[2:7, 6:11] = 1
    np.testing.assert_array_equal(oclip.closing_labels(labels, radius=1)[3:6, 5], 1)


@pytest.mark.parametrize("radius", [1, 2])
def test_smooth_labels_is_opening_then_closing(labels, radius):
    # the same foreground, the same labels but at ties of the opened labels
    REFERENCES["smooth_labels"].assert_operation_close(labels, radius=radius)


# --- merging and combining --------------------------------------------------------------


def test_merge_touching_labels_equals_graph_components(labels):
    REFERENCES["merge_touching_labels"].assert_operation_close(labels)


def test_merge_touching_labels_keeps_diagonal_neighbours_apart():
    labels = np.array([[1, 0], [0, 2]], np.uint32)
    np.testing.assert_array_equal(oclip.merge_touching_labels(labels), [[1, 0], [0, 2]])
    labels = np.array([[1, 3, 0, 4]], np.uint32)
    np.testing.assert_array_equal(oclip.merge_touching_labels(labels), [[1, 1, 0, 2]])


def test_combine_labels_draws_labels2_over_labels1(rng):
    labels1 = random_labels(rng, (37, 53))
    labels2 = random_labels(rng, (37, 53), count=5, fill=0.2)
    REFERENCES["combine_labels"].assert_operation_close(labels1, labels2)


def test_subtract_labels_removes_pixels_labelled_in_labels2(rng):
    labels1 = random_labels(rng, (9, 21, 33))
    labels2 = random_labels(rng, (9, 21, 33), count=5, fill=0.3)
    REFERENCES["subtract_labels"].assert_operation_close(labels1, labels2)


@pytest.mark.parametrize("name", ["combine_labels", "subtract_labels"])
def test_two_label_operations_refuse_different_shapes(name):
    with pytest.raises(ValueError, match=f"{name}: labels1 and labels2"):
        getattr(oclip, name)(np.ones((3, 4), np.uint32), np.ones((4, 3), np.uint32))


# --- reductions -----------------------------------------------------------------------------


def test_reduce_labels_to_centroids_equals_rounded_regionprops_centroids(labels):
    REFERENCES["reduce_labels_to_centroids"].assert_operation_close(labels)


def test_centroid_of_a_ring_lies_in_its_hole():
    labels = np.zeros((7, 7), np.uint32)
    labels[1:6, 1:6] = 3
    labels[2:5, 2:5] = 0
    result = oclip.reduce_labels_to_centroids(labels)
    assert result[3, 3] == 3 and result.sum() == 3


def test_reduce_labels_to_label_edges_equals_find_boundaries(labels):
    REFERENCES["reduce_labels_to_label_edges"].assert_operation_close(labels)


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
    # face-connected background regions enclosed by one label, not on the border
    np.testing.assert_array_equal(oclip.fill_holes_in_labels(labels),
                                  REFERENCES["fill_holes_in_labels"](labels))


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
                                  REFERENCES["erode_labels"](labels, radius=radius))
    np.testing.assert_array_equal(oclip.merge_touching_labels(labels),
                                  REFERENCES["merge_touching_labels"](labels))
    np.testing.assert_array_equal(oclip.relabel_sequential(labels * 7),
                                  REFERENCES["relabel_sequential"](labels))
    dilated = oclip.dilate_labels(labels, radius=radius)
    np.testing.assert_array_equal(dilated != 0,
                                  REFERENCES["dilate_labels"](labels, radius=radius) != 0)
    np.testing.assert_array_equal(oclip.exclude_labels_on_edges(labels),
                                  REFERENCES["exclude_labels_on_edges"](labels))


def test_a_3d_image_of_one_plane_is_all_border():
    labels = np.zeros((1, 5, 5), np.uint32)
    labels[0, 1:4, 1:4] = 1
    labels[0, 2, 2] = 0
    assert not oclip.exclude_labels_on_edges(labels).any()
    np.testing.assert_array_equal(oclip.fill_holes_in_labels(labels), labels)
    np.testing.assert_array_equal(oclip.fill_holes_in_labels(labels[0])[2, 2], 1)
    np.testing.assert_array_equal(ndi.binary_fill_holes(labels)[0, 2, 2], 0)
