"""The errors oclip raises about devices, kernels and device memory.

Bad arguments raise the built-in ``TypeError`` and ``ValueError``; everything
that goes wrong on the OpenCL side is translated into one of these, so that no
bare pyopencl error reaches a user.
"""

from __future__ import annotations


class OclipError(RuntimeError):
    """Base class of oclip's own errors."""


class NoDeviceError(OclipError):
    """No usable OpenCL platform or device, or none matches the request."""


class DeviceError(OclipError):
    """An OpenCL device failed to do what was asked of it."""


class KernelBuildError(DeviceError):
    """An OpenCL program failed to build; the message carries the build log."""


class DeviceMemoryError(DeviceError):
    """An image or buffer does not fit the device's memory."""


class Cancelled(OclipError):
    """The work was cancelled (by a user interface) before it finished.

    Raised between device commands (kernel launches, builds, transfers) once
    the work's cancel flag is set; nothing half-computed is returned.
    """


def format_bytes(count: int) -> str:
    """Human-readable size in binary units, e.g. ``'1.5 GiB'``."""
    size = float(count)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if abs(size) < 1024 or unit == "TiB":
            return f"{int(size)} bytes" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


# Tracebacks and reprs show the public names (oclip.NoDeviceError, ...).
for _error in (OclipError, NoDeviceError, DeviceError, KernelBuildError, DeviceMemoryError,
               Cancelled):
    _error.__module__ = "oclip"
