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


#: Photometric interpretations of colour images (TIFF tag 262): RGB, CMYK, YCbCr, CIE L*a*b*.
_COLOUR = {2: "RGB", 5: "CMYK", 6: "YCbCr", 8: "CIELab", 9: "ICCLab", 10: "ITULab"}


class _Refused(ValueError):
    """A readable TIFF file that is not one greyscale image or stack."""


def _tiff_problem(error: Exception) -> ValueError:
    """The ValueError for what tifffile raised on a file it could not read."""
    text = str(error)
    if "imagecodecs" in text:  # a valid file whose compression (LZW, zstd, ...) needs it
        return ValueError(f"its compression needs the imagecodecs package, which is not "
                          f'installed: pip install imagecodecs (or "oclip[workflow]") ({text})')
    return ValueError(f"not a TIFF file, or a damaged or truncated one "
                      f"({type(error).__name__}: {error})")


def tiff_options(tiff: Any) -> dict[str, Any]:
    """The options of tifffile's readers that read an open ``TiffFile`` as the one image
    oclip takes from it, or ValueError.

    * One series (an image, a stack, a time-lapse): read as it is.
    * A stack written page by page (``TiffWriter.write`` per plane: a series per
      page, all of one shape and dtype): read as the stack of its pages.
    * Other files of several series (positions, thumbnails, images of different
      shapes) and colour images (photometric RGB, CMYK, YCbCr, Lab, or more than
      one sample per pixel, interleaved or planar): refused, saying why.
    """
    series = tiff.series
    if not series:
        return {}  # no image: read_image says so
    page = series[0].pages[0] if series[0].pages else tiff.pages.first
    colour = _COLOUR.get(int(page.photometric))
    if colour is not None or page.samplesperpixel > 1:
        kind = f"a colour image ({colour})" if colour else "an image"
        raise _Refused(
            f"{kind} of {page.samplesperpixel} samples per pixel (axes {series[0].axes}, "
            f"shape {series[0].shape}): oclip takes one channel per image; save each channel "
            f"as a greyscale TIFF (e.g. tifffile.imwrite(path, image[..., 0]) for interleaved "
            f"samples, image[0] for planar ones)")
    if len(series) == 1:
        return {}
    shapes = {(tuple(s.shape), str(s.dtype)) for s in series}
    if tiff.is_shaped and len(shapes) == 1 and all(len(s.pages) == 1 for s in series):
        return {"is_shaped": False}  # tifffile then reads the pages as one series
    described = ", ".join(f"{tuple(s.shape)} {s.dtype}" for s in series[:4])
    raise _Refused(f"this TIFF file holds {len(series)} images ({described}"
                     f"{', ...' if len(series) > 4 else ''}), not one image or stack: save "
                     f"each image as a file of its own")


def read_options(path: str | os.PathLike) -> dict[str, Any]:
    """:func:`tiff_options` of the file at ``path`` (OSError, ValueError as
    :func:`read_image`)."""
    tifffile = require("tifffile", "reading TIFF files")
    try:
        with tifffile.TiffFile(path) as tiff:
            return tiff_options(tiff)
    except OSError:
        raise
    except _Refused as refused:
        raise ValueError(str(refused)) from None
    except Exception as error:  # tifffile's errors: TiffFileError, struct's, zlib's...
        raise _tiff_problem(error) from error


def read_image(path: str | os.PathLike) -> np.ndarray:
    """A TIFF file as a numpy array.

    A stack written page by page is read as the stack; a file of several
    images and a colour image are refused (see :func:`tiff_options`).

    Raises
    ------
    OSError
        If the file cannot be opened or read (missing, a folder, no permission).
    ValueError
        If it is not a TIFF file, a damaged or truncated one, a colour image or
        several images, or compressed by a codec that needs imagecodecs when
        it is not installed.
    """
    tifffile = require("tifffile", "reading TIFF files")
    options = read_options(path)
    try:
        image = tifffile.imread(path, **options)
    except OSError:
        raise
    except Exception as error:  # tifffile's errors: TiffFileError, ValueError, zlib's...
        raise _tiff_problem(error) from error
    if image.size == 0:  # a TIFF header without images (a file cut after 8 bytes)
        raise ValueError(f"no image in this TIFF file (shape {image.shape}): damaged or "
                         f"truncated")
    return image
