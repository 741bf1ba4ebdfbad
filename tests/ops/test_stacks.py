"""Stacks and slices against numpy, within the tolerances references/stacks.py states."""

from __future__ import annotations

import numpy as np
import pytest

import oclip

from .._helpers import DTYPES, SHAPES
from .references import REFERENCES

PAIRS = [(np.uint8, np.uint8), (np.uint8, np.uint16), (np.uint16, np.float32),
         (np.float32, np.float32)]


@pytest.mark.parametrize("dtypes", PAIRS, ids=str)
@pytest.mark.parametrize(("shape", "axis", "other"), [
    ((9, 21, 33), "z", (4, 21, 33)), ((9, 21, 33), "y", (9, 5, 33)),
    ((9, 21, 33), "x", (9, 21, 2)), ((37, 53), "y", (3, 53)), ((37, 53), "x", (37, 8))])
def test_concatenate_stacks_equals_numpy_concatenate(shape, axis, other, dtypes, make_image):
    first, second = make_image(shape, dtypes[0]), make_image(other, dtypes[1])
    result = REFERENCES["concatenate_stacks"].assert_operation_close(first, second, axis=axis)
    assert result.dtype == np.result_type(*dtypes)


def test_2d_images_concatenate_along_z_as_stacks_of_one_plane(make_image):
    plane, stack = make_image((21, 33), np.uint8), make_image((4, 21, 33), np.uint16)
    result = REFERENCES["concatenate_stacks"].assert_operation_close(plane, stack, axis="z")
    assert result.shape == (5, 21, 33)
    assert oclip.concatenate_stacks(plane, plane).shape == (2, 21, 33)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtypes", PAIRS, ids=str)
def test_combine_side_by_side_equals_numpy_concatenate(shape, dtypes, make_image):
    first = make_image(shape, dtypes[0])
    wide = make_image((*shape[:-1], 7), dtypes[1])
    high = make_image((*shape[:-2], 4, shape[-1]), dtypes[1])
    REFERENCES["combine_horizontally"].assert_operation_close(first, wide)
    REFERENCES["combine_vertically"].assert_operation_close(first, high)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtypes", PAIRS, ids=str)
@pytest.mark.parametrize("position", [(0, 0, 0), (2, 5, 7), (-1, -3, 30), (8, 20, -5)],
                         ids=str)
