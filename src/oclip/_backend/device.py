"""OpenCL devices: discovery, the selection policy, and the current context/queue.

Nothing here touches OpenCL until a function is called.  The first operation
(or an explicit :func:`select_device`) picks a device:

1. the name given to :func:`select_device`, else
2. the ``OCLIP_DEVICE`` environment variable, else
3. the best GPU (discrete before integrated, then the one with more memory),
   else a CPU device (e.g. PoCL), else anything else.

A name is ``"gpu"``, ``"cpu"``, or a case-insensitive substring of a device
name.  A candidate is opened by building and running a tiny kernel: drivers
exist that list a device but cannot compile for it (PoCL 3.0 on CPUs newer
than its LLVM, for instance), and such a device is passed over with its reason.

Each operation call runs in one :func:`device_session`: the device selected
when the call starts is the one it uses to the end, in its thread, whatever
another thread selects meanwhile (a selection applies to the calls that start
after it; a kernel given buffers of one device's context on another's queue
can hang inside the driver), and calls on one device from several threads
take turns.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pyopencl as cl
import pyopencl.tools as cl_tools

from .._errors import DeviceError, NoDeviceError, format_bytes
from ._compiler import compiler_output_logged

if TYPE_CHECKING:
    from .arrays import Stager

#: The environment variable that names the device to use (see :func:`select_device`).
DEVICE_ENVIRONMENT_VARIABLE = "OCLIP_DEVICE"

NO_PLATFORM_HELP = (
    "No OpenCL platform is installed, so oclip has no device to run on. "
    "Install your GPU vendor's driver with OpenCL support (NVIDIA, AMD ROCm, Intel "
    "compute-runtime), or a CPU OpenCL driver: pip install 'pyopencl[pocl]' "
    "(Linux x86-64), or your distribution's PoCL package "
    "(e.g. apt-get install pocl-opencl-icd)."
)

_TYPE_NAMES = {
    cl.device_type.GPU: "GPU",
    cl.device_type.CPU: "CPU",
    cl.device_type.ACCELERATOR: "ACCELERATOR",
}
# Lower ranks first: GPUs, then CPUs, then whatever else a platform offers.
_TYPE_RANK = {"GPU": 0, "CPU": 1, "ACCELERATOR": 2, "OTHER": 3}


@dataclass(frozen=True)
class DeviceInfo:
    """An OpenCL device as oclip describes it.

    Attributes
    ----------
    name, platform : str
        Device and platform names as the driver reports them.
    type : str
        ``"GPU"``, ``"CPU"``, ``"ACCELERATOR"`` or ``"OTHER"``.
    global_memory : int
        Device memory in bytes.
    max_allocation : int
        The largest single buffer the device allows, in bytes.
    opencl_version : str
        The device's OpenCL version string.
    driver_version : str
        The driver's version string.
    compute_units : int
        Number of parallel compute units.
    unified_memory : bool
        True for devices that share memory with the host (integrated GPUs, CPUs).
    double_precision : bool
        True if the device supports 64-bit floats (``cl_khr_fp64``).
    exact_divide_sqrt : bool
        True if the device can round float division and square roots
        correctly (as numpy does); oclip builds its programs so then.
    index : int
        Position in discovery order (platform by platform).
    max_constant_buffer : int
        The largest constant buffer (window tables) a kernel may take, in bytes.
    """

    name: str
    platform: str
    type: str
    global_memory: int
    max_allocation: int
    opencl_version: str
    driver_version: str
    compute_units: int
    unified_memory: bool
    double_precision: bool
    exact_divide_sqrt: bool
    index: int
    cl_device: cl.Device = field(repr=False, compare=False, hash=False)
    #: The largest ``__constant`` buffer a kernel may take, in bytes (OpenCL
    #: guarantees 64 KiB).
    max_constant_buffer: int = field(default=64 * 1024, repr=False)

    def __str__(self) -> str:
        return f"{self.name} ({self.type}, {self.platform})"

    @classmethod
    def from_cl(cls, device: cl.Device, index: int) -> DeviceInfo:
        kind = next((n for t, n in _TYPE_NAMES.items() if device.type & t), "OTHER")
        return cls(
            name=device.name.strip(),
            platform=device.platform.name.strip(),
            type=kind,
            global_memory=int(device.global_mem_size),
            max_allocation=int(device.max_mem_alloc_size),
            opencl_version=device.version.strip(),
            driver_version=device.driver_version.strip(),
            compute_units=int(device.max_compute_units),
            unified_memory=bool(device.host_unified_memory),
            double_precision="cl_khr_fp64" in device.extensions.split(),
            index=index,
            exact_divide_sqrt=bool(device.single_fp_config
                                   & cl.device_fp_config.CORRECTLY_ROUNDED_DIVIDE_SQRT),
            cl_device=device,
            max_constant_buffer=int(device.max_constant_buffer_size),
        )


def device_rank(device: DeviceInfo) -> tuple:
    """Sort key of the selection policy: lower is better.

    Parameters
    ----------
    device : DeviceInfo
        A device :func:`devices` lists.

    Returns
    -------
    tuple
        (type rank, unified memory, -global memory, discovery index): GPUs before
        CPUs before other devices, discrete GPUs before integrated ones, then more
        memory first.  ``device_rank(d)[:2]`` tells devices of one class apart.
    """
    return (_TYPE_RANK[device.type], device.unified_memory, -device.global_memory, device.index)


def device_matches(device: DeviceInfo, name: str) -> bool:
    """Whether ``name`` designates ``device``.

    Parameters
    ----------
    device : DeviceInfo
        A device :func:`devices` lists.
    name : str
        ``"gpu"``, ``"cpu"`` (the device's type) or a case-insensitive substring
        of the device's name, as :func:`select_device` and ``OCLIP_DEVICE`` take.

    Returns
    -------
    bool
    """
    wanted = name.strip().lower()
    if wanted in ("gpu", "cpu"):
        return device.type.lower() == wanted
    return wanted in device.name.lower()


def _discover() -> list[DeviceInfo]:
    try:
        platforms = cl.get_platforms()
    except cl.Error as error:
        raise NoDeviceError(f"{NO_PLATFORM_HELP} (OpenCL said: {error})") from None
    found: list[DeviceInfo] = []
    for platform in platforms:
        try:
            platform_devices = platform.get_devices()
        except cl.Error:
            continue  # a platform with no devices raises DEVICE_NOT_FOUND
        for device in platform_devices:
            found.append(DeviceInfo.from_cl(device, len(found)))
    if not found:
        raise NoDeviceError(NO_PLATFORM_HELP + " (platforms exist, but they list no device)")
    return found


# A kernel that every working OpenCL compiler builds; running it proves the
# device really executes code, not only that the driver lists it.
_PROBE_SOURCE = """
__kernel void oclip_probe(__global int *out) {
    const int i = get_global_id(0);
    out[i] = 3 * i + 1;
}
"""


def _reason(error: cl.Error) -> str:
    """The informative part of a failed self-test: the build log's error lines."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    errors = [line for line in lines if line.lower().startswith("error")]
    reason = "; ".join(errors) if errors else lines[0] if lines else type(error).__name__
    if "unknown target CPU" in reason:
        reason += (" (this PoCL's compiler predates the processor; install a newer PoCL, "
                   "e.g. apt-get install pocl-opencl-icd)")
    return reason


@dataclass
class DeviceContext:
    """The OpenCL context, in-order queue and memory pool oclip uses for one device.

    Device arrays come from the pool: buffers freed by one operation are reused
    by the next, which saves the driver's allocation (and, on CPU devices, the
    page faults of fresh memory).  The pool gives held buffers back to the
    driver when an allocation would otherwise fail.
    """

    device: DeviceInfo
    context: cl.Context
    queue: cl.CommandQueue
    allocator: cl_tools.MemoryPool
    #: Pinned buffers for large transfers (arrays.Stager), made on first use.
    stager: Stager | None = None
    #: Held by the device sessions that use this context (see :func:`device_session`).
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)


