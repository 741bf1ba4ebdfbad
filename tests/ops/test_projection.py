"""Projections against numpy."""

from __future__ import annotations

import numpy as np
import pytest

import oclip

from .._helpers import DTYPES


@pytest.mark.parametrize("dtype", [*DTYPES, np.int16], ids=str)
@pytest.mark.parametrize("shape", [(9, 21, 33), (1, 5, 4), (40, 1, 7)])
def test_maximum_z_projection_equals_numpy(dtype, shape, make_image):
    image = make_image(shape, np.uint16).astype(dtype) - (100 if dtype == np.int16 else 0)
    result = oclip.maximum_z_projection(image)
    assert result.dtype == image.dtype
    np.testing.assert_array_equal(result, image.max(axis=0))
