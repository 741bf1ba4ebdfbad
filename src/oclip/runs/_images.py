"""Images in and outputs out of batch runs: TIFF files read whole, outputs as files."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .._io import require, table_csv, write_atomically, write_text
from .._version import __version__

#: The TIFF ``Software`` tag of every image ``oclip run`` writes: how a run knows its
#: own outputs (and never takes them for inputs).
SOFTWARE = f"oclip {__version__}"


def written_by_oclip(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a TIFF file that ``oclip run`` wrote (its Software tag).

    False for anything else, including files that cannot be read (those are
    reported when a job reads them).
    """
    tifffile = require("tifffile", "reading TIFF files")
    try:
        with tifffile.TiffFile(path) as tiff:
            software = tiff.pages.first.software
    except Exception:  # not a TIFF, damaged, unreadable: not one of ours
        return False
    return isinstance(software, str) and software.split(" ")[0] == SOFTWARE.split(" ")[0]


def write_output(directory: Path, stem: str, name: str, value: Any,
                 labels: bool = False) -> Path:
    """Write one output as ``<stem>_<name>.tif`` (images) or ``.csv`` (tables, scalars).

    ``labels`` writes the image as uint32.
    """
    if isinstance(value, Mapping):
        return write_text(directory / f"{stem}_{name}.csv", table_csv(value))
    array = np.asarray(value)
    if array.ndim == 0:
        return write_text(directory / f"{stem}_{name}.csv", table_csv({name: array[None]}))
    tifffile = require("tifffile", "writing TIFF files")
    if labels:
        array = array.astype(np.uint32, copy=False)
    # minisblack: a (3, y, x) or (4, y, x) stack is three planes, not an RGB(A) image
    return write_atomically(directory / f"{stem}_{name}.tif",
                            lambda file: tifffile.imwrite(file, array, photometric="minisblack",
                                                         software=SOFTWARE),
                            sync=True)


def read_image(path: str | os.PathLike) -> np.ndarray:
    """A TIFF file as a numpy array.

    Raises
    ------
    OSError
        If the file cannot be opened or read (missing, a folder, no permission).
    ValueError
        If it is not a TIFF file, or a damaged or truncated one.
    """
    tifffile = require("tifffile", "reading TIFF files")
    try:
        image = tifffile.imread(path)
    except OSError:
        raise
    except Exception as error:  # tifffile's errors: TiffFileError, ValueError, zlib's...
        raise ValueError(f"not a TIFF file, or a damaged or truncated one "
                         f"({type(error).__name__}: {error})") from error
    if image.size == 0:  # a TIFF header without images (a file cut after 8 bytes)
        raise ValueError(f"no image in this TIFF file (shape {image.shape}): damaged or "
                         f"truncated")
    return image
