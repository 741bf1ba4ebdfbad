"""Where OpenCL compiler output goes: the ``oclip`` logger, not the console.

pyopencl reports a driver's non-empty build log through one function,
``pyopencl.compiler_output``, which warns with ``CompilerWarning``.  oclip
replaces that function once, at import, with one that logs the text when the
calling thread is inside :func:`compiler_output_logged` and otherwise does
what pyopencl's own does.  The scope is a per-thread counter: entering it
touches no global state of the :mod:`warnings` module (``catch_warnings`` is
not thread-safe, and concurrent calls wrapped in it lose the user's filters
and warnings).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator

import pyopencl as cl

logger = logging.getLogger("oclip")

_scope = threading.local()


def _inside() -> bool:
    return getattr(_scope, "depth", 0) > 0


# pyopencl's own function, which warns; kept for build logs outside oclip's scope
_pyopencl_output: Callable[[str], None] = getattr(
    cl.compiler_output, "oclip_pyopencl_output", cl.compiler_output)


def _compiler_output(text: str) -> None:
    """``pyopencl.compiler_output`` as oclip installs it."""
    if _inside():
        logger.debug("OpenCL compiler output: %s", text)
    else:
        _pyopencl_output(text)


_compiler_output.oclip_pyopencl_output = _pyopencl_output  # type: ignore[attr-defined]


def _install() -> None:
    """Replace ``pyopencl.compiler_output`` by the routing one (once per process).

    pyopencl looks the function up in its module at each build, so the
    replacement reaches every build, oclip's and pyopencl's helper kernels.
    """
    cl.compiler_output = _compiler_output


_install()


@contextlib.contextmanager
def compiler_output_logged() -> Iterator[None]:
    """Send OpenCL build logs of this thread to the ``oclip`` logger at debug
    level instead of the user's console, for the block.

    pyopencl builds its helper kernels (reductions, scans, ``astype``) on first
    use, and some drivers (NVIDIA's) always print a build log.  Warnings other
    than build logs are untouched, and so are other threads.
    """
    _scope.depth = getattr(_scope, "depth", 0) + 1
    try:
        yield
    finally:
        _scope.depth -= 1
