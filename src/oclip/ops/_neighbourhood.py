"""Shared neighbourhood machinery: separable passes, window tables, rank filters.

Axes are numbered as OpenCL grid dimensions: 0 = x, 1 = y, 2 = z.

* Box windows that separate (sums, minimum, maximum, variance) are one 1D pass
  per axis; passes with nothing to do (radius 0, sigma 0) are skipped.
* Other windows are a table of row half-widths (``ellipsoid_widths`` for the
  "sphere", ``box_widths``), read by the kernels through ``ELLIPSOID_LOOP``
  (``sphere_arguments``, ``sphere_filter``), or built into the kernel at
  compile time (``static_window_defines``: one compilation per window,
  faster on CPUs, for windows of at most ``STATIC_WINDOW_ROWS`` rows, whose
  compilation stays short).  Minimum, maximum and mean over larger ellipsoids
  go through row segments: the extremum or sum of every x-segment width once,
  then one value per window row.  Tables are made row by row (never the
  whole footprint), minimum and maximum windows are cut to the image
  (``truncated``), and a table beyond the device's constant memory is refused
  with the operation and its radii (``check_window_table``).
* The kernels of ``filters.cl`` (and ``derivatives.cl``) handle ``VEC`` pixels
  along x per work-item (``VECTOR_FRAME`` in ``neighbourhood.clh``): 16 on CPU
  devices, 1 on GPUs (``vector_width``); launched on ``vector_grid``.  Built
  without ``VEC`` they take one pixel per work-item.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Mapping
from typing import TypeVar, cast

import numpy as np

from .. import _backend as backend
from .._errors import format_bytes

FILTERS = backend.Program("oclip.ops", "filters.cl")

#: An int (radii) or a float (sigmas); per_axis keeps which.
_Number = TypeVar("_Number", int, float)

_tables: OrderedDict[tuple, backend.DeviceArray] = OrderedDict()
_TABLE_CACHE_SIZE = 64


def per_axis(image: backend.DeviceArray, x: _Number, y: _Number, z: _Number
             ) -> dict[int, _Number]:
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


#: Pixels along x per work-item of the kernels written with VECTOR_FRAME
#: (neighbourhood.clh) on CPU devices: explicit vectors, which CPU drivers run
#: several times faster.  GPUs take one pixel per work-item (neighbouring work-items
#: then read neighbouring addresses).
CPU_VECTOR_WIDTH = 16


def vector_width() -> int:
    """Pixels along x per work-item of VECTOR_FRAME kernels on the current device."""
    return CPU_VECTOR_WIDTH if backend.current_device().type == "CPU" else 1


def vector_grid(shape: tuple[int, ...]) -> tuple[int, int, int]:
    """Global size of a VECTOR_FRAME kernel (built with ``VEC = vector_width()``)."""
    nx, ny, nz = backend.grid(shape)
    return (-(-nx // vector_width()), ny, nz)


#: Outputs along the axis per work-item of a blocked pass along y or z (BLOCKED_PASS
#: of neighbourhood.clh), on GPUs.
GPU_PASS_BLOCK = 16
#: The radius bounds a blocked pass is built for (RMAX): a pass takes the smallest
#: that holds its radius (one build each, a pass of a larger radius is not blocked).
#: Work follows the bound, not the radius: tiers keep the waste small.
GPU_PASS_RADIUS_TIERS = (2, 4, 8, 16)


def blocked_passes() -> bool:
    """Whether passes along y and z take BLOCKED_PASS (GPUs, one pixel per work-item
    along x); CPUs run PASS_FRAME's vectors along x."""
    return backend.current_device().type == "GPU" and vector_width() == 1


