"""Shared label machinery, on the device: connected components, sequential and
raster-order numbering, lookup tables.

Label images are uint32 device arrays.  Per-label tables (flags, lookup
tables) have ``n + 1`` entries for labels ``0..n``; entry 0 is background.

Kernels walking an image row by row (``labels.cl``, ``runs.clh``) give one
work-item a whole row (a line along x) and treat it as *runs*: stretches of
equal non-zero value.  Per-run work replaces per-pixel work, and the rows
(``ny * nz`` of them) keep every core busy.
"""

from __future__ import annotations

import numpy as np
import pyopencl as cl
import pyopencl.array as cl_array

from .. import _backend as backend

LABELS = "labels.cl"

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
    backend.check_fits((shape,) if np.ndim(shape) == 0 else shape, dtype, "a work buffer")
    session = backend.current_session()
    return cl_array.zeros(session.queue, shape, dtype, allocator=session.allocator)


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


def exclusive_scan(counts: backend.DeviceArray) -> backend.DeviceArray:
    """Exclusive prefix sums of a short uint32 vector by one work-group: ``n + 1``
    values, the last the total.  For vectors of up to a few hundred thousand."""
    n = counts.size
    offsets = backend.create(n + 1, np.uint32)
    group = min(256, backend.current_device().cl_device.max_work_group_size)
    backend.launch(LABELS, "exclusive_scan", (group,), counts, offsets, n,
                   cl.LocalMemory(4 * group), local_size=(group,), defines=_LABEL_DEFINES)
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
    backend.launch(LABELS, "block_count", (blocks,), flags, sums, n, _BLOCK, defines=options)
    offsets = exclusive_scan(sums) if blocks <= (1 << 20) else _long_scan(sums)
    number = backend.create(flags.shape, np.uint32)
    backend.launch(LABELS, "block_number", (blocks,), flags, offsets, number, n, _BLOCK,
                   defines=options)
    return number, offsets


def count_of(offsets: backend.DeviceArray) -> int:
    """The total held in the last entry of an offsets vector (one transfer)."""
    return int(offsets[offsets.size - 1:].get()[0])


def maximum_label(labels: backend.DeviceArray) -> int:
    """The largest label (0 for an empty label image); one pass, one transfer."""
    from ._statistics import label_range

    return label_range(labels)[0]


def apply_lut(labels: backend.DeviceArray, lut: backend.DeviceArray) -> backend.DeviceArray:
    """``lut[labels]`` as a new uint32 image."""
    out = backend.create(labels.shape, np.uint32)
    backend.launch(LABELS, "apply_lut", (labels.size,), labels, lut, out,
                   defines=_LABEL_DEFINES)
    return out


def present(labels: backend.DeviceArray, n: int) -> backend.DeviceArray:
    """uint32 flags of length n + 1: 1 for each label value present (0 excluded)."""
    flags = zeros(n + 1)
    count, nx, _, _ = rows(labels)
    backend.launch(LABELS, "mark_present", (count,), labels, flags, nx, defines=_LABEL_DEFINES)
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
    backend.launch(LABELS, "first_pixel", (count,), labels, first, nx, defines=_LABEL_DEFINES)
    counts = backend.create(count, np.uint32)
    backend.launch(LABELS, "count_first", (count,), labels, first, counts, nx,
                   defines=_LABEL_DEFINES)
    offsets = exclusive_scan(counts) if count <= (1 << 20) else _long_scan(counts)
    lut = zeros(n + 1)
    backend.launch(LABELS, "number_first", (count,), labels, first, offsets, lut, nx,
                   defines=_LABEL_DEFINES)
    return apply_lut(labels, lut)


