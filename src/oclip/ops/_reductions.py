"""Whole-image reductions and histograms that stay on the device."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import _backend as backend

THRESHOLD = backend.Program("oclip.ops", "threshold.cl")

# Neutral elements of a [min, max] reduction, per element type.
_LIMITS = {
    np.dtype(np.uint8): ("UCHAR_MAX", "0"),
    np.dtype(np.int8): ("CHAR_MAX", "CHAR_MIN"),
    np.dtype(np.uint16): ("USHRT_MAX", "0"),
    np.dtype(np.int16): ("SHRT_MAX", "SHRT_MIN"),
    np.dtype(np.uint32): ("UINT_MAX", "0"),
    np.dtype(np.int32): ("INT_MAX", "INT_MIN"),
    np.dtype(np.float32): ("INFINITY", "-INFINITY"),
}


def _pair_dtype(dtype: np.dtype) -> np.dtype:
    return backend.vector_dtype(dtype, 2)


def _on_cpu() -> bool:
    return backend.current_device().type == "CPU"


def cpu_chunks(size: int) -> tuple[int, int]:
    """(number of chunks, chunk length) for the CPU kernels: a few per core."""
    chunks = max(1, min(4 * backend.current_device().compute_units, size // 4096))
    return chunks, -(-size // chunks)


def minimum_maximum(image: backend.DeviceArray) -> backend.DeviceArray:
    """[min, max] of an image as a device scalar of its 2-vector type; NaN is ignored."""
    dtype = np.dtype(image.dtype)
    if _on_cpu():  # a chunk per work-item streams faster than a tree reduction
        chunks, chunk = cpu_chunks(image.size)
        defines = HistogramBins.for_dtype(dtype).defines(dtype)
        partial = backend.create(2 * chunks, dtype)
        THRESHOLD.launch("range_chunks", (chunks,), image, np.uint64(image.size),
                       np.uint64(chunk), partial, defines=defines, local_size=(1,))
        value_range = backend.work_array((), _pair_dtype(dtype), what="a value range")
        THRESHOLD.launch("range_of_chunks", (1,), partial, chunks, value_range,
                       defines=defines)
        return value_range
    element = backend.cl_type_name(dtype)
    pair = element + "2"
    # fmin/fmax skip NaN; min/max are the integer versions.
    low, high = ("fmin", "fmax") if dtype.kind == "f" else ("min", "max")
    largest, smallest = _LIMITS[dtype]
    return backend.reduce(
        image,
        dtype=_pair_dtype(dtype),
        neutral=f"({pair})({largest}, {smallest})",
        reduce_expr=f"({pair})({low}(a.x, b.x), {high}(a.y, b.y))",
        map_expr=f"({pair})(image[i], image[i])",
        arguments=f"__global const {element} *image",
        name="minimum_maximum",
    )


@dataclass(frozen=True)
class HistogramBins:
    """How a histogram bins an image of a given dtype."""

    count: int
    integer: bool  # one bin per integer value (8/16-bit images)
    offset: int  # the value of bin 0 when ``integer``

    @classmethod
    def for_dtype(cls, dtype: np.dtype, float_bins: int = 256) -> HistogramBins:
        dtype = np.dtype(dtype)
        if dtype.kind in "iu" and dtype.itemsize <= 2:
            info = np.iinfo(dtype)
            return cls(int(info.max) - int(info.min) + 1, True, int(info.min))
        return cls(float_bins, False, 0)

    def defines(self, dtype: np.dtype) -> dict[str, object]:
        device = backend.current_device()
        # Local counters pay off while they fit comfortably in local memory.
        local = self.count * 4 <= 16 * 1024
        return {
            "T": backend.cl_type_name(dtype),
            "T2": backend.cl_type_name(dtype) + "2",
            "NBINS": self.count,
            "INTEGER_BINS": int(self.integer),
            "TYPE_OFFSET": self.offset,
            "LOCAL_HISTOGRAM": int(local),
            "T_IS_FLOAT": int(np.dtype(dtype).kind == "f"),
            "ACC": "double" if device.double_precision else "float",
            "ACC_IS_DOUBLE": int(device.double_precision),
        }


def histogram(image: backend.DeviceArray,
              value_range: backend.DeviceArray) -> tuple[backend.DeviceArray, HistogramBins]:
    """Count the pixels per bin (see HistogramBins), on the device."""
    bins = HistogramBins.for_dtype(image.dtype)
    counts = backend.work_array(bins.count, np.uint32, zero=True, what="a histogram")
    if _on_cpu() and bins.count <= 4096:  # no atomics per pixel (threshold.cl: same limit)
        chunks, chunk = cpu_chunks(image.size)
        THRESHOLD.launch("histogram_chunks", (chunks,), image, np.uint64(image.size),
                       np.uint64(chunk), value_range, counts,
                       defines=bins.defines(image.dtype), local_size=(1,))
        return counts, bins
    device = backend.current_device()
    group = 256
    groups = max(1, min(4 * device.compute_units, -(-image.size // group)))
    chunk = -(-image.size // groups)
    THRESHOLD.launch("histogram", (groups * group,), image, np.uint64(image.size),
                   np.uint64(chunk), value_range, counts, defines=bins.defines(image.dtype),
                   local_size=(group,))
    return counts, bins
