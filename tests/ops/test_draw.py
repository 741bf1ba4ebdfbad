"""Ramps, borders and drawn shapes against numpy (tests/ops/references/draw.py)."""

from __future__ import annotations

import numpy as np
import pytest

import oclip

from .._helpers import DTYPES, SHAPES
from .references import REFERENCES

SHAPES_SMALL = [(6, 9), (4, 5, 7)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("axis", "xyz")
def test_ramps_hold_the_coordinate(shape, axis):
    image = np.zeros(shape, np.uint16)
    result = REFERENCES[f"ramp_{axis}"].assert_operation_close(image)
    assert result.dtype == np.float32
    if axis == "x":
        np.testing.assert_array_equal(result[..., -1], shape[-1] - 1)


@pytest.mark.parametrize("shape", SHAPES_SMALL)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_set_border_equals_numpy_and_leaves_the_input_alone(shape, dtype, make_image):
    image = make_image(shape, dtype)
    before = image.copy()
    result = REFERENCES["set_border"].assert_operation_close(image, value=3, width=2)
    np.testing.assert_array_equal(image, before)
    inner = (slice(2, -2),) * len(shape)
    np.testing.assert_array_equal(result[inner], image[inner])
    assert (result[0] == 3).all() and (result[..., -2] == 3).all()


def test_values_are_rounded_and_clipped_to_the_dtype():
    image = np.zeros((3, 3), np.uint8)
    assert oclip.set_border(image, value=300)[0, 0] == 255
    assert oclip.set_border(image, value=-4)[0, 0] == 0
    assert oclip.draw_box(image, size_x=3, size_y=3, value=2.5)[1, 1] == 2  # half to even
    assert oclip.draw_box(image.astype(np.float32), size_x=3, size_y=3, value=2.5)[1, 1] == 2.5


@pytest.mark.parametrize("shape", SHAPES_SMALL)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_draw_box_equals_numpy_slicing(shape, dtype, make_image):
    image = make_image(shape, dtype)
    result = REFERENCES["draw_box"].assert_operation_close(
        image, start_x=-2, start_y=1, start_z=2, size_x=4, size_y=3, size_z=5, value=17)
    expected = image.copy()
    expected[..., 1:4, 0:2] = 17
    if len(shape) == 3:
        expected = image.copy()
        expected[2:, 1:4, 0:2] = 17
    np.testing.assert_array_equal(result, expected)


def test_a_sphere_of_radius_2_is_the_disk_of_skimage():
    import skimage.morphology
    disk = oclip.draw_sphere(np.zeros((5, 5), np.uint8), centre_x=2, centre_y=2,
                             radius_x=2, radius_y=2)
    np.testing.assert_array_equal(disk, skimage.morphology.disk(2))
    ball = oclip.draw_sphere(np.zeros((7, 7, 7), np.uint8), centre_x=3, centre_y=3,
                             centre_z=3, radius_x=3, radius_y=3, radius_z=3)
    np.testing.assert_array_equal(ball, skimage.morphology.ball(3))


@pytest.mark.parametrize("shape", SHAPES_SMALL)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_draw_sphere_and_line_equal_numpy(shape, dtype, make_image):
    image = make_image(shape, dtype)
    REFERENCES["draw_sphere"].assert_operation_close(
        image, centre_x=3.3, centre_y=2.5, centre_z=1.7, radius_x=2.6, radius_y=1.5,
        radius_z=2.0, value=7)
    REFERENCES["draw_line"].assert_operation_close(
        image, start_x=-1.0, start_y=0.5, start_z=0.0, end_x=8.0, end_y=4.2, end_z=3.0,
        thickness=1.5, value=9)


def test_a_diagonal_of_thickness_1_is_the_diagonal_and_0_keeps_the_pixels_on_a_row():
    line = oclip.draw_line(np.zeros((4, 4), np.uint8), start_x=0, start_y=0, end_x=3,
                           end_y=3, thickness=1)
    np.testing.assert_array_equal(line, np.eye(4, dtype=np.uint8))
    row = oclip.draw_line(np.zeros((3, 4), np.uint8), start_x=1, start_y=1, end_x=2,
                          end_y=1, thickness=0)
    np.testing.assert_array_equal(row, [[0, 0, 0, 0], [0, 1, 1, 0], [0, 0, 0, 0]])


@pytest.mark.parametrize(("name", "arguments", "parameter"), [
    ("set_border", {"width": -1}, "width"),
    ("draw_box", {"size_x": -1}, "size_x"),
    ("draw_sphere", {"radius_y": -0.5}, "radius_y"),
    ("draw_line", {"thickness": -1.0}, "thickness"),
])
def test_bad_parameters_are_refused_by_name(name, arguments, parameter):
    with pytest.raises(ValueError, match=f"{name}: parameter '{parameter}'"):
        oclip.operations()[name].function(np.zeros((3, 3), np.uint8), **arguments)
