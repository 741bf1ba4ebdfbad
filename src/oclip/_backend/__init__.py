"""The OpenCL backend: devices, context/queue, device arrays, kernel programs.

This is the only part of oclip that talks to pyopencl directly.
"""

from .arrays import (
    SUPPORTED_DTYPES,
    DeviceArray,
    as_host_array,
    check_fits,
    cl_type_name,
    create,
    holds_nonfinite,
    is_device_array,
    minimum,
    pull,
    push,
    upload_dtype,
)
from .device import (
    DeviceInfo,
    Session,
    check_device,
    current_device,
    current_session,
    describe,
    devices,
    select_device,
)
from .programs import (
    Program,
    build,
    compiler_output_logged,
    grid,
    stats,
    synchronize,
)

__all__ = [
    "SUPPORTED_DTYPES",
    "DeviceArray",
    "DeviceInfo",
    "Program",
    "Session",
    "as_host_array",
    "build",
    "check_device",
    "check_fits",
    "cl_type_name",
    "compiler_output_logged",
    "create",
    "current_device",
    "current_session",
    "describe",
    "devices",
    "grid",
    "holds_nonfinite",
    "is_device_array",
    "minimum",
    "pull",
    "push",
    "select_device",
    "stats",
    "synchronize",
    "upload_dtype",
]
