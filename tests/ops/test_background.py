"""Background removal against scipy.ndimage."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.ndimage as ndi

import oclip

from .._helpers import DTYPES, SHAPES


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("radii", [(2, 2, 1), (5, 1, 0)])
def test_top_hat_box_equals_scipy_white_tophat(shape, dtype, radii, make_image):
    image = make_image(shape, dtype)
    rx, ry, rz = radii
    result = oclip.top_hat_box(image, radius_x=rx, radius_y=ry, radius_z=rz)
    size = [2 * r + 1 for r in ((rz, ry, rx) if image.ndim == 3 else (ry, rx))]
    assert result.dtype == image.dtype
    np.testing.assert_array_equal(result, ndi.white_tophat(image, size=size, mode="nearest"))


def test_top_hat_keeps_small_spots_and_removes_a_ramp():
    ramp = np.tile(np.arange(40, dtype=np.float32), (30, 1))
    spotted = ramp.copy()
    spotted[10, 10] += 50
    result = oclip.top_hat_box(spotted, radius_x=3, radius_y=3)
    assert result[10, 10] >= 50
    result[10, 10] = 0
    # a linear ramp minus its opening leaves at most the ramp's rise over a window
    assert result.max() <= 6
