"""Grey opening and closing, binary morphology, against scipy.ndimage."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.ndimage as ndi
from hypothesis import given, settings
from hypothesis import strategies as st

import oclip

from .._helpers import DTYPES, SHAPES
from .references import REFERENCES
from .references.windows import footprint, pad_edge

RADII = [(1, 1, 1), (3, 2, 1), (0, 4, 2)]


# --- grey -----------------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("window", ["box", "sphere"])
@pytest.mark.parametrize("radii", RADII)
def test_opening_and_closing_equal_scipy(shape, dtype, window, radii, make_image):
    image = make_image(shape, dtype)
    rx, ry, rz = radii
    arguments = {"radius_x": rx, "radius_y": ry, "radius_z": rz}
    opened = REFERENCES[f"opening_{window}"].assert_operation_close(image, **arguments)
    closed = REFERENCES[f"closing_{window}"].assert_operation_close(image, **arguments)
    assert opened.dtype == closed.dtype == image.dtype


def test_opening_removes_bright_spots_and_closing_dark_holes():
    image = np.full((15, 16), 10, np.uint8)
    image[3, 3] = 200
    image[10:13, 10:13] = 0
    flat = np.full_like(image, 10)
    np.testing.assert_array_equal(oclip.opening_sphere(image, radius_x=1, radius_y=1),
                                  np.where(image == 0, 0, 10))
    np.testing.assert_array_equal(oclip.closing_box(image, radius_x=2, radius_y=2),
                                  np.where(image == 200, 200, 10))
    np.testing.assert_array_equal(
        oclip.closing_box(oclip.opening_box(image, radius_x=1, radius_y=1),
                          radius_x=2, radius_y=2), flat)


# --- binary ----------------------------------------------------------------------------


def padded_binary(which, binary, fp):
    """The reference (scipy with border_value=1 for erosions) through an explicitly
    edge-padded input (scipy's default border_value=0), cropped back after each step."""
    steps = {"erosion": [ndi.binary_erosion], "dilation": [ndi.binary_dilation],
             "opening": [ndi.binary_erosion, ndi.binary_dilation],
             "closing": [ndi.binary_dilation, ndi.binary_erosion]}[which]
    for step in steps:
        padded, crop = pad_edge(binary, fp)
        binary = step(padded, fp)[crop]
    return binary.astype(np.uint8)


OPERATIONS = ["erosion", "dilation", "opening", "closing"]


def blobs(rng, shape):
    return ndi.gaussian_filter(rng.random(shape), 1.5) > 0.5


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("which", OPERATIONS)
@pytest.mark.parametrize("window", ["box", "sphere"])
@pytest.mark.parametrize("radii", RADII)
def test_binary_morphology_equals_scipy_with_replicated_borders(shape, which, window, radii,
                                                                rng):
    binary = blobs(rng, shape)
    rx, ry, rz = radii
    arguments = {"radius_x": rx, "radius_y": ry, "radius_z": rz}
    reference = REFERENCES[f"binary_{which}_{window}"]
    result = reference.assert_operation_close(binary, **arguments)
    assert result.dtype == np.uint8 and set(np.unique(result)) <= {0, 1}
    np.testing.assert_array_equal(reference(binary, **arguments),
                                  padded_binary(which, binary, footprint(binary, window, rx, ry,
                                                                         rz)))


def test_replicated_borders_differ_from_scipy_defaults_as_stated(rng):
    binary = np.ones((12, 14), bool)
    binary[5:7, 5:7] = False
    eroded = oclip.binary_erosion_box(binary)
    # an object filling the image is not eroded from the border...
    assert eroded[0].all() and eroded[:, 0].all()
    # ...where scipy's default border_value=0 would
    assert not ndi.binary_erosion(binary, np.ones((3, 3)))[0].any()
    np.testing.assert_array_equal(eroded, ndi.binary_erosion(binary, np.ones((3, 3)),
                                                             border_value=1))


@pytest.mark.parametrize("dtype", [bool, np.uint8, np.uint16, np.float32], ids=str)
def test_any_nonzero_is_foreground(dtype, rng):
    binary = blobs(rng, (9, 21, 33))
    image = (binary * 255).astype(dtype) if dtype is not bool else binary
    for which in OPERATIONS:
        for window in ("box", "sphere"):
            REFERENCES[f"binary_{which}_{window}"].assert_operation_close(
                image, radius_x=2, radius_y=1, radius_z=1)
    # radius 0 still gives 0/1
    np.testing.assert_array_equal(
        oclip.binary_dilation_box(image, radius_x=0, radius_y=0, radius_z=0), binary)
    np.testing.assert_array_equal(
        oclip.binary_erosion_sphere(image, radius_x=0, radius_y=0, radius_z=0), binary)


small_shapes = st.one_of(
    st.tuples(st.integers(1, 9), st.integers(1, 9)),
    st.tuples(st.integers(1, 6), st.integers(1, 7), st.integers(1, 8)),
)


@settings(max_examples=25, deadline=None)
@given(shape=small_shapes, radius=st.integers(0, 3), which=st.sampled_from(OPERATIONS),
       window=st.sampled_from(["box", "sphere"]), seed=st.integers(0, 2**16))
def test_binary_and_grey_morphology_on_small_and_one_pixel_axes(shape, radius, which, window,
                                                                seed):
    rng = np.random.default_rng(seed)
    binary = rng.random(shape) < 0.6
    arguments = {"radius_x": radius, "radius_y": radius, "radius_z": radius}
    REFERENCES[f"binary_{which}_{window}"].assert_operation_close(binary, **arguments)
    if which in ("opening", "closing"):
        image = rng.integers(0, 4096, shape).astype(np.uint16)
        REFERENCES[f"{which}_{window}"].assert_operation_close(image, **arguments)
