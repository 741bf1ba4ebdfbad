"""Sphere windows with large radii: tables sized by what is used, windows cut to the
image where that changes nothing, and clear refusals of what cannot fit."""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest
import scipy.ndimage as ndi

import oclip
from oclip import _backend as backend
from oclip.ops import _neighbourhood

from .references.windows import ellipsoid

ALL_AXES = (1000, 1000, 1000)


def _rows_of_the_footprint(rx: int, ry: int, rz: int) -> np.ndarray:
    """Row half-widths from the whole footprint, as the table used to be made."""
    rows = ellipsoid(rz, ry, rx).reshape(-1, 2 * rx + 1)
    return np.where(rows.any(axis=1), (rows.sum(axis=1) - 1) // 2, -1)


def test_ellipsoid_tables_are_the_rows_of_the_footprint():
    for rx, ry, rz in [*itertools.product(range(5), repeat=3),
                       (30, 30, 30), (1, 50, 3), (17, 2, 63), (0, 100, 41)]:
        table = _neighbourhood.ellipsoid_widths({0: rx, 1: ry, 2: rz})
        np.testing.assert_array_equal(table, _rows_of_the_footprint(rx, ry, rz),
                                      err_msg=f"radii {rx, ry, rz}")


def test_the_table_of_a_radius_1000_ball_is_made_without_the_footprint():
    # the footprint would be 2001**3 float64 (64 GB); the table is 2001**2 rows
    table = _neighbourhood.ellipsoid_widths(dict(enumerate(ALL_AXES)))
    assert table.shape == (2001 * 2001,)
    assert table[1000 * 2001 + 1000] == 1000 and table[0] == -1


@pytest.mark.parametrize("name", ["mean_sphere", "variance_sphere", "standard_deviation_sphere"])
def test_a_window_table_beyond_the_constant_memory_is_refused_with_names(name):
    image = np.zeros((16, 64, 64), np.float32)
    with pytest.raises(ValueError, match=rf"^{name}: the sphere window of radius_x=1000, "
                                         r"radius_y=1000, radius_z=1000 has 4004001 rows"
                                         r".*constant memory"):
        getattr(oclip, name)(image, radius_x=1000, radius_y=1000, radius_z=1000)


@pytest.mark.parametrize("name", ["median_sphere", "mode_sphere"])
def test_a_rank_window_of_radius_1000_is_refused_by_its_size(name):
    image = np.zeros((16, 64, 64), np.uint16 if name == "median_sphere" else np.uint32)
    with pytest.raises(ValueError, match=rf"^{name}: the window of radius_x=1000.* holds "
                                         r"\d+ pixels, more than the 1024"):
        getattr(oclip, name)(image, radius_x=1000, radius_y=1000, radius_z=1000)


@pytest.mark.parametrize("which", ["minimum", "maximum"])
def test_extrema_over_windows_beyond_the_image_are_exact(which, make_image):
    image = make_image((4, 5, 7), np.uint16)
    radii = {"radius_x": 9, "radius_y": 6, "radius_z": 11}  # each beyond its axis
    expected = getattr(ndi, f"{which}_filter")(image, footprint=ellipsoid(11, 6, 9),
                                               mode="nearest")
    result = getattr(oclip, f"{which}_sphere")(image, **radii)
    np.testing.assert_array_equal(result, expected)


@pytest.mark.parametrize("name", ["minimum_sphere", "maximum_sphere", "opening_sphere",
                                  "binary_dilation_sphere"])
def test_windows_of_radius_1000_are_cut_to_a_small_image(name, make_image):
    image = make_image((3, 4, 6), np.uint8)
    if name.startswith("binary"):
        image = (image > 200).astype(np.uint8)
    result = getattr(oclip, name)(image, radius_x=1000, radius_y=1000, radius_z=1000)
    # every pixel's ball holds the whole image; an opening's maximum then sees
    # only the minimum
    extremum = image.max() if name in ("maximum_sphere", "binary_dilation_sphere") \
        else image.min()
    np.testing.assert_array_equal(result, np.full_like(image, extremum))


def test_windows_of_many_rows_are_not_compiled_per_radius(make_image):
    # a window fixed at compile time is unrolled row by row: its compilation grows
    # steeply with the rows (minutes for a 3D radius of 30); beyond
    # STATIC_WINDOW_ROWS every radius takes one program
    assert _neighbourhood._static_defines({0: 4, 1: 4, 2: 4}) == {}
    image = make_image((9, 21, 33), np.float32)
    reference = ndi.correlate(image.astype(np.float64), ellipsoid(4, 4, 4) / ellipsoid(4, 4, 4)
                              .sum(), mode="nearest")
    np.testing.assert_allclose(oclip.mean_sphere(image, radius_x=4, radius_y=4, radius_z=4),
                               reference, rtol=1e-5, atol=1e-3)
    oclip.maximum_sphere(image, radius_x=4, radius_y=4, radius_z=4)
    builds = backend.stats["builds"]
    oclip.mean_sphere(image, radius_x=5, radius_y=4, radius_z=4)
    oclip.mean_sphere(image, radius_x=6, radius_y=5, radius_z=4)
    oclip.maximum_sphere(image, radius_x=4, radius_y=5, radius_z=4)
    oclip.maximum_sphere(image, radius_x=6, radius_y=6, radius_z=4)
    assert backend.stats["builds"] == builds


def test_mean_sphere_of_radius_30_on_a_small_volume_is_quick(make_image):
    image = make_image((16, 64, 64), np.float32)
    start = time.monotonic()
    result = oclip.mean_sphere(image, radius_x=30, radius_y=30, radius_z=30)
    assert time.monotonic() - start < 20
    # one value by hand: the mean over the ball, the edges replicated
    z, y, x = 8, 32, 32
    offsets = np.argwhere(ellipsoid(30, 30, 30)) - 30
    positions = np.clip(offsets + np.array([z, y, x]), 0, np.array(image.shape) - 1)
    expected = image[tuple(positions.T)].astype(np.float64).mean()
    np.testing.assert_allclose(result[z, y, x], expected, rtol=1e-4)
