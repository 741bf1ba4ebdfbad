"""Per-label statistics on the device, in one pass (see ``kernels/measure.cl``).

A label's record holds, as uint32 words::

    0-1   sum of x      (int64, exact)      16  pixel count
    2-3   sum of y      (int64, exact)      17  min x   18 min y   19 min z
    4-5   sum of z      (int64, exact)      20  max x   21 max y   22 max z
    6-7   sum of v      (int64 fixed point) 23  min v key
    8-9   sum of v**2   (int64 fixed point) 24  max v key
    10-15 sums of v*x, v*y, v*z (int64 fixed point)   25 unused

Fixed-point sums are the true sums times ``2**e`` (``scales``), with ``e``
the largest exponent for which no label's total can pass 2**62: exact for
integer images (whose sums need fewer bits), otherwise rounded once per run
(row stretch of one label) to 2**-e, about 62 significant bits of the
largest possible total.  Min/max keys are the intensities mapped to uint in
order (floats by their bit pattern); decoded on the host.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .. import _backend as backend
from . import _labeling as labeling

MEASURE = "measure.cl"
RECORD = 26


def _accumulator() -> tuple[str, type]:
    device = backend.current_device()
    return ("double", np.float64) if device.double_precision else ("float", np.float32)


def _int64_atomics() -> bool:
    extensions = backend.current_device().cl_device.extensions.split()
    return "cl_khr_int64_base_atomics" in extensions


def measure_defines(dtype: np.dtype | None = None, *, int64_atomics: bool | None = None
                    ) -> dict[str, object]:
    """Build options of measure.cl."""
    acc, _ = _accumulator()
    intensity = dtype is not None
    dtype = np.dtype(np.float32 if dtype is None else dtype)
    return {"T_KEY": "uint", "KEY_EQUAL": 1, "T_IN": backend.cl_type_name(dtype),
            "INTENSITY": int(intensity), "ACC": acc, "ACC_IS_DOUBLE": int(acc == "double"),
            "IS_FLOAT": int(dtype.kind == "f"), "IS_SIGNED": int(dtype.kind == "i"),
            "INT64_ATOMICS": int(_int64_atomics() if int64_atomics is None else int64_atomics)}


def _exponent(largest_total: float, limit: int = 120) -> int:
    """The largest e with largest_total * 2**e <= 2**62, clamped to +-limit (2**e must be
    a normal number of the accumulator: 120 for float, 1000 for double, which takes
    images of the smallest float32 values without losing their sums)."""
    if largest_total <= 0 or not math.isfinite(largest_total):
        return 0 if not math.isfinite(largest_total) else limit
    return max(-limit, min(limit, math.floor(62 - math.log2(largest_total))))


@dataclass
class Records:
    """Device records of labels 0..n (label 0, the background, is measured too)."""

    data: backend.DeviceArray
    n: int
    ndim: int
    dtype: np.dtype | None
    exponents: tuple[int, int, int]

    def host(self) -> dict[str, np.ndarray]:
        """Decoded columns for labels 0..n (float64 sums, int64 counts and bounds)."""
        raw = self.data.get().reshape(self.n + 1, RECORD)
        sums = np.ascontiguousarray(raw[:, :16]).view(np.int64)
        count = raw[:, 16].astype(np.int64)
        columns = {
            "count": count,
            "sum_coordinates": sums[:, 0:3].astype(np.float64),  # x, y, z
            "minimum": raw[:, 17:20].astype(np.int64),
            "maximum": raw[:, 20:23].astype(np.int64),
        }
        if self.dtype is not None:
            ev, evv, evx = self.exponents
            columns["sum"] = np.ldexp(sums[:, 3].astype(np.float64), -ev)
            columns["sum_squares"] = np.ldexp(sums[:, 4].astype(np.float64), -evv)
            columns["sum_weighted_coordinates"] = np.ldexp(sums[:, 5:8].astype(np.float64),
                                                           -evx)
            columns["minimum_value"] = decode_keys(raw[:, 23], self.dtype)
            columns["maximum_value"] = decode_keys(raw[:, 24], self.dtype)
        return columns


def decode_keys(keys: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Intensities (float64) from the order-preserving uint keys of measure.cl."""
    keys = keys.astype(np.uint32)
    if dtype.kind == "f":
        bits = np.where(keys & 0x80000000, keys & 0x7FFFFFFF, ~keys).astype(np.uint32)
        return bits.view(np.float32).astype(np.float64)
    if dtype.kind == "i":
        return (keys ^ np.uint32(0x80000000)).view(np.int32).astype(np.float64)
    return keys.astype(np.float64)


