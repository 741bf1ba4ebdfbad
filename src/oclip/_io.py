"""Small file helpers: optional dependencies, atomic writes, output files."""

from __future__ import annotations

import contextlib
import csv
import errno
import glob
import importlib
import io
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType
from typing import IO, Any

import numpy as np

#: Optional dependencies: import name -> (what pip installs, the oclip extra that has it).
_OPTIONAL = {
    "yaml": ("PyYAML", "workflow"),
    "tifffile": ("tifffile", "workflow"),
    "nbformat": ("nbformat", "workflow"),
    "dask.array": ("dask[array]", "cluster"),
    "distributed": ("dask.distributed", "cluster"),
    "zarr": ("zarr", "cluster"),
}

#: Suffix of the temporary files of :func:`write_atomically`.
PARTIAL = ".partial"


def require(module: str, purpose: str) -> ModuleType:
    """Import an optional dependency, or say which extra of oclip provides it.

    Parameters
    ----------
    module : str
        The module to import, one of ``_OPTIONAL``: ``yaml``, ``tifffile``,
        ``nbformat`` (the ``workflow`` extra), ``dask.array``,
        ``distributed``, ``zarr`` (the ``cluster`` extra).
    purpose : str
        What needs it, for the message: ``"reading TIFF files"``.

    Raises
    ------
    ImportError
        If it is not installed: ``reading TIFF files needs tifffile, which is
        not installed: pip install "oclip[workflow]"``.
    """
    package, extra = _OPTIONAL[module]
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise ImportError(f"{purpose} needs {package}, which is not installed: "
                          f'pip install "oclip[{extra}]"') from error


def _read_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# Read once, at import: changing the umask to read it is not thread-safe.
_UMASK = _read_umask()


def write_atomically(path: str | os.PathLike, write: Callable[[IO[bytes]], Any], *,
                     sync: bool = False) -> Path:
    """Call ``write`` on a temporary file beside ``path``, then rename it to ``path``.

    Readers never see a half-written file, and a failure leaves no file behind
    (an older file at ``path`` stays as it was).  The temporary file is hidden
    and named ``.<name>.<random>.partial``, so that one left by a killed
    process is never taken for a result (see :func:`remove_leftovers`).
    ``sync`` waits until the data is on the disk before the rename, so that a
    crash of the machine cannot leave an empty file under the name either (a
    result, not an intermediate file, is worth the wait).

    ``write`` gets the temporary file opened for writing; its ``name`` is the
    file's path, for writers that open the file themselves (a memory map).
    """
    path = Path(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                         suffix=PARTIAL)
    os.close(handle)  # reopened by name: writers such as tifffile want a named file
    try:
        try:
            with open(temporary, "wb") as file:
                write(file)
                if sync:
                    file.flush()
                    os.fsync(file.fileno())
        except OSError as error:
            raise _write_failure(error, path, Path(temporary)) from error
        # mkstemp makes the file private (0600); give it the mode a plain open()
        # would, so that others on a shared file system can read the results
        os.chmod(temporary, 0o666 & ~_UMASK)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def _file_size_limit() -> int | None:
    """The soft limit on the size of files this process writes (``ulimit -f``), or None."""
    try:
        import resource
    except ImportError:  # not on Windows
        return None
    limit = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
    return None if limit == resource.RLIM_INFINITY else limit


def _write_failure(error: OSError, path: Path, temporary: Path) -> OSError:
    """The error of a failed write, saying "no space left on device" or "file size
    limit" with the path where that is the cause.

    A short write (numpy's ``tofile``: "131072 requested and 51132 written", no
    errno) is how both show to writers that write large blocks.
    """
    try:
        written = temporary.stat().st_size
    except OSError:
        written = 0
    limit = _file_size_limit()
    if error.errno == errno.EFBIG or (limit is not None and written >= limit):
        shown = "" if limit is None else f" of {limit} bytes"
        return OSError(errno.EFBIG, f"File too large: the file size limit{shown} of this "
                                    f"process (ulimit -f) is reached", str(path))
    no_space = error.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC))
    if not no_space and error.errno is None:
        try:
            disk = os.statvfs(path.parent)
            no_space = disk.f_bavail * disk.f_frsize < 1 << 20
        except (OSError, AttributeError):  # statvfs: not on Windows
            pass
    if no_space:
        what = "Disk quota exceeded" if error.errno == getattr(errno, "EDQUOT", None) else \
            "No space left on device"
        return OSError(error.errno or errno.ENOSPC, f"{what} ({written} bytes of the file "
                                                    f"written)", str(path))
    return error


def remove_leftovers(path: str | os.PathLike) -> list[Path]:
    """Remove the temporary files of :func:`write_atomically` for ``path`` that are left.

    Only a process killed while writing leaves one; call this after ``path``
    was written, when no other writer of it can be at work.  Returns the files
    removed.
    """
    path = Path(path)
    removed = []
    for leftover in path.parent.glob(f".{glob.escape(path.name)}.*{PARTIAL}"):
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()
            removed.append(leftover)
    return removed


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` as UTF-8, atomically."""
    return write_atomically(path, lambda file: file.write(text.encode("utf-8")), sync=True)


def table_csv(table: Mapping[str, Any]) -> str:
    """A table (dict of equally long 1D columns) as CSV text with a header row."""
    columns = {name: np.asarray(values).ravel() for name, values in table.items()}
    lengths = {len(v) for v in columns.values()}
    if len(lengths) > 1:
        raise ValueError(f"table columns differ in length: "
                         f"{', '.join(f'{n}: {len(v)}' for n, v in columns.items())}")
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(zip(*(v.tolist() for v in columns.values()), strict=True))
    return text.getvalue()