def _open(device: DeviceInfo) -> DeviceContext:
    """Create a context and queue, and prove the device builds and runs a kernel."""
    try:
        context = cl.Context([device.cl_device])
        queue = cl.CommandQueue(context)
        with compiler_output_logged():
            program = cl.Program(context, _PROBE_SOURCE).build()
        result = np.empty(8, np.int32)
        buffer = cl.Buffer(context, cl.mem_flags.WRITE_ONLY, result.nbytes)
        program.oclip_probe(queue, result.shape, None, buffer)
        cl.enqueue_copy(queue, result, buffer)
        queue.finish()
    except cl.Error as error:
        raise DeviceError(f"device '{device}' does not work: {_reason(error)}") from None
    if not np.array_equal(result, 3 * np.arange(8, dtype=np.int32) + 1):
        raise DeviceError(f"device '{device}' computed a wrong result in its self-test")
    return DeviceContext(device, context, queue,
                   cl_tools.MemoryPool(cl_tools.ImmediateAllocator(queue)))


class _State:
    """Process-wide backend state: discovered devices, open contexts, the current one."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.devices: list[DeviceInfo] | None = None
        # the open device contexts by device index (the name tests/conftest.py uses)
        self.contexts: dict[int, DeviceContext] = {}
        self.failures: dict[int, DeviceError] = {}
        self.current: DeviceContext | None = None


_state = _State()

# Per thread: the device contexts of the device sessions it is inside, innermost last.
_sessions = threading.local()


def _session_stack() -> list[DeviceContext]:
    stack: list[DeviceContext] | None = getattr(_sessions, "stack", None)
    if stack is None:
        stack = _sessions.stack = []
    return stack


def devices(*, refresh: bool = False) -> list[DeviceInfo]:
    """List the OpenCL devices of all platforms, in discovery order.

    Parameters
    ----------
    refresh : bool
        Discover again instead of returning the list found the first time.

    Returns
    -------
    list of DeviceInfo

    Raises
    ------
    NoDeviceError
        If no OpenCL platform or device is installed; the message says how to
        get one.
    """
    with _state.lock:
        if _state.devices is None or refresh:
            _state.devices = _discover()
        return list(_state.devices)


def check_device(device: DeviceInfo) -> DeviceError | None:
    """Open ``device`` if not yet open; return the reason it fails, or None."""
    with _state.lock:
        if device.index in _state.contexts:
            return None
        if device.index not in _state.failures:
            try:
                _state.contexts[device.index] = _open(device)
            except DeviceError as error:
                _state.failures[device.index] = error
        return _state.failures.get(device.index)


def select_device(name: str | DeviceInfo | None = None) -> DeviceInfo:
    """Select the OpenCL device for all following work.

    Parameters
    ----------
    name : str or DeviceInfo, optional
        ``"gpu"``, ``"cpu"``, a case-insensitive substring of a device name, or
        one of the devices :func:`devices` lists.  Without it, the
        ``OCLIP_DEVICE`` environment variable is used if set, else the best
        available device (see the module documentation).

    Returns
    -------
    DeviceInfo
        The selected device.

    Raises
    ------
    NoDeviceError
        If no device matches ``name`` or none of the matching ones works.

    Notes
    -----
    Device arrays belong to the device they were created on: after switching,
    push images again.  Operations running in other threads keep the device
    they started on; the selection applies to the calls that start after it
    (see :func:`device_session`).
    """
    with _state.lock:
        available = devices()
        if isinstance(name, DeviceInfo):
            if name not in available:
                raise NoDeviceError(f"'{name.name}' is not among the devices found")
            name = available[available.index(name)]
            candidates = [name]
            requested = None
        else:
            requested = (name if name is not None
                         else os.environ.get(DEVICE_ENVIRONMENT_VARIABLE) or None)
            candidates = sorted(available, key=device_rank)
        if requested is not None:
            candidates = [d for d in candidates if device_matches(d, requested)]
            if not candidates:
                listing = ", ".join(f"'{d.name}' ({d.type})" for d in available)
                source = "" if name is not None else f" (from {DEVICE_ENVIRONMENT_VARIABLE})"
                raise NoDeviceError(
                    f"no OpenCL device matches {requested!r}{source}; available: {listing}. "
                    "Give 'gpu', 'cpu' or part of a device name."
                )
        failures = []
        for device in candidates:
            failure = check_device(device)
            if failure is None:
                _state.current = _state.contexts[device.index]
                return device
            failures.append(str(failure))
        raise NoDeviceError("no usable OpenCL device: " + " | ".join(failures))


def current_context() -> DeviceContext:
    """The context, queue and memory pool of the selected device (selected first if
    none is yet); inside a :func:`device_session`, the session's."""
    stack = getattr(_sessions, "stack", None)
    if stack:
        return stack[-1]
    device_context = _state.current
    if device_context is None:
        with _state.lock:
            if _state.current is None:
                select_device()
            device_context = _state.current
    assert device_context is not None
    return device_context