def label_range(labels: backend.DeviceArray, image: backend.DeviceArray | None = None
                ) -> tuple[int, float, float]:
    """(largest label, smallest and largest intensity) in one pass and one transfer;
    the intensities are NaN without an image (or where all are NaN)."""
    result = backend.create(3, np.uint32)
    result.set(np.array([0, 0xFFFFFFFF, 0], np.uint32))
    rows, nx, _, _ = labeling.rows(labels)
    dtype = None if image is None else np.dtype(image.dtype)
    backend.launch(MEASURE, "label_range", (rows,), labels,
                   image if image is not None else labels, result, nx,
                   defines=measure_defines(dtype))
    largest, low, high = result.get()
    if dtype is None or low > high:
        return int(largest), math.nan, math.nan
    low_value, high_value = decode_keys(np.array([low, high]), dtype)
    return int(largest), float(low_value), float(high_value)


def label_records(labels: backend.DeviceArray, image: backend.DeviceArray | None = None,
                  n: int | None = None, *, int64_atomics: bool | None = None) -> Records:
    """Measure every label of ``labels`` in one pass.  ``labels`` must have been
    through ``labeling.compact_values`` (``n``, its largest label, is then known)
    or be small enough; ``n`` is found if not given.  ``int64_atomics`` overrides
    the device's (for tests of the 32-bit path)."""
    dtype = None if image is None else np.dtype(image.dtype)
    defines = measure_defines(dtype, int64_atomics=int64_atomics)
    _, acc_type = _accumulator()
    exponents = (0, 0, 0)
    if image is not None or n is None:
        largest_label, low, high = label_range(labels, image)
        n = largest_label if n is None else n
        if image is not None:
            largest = max(abs(low), abs(high)) if math.isfinite(low + high) else 1.0
            size = float(labels.size)
            extent = float(max(labels.shape))
            limit = 1000 if acc_type is np.float64 else 120
            exponents = (_exponent(largest * size, limit),
                         _exponent(largest * largest * size, limit),
                         _exponent(largest * extent * size, limit))
    records = backend.create((n + 1) * RECORD, np.uint32)
    backend.launch(MEASURE, "init_records", (n + 1,), records, defines=defines)
    rows, nx, ny, _ = labeling.rows(labels)
    scales = [acc_type(math.ldexp(1.0, e)) for e in exponents]
    backend.launch(MEASURE, "label_records", (rows,), labels,
                   image if image is not None else labels, records, *scales, nx, ny,
                   defines=defines)
    return Records(records, n, labels.ndim, dtype, exponents)


def label_counts(labels: backend.DeviceArray, n: int) -> backend.DeviceArray:
    """uint32 pixel counts of labels 0..n (the background's count is not taken)."""
    counts = labeling.zeros(n + 1)
    rows, nx, _, _ = labeling.rows(labels)
    backend.launch(MEASURE, "label_counts", (rows,), labels, counts, nx,
                   defines=measure_defines())
    return counts


def map_values(labels: backend.DeviceArray, values: backend.DeviceArray) -> backend.DeviceArray:
    """float32 image: each label pixel takes ``values[label]``, background 0."""
    out = backend.create(labels.shape, np.float32)
    backend.launch(MEASURE, "map_values", (labels.size,), labels, values, out,
                   defines=measure_defines())
    return out


def border_flags(labels: backend.DeviceArray, n: int) -> backend.DeviceArray:
    """uint32 flags (n + 1 entries): 1 for labels with a pixel on the image border."""
    flags = labeling.zeros(n + 1)
    rows, nx, ny, nz = labeling.rows(labels)
    backend.launch(MEASURE, "flag_border", (rows,), labels, flags, nx, ny, nz,
                   int(labels.ndim == 3), defines=measure_defines())
    return flags
