"""The shared label machinery (ops/_labels.py): feature transform, per-label records, numbering."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.ndimage as ndi

import oclip
from oclip.ops import _labels

from .references.labeling import relabel_raster


@pytest.mark.parametrize("shape", [(37, 53), (9, 21, 33), (1, 7), (7, 1), (1, 1, 9), (6, 1, 1)])
@pytest.mark.parametrize("density", [0.002, 0.05, 0.5])
@pytest.mark.parametrize("contiguous", [True, False])
def test_feature_transform_is_exact_and_takes_the_first_of_equally_near_sites(
        shape, density, contiguous, rng):
    sites = (rng.random(shape) < density).astype(np.uint32)
    sites.flat[-1] = 1
    feature = _labels.feature_transform(oclip.push(sites),
                                         contiguous_stacks=contiguous).get()
    coordinates = np.array(np.unravel_index(feature.ravel(), shape))
    here = np.indices(shape).reshape(len(shape), -1)
    squared = ((coordinates - here) ** 2).sum(axis=0)
    expected = ndi.distance_transform_edt(sites == 0) ** 2
    np.testing.assert_allclose(squared, expected.ravel(), atol=1e-6)
    assert sites.ravel()[feature.ravel()].all()
    # ties: the nearest site first in raster order (checked where cheap)
    if sites.size <= 2000:
        positions = np.flatnonzero(sites)
        site_coordinates = np.array(np.unravel_index(positions, shape))
        for i in range(sites.size):
            d = ((site_coordinates - here[:, i:i + 1]) ** 2).sum(axis=0)
            assert feature.flat[i] == positions[d == d.min()].min()



@pytest.fixture(autouse=True)
def _compiler_output_logged():
    """These tests call internal helpers directly, outside the operation wrapper
    that routes OpenCL compiler output (printed by GPU drivers) to the log."""
    from oclip import _backend as backend

    with backend.compiler_output_logged():
        yield

def test_feature_transform_of_zero_sites_and_of_no_sites():
    image = np.ones((5, 6), np.uint32)
    image[2, 3] = 0
    feature = _labels.feature_transform(oclip.push(image), sites_are_zero=True).get()
    np.testing.assert_array_equal(feature, np.full(image.shape, 2 * 6 + 3))
    none = _labels.feature_transform(oclip.push(np.zeros((3, 4), np.uint32))).get()
    np.testing.assert_array_equal(none, -1)


@pytest.mark.parametrize("int64_atomics", [True, False])
@pytest.mark.parametrize("dtype", [np.uint16, np.int16, np.float32])
def test_records_are_the_same_with_and_without_64_bit_atomics(int64_atomics, dtype, rng):
    labels = np.repeat(rng.integers(0, 50, (40, 12)), 5, axis=1).astype(np.uint32)  # runs
    image = (rng.normal(0, 1000, labels.shape)).astype(dtype)
    records = _labels.label_records(oclip.push(labels), oclip.push(image),
                                       int64_atomics=int64_atomics).host()
    # label 0, the background, is not measured
    index = np.arange(1, labels.max() + 1)
    image64 = image.astype(np.float64)
    measured = {name: column[1:] for name, column in records.items()}
    np.testing.assert_array_equal(measured["count"], np.bincount(labels.ravel())[1:])
    np.testing.assert_allclose(measured["sum"], ndi.sum(image64, labels, index), rtol=1e-12,
                               atol=1e-9)
    np.testing.assert_allclose(measured["sum_squares"], ndi.sum(image64 ** 2, labels, index),
                               rtol=1e-12)
    np.testing.assert_array_equal(measured["minimum_value"], ndi.minimum(image, labels, index))
    np.testing.assert_array_equal(measured["maximum_value"], ndi.maximum(image, labels, index))
    y, x = np.indices(labels.shape)
    np.testing.assert_array_equal(measured["sum_coordinates"][:, 0], ndi.sum(x, labels, index))
    np.testing.assert_allclose(measured["sum_weighted_coordinates"][:, 1],
                               ndi.sum(image64 * y, labels, index), rtol=1e-12, atol=1e-6)
    boxes = ndi.find_objects(labels)
    np.testing.assert_array_equal(measured["minimum"][:, 0], [b[1].start for b in boxes])
    np.testing.assert_array_equal(measured["maximum"][:, 0], [b[1].stop - 1 for b in boxes])


def test_integer_sums_are_exact_at_the_limits():
    labels = np.ones((300, 400), np.uint32)
    image = np.full(labels.shape, 65535, np.uint16)
    records = _labels.label_records(oclip.push(labels), oclip.push(image)).host()
    assert records["sum"][1] == 65535 * labels.size
    assert records["sum_squares"][1] == 65535.0 ** 2 * labels.size


def test_relabel_raster_and_sequential_numbering(rng):
    labels = (rng.integers(0, 40, (9, 21, 33)) * 7).astype(np.uint32)
    device = oclip.push(labels)
    np.testing.assert_array_equal(_labels.relabel_raster(device).get(), relabel_raster(labels))
    sequential, offsets = _labels.relabel_sequential(device)
    assert _labels.count_of(offsets) == len(np.unique(labels)) - 1
    from skimage.segmentation import relabel_sequential

    np.testing.assert_array_equal(sequential.get(), relabel_sequential(labels)[0])


@pytest.mark.parametrize("connectivity", ["box", "diamond"])
def test_components_of_equal_values(connectivity, rng):
    labels = rng.integers(0, 4, (20, 30)).astype(np.uint32)
    result, offsets = _labels.components(oclip.push(labels), connectivity, equal_values=True)
    structure = (np.ones((3, 3)) if connectivity == "box"
                 else ndi.generate_binary_structure(2, 1))
    expected = np.zeros_like(labels)
    count = 0
    for value in (1, 2, 3):
        pieces, n = ndi.label(labels == value, structure=structure)
        expected[pieces > 0] = pieces[pieces > 0] + count
        count += n
    np.testing.assert_array_equal(result.get(), relabel_raster(expected))
    assert _labels.count_of(offsets) == count


@pytest.mark.parametrize("by_pixel", [False, True])
@pytest.mark.parametrize("shape", [(7, 70), (5, 9, 131)])
def test_components_written_per_row_and_per_pixel_equal_scipy(by_pixel, shape, rng,
                                                               monkeypatch):
    # Each device takes one of the two ways to write the label image: both are
    # checked on whichever device runs the tests.
    monkeypatch.setattr(_labels, "assign_by_pixel", lambda: by_pixel)
    binary = (rng.random(shape) < 0.45).astype(np.uint8)
    binary[..., -3:] = 1  # a run reaching the row's end
    result, offsets = _labels.components(oclip.push(binary), "box")
    expected, count = ndi.label(binary, structure=np.ones((3,) * binary.ndim))
    np.testing.assert_array_equal(result.get(), expected)
    assert _labels.count_of(offsets) == count


def test_touching_pairs_are_unique_and_sorted():
    labels = np.array([[1, 1, 2, 0], [3, 3, 2, 4], [0, 5, 5, 4]], np.uint32)
    np.testing.assert_array_equal(_labels.touching_pairs(oclip.push(labels)),
                                  [[1, 2], [1, 3], [2, 3], [2, 4], [2, 5], [3, 5], [4, 5]])