def test_paste_equals_assigning_into_a_copy(shape, dtypes, position, make_image):
    destination = make_image(shape, dtypes[0])
    image = make_image(tuple(max(1, n // 3) for n in shape), dtypes[1])
    z, y, x = position
    result = REFERENCES["paste"].assert_operation_close(
        image, destination, destination_x=x, destination_y=y, destination_z=z)
    assert result.shape == destination.shape


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_copy_slice_out_of_and_into_a_stack(dtype, make_image):
    stack = make_image((9, 21, 33), dtype)
    plane = REFERENCES["copy_slice"].assert_operation_close(stack, slice_index=4)
    assert plane.shape == (21, 33)
    other = make_image((21, 33), dtype)
    result = REFERENCES["copy_slice_into_stack"].assert_operation_close(stack, other,
                                                                        slice_index=8)
    np.testing.assert_array_equal(oclip.copy_slice(result, slice_index=8), other)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("border", [0, 1, 4])
def test_crop_border_equals_slicing(shape, dtype, border, make_image):
    REFERENCES["crop_border"].assert_operation_close(make_image(shape, dtype),
                                                     border_size=border)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_half_median_equals_numpy_median_of_2x2_blocks(shape, dtype, make_image):
    result = REFERENCES["downsample_slice_by_slice_half_median"].assert_operation_close(
        make_image(shape, dtype))
    assert result.shape == (*shape[:-2], shape[-2] // 2, shape[-1] // 2)


def test_half_median_is_the_mean_of_the_two_middle_values():
    block = np.array([[[7, 1], [100, 3]], [[5, 5], [5, 9]]], np.uint16)
    np.testing.assert_array_equal(oclip.downsample_slice_by_slice_half_median(block)[:, 0, 0],
                                  [5.0, 5.0])


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtypes", PAIRS, ids=str)
@pytest.mark.parametrize("overlap", [0, 1, 6])
def test_stitching_blends_the_overlap_linearly(shape, dtypes, overlap, make_image):
    first = make_image(shape, dtypes[0])
    right = make_image((*shape[:-1], 9), dtypes[1])
    below = make_image((*shape[:-2], 7, shape[-1]), dtypes[1])
    result = REFERENCES["stitch_horizontally"].assert_operation_close(first, right,
                                                                     overlap=overlap)
    assert result.shape[-1] == shape[-1] + 9 - overlap
    result = REFERENCES["stitch_vertically"].assert_operation_close(first, below,
                                                                   overlap=overlap)
    assert result.shape[-2] == shape[-2] + 7 - overlap


def test_stitching_two_views_of_one_ramp_gives_the_ramp():
    ramp = np.tile(np.arange(20, dtype=np.float32) * 3, (4, 1))
    np.testing.assert_allclose(oclip.stitch_horizontally(ramp[:, :12], ramp[:, 7:],
                                                         overlap=5), ramp, rtol=1e-6)


@pytest.mark.parametrize(("call", "message"), [
    (lambda: oclip.concatenate_stacks(np.ones((2, 3, 4)), np.ones((2, 3, 5))),
     "concatenate_stacks: parameter 'image2' must have the size of 'image1' along x"),
    (lambda: oclip.concatenate_stacks(np.ones((3, 4)), np.ones((3, 4, 4)), axis="y"),
     "concatenate_stacks: parameter 'image2' must have as many dimensions"),
    (lambda: oclip.combine_horizontally(np.ones((3, 4)), np.ones((2, 3, 4))),
     "combine_horizontally: parameter 'image2' must have as many dimensions"),
    (lambda: oclip.combine_vertically(np.ones((3, 4)), np.ones((3, 5))),
     "combine_vertically: parameter 'image2' must have the size of 'image1' along x"),
    (lambda: oclip.paste(np.ones((3, 4)), np.ones((2, 3, 4))),
     "paste: parameter 'destination' must have as many dimensions"),
    (lambda: oclip.copy_slice(np.ones((3, 4, 5)), slice_index=3),
     "copy_slice: parameter 'slice_index'"),
    (lambda: oclip.copy_slice(np.ones((4, 5))), "copy_slice: parameter 'image'"),
    (lambda: oclip.copy_slice_into_stack(np.ones((3, 4, 5)), np.ones((4, 6))),
     "copy_slice_into_stack: parameter 'plane'"),
    (lambda: oclip.copy_slice_into_stack(np.ones((4, 5)), np.ones((4, 5)), slice_index=1),
     "copy_slice_into_stack: parameter 'slice_index' \\(1\\) must lie in the stack of 1"),
    (lambda: oclip.crop_border(np.ones((3, 40, 50)), border_size=2),
     "crop_border: parameter 'border_size' \\(2\\) leaves no pixel of the 3 along z"),
    (lambda: oclip.downsample_slice_by_slice_half_median(np.ones((1, 8))),
     "downsample_slice_by_slice_half_median: parameter 'image'"),
    (lambda: oclip.stitch_horizontally(np.ones((3, 4)), np.ones((3, 8)), overlap=5),
     "stitch_horizontally: parameter 'overlap'"),
    (lambda: oclip.stitch_vertically(np.ones((3, 4)), np.ones((3, 5)), overlap=1),
     "stitch_vertically: parameter 'image2' must have the size of 'image1' along x"),
])
def test_bad_inputs_are_refused_naming_the_parameter(call, message):
    with pytest.raises(ValueError, match=f"^{message}"):
        call()
