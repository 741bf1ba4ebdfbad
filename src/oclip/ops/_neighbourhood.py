"""Shared neighbourhood machinery: separable passes along image axes.

Axes are numbered as OpenCL grid dimensions: 0 = x, 1 = y, 2 = z.  A box
filter is one 1D pass per axis; passes with nothing to do (radius 0, sigma 0)
are skipped.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping

import numpy as np

from .. import _backend as backend

FILTERS = "filters.cl"

_weights_cache: OrderedDict[tuple, backend.DeviceArray] = OrderedDict()
_WEIGHTS_CACHE_SIZE = 64


def per_axis(image: backend.DeviceArray, x: float, y: float, z: float) -> dict[int, float]:
    """Map per-axis parameters to grid axes; ``z`` is ignored for 2D images."""
    values = {0: x, 1: y}
    if image.ndim == 3:
        values[2] = z
    return values


def gaussian_weights(sigma: float, truncate: float = 4.0) -> np.ndarray:
    """Normalised 1D Gaussian of radius ``int(truncate * sigma + 0.5)`` (as scipy)."""
    radius = int(truncate * sigma + 0.5)
    if radius == 0:  # also spares dividing by a sigma**2 that underflows to 0
        return np.ones(1)
    offsets = np.arange(-radius, radius + 1, dtype=np.float64)
    weights = np.exp(-0.5 / sigma**2 * offsets**2)
    return weights / weights.sum()


def box_weights(radius: int) -> np.ndarray:
    """Uniform weights of a window of ``2 * radius + 1``."""
    return np.full(2 * radius + 1, 1.0 / (2 * radius + 1))


def _device_weights(weights: np.ndarray) -> backend.DeviceArray:
    values = np.ascontiguousarray(weights, dtype=np.float32)
    key = (backend.current_device().index, values.tobytes())
    found = _weights_cache.get(key)
    if found is None:
        found = backend.push(values)
        _weights_cache[key] = found
        if len(_weights_cache) > _WEIGHTS_CACHE_SIZE:
            _weights_cache.popitem(last=False)
    else:
        _weights_cache.move_to_end(key)
    return found


def _run_passes(image: backend.DeviceArray, kernel_name: str,
                passes: list[tuple[int, tuple]], out_dtype: np.dtype) -> backend.DeviceArray:
    """Apply ``kernel_name`` along each (axis, extra arguments) pass, ping-ponging buffers.

    The kernel of a pass along axis 0, 1, 2 is ``kernel_name`` + ``_x``, ``_y``, ``_z``.
    """
    out_dtype = np.dtype(out_dtype)
    if not passes:
        return image.astype(out_dtype) if image.dtype != out_dtype else image.copy()
    nx, ny, nz = backend.grid(image.shape)
    source = image
    spare: backend.DeviceArray | None = None
    for axis, extra in passes:
        target = spare if spare is not None else backend.create(image.shape, out_dtype)
        defines = {"T_IN": backend.cl_type_name(source.dtype),
                   "T_OUT": backend.cl_type_name(out_dtype)}
        backend.launch(FILTERS, f"{kernel_name}_{'xyz'[axis]}", (nx, ny, nz), source, target,
                       *extra, nx, ny, nz, defines=defines)
        # The input image is never overwritten; intermediates are reused.
        spare = source if source is not image else None
        source = target
    return source


def convolve_separable(image: backend.DeviceArray,
                       weights: Mapping[int, np.ndarray]) -> backend.DeviceArray:
    """Correlate with one 1D kernel per axis; float32 result.

    Parameters
    ----------
    image : device array
    weights : mapping of axis to 1D weights of odd length
        Axes missing or with a single weight of 1 are skipped.
    """
    passes = []
    for axis, w in sorted(weights.items()):
        if len(w) == 1 and w[0] == 1.0:
            continue
        passes.append((axis, (_device_weights(w), len(w) // 2)))
    return _run_passes(image, "convolve", passes, np.float32)


def extremum_separable(image: backend.DeviceArray, which: str,
                       radii: Mapping[int, int]) -> backend.DeviceArray:
    """Minimum or maximum over a box of ``2 * radius + 1`` per axis; keeps the dtype.

    Parameters
    ----------
    image : device array
    which : {"minimum", "maximum"}
    radii : mapping of axis to radius
    """
    passes = [(axis, (int(r),)) for axis, r in sorted(radii.items()) if r > 0]
    return _run_passes(image, which, passes, image.dtype)
