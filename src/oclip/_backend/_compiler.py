"""Where OpenCL compiler output goes: the ``oclip`` logger, not the console.

Compiler output reaches the console two ways.  pyopencl reports a driver's
non-empty build log through one function, ``pyopencl.compiler_output``, which
warns with ``CompilerWarning``.  oclip replaces that function once, at import,
with one that logs the text when the calling thread is inside
:func:`compiler_output_logged` and otherwise does what pyopencl's own does.
The scope is a per-thread counter: entering it touches no global state of the
:mod:`warnings` module (``catch_warnings`` is not thread-safe, and concurrent
calls wrapped in it lose the user's filters and warnings).

And some drivers' compilers (PoCL's clang) write their diagnostics straight to
the process's file descriptor 2 ("54 warnings generated."), which no Python
code sees.  oclip also replaces ``pyopencl.Program.build``: inside the scope, a
build runs with descriptor 2 pointed at a temporary file, whose text is then
logged at debug level (see :func:`driver_stderr_logged`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from typing import Any

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


#: Held while descriptor 2 points elsewhere: one redirection at a time.
_stderr_lock = threading.Lock()


@contextlib.contextmanager
def driver_stderr_logged(what: str = "OpenCL build") -> Iterator[None]:
    """Point file descriptor 2 at a temporary file for the block, then log what
    was written there at debug level on the ``oclip`` logger.

    For a driver's compiler that prints its diagnostics itself.  Descriptor 2
    is the process's: what another thread writes to it meanwhile goes to the
    log too (blocks of several threads run one after the other).  Where the
    process has no descriptor 2, the block runs as is.
    """
    with _stderr_lock:
        try:
            saved = os.dup(2)
        except OSError:
            yield
            return
        try:
            with tempfile.TemporaryFile() as captured:
                for stream in (sys.stderr, sys.__stderr__):
                    with contextlib.suppress(Exception):
                        stream.flush()  # type: ignore[union-attr]  # Python's own buffered text goes out first
                os.dup2(captured.fileno(), 2)
                try:
                    yield
                finally:
                    os.dup2(saved, 2)
                    captured.seek(0)
                    text = captured.read().decode(errors="replace").strip()
                    if text:
                        logger.debug("%s: compiler output: %s", what, text)
        finally:
            os.close(saved)


# pyopencl's own Program.build, kept for builds outside oclip's scope
_pyopencl_build: Callable[..., Any] = getattr(
    cl.Program.build, "oclip_pyopencl_build", cl.Program.build)


def _program_build(self: cl.Program, *args: Any, **kwargs: Any) -> Any:
    """``pyopencl.Program.build`` as oclip installs it."""
    if not _inside():
        return _pyopencl_build(self, *args, **kwargs)
    with driver_stderr_logged():
        return _pyopencl_build(self, *args, **kwargs)


_program_build.oclip_pyopencl_build = _pyopencl_build  # type: ignore[attr-defined]


def _install() -> None:
    """Replace ``pyopencl.compiler_output`` and ``pyopencl.Program.build`` by the
    routing ones (once per process).

    pyopencl looks the function up in its module at each build, and its helper
    kernels (reductions, scans, elementwise) build through ``Program.build``,
    so the replacements reach every build, oclip's and pyopencl's.
    """
    cl.compiler_output = _compiler_output
    cl.Program.build = _program_build  # type: ignore[method-assign]


_install()


@contextlib.contextmanager
def compiler_output_logged() -> Iterator[None]:
    """Send OpenCL build logs of this thread to the ``oclip`` logger at debug
    level instead of the user's console, for the block: those pyopencl reports
    and what the driver's compiler prints on descriptor 2.

    pyopencl builds its helper kernels (reductions, scans, ``astype``) on first
    use, and some drivers (NVIDIA's) always print a build log.  Warnings other
    than build logs are untouched, and so are other threads.
    """
    _scope.depth = getattr(_scope, "depth", 0) + 1
    try:
        yield
    finally:
        _scope.depth -= 1
