"""Pixel arithmetic against numpy float32 arithmetic (exact)."""

from __future__ import annotations

import numpy as np
import pytest

import oclip

from .._helpers import DTYPES, SHAPES


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype1", DTYPES, ids=str)
@pytest.mark.parametrize("dtype2", DTYPES, ids=str)
def test_add_images_equals_float32_sum(shape, dtype1, dtype2, make_image):
    image1, image2 = make_image(shape, dtype1), make_image(shape, dtype2)
    result = oclip.add_images(image1, image2)
    assert result.dtype == np.float32
    np.testing.assert_array_equal(result, image1.astype(np.float32) + image2.astype(np.float32))


def test_add_images_refuses_different_shapes():
    with pytest.raises(ValueError, match=r"add_images: image1 and image2 must have the same "
                                         r"shape, got \(3, 4\) and \(4, 3\)"):
        oclip.add_images(np.zeros((3, 4)), np.zeros((4, 3)))


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("scalar", [2.0, -0.37, 0.0])
def test_multiply_image_and_scalar_equals_float32_product(shape, dtype, scalar, make_image):
    image = make_image(shape, dtype)
    result = oclip.multiply_image_and_scalar(image, scalar=scalar)
    assert result.dtype == np.float32
    np.testing.assert_array_equal(result, image.astype(np.float32) * np.float32(scalar))
