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

_tables: OrderedDict[tuple, backend.DeviceArray] = OrderedDict()
_TABLE_CACHE_SIZE = 64


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


def _device_table(values: np.ndarray) -> backend.DeviceArray:
    """A small constant table (weights, widths) on the device, cached by content."""
    values = np.ascontiguousarray(values)
    key = (backend.current_device().index, values.dtype.str, values.tobytes())
    found = _tables.get(key)
    if found is None:
        found = backend.push(values)
        _tables[key] = found
        if len(_tables) > _TABLE_CACHE_SIZE:
            _tables.popitem(last=False)
    else:
        _tables.move_to_end(key)
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
        passes.append((axis, (_device_table(w.astype(np.float32)), len(w) // 2)))
    return _run_passes(image, "convolve", passes, np.float32)


def ellipsoid_footprint(radii: Mapping[int, int]) -> np.ndarray:
    """Boolean footprint of the ellipsoid window of ``radii`` (grid axes 0 = x,
    1 = y, 2 = z), in numpy axis order, as ``neighbourhood.clh`` defines it:
    offsets with ``sum((d / r)**2) <= 1`` over the axes of non-zero radius."""
    axes = sorted(radii, reverse=True)  # numpy order: z, y, x
    grids = np.ogrid[tuple(slice(-radii[a], radii[a] + 1) for a in axes)]
    inside = sum((g.astype(float) / radii[a]) ** 2 for g, a in zip(grids, axes, strict=True)
                 if radii[a] > 0)
    return np.broadcast_to(np.asarray(inside) <= 1, tuple(2 * radii[a] + 1 for a in axes))


def ellipsoid_widths(radii: Mapping[int, int]) -> np.ndarray:
    """Row half-widths of the ellipsoid for ``neighbourhood.clh``: int32, one per
    (dz, dy) row in raster order, -1 for an empty row."""
    footprint = ellipsoid_footprint({axis: radii.get(axis, 0) for axis in (0, 1, 2)})
    rows = footprint.reshape(-1, footprint.shape[-1])
    return np.where(rows.any(axis=1), (rows.sum(axis=1) - 1) // 2, -1).astype(np.int32)


def sphere_arguments(radii: Mapping[int, int]) -> tuple:
    """(widths table, rx, ry, rz): the SPHERE_PARAMETERS of a kernel, before nx, ny, nz."""
    rx, ry, rz = (int(radii.get(axis, 0)) for axis in (0, 1, 2))
    return (_device_table(ellipsoid_widths(radii)), rx, ry, rz)


def sphere_filter(image: backend.DeviceArray, kernel_name: str, radii: Mapping[int, int],
                  out_dtype: np.dtype, *extra: object) -> backend.DeviceArray:
    """Run the ellipsoid-window kernel ``kernel_name`` of filters.cl once.

    The kernel takes (src, dst, *extra, SPHERE_PARAMETERS).
    """
    nx, ny, nz = backend.grid(image.shape)
    out = backend.create(image.shape, out_dtype)
    defines = {"T_IN": backend.cl_type_name(image.dtype),
               "T_OUT": backend.cl_type_name(out_dtype)}
    backend.launch(FILTERS, kernel_name, (nx, ny, nz), image, out, *extra,
                   *sphere_arguments(radii), nx, ny, nz, defines=defines)
    return out


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
