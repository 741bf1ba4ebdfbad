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
    pull,
    push,
    upload_dtype,
)
from .device import (
    DEVICE_ENVIRONMENT_VARIABLE,
    DeviceContext,
    DeviceInfo,
    check_device,
    current_context,
    current_device,
    describe,
    device_matches,
    device_rank,
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
    "DEVICE_ENVIRONMENT_VARIABLE",
    "SUPPORTED_DTYPES",
    "DeviceArray",
    "DeviceContext",
    "DeviceInfo",
    "Program",
    "as_host_array",
    "build",
    "check_device",
    "check_fits",
    "cl_type_name",
    "compiler_output_logged",
    "create",
    "current_context",
    "current_device",
    "describe",
    "device_matches",
    "device_rank",
    "devices",
    "grid",
    "holds_nonfinite",
    "is_device_array",
    "pull",
    "push",
    "select_device",
    "stats",
    "synchronize",
    "upload_dtype",
]
