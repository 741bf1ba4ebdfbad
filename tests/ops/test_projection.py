"""Projections against numpy, within the tolerances references/projection.py states."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import oclip

from .._helpers import DTYPES
from .references import REFERENCES
from .references.projection import AXES, REDUCTIONS

# (nz, ny, nx): runs longer and shorter than a work-item's, single planes, rows
# and columns; 300 > 256 puts the last run of a row back over its neighbour.
SHAPES_3D = [(9, 21, 33), (1, 5, 4), (40, 1, 7), (3, 300, 1), (4, 7, 300), (2, 1, 1)]
def project(image: np.ndarray, reduction: str, axis: str) -> np.ndarray:
    return getattr(oclip, f"{reduction}_{axis}_projection")(image)


def check(result: np.ndarray, image: np.ndarray, reduction: str, axis: str) -> None:
    REFERENCES[f"{reduction}_{axis}_projection"].assert_close(result, image)


@pytest.mark.parametrize("shape", SHAPES_3D, ids=str)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("axis", list(AXES))
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_projections_equal_numpy(reduction, axis, dtype, shape, make_image):
    image = make_image(shape, dtype)
    check(project(image, reduction, axis), image, reduction, axis)


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.uint32, np.int32], ids=str)
@pytest.mark.parametrize("axis", list(AXES))
def test_projections_of_other_integer_dtypes(axis, dtype, rng):
    info = np.iinfo(dtype)
    image = rng.integers(max(info.min, -2**20), min(info.max, 2**20), (5, 9, 11),
                         endpoint=True).astype(dtype)
    for reduction in ("maximum", "minimum", "sum"):
        check(project(image, reduction, axis), image, reduction, axis)


def test_standard_deviation_of_a_large_offset_is_accurate(rng):
    # camera-like data: a large mean, a small spread
    image = (rng.normal(3000, 2, (64, 17, 19))).astype(np.float32)
    for axis in AXES:
        # within 1e-5 relative (tighter than the reference's 1e-4 of the value range)
        expected = REFERENCES[f"standard_deviation_{axis}_projection"](image)
        np.testing.assert_allclose(project(image, "standard_deviation", axis), expected,
                                   rtol=1e-5)


def test_maximum_and_minimum_propagate_nan():
    image = np.ones((3, 4, 5), np.float32)
    image[1, 2, 3] = np.nan
    image[0, 0, 0] = 5
    for axis in AXES:
        for reduction in ("maximum", "minimum", "sum"):
            result = project(image, reduction, axis)
            expected = REFERENCES[f"{reduction}_{axis}_projection"](image)
            np.testing.assert_array_equal(np.isnan(result), np.isnan(expected))
            assert np.isnan(result).sum() == 1


@pytest.mark.parametrize("shape", SHAPES_3D, ids=str)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_z_position_of_maximum_equals_argmax(shape, dtype, make_image):
    image = make_image(shape, dtype) // 64 * 64 if dtype != np.float32 else make_image(
        shape, dtype).round(-1)  # many ties: the first maximum counts
    image = image.astype(dtype)
    result = REFERENCES["z_position_of_maximum_z_projection"].assert_operation_close(image)
    assert result.dtype == np.uint32


def test_z_position_of_maximum_takes_the_first_nan():
    image = np.zeros((5, 2, 3), np.float32)
    image[3, 0, 0] = np.nan
    image[4, 0, 0] = 7
    image[1, 1, 1] = np.nan
    image[2, 1, 1] = np.nan
    REFERENCES["z_position_of_maximum_z_projection"].assert_operation_close(image)


@pytest.mark.parametrize("name", [f"{r}_{a}_projection" for r in REDUCTIONS for a in AXES]
                         + ["z_position_of_maximum_z_projection"])
def test_projections_refuse_2d_images(name):
    with pytest.raises(ValueError, match=rf"{name}: parameter 'image' must be a 3D image"):
        getattr(oclip, name)(np.zeros((4, 5), np.float32))
    assert oclip.get_operation(name).category == "Projection"


def test_results_stay_on_the_device_for_device_input(make_image):
    image = make_image((6, 7, 8), np.uint16)
    result = oclip.mean_y_projection(oclip.push(image))
    assert oclip._backend.is_device_array(result)
    REFERENCES["mean_y_projection"].assert_close(result.get(), image)


@settings(max_examples=25, deadline=None)
@given(shape=st.tuples(st.integers(1, 7), st.integers(1, 7), st.integers(1, 7)),
       seed=st.integers(0, 2**32 - 1), dtype=st.sampled_from([np.uint8, np.float32]),
       reduction=st.sampled_from(REDUCTIONS), axis=st.sampled_from(list(AXES)))
def test_small_stacks(shape, seed, dtype, reduction, axis):
    image = (np.random.default_rng(seed).random(shape) * 200).astype(dtype)
    check(project(image, reduction, axis), image, reduction, axis)
    REFERENCES["z_position_of_maximum_z_projection"].assert_operation_close(image)
