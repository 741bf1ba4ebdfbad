"""The label machinery shared by the labeling, label processing and measurement
operations, on the device.

Connected components, sequential and raster-order numbering, lookup tables
(``kernels/labels.cl``), feature transforms (``kernels/distance.cl``), growth
within masks, and per-label records of statistics (``kernels/measure.cl``).

Label images are uint32 device arrays.  Per-label tables (flags, lookup
tables) have ``n + 1`` entries for labels ``0..n``; entry 0 is background.

Kernels walking an image row by row (``labels.cl``, ``runs.clh``) give one
work-item a whole row (a line along x) and treat it as *runs*: stretches of
equal non-zero value.  Per-run work replaces per-pixel work, and the rows
(``ny * nz`` of them) keep every core busy.

Per-label records (:func:`label_records`) hold, as uint32 words::

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

LABELS = backend.Program("oclip.ops", "labels.cl")

#: Reach of a neighbourhood in labels.cl: "box" joins pixels touching by a
#: face, an edge or a corner (8 in 2D, 26 in 3D); "diamond" by a face only.
CONNECTIVITY_REACH = {"box": 3, "diamond": 1}

#: Lookup tables longer than this (labels up to this value) are not built on
#: the device; label images with larger values are first made sequential.
MAX_TABLE = 1 << 26

_BLOCK = 4096


def defines(dtype: np.dtype | type = np.uint32, equal_values: bool = True,
            connectivity: str = "diamond") -> dict[str, object]:
    """Build options of labels.cl for images of ``dtype``."""
    return {"T_KEY": backend.cl_type_name(dtype), "KEY_EQUAL": int(equal_values),
            "CONNECTIVITY": CONNECTIVITY_REACH[connectivity]}


_LABEL_DEFINES = defines()


def zeros(shape: int | tuple[int, ...], dtype: type = np.uint32) -> backend.DeviceArray:
    """A zero-filled device array from the memory pool."""
    return backend.work_array(shape, dtype, zero=True)


def full(shape: int | tuple[int, ...], value: int, dtype: type = np.uint32
         ) -> backend.DeviceArray:
    """A device array filled with ``value``."""
    array = backend.create(shape, dtype)
    array.fill(value)
    return array


def rows(image: backend.DeviceArray) -> tuple[int, int, int, int]:
    """(number of rows, nx, ny, nz) of an image."""
    nx, ny, nz = backend.grid(image.shape)
    return ny * nz, nx, ny, nz


# Hand-written scans here and below: faster than backend.scan (see benchmarks/scans.py).
def exclusive_scan(counts: backend.DeviceArray) -> backend.DeviceArray:
    """Exclusive prefix sums of a short uint32 vector by one work-group: ``n + 1``
    values, the last the total.  For vectors of up to a few hundred thousand."""
    n = counts.size
    offsets = backend.create(n + 1, np.uint32)
    group = min(256, backend.current_device().cl_device.max_work_group_size)
    LABELS.launch("exclusive_scan", (group,), counts, offsets, n,
                  backend.local_memory(4 * group), local_size=(group,), defines=_LABEL_DEFINES)
    return offsets


def number_flags(flags: backend.DeviceArray) -> tuple[backend.DeviceArray, backend.DeviceArray]:
    """Sequential numbers of the set (non-zero) flags, any shape and dtype:
    ``number[i]`` is 0 where ``flags[i]`` is 0, else 1 + the number of flags
    set before ``i``.  Returns (number, offsets);
    ``offsets[-1]`` is the number of flags set (on the device)."""
    n = flags.size
    blocks = -(-n // _BLOCK)
    options = defines(flags.dtype)
    sums = backend.create(blocks, np.uint32)
    LABELS.launch("block_count", (blocks,), flags, sums, n, _BLOCK, defines=options)
    offsets = exclusive_scan(sums) if blocks <= (1 << 20) else _long_scan(sums)
    number = backend.create(flags.shape, np.uint32)
    LABELS.launch("block_number", (blocks,), flags, offsets, number, n, _BLOCK,
                  defines=options)
    return number, offsets


def count_of(offsets: backend.DeviceArray) -> int:
    """The total held in the last entry of an offsets vector (one transfer)."""
    return int(offsets[offsets.size - 1:].get()[0])


def maximum_label(labels: backend.DeviceArray) -> int:
    """The largest label (0 for an empty label image); one pass, one transfer."""
    return label_range(labels)[0]


def apply_lut(labels: backend.DeviceArray, lut: backend.DeviceArray) -> backend.DeviceArray:
    """``lut[labels]`` as a new uint32 image."""
    out = backend.create(labels.shape, np.uint32)
    LABELS.launch("apply_lut", (labels.size,), labels, lut, out,
                  defines=_LABEL_DEFINES)
    return out


def present(labels: backend.DeviceArray, n: int) -> backend.DeviceArray:
    """uint32 flags of length n + 1: 1 for each label value present (0 excluded)."""
    flags = zeros(n + 1)
    count, nx, _, _ = rows(labels)
    LABELS.launch("mark_present", (count,), labels, flags, nx, defines=_LABEL_DEFINES)
    return flags


def compact_values(labels: backend.DeviceArray, n: int | None = None
                   ) -> tuple[backend.DeviceArray, int]:
    """Labels made sequential (in value order) when their largest value ``n`` (found
    if not given) is too large for per-label tables; returns (labels, largest label)."""
    if n is None:
        n = maximum_label(labels)
    if n < MAX_TABLE:
        return labels, n
    # Rare: label values beyond 2**26.  Renumber through numpy's unique.
    values, inverse = np.unique(labels.get(), return_inverse=True)
    if values[0] != 0:
        inverse = inverse + 1
    compact = backend.push(inverse.reshape(labels.shape).astype(np.uint32))
    return compact, int(compact.get().max()) if compact.size else 0


def relabel_sequential(labels: backend.DeviceArray, n: int | None = None,
                       keep: backend.DeviceArray | None = None
                       ) -> tuple[backend.DeviceArray, backend.DeviceArray]:
    """Renumber labels 1..m in the order of their values, keeping only those whose
    ``keep`` flag (uint32, n + 1 entries) is set, if given.

    Returns (labels, offsets): ``offsets[-1]`` is m, on the device.
    """
    if n is None:
        labels, n = compact_values(labels)
    flags = present(labels, n)
    if keep is not None:
        flags = flags * keep
    lut, offsets = number_flags(flags)
    return apply_lut(labels, lut), offsets


def relabel_raster(labels: backend.DeviceArray, n: int | None = None) -> backend.DeviceArray:
    """Renumber labels 1..m in raster order of each label's first pixel."""
    if n is None:
        labels, n = compact_values(labels)
    count, nx, _, _ = rows(labels)
    first = full(n + 1, 0xFFFFFFFF)
    LABELS.launch("first_pixel", (count,), labels, first, nx, defines=_LABEL_DEFINES)
    counts = backend.create(count, np.uint32)
    LABELS.launch("count_first", (count,), labels, first, counts, nx,
                  defines=_LABEL_DEFINES)
    offsets = exclusive_scan(counts) if count <= (1 << 20) else _long_scan(counts)
    lut = zeros(n + 1)
    LABELS.launch("number_first", (count,), labels, first, offsets, lut, nx,
                  defines=_LABEL_DEFINES)
    return apply_lut(labels, lut)