def _long_scan(counts: backend.DeviceArray) -> backend.DeviceArray:
    """Exclusive prefix sums of a long vector (n + 1 values, the last the total)."""
    n = counts.size
    blocks = -(-n // _BLOCK)
    sums = backend.create(blocks, np.uint32)
    backend.launch(LABELS, "block_sums", (blocks,), counts, sums, n, _BLOCK,
                   defines=_LABEL_DEFINES)
    block_offsets = exclusive_scan(sums)
    offsets = backend.create(n + 1, np.uint32)
    backend.launch(LABELS, "block_exclusive", (blocks,), counts, block_offsets, offsets, n,
                   _BLOCK, defines=_LABEL_DEFINES)
    return offsets


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
    backend.launch(LABELS, "cc_runs", (count,), image, starts, ends, values, up, run_count,
                   nx, cap, defines=options)
    backend.launch(LABELS, "cc_merge", (count,), starts, ends, values, up, run_count, ny, nz,
                   cap, defines=options)
    counts = backend.create(count, np.uint32)
    backend.launch(LABELS, "cc_count", (count,), up, run_count, counts, cap, defines=options)
    offsets = exclusive_scan(counts) if count <= (1 << 20) else _long_scan(counts)
    run_label = backend.create(slots, np.uint32)
    backend.launch(LABELS, "cc_number", (count,), up, run_count, offsets, run_label, cap,
                   defines=options)
    labels = backend.create(image.shape, np.uint32)
    backend.launch(LABELS, "cc_assign", (count,), starts, ends, up, run_count, run_label,
                   labels, nx, cap, defines=options)
    return labels, offsets


# --- Euclidean feature transform ------------------------------------------------

DISTANCE = "distance.cl"
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
    backend.launch(DISTANCE, "feature_x", (count,), image, feature, nx, defines=options)
    if ny > 1 or nz > 1:
        session = backend.current_session()
        backend.check_fits((image.size,), np.int64, "the distance transform's stack")
        stack = (backend.create(image.size, np.int32),
                 cl_array.empty(session.queue, image.size, np.int64, allocator=session.allocator),
                 backend.create(image.size, np.int32))
        if ny > 1:
            backend.launch(DISTANCE, "feature_y", (nx * nz,), feature, *stack, nx, ny, nz,
                           defines=options)
        if nz > 1:
            backend.launch(DISTANCE, "feature_z", (nx * ny,), feature, *stack, nx, ny, nz,
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
    backend.launch(DISTANCE, "nearest_label", (labels.size,), labels, feature, out,
                   np.int64(limit), nx, ny, defines=_DISTANCE_DEFINES)
    return out


def farther_than(image: backend.DeviceArray, radius: float, from_zero: bool = True
                 ) -> backend.DeviceArray:
    """uint8: 1 where the nearest zero pixel (non-zero if not ``from_zero``) is
    farther than ``radius``, or where there is none."""
    feature = feature_transform(image, sites_are_zero=from_zero)
    nx, ny, _ = backend.grid(image.shape)
    out = backend.create(image.shape, np.uint8)
    backend.launch(DISTANCE, "farther_than", (image.size,), feature, out,
                   np.int64(int(np.floor(radius * radius + 1e-9))), nx, ny,
                   defines=_DISTANCE_DEFINES)
    return out


# --- growth within a mask -----------------------------------------------------------

SEGMENTATION = "segmentation.cl"


def grow_in_mask(labels: backend.DeviceArray, mask: backend.DeviceArray) -> backend.DeviceArray:
    """Grow labels within a mask until nothing changes: each step an unlabelled mask
    pixel takes the smallest label among its labelled neighbours; the steps
    alternate face neighbours ("diamond") and all neighbours ("box"), an
    octagonal growth front.  ``labels`` (all inside the mask) is not modified.

    Only the pixels labelled in the last two steps can label new ones, so each
    step visits the front only (see segmentation.cl); one transfer per step
    reads the size of the next front.
    """
    nx, ny, nz = backend.grid(labels.shape)
    options = {"T_IN": "uint"}
    grown = labels.copy()
    claim = full(labels.shape, 0xFFFFFFFF)
    fronts = [backend.create(labels.size, np.int32) for _ in range(3)]
    sizes = zeros(3, np.int32)  # counters of the three fronts
    backend.launch(SEGMENTATION, "front_seeds", (labels.size,), labels, fronts[0], sizes,
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
                backend.launch(SEGMENTATION, "front_step", (rounded(size),), grown, mask,
                               claim, front, size, spare, counter, box, nx, ny, nz,
                               defines=options)
        size = int(counter.get()[0])
        if size:
            backend.launch(SEGMENTATION, "front_settle", (rounded(size),), grown, claim,
                           spare, size, defines=options)
        newest, older, spare = (spare, size), newest, older[0]
        step += 1


def rounded(size: int, multiple: int = 64) -> int:
    """``size`` rounded up to a multiple of ``multiple`` (a launch size)."""
    return -(-size // multiple) * multiple


def mask_labels(labels: backend.DeviceArray, mask: backend.DeviceArray) -> backend.DeviceArray:
    """Labels where ``mask`` (uint8) is non-zero, 0 elsewhere."""
    out = backend.create(labels.shape, np.uint32)
    backend.launch(SEGMENTATION, "mask_labels", (labels.size,), labels, mask, out,
                   defines={"T_IN": "uint"})
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
    backend.launch(LABELS, "touching_pairs", (count,), labels, counts, counts, counts, 0,
                   nx, ny, nz, defines=options)
    offsets = exclusive_scan(counts) if count <= (1 << 20) else _long_scan(counts)
    total = count_of(offsets)
    if total == 0:
        return np.zeros((0, 2), np.uint32)
    pairs = backend.create(2 * total, np.uint32)
    backend.launch(LABELS, "touching_pairs", (count,), labels, counts, offsets, pairs, 1,
                   nx, ny, nz, defines=options)
    return np.unique(pairs.get().reshape(-1, 2), axis=0)
