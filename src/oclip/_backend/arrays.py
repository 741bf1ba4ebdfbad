"""Device arrays: upload (push), download (pull), allocation, and the dtype rule.

Device arrays are :class:`pyopencl.array.Array` objects on oclip's queue, so
they interoperate with pyopencl's own array functions.

The dtype rule for uploads (documented in the README):

* uint8, int8, uint16, int16, uint32, int32 and float32 keep their dtype;
* bool becomes uint8 (0/1); float16 and float64 become float32;
* int64 and uint64 become int32 / uint32 when every value fits, else ValueError;
* complex, object, string and other dtypes are refused with TypeError;
* byte order does not matter: big-endian arrays (as some TIFF files give) are
  read as the same dtype in the device's order;
* masked arrays (``numpy.ma``) are refused with TypeError: their masked pixels
  hold arbitrary values, which an operation would silently use.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeGuard, cast

import numpy as np
import pyopencl as cl
import pyopencl.array as cl_array
import pyopencl.cltypes as cltypes

from .._errors import DeviceError, DeviceMemoryError, format_bytes
from ._memory import host_memory
from ._scope import check_cancelled
from .device import DeviceContext, context_of, current_context, device_session
from .programs import Program, check_same_device, grid

DeviceArray = cl_array.Array

SUPPORTED_DTYPES = tuple(
    np.dtype(t)
    for t in (np.uint8, np.int8, np.uint16, np.int16, np.uint32, np.int32, np.float32)
)

# OpenCL C names of the supported element types, for kernel build options.
_CL_TYPE_NAMES = {
    np.dtype(np.uint8): "uchar",
    np.dtype(np.int8): "char",
    np.dtype(np.uint16): "ushort",
    np.dtype(np.int16): "short",
    np.dtype(np.uint32): "uint",
    np.dtype(np.int32): "int",
    np.dtype(np.float32): "float",
}


def cl_type_name(dtype: np.dtype | type) -> str:
    """The OpenCL C type name of a supported numpy dtype (``float32`` → ``float``)."""
    return _CL_TYPE_NAMES[np.dtype(dtype)]


def is_device_array(value: object) -> TypeGuard[DeviceArray]:
    """Whether ``value`` is a device array (a :class:`pyopencl.array.Array`)."""
    return isinstance(value, cl_array.Array)


def _narrow_int64(array: np.ndarray, name: str) -> np.ndarray:
    target = np.dtype(np.int32 if array.dtype.kind == "i" else np.uint32)
    if array.size:
        low, high = array.min(), array.max()
        info = np.iinfo(target)
        if low < info.min or high > info.max:
            raise ValueError(
                f"{name}: {array.dtype} values from {low} to {high} do not fit {target}; "
                f"oclip computes with 32-bit integers. Rescale or convert the image first."
            )
    return array.astype(target)


def upload_dtype(dtype: np.dtype | type, name: str = "image") -> np.dtype:
    """The dtype an array of ``dtype`` gets on the device (see the module's rule).

    64-bit integers map to their 32-bit counterparts here; :func:`as_host_array`
    checks that the values fit.

    Raises
    ------
    TypeError
        For complex, object, string, datetime and other unsupported dtypes.
    """
    dtype = np.dtype(dtype)
    if dtype.kind in "biuf" and not dtype.isnative:
        dtype = dtype.newbyteorder("=")
    if dtype in SUPPORTED_DTYPES:
        return dtype
    if dtype == np.bool_:
        return np.dtype(np.uint8)
    if dtype.kind == "f" and dtype.itemsize in (2, 8):
        return np.dtype(np.float32)
    if dtype.kind in "iu" and dtype.itemsize == 8:
        return np.dtype(np.int32 if dtype.kind == "i" else np.uint32)
    raise TypeError(
        f"{name}: arrays of dtype {dtype} are not supported; give uint8, int8, uint16, "
        "int16, uint32, int32, float32 (or bool, float16, float64, int64, uint64, "
        "which are converted)"
    )


def as_host_array(value: object, name: str = "image") -> np.ndarray:
    """Convert array-likes (lists, dask/xarray via ``__array__``) to a C-contiguous
    numpy array with the upload dtype."""
    if isinstance(value, np.ma.MaskedArray):
        raise TypeError(f"{name}: masked arrays are not supported (the masked pixels would be "
                        f"used as they are); give array.filled(value), or the mask as a "
                        f"binary image of its own")
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"{name}: expected an array, got {type(value).__name__} ({error})"
        ) from None
    target = upload_dtype(array.dtype, name)
    if array.dtype.kind in "iu" and array.dtype.itemsize == 8:
        array = _narrow_int64(array, name)
    elif array.dtype == np.bool_:
        array = array.view(np.uint8)
    elif array.dtype != target:
        array = array.astype(target)
    return np.ascontiguousarray(array)


def check_fits(shape: Sequence[int], dtype: np.dtype | type, what: str = "an array") -> None:
    """Raise DeviceMemoryError if a buffer of this shape and dtype cannot be allocated."""
    device = current_context().device
    nbytes = int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
    if nbytes > device.max_allocation:
        raise DeviceMemoryError(
            f"{what} of shape {tuple(shape)} and dtype {np.dtype(dtype)} needs "
            f"{format_bytes(nbytes)} in one buffer, but '{device.name}' allows at most "
            f"{format_bytes(device.max_allocation)} per buffer "
            f"({format_bytes(device.global_memory)} in all)."
        )


#: Host memory left for the driver and Python beside a new buffer on a CPU device.
HOST_MEMORY_MARGIN = 64 * 2**20
# Buffers below _SMALL_BUFFER skip the host memory check while the last check
# found more than _PLENTY available (reading it costs more than allocating).
_SMALL_BUFFER = 2**20
_PLENTY = 1024 * 2**20
_last_host_memory = [0]


def _memory_error(device_context: DeviceContext, shape: tuple[int, ...], dtype: np.dtype,
                  what: str, nbytes: int, reason: str) -> DeviceMemoryError:
    live = device_context.allocator.active_bytes
    return DeviceMemoryError(
        f"{what} of shape {shape} and dtype {dtype} needs {format_bytes(nbytes)} on "
        f"'{device_context.device.name}', but {reason}; oclip's live device arrays there "
        f"hold {format_bytes(live)}. Delete device arrays that are no longer needed, or "
        f"give a smaller image (or tiles).")


def _reserve(device_context: DeviceContext, shape: tuple[int, ...], dtype: np.dtype,
             what: str) -> None:
    """Raise DeviceMemoryError, before the driver is asked, if a new buffer on a CPU
    device cannot fit the host memory left (see :mod:`._memory`): PoCL aborts the
    process where a host allocation fails.  Buffers the pool holds for reuse are
    given back first where that makes room.  (GPU drivers report a failed
    allocation as an error, which becomes a DeviceMemoryError where it occurs;
    oclip's account of the live buffers, the pool's, goes into the messages and
    :func:`available_memory`.)
    """
    pool = device_context.allocator
    device = device_context.device
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if nbytes == 0:
        return
    size = int(pool.alloc_size(pool.bin_number(nbytes)))  # what the pool asks the driver for
    if device.type != "CPU" or (size < _SMALL_BUFFER and _last_host_memory[0] > _PLENTY):
        return  # small buffers while memory is plentiful: spared reading /proc each time
    host = host_memory()
    _last_host_memory[0] = host.available if host is not None else _PLENTY + 1
    if host is not None and size + HOST_MEMORY_MARGIN > host.available:
        pool.free_held()
        host = host_memory()
        _last_host_memory[0] = host.available if host is not None else _PLENTY + 1
        if host is not None and size + HOST_MEMORY_MARGIN > host.available:
            raise _memory_error(
                device_context, shape, dtype, what, nbytes,
                f"only {format_bytes(host.available)} of host memory is left ({host.bound})")


def available_memory() -> int:
    """Bytes the current device can still take in new buffers, as oclip counts:
    its memory less oclip's live buffers and, on CPU devices, no more than the
    host memory left (less a margin).  Plan work against this, not the memory
    the driver reports."""
    with device_session() as device_context:
        device = device_context.device
        left = device.global_memory - int(device_context.allocator.active_bytes)
        if device.type == "CPU":
            host = host_memory()
            if host is not None:
                left = min(left, host.available - HOST_MEMORY_MARGIN)
        return max(left, 0)


def _allocate(shape: tuple[int, ...], dtype: np.dtype, what: str) -> DeviceArray:
    # (the session also routes the build log of a helper kernel pyopencl's pool may build)
    with device_session() as device_context:
        check_fits(shape, dtype, what)
        _reserve(device_context, shape, dtype, what)
        try:
            return cl_array.empty(device_context.queue, shape, dtype,
                                  allocator=device_context.allocator)
        except cl.Error as error:
            raise DeviceMemoryError(
                f"could not allocate {what} of shape {shape} and dtype {dtype} on "
                f"'{device_context.device.name}': {error}"
            ) from None


def create(shape: int | Sequence[int], dtype: np.dtype | type = np.float32) -> DeviceArray:
    """Allocate an uninitialised device array.

    Parameters
    ----------
    shape : int or sequence of int
        Array shape, numpy's axis order ((z, y, x) for a 3D image).
    dtype : dtype, optional
        One of the supported dtypes; float32 by default.

    Returns
    -------
    pyopencl.array.Array
    """
    shape = _shape_tuple(shape)
    if any(n < 0 for n in shape):
        raise ValueError(f"shape: dimensions must not be negative, got {shape}")
    dtype = np.dtype(dtype)
    if dtype not in SUPPORTED_DTYPES:
        raise TypeError(f"dtype: {dtype} is not a device dtype; use one of "
                        + ", ".join(str(d) for d in SUPPORTED_DTYPES))
    return _allocate(shape, dtype, "an array")


def _shape_tuple(shape: int | Sequence[int]) -> tuple[int, ...]:
    # np.ndim rather than isinstance: numpy integers and 0-d arrays are scalars too
    if np.ndim(shape) == 0:
        return (int(cast(int, shape)),)
    return tuple(int(n) for n in cast(Sequence[int], shape))


def _buffer(array: DeviceArray) -> cl.Buffer:
    """The memory under ``array``, for pyopencl's copy and fill functions.

    oclip's arrays come from its memory pool, so ``base_data`` is a pooled
    buffer, which those functions take like a :class:`pyopencl.Buffer`;
    pyopencl annotates ``base_data`` more widely (SVM pointers, None).
    """
    return cast(cl.Buffer, array.base_data)


def work_array(shape: int | Sequence[int], dtype: np.dtype | type, *, zero: bool = False,
               what: str = "a work buffer") -> DeviceArray:
    """Allocate a device array for kernels' intermediate results.

    Unlike :func:`create`, any dtype pyopencl knows is allowed: 64-bit integers
    and floats, or OpenCL vector types (:func:`vector_dtype`).

    Parameters
    ----------
    shape : int or sequence of int
        Array shape.
    dtype : dtype
        Element type.
    zero : bool, optional
        Fill the array with zeros (else it is uninitialised).
    what : str, optional
        What the buffer holds, for the error if it does not fit.

    Returns
    -------
    pyopencl.array.Array
    """
    shape = _shape_tuple(shape)
    dtype = np.dtype(dtype)
    if not zero:
        return _allocate(shape, dtype, what)
    with device_session() as device_context:
        check_fits(shape, dtype, what)
        _reserve(device_context, shape, dtype, what)
        return cl_array.zeros(device_context.queue, shape, dtype,
                              allocator=device_context.allocator)


#: OpenCL names of the scalar types of accumulators beside the image types.
_ACCUMULATOR_NAMES = {np.dtype(np.float64): "double", np.dtype(np.int64): "long",
                      np.dtype(np.uint64): "ulong"}


def vector_dtype(dtype: np.dtype | type, width: int) -> np.dtype:
    """The OpenCL vector type of ``width`` elements of a supported dtype, or of a
    64-bit accumulator type (``float32``, 2 → ``float2``; ``float64``, 4 →
    ``double4``), as a numpy dtype."""
    name = _ACCUMULATOR_NAMES.get(np.dtype(dtype)) or cl_type_name(dtype)
    return np.dtype(getattr(cltypes, name + str(width)))


def local_memory(nbytes: int) -> cl.LocalMemory:
    """A kernel argument that reserves ``nbytes`` of local memory per work-group."""
    return cl.LocalMemory(int(nbytes))


def copy_box(image: DeviceArray, origin: Sequence[int],
             out_shape: Sequence[int]) -> DeviceArray:
    """Copy the box of ``out_shape`` at ``origin`` (numpy order) out of ``image``:
    one rectangular buffer copy."""
    with device_session() as device_context:
        check_same_device([image], device_context, "copy_box")
        out = create(tuple(out_shape), image.dtype)
        item = image.dtype.itemsize
        nx, ny, _ = grid(image.shape)
        ox, oy, oz = grid(out.shape)
        z0, y0, x0 = (0,) * (3 - len(origin)) + tuple(origin)
        try:
            # The origin as whole rows of the planes' pitch.
            cl.enqueue_copy(device_context.queue, _buffer(out), _buffer(image),
                            src_origin=(x0 * item, z0 * ny + y0, 0), dst_origin=(0, 0, 0),
                            region=(ox * item, oy, oz),
                            src_pitches=(nx * item, nx * ny * item),
                            dst_pitches=(ox * item, ox * oy * item))
        except cl.Error as error:
            raise DeviceError(f"copying a box of the image failed: {error}") from None
        return out


def copy_planes(image: DeviceArray, planes: Sequence[int],
                out_shape: Sequence[int]) -> DeviceArray:
    """Copy whole planes of a 3D image, one contiguous copy each.  (A single
    rectangular copy with a pitch of several planes is refused by drivers that
    bound it as region x pitch, past the last plane it really reads.)"""
    with device_session() as device_context:
        check_same_device([image], device_context, "copy_planes")
        out = create(tuple(out_shape), image.dtype)
        plane = int(np.prod(image.shape[1:])) * image.dtype.itemsize
        try:
            for index, z in enumerate(planes):
                cl.enqueue_copy(device_context.queue, _buffer(out), _buffer(image),
                                byte_count=plane, src_offset=image.offset + z * plane,
                                dst_offset=index * plane)
        except cl.Error as error:
            raise DeviceError(f"copying planes of the image failed: {error}") from None
        return out


class Stager:
    """Large host <-> device copies through pinned staging buffers.

    Copies from ordinary (pageable) memory go through the driver's own small
    staging area, at a fraction of the bus speed.  For a discrete GPU, oclip
    copies in chunks through two pinned buffers instead: while the bus moves
    one chunk, threads copy the next one between the array and the other
    pinned buffer (faster on discrete GPUs: push+pull in
    benchmarks/results/compare-h200.md).
    """

    #: Bytes per chunk (and per pinned buffer).
    chunk_bytes = 64 * 2**20
    #: Arrays from this size on are staged.
    threshold_bytes = 16 * 2**20

    def __init__(self, context: cl.Context, queue: cl.CommandQueue) -> None:
        self.queue = queue
        flags = cl.mem_flags.READ_WRITE | cl.mem_flags.ALLOC_HOST_PTR
        self._buffers = [cl.Buffer(context, flags, self.chunk_bytes) for _ in range(2)]
        # pyopencl's stubs declare map_flags an IntEnum; at run time the flags are ints
        map_flags = cast(cl.map_flags, cl.map_flags.READ | cl.map_flags.WRITE)
        self._views = [
            cl.enqueue_map_buffer(queue, b, map_flags, 0, (self.chunk_bytes,),
                                  np.dtype(np.uint8))[0]
            for b in self._buffers
        ]
        self._pending: list[cl.Event | None] = [None, None]
        self._workers = max(1, min(8, (os.cpu_count() or 2) // 2))
        self._threads = ThreadPoolExecutor(self._workers, thread_name_prefix="oclip-copy")

    def _copy(self, target: np.ndarray, source: np.ndarray) -> None:
        """memcpy in parallel pieces (numpy releases the GIL while copying)."""
        step = -(-len(source) // self._workers)
        list(self._threads.map(lambda a: np.copyto(target[a:a + step], source[a:a + step]),
                               range(0, len(source), step)))

    def _wait(self, slot: int) -> None:
        event = self._pending[slot]
        if event is not None:
            event.wait()
            self._pending[slot] = None

    def write(self, target: DeviceArray, source: np.ndarray) -> None:
        """Copy the C-contiguous ``source`` into ``target`` (same size in bytes)."""
        data = source.reshape(-1).view(np.uint8)
        for index, start in enumerate(range(0, data.size, self.chunk_bytes)):
            slot = index % 2
            piece = data[start:start + self.chunk_bytes]
            self._wait(slot)  # the bus has finished with this buffer's last chunk
            view = self._views[slot][:piece.size]
            self._copy(view, piece)
            self._pending[slot] = cl.enqueue_copy(self.queue, _buffer(target), view,
                                                  dst_offset=target.offset + start,
                                                  is_blocking=False)

    def read(self, target: np.ndarray, source: DeviceArray) -> None:
        """Copy ``source`` into the C-contiguous ``target`` (same size in bytes)."""
        data = target.reshape(-1).view(np.uint8)
        starts = list(range(0, data.size, self.chunk_bytes))
        for slot in (0, 1):
            self._wait(slot)

        def fetch(index: int) -> cl.Event:
            start = starts[index]
            size = min(self.chunk_bytes, data.size - start)
            return cl.enqueue_copy(self.queue, self._views[index % 2][:size], _buffer(source),
                                   src_offset=source.offset + start, is_blocking=False)

        fetching = fetch(0)
        for index, start in enumerate(starts):
            following = fetch(index + 1) if index + 1 < len(starts) else None
            fetching.wait()
            piece = data[start:start + self.chunk_bytes]
            self._copy(piece, self._views[index % 2][:piece.size])
            if following is not None:
                fetching = following


def _stager(device_context: DeviceContext, size: int) -> Stager | None:
    """The device context's stager if an array of ``size`` bytes should be staged."""
    if device_context.device.unified_memory or size < Stager.threshold_bytes:
        return None
    if device_context.stager is None:
        device_context.stager = Stager(device_context.context, device_context.queue)
    # DeviceContext types it as object: device.py cannot import this module (a cycle)
    return device_context.stager


_CHECKS = Program(__package__, "checks.cl")

#: Work-items of the non-finite check: one launch size for every array (see checks.cl).
#: Work-items of the NaN/infinity check: on CPUs one per a few thousand floats; on
#: GPUs enough to keep every compute unit's loads in flight (2**16 items read a
#: 1 GiB image at a third of an H100's bandwidth).
_CHECK_ITEMS = {"CPU": 1 << 16, "GPU": 1 << 20}


def holds_nonfinite(image: object, *, nan: bool = True, infinity: bool = True) -> bool:
    """Whether a float image holds NaN (if ``nan``) or +-inf (if ``infinity``).

    Integer images never do.  A host array is checked on the host; a device
    array on the device, with one small read back of the answer.
    """
    if not (nan or infinity):
        return False
    if is_device_array(image):
        if image.dtype != np.float32 or image.size == 0:
            return False
        with device_session() as device_context:
            check_same_device([image], device_context, "the NaN/infinity check")
            # the kernel reads from the buffer's start
            contiguous = image.copy() if image.offset else image
            flag = _allocate((1,), np.dtype(np.uint32), "a flag")
            cl.enqueue_fill_buffer(device_context.queue, _buffer(flag),
                                   np.zeros(1, np.uint32), flag.offset, 4)
            items = _CHECK_ITEMS.get(device_context.device.type, 1 << 16)
            _CHECKS.launch("flag_nonfinite", (items,),
                           contiguous, np.uint64(contiguous.size), flag,
                           defines={"CHECK_NAN": int(nan), "CHECK_INF": int(infinity),
                                    "CONTIGUOUS": int(device_context.device.type == "CPU")})
            return bool(flag.get()[0])
    array = np.asarray(image)
    if array.dtype.kind != "f" or array.size == 0:
        return False
    if nan and infinity:
        return not bool(np.isfinite(array).all())
    return bool(np.isnan(array).any() if nan else np.isinf(array).any())


def push(image: object) -> DeviceArray:
    """Copy an image to the selected device.

    Parameters
    ----------
    image : array_like
        A numpy array or anything ``numpy.asarray`` accepts.  A device array
        is returned as it is.

    Returns
    -------
    pyopencl.array.Array
        A C-contiguous device array with the dtype of the upload rule.
    """
    if is_device_array(image):
        return image
    host = as_host_array(image)
    check_cancelled("copying an image to the device")
    with device_session() as device_context:
        device_array = _allocate(host.shape, host.dtype, "the image")
        if host.size:
            stager = _stager(device_context, host.nbytes)
            try:
                if stager is None:
                    device_array.set(host)
                else:
                    stager.write(device_array, host)
            except cl.Error as error:
                raise DeviceMemoryError(f"copying the image to the device failed: {error}"
                                        ) from None
        return device_array


def pull(image: object) -> Any:
    """Copy a device array back into a numpy array (numpy arrays pass through).

    Parameters
    ----------
    image : pyopencl.array.Array or array_like, or a dict of them
        A table (dict of columns, as measurements return) is pulled column by
        column.

    Returns
    -------
    numpy.ndarray, or a dict of numpy arrays for a dict
    """
    if isinstance(image, Mapping):
        return {key: pull(value) for key, value in image.items()}
    if is_device_array(image):
        check_cancelled("reading a result back")
        # read on the array's own device, whichever is selected now
        with device_session(context_of(image.context)) as device_context:
            try:
                staged = (image.flags.c_contiguous
                          and device_context.context == image.context)
                stager = _stager(device_context, image.nbytes) if staged else None
                if stager is None:
                    return image.get()
                host = np.empty(image.shape, image.dtype)
                stager.read(host, image)
                return host
            except cl.Error as error:
                raise DeviceMemoryError(
                    f"reading the result back from the device failed: {error}") from None
    return np.asarray(image)


def minimum(array: DeviceArray) -> np.number:
    """The smallest value of a non-empty device array, read back as a numpy scalar."""
    # on the array's device; a first reduction builds a kernel, whose log the session routes
    with device_session(context_of(array.context)):
        return cl_array.min(array).get()[()]
