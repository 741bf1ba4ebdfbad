"""Constants and helpers shared by the tests."""

from __future__ import annotations

import numpy as np

#: Odd-sized 2D and 3D shapes: no size is a multiple of a work-group size.
SHAPES = [(37, 53), (9, 21, 33)]
#: The dtypes every operation supports as input.
DTYPES = [np.uint8, np.uint16, np.float32]


def random_image(rng: np.random.Generator, shape: tuple[int, ...], dtype: type) -> np.ndarray:
    """Random intensities spread over a dtype-typical range (8-bit, 12-bit camera, float)."""
    if np.dtype(dtype) == np.uint8:
        return rng.integers(0, 256, shape).astype(np.uint8)
    if np.dtype(dtype) == np.uint16:
        return rng.integers(0, 4096, shape).astype(np.uint16)
    return (rng.normal(100.0, 30.0, shape)).astype(dtype)
