"""Where OpenCL compiler output goes: the ``oclip`` logger, not the console."""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Iterator

import pyopencl as cl

logger = logging.getLogger("oclip")


@contextlib.contextmanager
def compiler_output_logged() -> Iterator[None]:
    """Send pyopencl's CompilerWarning (a driver's non-empty build log) to the
    ``oclip`` logger at debug level instead of the user's console.

    pyopencl builds its helper kernels (reductions, scans, ``astype``) on first
    use, and some drivers (NVIDIA's) always print a build log.  Other warnings
    raised inside the block are emitted again as they would have been.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", cl.CompilerWarning)
        yield
    for warning in caught:
        if issubclass(warning.category, cl.CompilerWarning):
            logger.debug("OpenCL compiler output: %s", warning.message)
        else:
            warnings.warn_explicit(warning.message, warning.category, warning.filename,
                                   warning.lineno, source=warning.source)
