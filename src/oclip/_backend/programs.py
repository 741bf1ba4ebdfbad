"""Kernel programs: sources from package resources, built once and cached, and launches.

A :class:`Program` names one kernel file in the ``kernels`` folder of the
package that owns it (``Program("oclip.ops", "filters.cl")``); its kernels
are built per (device, source, build options) and cached.  Compile-time
constants such as element types are passed as ``defines`` and become ``-D``
options.  Builds and launches are counted in :data:`stats` so that tests and
the workflow cache can check how much work was done.
"""

from __future__ import annotations

import functools
import logging
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, cast

import numpy as np
import pyopencl as cl
import pyopencl.array as cl_array

from .._errors import DeviceError, DeviceMemoryError, KernelBuildError
from ._scope import building, check_cancelled
from .device import DeviceContext, context_of, current_context, device_session

if TYPE_CHECKING:
    from pyopencl.typing import KernelArg

logger = logging.getLogger("oclip")

#: Counters: ``builds`` (programs compiled) and ``launches`` (kernels enqueued).
stats: Counter[str] = Counter()

_programs: dict[tuple, cl.Program] = {}
_kernels: dict[tuple, cl.Kernel] = {}


_INCLUDE = re.compile(r'^#include "([\w.]+)"[ \t]*$', re.MULTILINE)


@functools.cache
def kernel_source(package: str, filename: str) -> str:
    """Text of the kernel file ``kernels/<filename>`` shipped in ``package``.

    ``#include "name.clh"`` lines are replaced by the text of that file of the
    same folder, so that kernel families share code without compiler include
    paths (the package may live in a zip).
    """
    text = resources.files(package).joinpath("kernels", filename).read_text()
    return _INCLUDE.sub(lambda match: kernel_source(package, match.group(1)), text)


def build_options(defines: Mapping[str, object] | None) -> tuple[str, ...]:
    """``-D NAME=VALUE`` options, sorted so that equal defines give one cache key."""
    options: list[str] = []
    for key, value in sorted((defines or {}).items()):
        options += ["-D", f"{key}={value}"]
    return tuple(options)


def build(source: str, defines: Mapping[str, object] | None = None, *,
          name: str = "<source>", extra_options: tuple[str, ...] = ()) -> cl.Program:
    """Build ``source`` for the current device, or return the cached program."""
    with device_session() as device_context:
        return _build(device_context, source, defines, name=name, extra_options=extra_options)


def _build(device_context: DeviceContext, source: str, defines: Mapping[str, object] | None,
           *, name: str, extra_options: tuple[str, ...]) -> cl.Program:
    options = build_options(defines) + tuple(extra_options)
    if device_context.device.exact_divide_sqrt:
        # numpy's division and square root are correctly rounded; OpenCL's
        # default allows 2.5-3 ulp (NVIDIA uses it).  Same results on every device.
        options += ("-cl-fp32-correctly-rounded-divide-sqrt",)
    key = (device_context.device.index, source, options)
    program = _programs.get(key)
    if program is None:
        building(name)
        try:
            program = cl.Program(device_context.context, source).build(options=list(options))
        except cl.Error as error:
            raise KernelBuildError(
                f"building {name} with options {' '.join(options) or '(none)'} failed on "
                f"'{device_context.device.name}':\n{error}"
            ) from None
        stats["builds"] += 1
        _programs[key] = program
    return program


def _kernel(program: Program, name: str, defines: Mapping[str, object] | None) -> cl.Kernel:
    key = (current_context().device.index, program, build_options(defines), name)
    found = _kernels.get(key)
    if found is None:
        built = build(program.source, defines, name=program.filename)
        try:
            found = getattr(built, name)
        except AttributeError:
            raise KernelBuildError(f"{program.filename} has no kernel named {name!r}") from None
        _kernels[key] = found
    return found


def check_same_device(arrays: Iterable[object], device_context: DeviceContext,
                      what: str) -> None:
    """Raise DeviceError if a device array among ``arrays`` belongs to another context
    than ``device_context``'s: a kernel given another context's buffers may hang in
    the driver instead of failing."""
    for value in arrays:
        if isinstance(value, cl_array.Array) and value.context != device_context.context:
            owner = context_of(value.context)
            where = f"'{owner.device.name}'" if owner is not None else "another OpenCL context"
            raise DeviceError(
                f"{what}: a device array of {where} was given to a kernel on "
                f"'{device_context.device.name}'; device arrays belong to the device they "
                f"were made on: pull it and push it again after select_device")


def _argument(value: object) -> KernelArg:
    if isinstance(value, cl_array.Array):
        if value.offset:
            raise ValueError("device arrays with an offset (slices) must be copied first")
        # a pooled buffer, which pyopencl's KernelArg (naming cl.Buffer) leaves out
        return cast("KernelArg", value.base_data)
    if isinstance(value, bool):
        return np.int32(value)
    if isinstance(value, int):
        return np.int32(value)
    if isinstance(value, float) and not isinstance(value, np.floating):  # not np.float64
        return np.float32(value)
    # numpy scalars, local memory, None: pyopencl checks them (its KernelArg lacks LocalMemory)
    return cast("KernelArg", value)


@dataclass(frozen=True)
class Program:
    """One kernel file: ``kernels/<filename>`` in the package ``package``.

    Examples
    --------
    >>> FILTERS = Program("oclip.ops", "filters.cl")
    >>> FILTERS.launch("convolve_x", grid(image.shape), image, out, weights,
    ...                defines={"T_IN": "float", "T_OUT": "float"})  # doctest: +SKIP
    """

    package: str
    filename: str

    @property
    def source(self) -> str:
        """The file's text, with its ``#include`` lines inlined."""
        return kernel_source(self.package, self.filename)

    def kernel(self, name: str, defines: Mapping[str, object] | None = None) -> cl.Kernel:
        """The kernel ``name`` of this file built with ``defines`` (cached)."""
        return _kernel(self, name, defines)

    def launch(self, name: str, global_size: tuple[int, ...], *args: object,
               defines: Mapping[str, object] | None = None,
               local_size: tuple[int, ...] | None = None) -> cl.Event:
        """Enqueue kernel ``name`` on the current queue.

        Device arrays are passed as their buffers, Python ints as ``int32`` and
        floats as ``float32``; pass numpy scalars for any other type.
        """
        check_cancelled(name)
        with device_session() as device_context:
            check_same_device(args, device_context, name)
            kernel = _kernel(self, name, defines)
            stats["launches"] += 1
            try:
                return kernel(device_context.queue, global_size, local_size,
                              *(_argument(a) for a in args))
            except cl.MemoryError as error:
                raise DeviceMemoryError(f"{name}: the device ran out of memory ({error})"
                                        ) from None
            except cl.Error as error:
                if "OUT_OF_RESOURCES" in str(error) or "ALLOCATION_FAILURE" in str(error):
                    raise DeviceMemoryError(f"{name}: the device ran out of resources ({error})"
                                            ) from None
                raise DeviceError(f"launching {name} from {self.filename} failed: {error}"
                                  ) from None


def grid(shape: tuple[int, ...]) -> tuple[int, int, int]:
    """OpenCL global size (x, y, z) of an image of numpy shape (y, x) or (z, y, x)."""
    padded = (1,) * (3 - len(shape)) + tuple(shape)
    return padded[2], padded[1], padded[0]


def synchronize() -> None:
    """Wait until all work enqueued on the current device has finished."""
    with device_session() as device_context:
        device_context.queue.finish()
