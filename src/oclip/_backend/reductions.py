"""Reductions and prefix scans built from expressions, by pyopencl, once per device.

:func:`reduce` wraps :class:`pyopencl.reduction.ReductionKernel` and :func:`scan`
wraps :class:`pyopencl.scan.GenericScanKernel`: the caller gives the element
expressions and the arguments' OpenCL declarations; the kernel is built on
first use per (device, expressions, arguments) and cached.  Builds and
launches are counted in :data:`oclip._backend.stats` as kernel programs are,
and the compiler's output goes to the ``oclip`` logger.

Examples
--------
The sum of a float image, accumulated in float:

>>> total = reduce(image, dtype=np.float32, neutral="0", reduce_expr="a + b",
...                map_expr="image[i]", arguments="__global const float *image",
...                name="image_sum")  # doctest: +SKIP

Exclusive prefix sums of ``counts`` into ``offsets`` (``n + 1`` values):

>>> scan(counts, offsets, size=counts.size, dtype=np.uint32, input_expr="counts[i]",
...      output_statement="offsets[i + 1] = item; if (i == 0) offsets[0] = 0;",
...      arguments="__global const uint *counts, __global uint *offsets",
...      name="offsets")  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyopencl as cl
from pyopencl.reduction import ReductionKernel
from pyopencl.scan import GenericScanKernel

from .._errors import DeviceMemoryError, KernelBuildError
from ._scope import building, check_cancelled
from .arrays import DeviceArray
from .device import device_session
from .programs import check_same_device, stats

_reductions: dict[tuple, ReductionKernel] = {}
_scans: dict[tuple, GenericScanKernel] = {}


def _built(cache: dict[tuple, Any], key: tuple, make: Any, name: str) -> Any:
    """The cached kernel of ``key`` for the current device, built by ``make()`` if new."""
    with device_session() as device_context:
        key = (device_context.device.index, *key)
        kernel = cache.get(key)
        if kernel is None:
            building(name)
            try:
                kernel = make(device_context.context)
            except cl.Error as error:
                raise KernelBuildError(
                    f"building the {name} kernel failed on "
                    f"'{device_context.device.name}':\n{error}") from None
            stats["builds"] += 1
            cache[key] = kernel
        return kernel


def _launched(kernel: Any, name: str, *args: object, **kwargs: object) -> Any:
    check_cancelled(name)
    stats["launches"] += 1
    # the session also routes the build log of a helper kernel pyopencl may build now
    with device_session() as device_context:
        check_same_device(args, device_context, name)
        try:
            return kernel(*args, queue=device_context.queue, **kwargs)
        except cl.MemoryError as error:
            raise DeviceMemoryError(f"{name}: the device ran out of memory ({error})"
                                    ) from None


def reduce(*args: object, dtype: np.dtype | type, neutral: str, reduce_expr: str,
           map_expr: str, arguments: str, name: str, preamble: str = "") -> DeviceArray:
    """Reduce arrays to one value on the device.

    Parameters
    ----------
    *args : DeviceArray or numpy scalar
        The kernel's arguments, in the order of ``arguments``.
    dtype : dtype
        Type of the result and of the values combined (numpy, or a
        :mod:`pyopencl.cltypes` vector type).
    neutral : str
        OpenCL expression of the neutral element of ``reduce_expr``.
    reduce_expr : str
        OpenCL expression combining two values ``a`` and ``b``.
    map_expr : str
        OpenCL expression of the value of element ``i``.
    arguments : str
        OpenCL declarations of the arguments, comma separated.
    name : str
        Name of the kernel (``oclip_`` is prefixed), shown in errors.
    preamble : str, optional
        OpenCL source placed before the kernel (pragmas, helper functions).

    Returns
    -------
    DeviceArray
        A 0-dimensional device array holding the result.
    """
    dtype = np.dtype(dtype)
    key = (dtype, neutral, reduce_expr, map_expr, arguments, preamble)
    with device_session():  # built and launched on one device
        kernel = _built(_reductions, key, lambda context: ReductionKernel(
            context, dtype, neutral=neutral, reduce_expr=reduce_expr, map_expr=map_expr,
            arguments=arguments, name=f"oclip_{name}", preamble=preamble), name)
        return _launched(kernel, name, *args)


def scan(*args: object, size: int, dtype: np.dtype | type, input_expr: str,
         output_statement: str, arguments: str, name: str, scan_expr: str = "a + b",
         neutral: str = "0", is_segment_start_expr: str | None = None,
         preamble: str = "") -> None:
    """Run a prefix scan over ``size`` elements on the device.

    Parameters
    ----------
    *args : DeviceArray or numpy scalar
        The kernel's arguments, in the order of ``arguments``.
    size : int
        Number of elements scanned (element indices ``i`` are 0 .. size - 1).
    dtype : dtype
        Type of the scanned values.
    input_expr : str
        OpenCL expression of the value of element ``i``.
    output_statement : str
        OpenCL statement run per element with ``item`` (the inclusive scan up to
        ``i``), ``prev_item`` (the exclusive one) and ``i``.
    arguments : str
        OpenCL declarations of the arguments, comma separated.
    name : str
        Name of the kernel (``oclip_`` is prefixed), shown in errors.
    scan_expr : str, optional
        OpenCL expression combining ``a`` and ``b``; a sum by default.
    neutral : str, optional
        The neutral element of ``scan_expr``; 0 by default.
    is_segment_start_expr : str, optional
        An expression true where a segment starts (a segmented scan).
    preamble : str, optional
        OpenCL source placed before the kernels.
    """
    if size == 0:
        return
    dtype = np.dtype(dtype)
    key = (dtype, input_expr, output_statement, arguments, scan_expr, neutral,
           is_segment_start_expr, preamble)
    with device_session():  # built and launched on one device
        kernel = _built(_scans, key, lambda context: GenericScanKernel(
            context, dtype, arguments=arguments, input_expr=input_expr, scan_expr=scan_expr,
            neutral=neutral, output_statement=output_statement,
            is_segment_start_expr=is_segment_start_expr, preamble=preamble,
            name_prefix=f"oclip_{name}"), name)
        _launched(kernel, name, *args, size=size)