def _launch_pass(kernel: str, shape: tuple[int, ...], source: backend.DeviceArray,
                 target: backend.DeviceArray, *extra: object,
                 defines: Mapping[str, object] | None = None, blocked: bool = False) -> None:
    """Launch the VECTOR_FRAME kernel ``kernel(source, target, *extra, nx, ny, nz)`` of
    filters.cl over an image of ``shape``; T_IN and T_OUT are the element types of
    the buffers.  ``blocked``: the kernel is a pass (its last extra argument the
    radius) whose y and z versions take BLOCKED_PASS on GPUs (convolutions and
    extrema)."""
    all_defines = {"T_IN": backend.cl_type_name(source.dtype),
                   "T_OUT": backend.cl_type_name(target.dtype), "VEC": vector_width(),
                   **(defines or {})}
    global_size = vector_grid(shape)
    along = {"_y": 1, "_z": 2}.get(kernel[-2:])
    radius = int(cast("int", extra[-1])) if blocked else 0  # a pass's last argument
    bound = next((tier for tier in GPU_PASS_RADIUS_TIERS if tier >= radius), None)
    if blocked and along is not None and bound is not None and blocked_passes():
        all_defines.update(BLOCK=GPU_PASS_BLOCK, RMAX=bound)
        sizes = list(global_size)
        sizes[along] = -(-sizes[along] // GPU_PASS_BLOCK)
        global_size = (sizes[0], sizes[1], sizes[2])
    FILTERS.launch(kernel, global_size, source, target, *extra,
                   *backend.grid(shape), defines=all_defines,
                   local_size=pass_local_size(kernel, global_size))


def _power_of_two_dividing(length: int, most: int) -> int:
    """The largest power of two that divides ``length``, at most ``most``."""
    return min(length & -length, most)


def pass_local_size(kernel: str, global_size: tuple[int, int, int]
                    ) -> tuple[int, int, int] | None:
    """Work-group shape of ``kernel``, a separable pass along an axis if its name ends in
    ``_y`` or ``_z``; None: the driver's choice.

    On GPUs a work-group of 32 pixels along x and 8 along the pass's axis reads each
    window row once into the cache for 8 pixels; NVIDIA's own choice for a pass along
    z of a large volume (a long row along x) is much slower (see
    benchmarks/results/compare-h100.md).  CPU drivers run a work-group's items one
    after another, and passes along x read along the row anyway: the driver's choice
    for those.
    """
    along = {"_y": 1, "_z": 2}.get(kernel[-2:])
    if along is None or backend.current_device().type != "GPU":
        return None
    width = _power_of_two_dividing(global_size[0], 32)
    depth = _power_of_two_dividing(global_size[along], 8)
    if width * depth < 32:
        return None
    size = [width, 1, 1]
    size[along] = depth
    return (size[0], size[1], size[2])


def _run_passes(image: backend.DeviceArray, kernel_name: str,
                passes: list[tuple[int, tuple]], out_dtype: np.dtype | type,
                first_defines: Mapping[str, object] | None = None) -> backend.DeviceArray:
    """Apply ``kernel_name`` along each (axis, extra arguments) pass, ping-ponging buffers.

    The kernel of a pass along axis 0, 1, 2 is ``kernel_name`` + ``_x``, ``_y``, ``_z``;
    ``first_defines`` are added to the first pass's build options.
    """
    out_dtype = np.dtype(out_dtype)
    if not passes:
        return image.astype(out_dtype) if image.dtype != out_dtype else image.copy()
    source = image
    spare: backend.DeviceArray | None = None
    for number, (axis, extra) in enumerate(passes):
        target = spare if spare is not None else backend.create(image.shape, out_dtype)
        _launch_pass(f"{kernel_name}_{'xyz'[axis]}", image.shape, source, target, *extra,
                     defines=first_defines if number == 0 else None, blocked=True)
        # The input image is never overwritten; intermediates are reused.
        spare = source if source is not image else None
        source = target
    return source


#: How the last pass of :func:`convolve_separable` may combine its sum s with
#: another image a: ``"subtract"`` a - s, ``"divide"`` a / s (0 where s is 0),
#: ``"centre_minus_sum"`` centre * a - s.
FINISHES = ("subtract", "divide", "centre_minus_sum")
#: How the last pass of :func:`extremum_separable` may combine its result m with
#: another image a of the same type: ``"subtract"`` a - m, ``"result_minus"`` m - a.
EXTREMUM_FINISHES = ("subtract", "result_minus")


def convolve_separable(image: backend.DeviceArray, weights: Mapping[int, np.ndarray], *,
                       finish: str | None = None, other: backend.DeviceArray | None = None,
                       centre: float = 1.0) -> backend.DeviceArray:
    """Correlate with one 1D kernel per axis; float32 result.

    Parameters
    ----------
    image : device array
    weights : mapping of axis to 1D weights of odd length
        Axes missing or with a single weight of 1 are skipped.
    finish : {"subtract", "divide", "centre_minus_sum"}, optional
        Combine the correlation with ``other`` in its last pass (see
        :data:`FINISHES`), saving a pass over the image.
    other : device array, optional
        The image of the same shape that ``finish`` combines; ``image`` by default.
    centre : float
        The factor of ``"centre_minus_sum"``.
    """
    passes = []
    for axis, w in sorted(weights.items()):
        if len(w) == 1 and w[0] == 1.0:
            continue
        passes.append((axis, (_device_table(w.astype(np.float32)), len(w) // 2)))
    if finish is None:
        return _run_passes(image, "convolve", passes, np.float32)
    if finish not in FINISHES:
        raise ValueError(f"finish: one of {FINISHES}, got {finish!r}")
    other = image if other is None else other
    if not passes:  # the identity, as one pass that can finish
        passes = [(0, (_device_table(np.ones(1, np.float32)), 0))]
    *first, (axis, (table, radius)) = passes
    summed = _run_passes(image, "convolve", first, np.float32) if first else image
    out = backend.create(image.shape, np.float32)
    defines = {f"FINISH_{finish.upper()}": 1, "T_OTHER": backend.cl_type_name(other.dtype),
               "CENTRE": f"{float(centre)!r}f"}
    _launch_pass(f"convolve_finish_{'xyz'[axis]}", image.shape, summed, out, table, other,
                 radius, defines=defines, blocked=True)
    return out


def ellipsoid_footprint(radii: Mapping[int, int]) -> np.ndarray:
    """Boolean footprint of the ellipsoid window of ``radii`` (grid axes 0 = x,
    1 = y, 2 = z), in numpy axis order, as ``neighbourhood.clh`` defines it:
    offsets with ``sum((d / r)**2) <= 1`` over the axes of non-zero radius."""
    axes = sorted(radii, reverse=True)  # numpy order: z, y, x
    grids = np.ogrid[tuple(slice(-radii[a], radii[a] + 1) for a in axes)]
    inside = sum((g.astype(float) / radii[a]) ** 2 for g, a in zip(grids, axes, strict=True)
                 if radii[a] > 0)
    return np.broadcast_to(np.asarray(inside) <= 1, tuple(2 * radii[a] + 1 for a in axes))


def _squared_offsets(radius: int) -> np.ndarray:
    """``(d / radius)**2`` for d = -radius .. radius as ``ellipsoid_footprint`` computes
    it (float64); zeros for radius 0, whose axis the footprint leaves out."""
    offsets = np.arange(-radius, radius + 1).astype(float)
    return (offsets / radius) ** 2 if radius > 0 else np.zeros(1)


@functools.lru_cache(maxsize=64)
def _ellipsoid_widths(rx: int, ry: int, rz: int, kx: int, ky: int, kz: int) -> np.ndarray:
    # Row by row, never the whole footprint (whose (2r+1)**3 floats need not fit
    # memory): the same sums as ellipsoid_footprint, in its order z, y, x
    # (adding an axis of radius 0 as 0.0 changes no sum).  Only the rows with
    # |dy| <= ky and |dz| <= kz, no half-width beyond kx.
    rows = (_squared_offsets(rz)[rz - kz:rz + kz + 1, None]
            + _squared_offsets(ry)[None, ry - ky:ry + ky + 1]).ravel()
    along_x = _squared_offsets(rx)[rx:]  # dx = 0 .. rx, increasing
    # count[i]: the dx >= 0 of row i inside, i.e. with rows[i] + along_x[dx] <= 1;
    # sums grow with dx, so a search and a correction of its rounding find it
    count = np.searchsorted(along_x, 1.0 - rows, side="right")
    while True:
        grow = count < along_x.size
        grow[grow] = rows[grow] + along_x[count[grow]] <= 1
        shrink = count > 0
        shrink[shrink] = rows[shrink] + along_x[count[shrink] - 1] > 1
        if not (grow.any() or shrink.any()):
            break
        count = count + grow - shrink
    widths = np.minimum(count - 1, kx).astype(np.int32)
    widths.flags.writeable = False
    return widths


def _radii_xyz(radii: Mapping[int, int]) -> tuple[int, int, int]:
    rx, ry, rz = (int(radii.get(axis, 0)) for axis in (0, 1, 2))
    return rx, ry, rz


def truncated(radii: Mapping[int, int], within: tuple[int, int, int] | None
              ) -> tuple[int, int, int]:
    """The radii (x, y, z) cut to what an image of grid lengths ``within`` reaches:
    ``length - 1`` at most.  With borders replicated, an offset beyond reads the
    edge pixel that a smaller offset of the window reads too, so minimum and
    maximum (not sums or ranks, which count pixels) stay the same."""
    radii_xyz = _radii_xyz(radii)
    if within is None:
        return radii_xyz
    rx, ry, rz = (min(r, max(n - 1, 0)) for r, n in zip(radii_xyz, within, strict=True))
    return rx, ry, rz


def ellipsoid_widths(radii: Mapping[int, int],
                     within: tuple[int, int, int] | None = None) -> np.ndarray:
    """Row half-widths of the ellipsoid for ``neighbourhood.clh``: int32, one per
    (dz, dy) row in raster order, -1 for an empty row (the rows of
    :func:`ellipsoid_footprint`, computed without it: read-only, cached).

    ``within``: the grid lengths (nx, ny, nz) of an image; the table is then
    :func:`truncated` to it (for minimum and maximum only), its radii are the
    truncated ones.
    """
    return _ellipsoid_widths(*_radii_xyz(radii), *truncated(radii, within))


def box_widths(radii: Mapping[int, int]) -> np.ndarray:
    """Row half-widths of a box window (every row ``rx`` wide), the table format of
    :func:`ellipsoid_widths`: kernels that loop over a window table take boxes too."""
    rx, ry, rz = _radii_xyz(radii)
    return np.full((2 * rz + 1) * (2 * ry + 1), rx, np.int32)


#: The window shapes of :func:`window_arguments`.
WINDOWS = ("box", "sphere")


def window_widths(radii: Mapping[int, int], window: str,
                  within: tuple[int, int, int] | None = None) -> np.ndarray:
    """Row half-widths of a ``"box"`` or ``"sphere"`` window (see :data:`WINDOWS`),
    :func:`truncated` to ``within`` where given."""
    if window not in WINDOWS:
        raise ValueError(f"window: one of {WINDOWS}, got {window!r}")
    if window == "box":
        return box_widths(dict(enumerate(truncated(radii, within))))
    return ellipsoid_widths(radii, within)


def window_size(radii: Mapping[int, int], window: str = "sphere") -> int:
    """Number of pixels of a ``"box"`` or ``"sphere"`` window."""
    widths = window_widths(radii, window)
    return int(np.sum(2 * widths[widths >= 0] + 1, dtype=np.int64))


def window_rows(radii: Mapping[int, int], within: tuple[int, int, int] | None = None) -> int:
    """Rows (entries) of the window table of ``radii`` (truncated to ``within``)."""
    _, ry, rz = truncated(radii, within)
    return (2 * ry + 1) * (2 * rz + 1)


def _given(radii: Mapping[int, int]) -> str:
    return ", ".join(f"radius_{'xyz'[a]}={int(r)}" for a, r in sorted(radii.items()))


def check_window_table(radii: Mapping[int, int], window: str = "sphere",
                       within: tuple[int, int, int] | None = None,
                       operation: str | None = None) -> None:
    """Raise ValueError, naming the operation and its radii, if the window table
    does not fit the constant memory the device gives a kernel."""
    rows = window_rows(radii, within)
    device = backend.current_device()
    if rows * 4 > device.max_constant_buffer:
        raise ValueError(
            f"{operation or 'this operation'}: the {window} window of {_given(radii)} "
            f"has {rows} rows, whose table needs {format_bytes(rows * 4)}, more than the "
            f"{format_bytes(device.max_constant_buffer)} of constant memory "
            f"'{device.name}' gives a kernel; choose a smaller radius_y or radius_z")


def sphere_arguments(radii: Mapping[int, int], window: str = "sphere",
                     within: tuple[int, int, int] | None = None,
                     operation: str | None = None) -> tuple:
    """(widths table, rx, ry, rz): the SPHERE_PARAMETERS of a kernel, before nx, ny, nz.

    ``window="box"`` gives the table of a box, for kernels that loop over
    the window with ``ELLIPSOID_LOOP`` but cannot be separated.  ``within``
    truncates the window to an image's grid lengths (see :func:`truncated`);
    ``operation`` names the caller in the error if the table does not fit.
    """
    check_window_table(radii, window, within, operation)
    return (_device_table(window_widths(radii, window, within)), *truncated(radii, within))


#: Windows of at most this many rows are fixed at compile time where that pays
#: off (:func:`static_windows_pay_off`): the compiler unrolls every row, and its
#: time grows steeply with their number.
STATIC_WINDOW_ROWS = 49


def static_windows_pay_off() -> bool:
    """Whether to fix windows at compile time on the current device.

    On CPU drivers a window known to the compiler is unrolled and vectorized
    (faster), for one compilation per window size, cached on disk.  GPUs
    run the table loop about as fast, and a cold GPU compiler would spend
    seconds on every new radius a user tries.
    """
    return backend.current_device().type == "CPU"


def static_window_defines(radii: Mapping[int, int], window: str = "sphere",
                          within: tuple[int, int, int] | None = None) -> dict:
    """The defines that fix a window at compile time (STATIC_* in neighbourhood.clh)."""
    rx, ry, rz = truncated(radii, within)
    return {"STATIC_RX": rx, "STATIC_RY": ry, "STATIC_RZ": rz,
            "STATIC_WIDTHS": ",".join(map(str, window_widths(radii, window, within)))}


def _static_defines(radii: Mapping[int, int], window: str = "sphere",
                    within: tuple[int, int, int] | None = None) -> dict:
    """:func:`static_window_defines` where a static window pays off and is small
    enough (:data:`STATIC_WINDOW_ROWS`), else none."""
    if static_windows_pay_off() and window_rows(radii, within) <= STATIC_WINDOW_ROWS:
        return static_window_defines(radii, window, within)
    return {}


def sphere_filter(image: backend.DeviceArray, kernel_name: str, radii: Mapping[int, int],
                  out_dtype: np.dtype | type, *extra: object, window: str = "sphere",
                  defines: Mapping[str, object] | None = None,
                  program: backend.Program = FILTERS, static: bool = False,
                  vector: bool = False, within: tuple[int, int, int] | None = None,
                  operation: str | None = None) -> backend.DeviceArray:
    """Run the window-table kernel ``kernel_name`` of filters.cl (or ``program``) once.

    The kernel takes (src, dst, *extra, SPHERE_PARAMETERS); ``window`` is
    ``"sphere"`` (the ellipsoid) or ``"box"``; ``defines`` are added to T_IN
    and T_OUT.  ``static`` also fixes the window at compile time (STATIC_* of
    neighbourhood.clh) where that pays off (:func:`static_windows_pay_off`)
    and the window has at most :data:`STATIC_WINDOW_ROWS` rows: faster, for
    one compilation per window.  ``vector``
    builds the kernel with ``VEC`` (:func:`vector_width`) and launches it on
    :func:`vector_grid`
    (for kernels written with VECTOR_FRAME); otherwise one work-item per pixel.
    ``within`` truncates the window to the image (minimum and maximum only, see
    :func:`truncated`); ``operation`` names the caller in errors.
    """
    nx, ny, nz = backend.grid(image.shape)
    arguments = sphere_arguments(radii, window, within, operation)
    out = backend.create(image.shape, out_dtype)
    all_defines = {"T_IN": backend.cl_type_name(image.dtype),
                   "T_OUT": backend.cl_type_name(out_dtype), **(defines or {})}
    if static:
        all_defines.update(_static_defines(radii, window, within))
    if vector:
        all_defines["VEC"] = vector_width()
    program.launch(kernel_name, vector_grid(image.shape) if vector else (nx, ny, nz),
                   image, out, *extra, *arguments, nx, ny, nz,
                   defines=all_defines)
    return out


def extremum_separable(image: backend.DeviceArray, which: str, radii: Mapping[int, int],
                       *, binary: bool = False, finish: str | None = None,
                       other: backend.DeviceArray | None = None) -> backend.DeviceArray:
    """Minimum or maximum over a box of ``2 * radius + 1`` per axis; keeps the dtype.

    Parameters
    ----------
    image : device array
    which : {"minimum", "maximum"}
    radii : mapping of axis to radius
    binary : bool
        Count every non-zero value as 1 (binary images of an unsigned type;
        the result is 0/1).
    finish : {"subtract", "result_minus"}, optional
        Combine the result with ``other`` (of ``image``'s dtype) in the last
        pass (see :data:`EXTREMUM_FINISHES`), saving a pass over the image;
        the caller makes sure the difference cannot be negative.
    other : device array, optional
        The image that ``finish`` combines.
    """
    passes = [(axis, (int(r),)) for axis, r in sorted(radii.items()) if r > 0]
    if finish is not None:
        if finish not in EXTREMUM_FINISHES or other is None or binary:
            raise ValueError(f"finish: one of {EXTREMUM_FINISHES} with another image, "
                             f"got {finish!r}")
        if not passes:  # the identity, as one pass that can finish
            passes = [(0, (0,))]
        *first, (axis, extra) = passes
        result = _run_passes(image, which, first, image.dtype) if first else image
        out = backend.create(image.shape, image.dtype)
        defines = {f"FINISH_{finish.upper()}": 1, "T_OTHER": backend.cl_type_name(other.dtype)}
        _launch_pass(f"{which}_finish_{'xyz'[axis]}", image.shape, result, out, other,
                     *extra, defines=defines, blocked=True)
        return out
    if binary and not passes:
        return as_binary(image)
    # 0/1 after the first pass
    return _run_passes(image, which, passes, image.dtype,
                       {"BINARY_INPUT": 1} if binary else None)


def as_binary(image: backend.DeviceArray) -> backend.DeviceArray:
    """0/1 uint8 copy of an image: 1 where it is non-zero."""
    return _run_passes(image, "maximum", [(0, (0,))], np.uint8, {"BINARY_INPUT": 1})


#: From this many pixels per window row on average, the extremum or mean over
#: an ellipsoid goes through row segments (``*_rows`` kernels): one read per
#: row instead of one per pixel, for an extra pass that writes rx + 1 images.
_ROWS_FROM_WIDTH = 2.0


def _through_rows(image: backend.DeviceArray, radii: Mapping[int, int],
                  stack_dtype: np.dtype | type,
                  within: tuple[int, int, int] | None = None) -> bool:
    """Whether a window filter over the ellipsoid should go through row segments."""
    widths = ellipsoid_widths(radii, within)
    rows = int(np.count_nonzero(widths >= 0))
    pixels = int(np.sum(2 * widths[widths >= 0] + 1, dtype=np.int64))
    rx = truncated(radii, within)[0]
    stack_bytes = (rx + 1) * image.size * np.dtype(stack_dtype).itemsize
    return (pixels >= _ROWS_FROM_WIDTH * rows
            and stack_bytes <= backend.current_device().max_allocation)


def _rows_filter(image: backend.DeviceArray, rows_kernel: str, kernel: str,
                 radii: Mapping[int, int], stack_dtype: np.dtype | type,
                 out_dtype: np.dtype | type,
                 *extra: object, defines: Mapping[str, object] | None = None,
                 within: tuple[int, int, int] | None = None,
                 operation: str | None = None) -> backend.DeviceArray:
    """``rows_kernel`` (row segments of every width into a stack), then ``kernel``
    (one value per window row from the stack)."""
    arguments = sphere_arguments(radii, "sphere", within, operation)
    rx = truncated(radii, within)[0]
    stack = backend.create((rx + 1, *image.shape), stack_dtype)
    _launch_pass(rows_kernel, image.shape, image, stack, rx, defines=defines)
    out = backend.create(image.shape, out_dtype)
    _launch_pass(kernel, image.shape, stack, out, *extra, *arguments,
                 defines={**(defines or {}), **_static_defines(radii, "sphere", within)})
    return out


def extremum_sphere(image: backend.DeviceArray, which: str, radii: Mapping[int, int],
                    *, binary: bool = False, operation: str | None = None
                    ) -> backend.DeviceArray:
    """Minimum or maximum over the ellipsoid of ``radii``; keeps the dtype.

    The window is truncated to the image (see :func:`truncated`): radii beyond
    it change nothing, and cost nothing.

    Parameters
    ----------
    image : device array
    which : {"minimum", "maximum"}
    radii : mapping of axis to radius
    binary : bool
        Count every non-zero value as 1 (binary images of an unsigned type;
        the result is 0/1).
    operation : str, optional
        The calling operation's name, for error messages.
    """
    defines = {"BINARY_INPUT": 1} if binary else None
    within = backend.grid(image.shape)
    check_window_table(radii, "sphere", within, operation)
    if not _through_rows(image, radii, image.dtype, within):
        return sphere_filter(image, f"{which}_sphere", radii, image.dtype, defines=defines,
                             static=True, vector=True, within=within, operation=operation)
    return _rows_filter(image, f"{which}_rows", f"{which}_sphere_rows", radii, image.dtype,
                        image.dtype, defines=defines, within=within, operation=operation)


def mean_sphere(image: backend.DeviceArray, radii: Mapping[int, int], *,
                operation: str | None = None) -> backend.DeviceArray:
    """Mean over the ellipsoid of ``radii``; float32."""
    check_window_table(radii, "sphere", None, operation)
    size = window_size(radii)
    if not _through_rows(image, radii, np.float32):
        return sphere_filter(image, "mean_window", radii, np.float32, float(size),
                             static=True, vector=True, operation=operation)
    return _rows_filter(image, "sum_rows", "mean_sphere_rows", radii, np.float32, np.float32,
                        1.0 / size, operation=operation)


#: The statistics of :func:`moments_separable` and the window kernels.
STATISTICS = ("mean", "variance", "standard_deviation")


def moments_separable(image: backend.DeviceArray, statistic: str,
                      radii: Mapping[int, int]) -> backend.DeviceArray:
    """Population variance or standard deviation over a box, one axis at a time;
    float32.  Each pass carries the (mean, variance) of its windows, combined
    exactly (see ``moments_*`` in filters.cl), so that the result is as accurate
    as two passes over the whole window."""
    if statistic not in STATISTICS[1:]:
        raise ValueError(f"statistic: 'variance' or 'standard_deviation', got {statistic!r}")
    axes = [(axis, int(r)) for axis, r in sorted(radii.items()) if r > 0]
    if not axes:
        out = backend.create(image.shape, np.float32)
        out.fill(0.0)
        return out
    source = image
    for number, (axis, radius) in enumerate(axes):
        last = number == len(axes) - 1
        defines: dict[str, object] = {}
        if number == 0:
            defines["FIRST_PASS"] = 1
        if last:
            defines["LAST_PASS"] = 1
            if statistic == "standard_deviation":
                defines["STANDARD_DEVIATION"] = 1
        # (mean, variance) as two planes until the last pass
        target = backend.create(image.shape if last else (2, *image.shape), np.float32)
        _launch_pass(f"moments_{'xyz'[axis]}", image.shape, source, target,
                     1.0 / (2 * radius + 1), radius, defines=defines)
        source = target
    return source


#: The largest window (in pixels) of the rank filters (median, mode): their
#: kernels hold the window in a private array sized at compile time.
MAX_RANK_WINDOW = 1024

# Unsigned key types of the rank kernels: (KEY_T, KEY_BITS, KEY_SIGN) per dtype.
_KEYS = {
    np.dtype(np.uint8): ("uchar", 8, 0),
    np.dtype(np.int8): ("uchar", 8, 0x80),
    np.dtype(np.uint16): ("ushort", 16, 0),
    np.dtype(np.int16): ("ushort", 16, 0x8000),
    np.dtype(np.uint32): ("uint", 32, 0),
    np.dtype(np.int32): ("uint", 32, 0x80000000),
    np.dtype(np.float32): ("uint", 32, 0),
}


#: Largest sorting network unrolled for a GPU (its compiler slows down sharply
#: beyond; the bit-by-bit median selection is a plain loop).
_GPU_UNROLLED_SORT = 64


def rank_filter(image: backend.DeviceArray, which: str, radii: Mapping[int, int],
                window: str, operation: str) -> backend.DeviceArray:
    """Median or mode over a box or sphere window; keeps the dtype.

    Parameters
    ----------
    image : device array
    which : {"median", "mode"}
    radii : mapping of axis to radius
    window : {"box", "sphere"}
    operation : str
        The calling operation's name, for the error message.

    Raises
    ------
    ValueError
        If the window has more than :data:`MAX_RANK_WINDOW` pixels.
    """
    size = window_size(radii, window)
    if size > MAX_RANK_WINDOW:
        given = _given(radii)
        raise ValueError(
            f"{operation}: the window of {given} holds {size} pixels, more than the "
            f"{MAX_RANK_WINDOW} this operation supports; choose smaller radius_x, "
            f"radius_y or radius_z")
    check_window_table(radii, window, None, operation)
    key_type, bits, sign = _KEYS[np.dtype(image.dtype)]
    sort_size = 1 << (size - 1).bit_length()
    defines: dict[str, object] = {"WINDOW_SIZE": size, "SORT_SIZE": sort_size,
                                  "KEY_T": key_type, "KEY_BITS": bits, "KEY_SIGN": f"{sign:#x}"}
    if image.dtype == np.float32:
        defines["KEY_FLOAT"] = 1
    exchanges = sort_size * (sort_size.bit_length() - 1) * sort_size.bit_length() // 4
    unrolled = static_windows_pay_off() or sort_size <= _GPU_UNROLLED_SORT
    if unrolled:
        defines["UNROLL_SORT"] = 1
    if which == "median" and (bits * size < 0.8 * exchanges or not unrolled):
        defines["SELECT_BITS"] = 1
    # the kernel sizes its per-pixel array by the window: fixed on every device
    defines.update(static_window_defines(radii, window))
    return sphere_filter(image, f"{which}_window", radii, image.dtype, window=window,
                         defines=defines, operation=operation)