@contextlib.contextmanager
def device_session(device_context: DeviceContext | None = None) -> Iterator[DeviceContext]:
    """One device for the block, in this thread: the device selected when the
    outermost session starts (or ``device_context``, where given: the one a
    device array belongs to).

    :func:`current_context` (and with it every allocation, build and launch)
    returns that device's context until the block ends, so that one operation
    never mixes the buffers of two devices, even while another thread calls
    :func:`select_device` (which then applies to the sessions that start after
    it).  The session holds the device context's lock: pyopencl's kernels,
    memory pool and queues are not safe for concurrent use from several threads
    (a kernel's arguments are set one by one before it is enqueued), so the
    sessions of one device run one at a time; sessions of different devices
    run concurrently.  Sessions nest; compiler output inside goes to the log
    (see :func:`compiler_output_logged`).

    Parameters
    ----------
    device_context : DeviceContext, optional
        The context to use instead of the current one.

    Yields
    ------
    DeviceContext
        The session's device context.
    """
    stack = _session_stack()
    if device_context is None:
        device_context = current_context()
    with device_context.lock:
        stack.append(device_context)
        try:
            with compiler_output_logged():
                yield device_context
        finally:
            stack.pop()


def context_of(context: cl.Context | None) -> DeviceContext | None:
    """The open device context whose OpenCL context is ``context`` (a device
    array's ``.context``), or None if it is none of oclip's."""
    if context is None:
        return None
    for device_context in list(_state.contexts.values()):
        if device_context.context == context:
            return device_context
    return None


def current_device() -> DeviceInfo:
    """The device oclip computes on (selected on first use).

    Returns
    -------
    DeviceInfo
    """
    return current_context().device


def describe(device: DeviceInfo) -> str:
    """One line about a device: memory, OpenCL version, compute units."""
    return (
        f"{device.name} [{device.type}] on {device.platform}: "
        f"{format_bytes(device.global_memory)}, {device.compute_units} compute units, "
        f"{device.opencl_version}"
    )
