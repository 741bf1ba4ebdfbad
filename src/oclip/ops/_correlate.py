"""Windows given by an image (kernels of ``convolve``, templates of ``match_template``,
small fixed kernels): the kernels of correlate.cl."""

from __future__ import annotations

import numpy as np

from .. import _backend as backend

CORRELATE = backend.Program("oclip.ops", "correlate.cl")


def _as_3d(values: np.ndarray) -> np.ndarray:
    return values.reshape((1,) * (3 - values.ndim) + values.shape)


def correlate_window(image: backend.DeviceArray, kernel_name: str, weights: np.ndarray,
                     centre: tuple[int, ...], *extra: object) -> backend.DeviceArray:
    """Run a window kernel of correlate.cl: ``weights`` (numpy order, up to the image's
    dimensions) placed with the element ``centre`` on each pixel; float32 result."""
    weights3 = _as_3d(weights)
    cz, cy, cx = (0,) * (3 - len(centre)) + tuple(centre)
    kz, ky, kx = weights3.shape
    out = backend.create(image.shape, np.float32)
    table = backend.push(np.ascontiguousarray(weights3, np.float32))
    CORRELATE.launch(kernel_name, backend.grid(image.shape), image, out, table, *extra,
                     kx, ky, kz, cx, cy, cz, *backend.grid(image.shape),
                     defines={"T_IN": backend.cl_type_name(image.dtype)})
    return out
