"""Reference helpers for the neighbourhood tests: footprints and window values."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

# float32 accumulation against scipy's float64: relative error of a few ulp
# per tap, stated against the image's magnitude.
SMOOTHING_RTOL = 1e-5


def assert_smoothing_close(result, expected, image, rtol=SMOOTHING_RTOL):
    assert result.dtype == np.float32 and result.shape == image.shape
    np.testing.assert_allclose(result, expected, rtol=rtol,
                               atol=rtol * float(np.abs(image).max() or 1))


def numpy_order(image, x, y, z):
    """Per-axis values in numpy axis order."""
    return (z, y, x) if image.ndim == 3 else (y, x)


def ellipsoid(rz: int, ry: int, rx: int) -> np.ndarray:
    """The ellipsoid footprint written out: offsets with sum((d/r)^2) <= 1."""
    footprint = np.zeros((2 * rz + 1, 2 * ry + 1, 2 * rx + 1), bool)
    for dz, dy, dx in np.ndindex(footprint.shape):
        offsets = (dz - rz, dy - ry, dx - rx)
        radii = (rz, ry, rx)
        if all(d == 0 for d, r in zip(offsets, radii, strict=True) if r == 0):
            footprint[dz, dy, dx] = sum((d / r) ** 2 for d, r in
                                        zip(offsets, radii, strict=True) if r > 0) <= 1
    return footprint


def footprint(image, window, rx, ry, rz=0) -> np.ndarray:
    """The "box" or "sphere" window of the radii for an image of image.ndim axes."""
    rz = rz if image.ndim == 3 else 0
    if window == "box":
        shape = (2 * rz + 1, 2 * ry + 1, 2 * rx + 1)
        full = np.ones(shape, bool)
    else:
        full = ellipsoid(rz, ry, rx)
    return full if image.ndim == 3 else full[0]


def window_values(image, fp) -> np.ndarray:
    """The values under the footprint around every pixel, the edge replicated:
    float64 array of shape image.shape + (number of footprint pixels,)."""
    pad = [(n // 2, n // 2) for n in fp.shape]
    padded = np.pad(image.astype(np.float64), pad, mode="edge")
    windows = sliding_window_view(padded, fp.shape)
    return windows[..., fp]


def pad_edge(image, fp):
    """The image padded by the footprint's radii with its edge values, and the
    slices that crop it back."""
    pad = [(n // 2, n // 2) for n in fp.shape]
    crop = tuple(slice(n // 2, n // 2 + s) for n, s in zip(fp.shape, image.shape, strict=True))
    return np.pad(image, pad, mode="edge"), crop