def _long_scan(counts: backend.DeviceArray) -> backend.DeviceArray:
    """Exclusive prefix sums of a long vector (n + 1 values, the last the total)."""
    n = counts.size
    blocks = -(-n // _BLOCK)
    sums = backend.create(blocks, np.uint32)
    LABELS.launch("block_sums", (blocks,), counts, sums, n, _BLOCK,
                  defines=_LABEL_DEFINES)
    block_offsets = exclusive_scan(sums)
    offsets = backend.create(n + 1, np.uint32)
    LABELS.launch("block_exclusive", (blocks,), counts, block_offsets, offsets, n,
                  _BLOCK, defines=_LABEL_DEFINES)
    return offsets


def assign_by_pixel() -> bool:
    """Whether the label image of :func:`components` is written one work-item per
    pixel (GPUs: a row's writes coalesce) rather than per row (CPUs: a work-item
    streams its row)."""
    return backend.current_device().type != "CPU"


def components(image: backend.DeviceArray, connectivity: str, *, equal_values: bool = False
               ) -> tuple[backend.DeviceArray, backend.DeviceArray]:
    """Label connected components in raster order; returns (labels, offsets) where
    ``offsets[-1]`` (on the device) is the number of components.

    ``equal_values`` joins only neighbouring pixels of equal non-zero value
    (the connected pieces of a label image); otherwise any non-zero pixels join.
    """
    if image.size >= 2**31:
        raise ValueError(f"connected components labeling supports images of fewer than 2**31 "
                         f"pixels, got {image.size}")
    count, nx, ny, nz = rows(image)
    options = defines(image.dtype, equal_values, connectivity)
    cap = nx if equal_values else (nx + 1) // 2  # the most runs a row can hold
    slots = count * cap
    if slots >= 2**31:
        raise ValueError(f"connected components labeling supports images of fewer than 2**31 "
                         f"pixels, got {image.size}")
    starts = backend.create(slots, np.int32)
    ends = backend.create(slots, np.int32)
    values = backend.create(slots if equal_values else 1, image.dtype)
    up = backend.create(slots, np.int32)
    run_count = backend.create(count, np.uint32)
    LABELS.launch("cc_runs", (count,), image, starts, ends, values, up, run_count,
                  nx, cap, defines=options)
    LABELS.launch("cc_merge", (count,), starts, ends, values, up, run_count, ny, nz,
                  cap, defines=options)
    counts = backend.create(count, np.uint32)
    LABELS.launch("cc_count", (count,), up, run_count, counts, cap, defines=options)
    offsets = exclusive_scan(counts) if count <= (1 << 20) else _long_scan(counts)
    run_label = backend.create(slots, np.uint32)
    LABELS.launch("cc_number", (count,), up, run_count, offsets, run_label, cap,
                  defines=options)
    labels = backend.create(image.shape, np.uint32)
    if not assign_by_pixel():
        LABELS.launch("cc_assign", (count,), starts, ends, up, run_count, run_label,
                      labels, nx, cap, defines=options)
    else:
        LABELS.launch("cc_assign_pixels", (-(-nx // 64) * 64, count), starts, ends, up,
                      run_count, run_label, labels, nx, cap, defines=options,
                      local_size=(64, 1))
    return labels, offsets


# --- Euclidean feature transform ------------------------------------------------

DISTANCE = backend.Program("oclip.ops", "distance.cl")
_DISTANCE_DEFINES = {"T_KEY": "uint", "SITE_ZERO": 0, "STACK_CONTIGUOUS": 0}


def feature_transform(image: backend.DeviceArray, sites_are_zero: bool = False, *,
                      contiguous_stacks: bool | None = None) -> backend.DeviceArray:
    """For every pixel, the linear index (int32) of the nearest site pixel, -1 if
    there is none; sites are the non-zero pixels (the zero pixels if
    ``sites_are_zero``).  Exact Euclidean distances; among equally near sites
    the first in raster order (see distance.cl)."""
    if image.size >= 2**31:
        raise ValueError(f"distance transforms support images of fewer than 2**31 pixels, "
                         f"got {image.size}")
    count, nx, ny, nz = rows(image)
    options = {"T_KEY": backend.cl_type_name(image.dtype), "SITE_ZERO": int(sites_are_zero),
               "STACK_CONTIGUOUS": int(backend.current_device().type == "CPU"
                                       if contiguous_stacks is None else contiguous_stacks)}
    feature = backend.create(image.shape, np.int32)
    DISTANCE.launch("feature_x", (count,), image, feature, nx, defines=options)
    if ny > 1 or nz > 1:
        stack = (backend.create(image.size, np.int32),
                 backend.work_array(image.size, np.int64, what="the distance transform's stack"),
                 backend.create(image.size, np.int32))
        if ny > 1:
            DISTANCE.launch("feature_y", (nx * nz,), feature, *stack, nx, ny, nz,
                           defines=options)
        if nz > 1:
            DISTANCE.launch("feature_z", (nx * ny,), feature, *stack, nx, ny, nz,
                           defines=options)
    return feature


def nearest_labels(labels: backend.DeviceArray, radius: float | None = None
                   ) -> backend.DeviceArray:
    """Every pixel takes the label of the nearest labelled pixel (Euclidean), within
    ``radius`` if given; labelled pixels keep theirs."""
    feature = feature_transform(labels)
    nx, ny, _ = backend.grid(labels.shape)
    limit = -1 if radius is None else int(np.floor(radius * radius + 1e-9))
    out = backend.create(labels.shape, np.uint32)
    DISTANCE.launch("nearest_label", (labels.size,), labels, feature, out,
                   np.int64(limit), nx, ny, defines=_DISTANCE_DEFINES)
    return out


def farther_than(image: backend.DeviceArray, radius: float, from_zero: bool = True
                 ) -> backend.DeviceArray:
    """uint8: 1 where the nearest zero pixel (non-zero if not ``from_zero``) is
    farther than ``radius``, or where there is none."""
    feature = feature_transform(image, sites_are_zero=from_zero)
    nx, ny, _ = backend.grid(image.shape)
    out = backend.create(image.shape, np.uint8)
    DISTANCE.launch("farther_than", (image.size,), feature, out,
                   np.int64(int(np.floor(radius * radius + 1e-9))), nx, ny,
                   defines=_DISTANCE_DEFINES)
    return out


# --- growth within a mask -----------------------------------------------------------

def grow_in_mask(labels: backend.DeviceArray, mask: backend.DeviceArray) -> backend.DeviceArray:
    """Grow labels within a mask until nothing changes: each step an unlabelled mask
    pixel takes the smallest label among its labelled neighbours; the steps
    alternate face neighbours ("diamond") and all neighbours ("box"), an
    octagonal growth front.  ``labels`` (all inside the mask) is not modified.

    Only the pixels labelled in the last two steps can label new ones, so each
    step visits the front only (see labels.cl); one transfer per step
    reads the size of the next front.
    """
    nx, ny, nz = backend.grid(labels.shape)
    options = _LABEL_DEFINES
    grown = labels.copy()
    claim = full(labels.shape, 0xFFFFFFFF)
    fronts = [backend.create(labels.size, np.int32) for _ in range(3)]
    sizes = zeros(3, np.int32)  # counters of the three fronts
    LABELS.launch("front_seeds", (labels.size,), labels, fronts[0], sizes,
                  defines=options)
    newest, older = (fronts[0], int(sizes[0:1].get()[0])), (fronts[1], 0)
    spare = fronts[2]
    step = 0
    while True:
        box = step % 2  # steps 0, 2, ... face neighbours; 1, 3, ... all neighbours
        if not newest[1] and not (box and older[1]):
            return grown
        counter = zeros(1, np.int32)
        visiting = [newest] + ([older] if box else [])
        for front, size in visiting:
            if size:
                LABELS.launch("front_step", (rounded(size),), grown, mask,
                              claim, front, size, spare, counter, box, nx, ny, nz,
                              defines=options)
        size = int(counter.get()[0])
        if size:
            LABELS.launch("front_settle", (rounded(size),), grown, claim,
                          spare, size, defines=options)
        newest, older, spare = (spare, size), newest, older[0]
        step += 1


def rounded(size: int, multiple: int = 64) -> int:
    """``size`` rounded up to a multiple of ``multiple`` (a launch size)."""
    return -(-size // multiple) * multiple


def mask_labels(labels: backend.DeviceArray, mask: backend.DeviceArray) -> backend.DeviceArray:
    """Labels where ``mask`` (uint8) is non-zero, 0 elsewhere."""
    out = backend.create(labels.shape, np.uint32)
    LABELS.launch("mask_labels", (labels.size,), labels, mask, out,
                  defines=_LABEL_DEFINES)
    return out


# --- touching labels ------------------------------------------------------------------


def touching_pairs(labels: backend.DeviceArray) -> np.ndarray:
    """The distinct pairs (a, b), a < b, of different labels sharing a face, as a
    (k, 2) uint32 numpy array sorted by a, then b.

    The pairs are found on the device (each row skips repeats of its last
    pairs) and made unique with numpy: a list of contacts, small next to the
    image.
    """
    count, nx, ny, nz = rows(labels)
    counts = backend.create(count, np.uint32)
    options = _LABEL_DEFINES
    LABELS.launch("touching_pairs", (count,), labels, counts, counts, counts, 0,
                  nx, ny, nz, defines=options)
    offsets = exclusive_scan(counts) if count <= (1 << 20) else _long_scan(counts)
    total = count_of(offsets)
    if total == 0:
        return np.zeros((0, 2), np.uint32)
    pairs = backend.create(2 * total, np.uint32)
    LABELS.launch("touching_pairs", (count,), labels, counts, offsets, pairs, 1,
                  nx, ny, nz, defines=options)
    return np.unique(pairs.get().reshape(-1, 2), axis=0)


# --- per-label records ------------------------------------------------------------

MEASURE = backend.Program("oclip.ops", "measure.cl")
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
    row_count, nx, _, _ = rows(labels)
    dtype = None if image is None else np.dtype(image.dtype)
    MEASURE.launch("label_range", (row_count,), labels,
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
    through ``compact_values`` (``n``, its largest label, is then known)
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
    MEASURE.launch("init_records", (n + 1,), records, defines=defines)
    row_count, nx, ny, _ = rows(labels)
    scales = [acc_type(math.ldexp(1.0, e)) for e in exponents]
    MEASURE.launch("label_records", (row_count,), labels,
                   image if image is not None else labels, records, *scales, nx, ny,
                   defines=defines)
    return Records(records, n, labels.ndim, dtype, exponents)


def label_counts(labels: backend.DeviceArray, n: int) -> backend.DeviceArray:
    """uint32 pixel counts of labels 0..n (the background's count is not taken)."""
    counts = zeros(n + 1)
    row_count, nx, _, _ = rows(labels)
    MEASURE.launch("label_counts", (row_count,), labels, counts, nx,
                   defines=measure_defines())
    return counts


def map_values(labels: backend.DeviceArray, values: backend.DeviceArray) -> backend.DeviceArray:
    """float32 image: each label pixel takes ``values[label]``, background 0."""
    out = backend.create(labels.shape, np.float32)
    MEASURE.launch("map_values", (labels.size,), labels, values, out,
                   defines=measure_defines())
    return out


def border_flags(labels: backend.DeviceArray, n: int) -> backend.DeviceArray:
    """uint32 flags (n + 1 entries): 1 for labels with a pixel on the image border."""
    flags = zeros(n + 1)
    row_count, nx, ny, nz = rows(labels)
    MEASURE.launch("flag_border", (row_count,), labels, flags, nx, ny, nz,
                   int(labels.ndim == 3), defines=measure_defines())
    return flags
