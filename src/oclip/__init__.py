"""oclip: GPU-accelerated image processing for 2D, 3D and 3D+time microscopy images.

Operations take numpy arrays (results come back as numpy arrays) or device
arrays from :func:`push` (results stay on the device)::

    import oclip
    blurred = oclip.gaussian_blur(image, sigma_x=2, sigma_y=2)
    labels = oclip.connected_components_labeling(oclip.threshold_otsu(blurred))

Nothing touches OpenCL at import time; the device is chosen on first use
(see :func:`select_device`).
"""

from . import data
from ._backend import (
    DeviceInfo,
    create,
    current_device,
    devices,
    pull,
    push,
    select_device,
)
from ._errors import (
    Cancelled,
    DeviceError,
    DeviceMemoryError,
    KernelBuildError,
    NoDeviceError,
    OclipError,
)
from ._version import __version__ as __version__
from .ops import *
from .ops import __all__ as _operation_names

__all__ = [
    "Cancelled",
    "DeviceError",
    "DeviceInfo",
    "DeviceMemoryError",
    "KernelBuildError",
    "NoDeviceError",
    "OclipError",
    "create",
    "current_device",
    "data",
    "devices",
    "pull",
    "push",
    "select_device",
    *_operation_names,
]
