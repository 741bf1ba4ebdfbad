"""Tiles of large images: lazy TIFF reading, tiles in time and in space with a halo.

A distributed run (:func:`oclip.runs.run_distributed`) may split one file
into *tiles*, each a task of its own that reads only its part of the file.
A tile spans

* time points ``[start, stop)`` of a time-lapse; every workflow runs per
  time point anyway, so this is exact for any workflow;
* a region of each image (or each time point): a *core* region the tile
  writes, read with a *halo* around it (clipped at the image's edges).  Only
  local operations can run on such tiles: those that declare a halo in the
  registry (``@operation(..., halo=...)``).  A workflow's halo along each
  axis is the largest sum of step halos on a path from an input to an
  output, so every core pixel sees exactly the input pixels it would see in
  the whole image and the result equals the whole-image result (but for the
  last bit of floating-point functions that CPU kernels compute in vectors,
  such as exp: their vector and scalar code paths may round differently).
  Whole-image operations (thresholds from a histogram, labeling,
  measurements, projections) cannot be tiled in space: such workflows run
  per file or per time point;

or both: the regions of each span of time points.

Files are read lazily through tifffile's zarr store: a tile reads the pages
(and, for tiled TIFFs, the TIFF's own tiles) it needs, never the whole file.
"""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, overload

import numpy as np

from .._io import require
from ..ops import get_operation
from ..workflow import Workflow, WorkflowError
from ._images import read_options

Span = tuple[int, int]


# --- locality ---------------------------------------------------------------------------


def workflow_halo(workflow: Workflow, outputs: Sequence[str]) -> tuple[int, int, int]:
    """The halo, (z, y, x) pixels, that tiles need for ``outputs`` to be exact.

    Raises
    ------
    WorkflowError
        Naming the first step (upstream of an output) that is not local, or
        an output that is not an image.
    """
    needed = set(outputs)
    for name in outputs:
        needed.update(workflow.upstream(name))
    reach: dict[str, tuple[int, int, int]] = dict.fromkeys(workflow.inputs, (0, 0, 0))
    for step in workflow.steps:
        if step.id not in needed:
            continue
        op = get_operation(step.op)
        halo = op.halo_for(step.params)
        if halo is None:
            raise WorkflowError(
                f"step '{step.id}' ({step.op}) needs the whole image, so this workflow cannot "
                f"run in tiles; run it without tiles (one task per file or per time point)",
                step=step.id)
        if op.result_kind is None:
            raise WorkflowError(f"step '{step.id}' ({step.op}) does not give an image, so this "
                                f"workflow cannot run in tiles", step=step.id)
        sources = [reach[source] for source in step.inputs.values()]
        base = tuple(max(values) for values in zip(*sources, strict=True))
        reach[step.id] = tuple(b + h for b, h in zip(base, halo, strict=True))
    return tuple(max(values) for values in zip(*(reach[o] for o in outputs), strict=True))


# --- tiles ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tile:
    """Part of a job's data one task processes.

    Attributes
    ----------
    time : (int, int) or None
        Time points ``[start, stop)`` of a time-lapse; None: not split in
        time.
    core : tuple of (int, int)
        Per spatial axis (leading axes first), the ``[start, stop)`` the
        tile writes; empty: the whole image.
    read : tuple of (int, int)
        Per spatial axis, the ``[start, stop)`` the tile reads: at least
        the core and its halo (within the image).
    """

    time: Span | None = None
    core: tuple[Span, ...] = ()
    read: tuple[Span, ...] = ()

    @property
    def name(self) -> str:
        """A name unique among the tiles of one job, for the files of its outputs."""
        words = [] if self.time is None else [f"t{self.time[0]}-{self.time[1]}"]
        words += [f"a{axis}_{start}-{stop}" for axis, (start, stop) in enumerate(self.core)]
        return ".".join(words) or "whole"

    def describe(self) -> str:
        """For messages: ``t 3``, ``t 0-3``, ``tile y 0-64, x 64-128``."""
        words = []
        if self.time is not None:
            start, stop = self.time
            words.append(f"t {start}" if stop == start + 1 else f"t {start}-{stop - 1}")
        if self.core:
            axes = "zyx"[-len(self.core):] if len(self.core) <= 3 else None
            spans = ", ".join(f"{axes[i] if axes else i} {a}-{b}"
                              for i, (a, b) in enumerate(self.core))
            words.append(f"tile {spans}")
        return ", ".join(words)

    def index(self, has_time: bool, ndim: int) -> tuple[slice, ...]:
        """Index into an input of ``ndim`` axes (a time axis first if ``has_time``)."""
        index = []
        if has_time:
            index.append(slice(None) if self.time is None else slice(*self.time))
        spatial = ndim - len(index)
        lead = spatial - len(self.read)
        if lead < 0:
            raise WorkflowError(f"tile of {len(self.read)} axes for an image of {spatial}")
        index += [slice(None)] * lead + [slice(start, stop) for start, stop in self.read]
        return tuple(index)

    def crop(self) -> tuple[slice, ...]:
        """The core within the region read, per tiled spatial axis."""
        return tuple(slice(c0 - r0, c1 - r0)
                     for (c0, c1), (r0, _) in zip(self.core, self.read, strict=True))

    @property
    def read_shape(self) -> tuple[int, ...]:
        return tuple(stop - start for start, stop in self.read)


def spans(length: int, size: int) -> list[Span]:
    """``[0, length)`` cut into spans of ``size`` (the last one may be shorter)."""
    return [(start, min(start + size, length)) for start in range(0, length, size)]


def plan_tiles(spatial_shape: Sequence[int] | None, tile_shape: Sequence[int] | None,
               halo: Sequence[int], time_points: int | None = None,
               per_task: int = 1) -> list[Tile]:
    """The tiles of one job.

    Parameters
    ----------
    spatial_shape : sequence of int, optional
        Shape of one image (one time point): (y, x) or (z, y, x).  Needed
        with ``tile_shape``.
    tile_shape : sequence of int, optional
        Tile size along the trailing spatial axes ((y, x) or (z, y, x));
        None: no tiles in space.
    halo : sequence of int
        (z, y, x) pixels read around each tile.
    time_points : int, optional
        Number of time points of a time-lapse (None: not a time-lapse).
    per_task : int
        Time points per tile; 0: all of them in one tile.
    """
    times: Sequence[Span | None] = [None]
    if time_points is not None and per_task > 0:
        times = spans(time_points, per_task)
    elif time_points is not None:
        times = [(0, time_points)]
    regions: list[tuple[tuple[Span, ...], tuple[Span, ...]]] = [((), ())]
    if tile_shape is not None:
        if spatial_shape is None:
            raise ValueError("tiles need the image's shape")
        if len(tile_shape) > len(spatial_shape):
            raise WorkflowError(f"a tile of {len(tile_shape)} axes {tuple(tile_shape)} does not "
                                f"fit images of {len(spatial_shape)} axes "
                                f"(shape {tuple(spatial_shape)})")
        lengths = tuple(spatial_shape[-len(tile_shape):])
        halos = tuple(halo[-len(tile_shape):])
        per_axis = []
        for length, size, extra in zip(lengths, tile_shape, halos, strict=True):
            # Every tile reads a window of one size, shifted inward at the image's edges:
            # it holds the core and its halo (or reaches the edge, whose pixels replicate
            # as in the whole image), and one shape for all tiles means one set of kernel
            # builds and reusable device buffers.
            window = min(length, size + 2 * extra)
            per_axis.append([((a, b), (start, start + window)) for a, b in spans(length, size)
                             for start in [min(max(a - extra, 0), length - window)]])
        regions = [(tuple(c for c, _ in combo), tuple(r for _, r in combo))
                   for combo in itertools.product(*per_axis)]
    return [Tile(time, core, read) for time in times for core, read in regions]


@overload
def parse_tile(text: str | Sequence[int]) -> tuple[int, ...]: ...
@overload
def parse_tile(text: None) -> None: ...
@overload
def parse_tile(text: str | Sequence[int] | None) -> tuple[int, ...] | None: ...
def parse_tile(text: str | Sequence[int] | None) -> tuple[int, ...] | None:
    """A tile size from ``"Y,X"``, ``"Z,Y,X"`` or a sequence of ints (each >= 1)."""
    if text is None:
        return None
    if isinstance(text, str):
        try:
            sizes = tuple(int(part) for part in text.replace("x", ",").split(","))
        except ValueError:
            raise ValueError(f"tile: expected sizes like 512,512 or 32,512,512, got {text!r}"
                             ) from None
    else:
        try:
            sizes = tuple(text)
        except TypeError:
            sizes = ()
    if not 1 <= len(sizes) <= 3 or not all(isinstance(s, int | np.integer) and s >= 1
                                            and not isinstance(s, bool) for s in sizes):
        raise ValueError(f"tile: expected one to three sizes >= 1 along (z,) y, x, "
                         f"got {text!r}")
    return tuple(int(s) for s in sizes)


# --- lazy reading ---------------------------------------------------------------------------


def image_shape(path: str | os.PathLike) -> tuple[tuple[int, ...], np.dtype]:
    """Shape and dtype of a TIFF file's image (as ``tifffile.imread`` gives it), from
    its metadata only; refused as :func:`read_image` refuses (colour, several images)."""
    tifffile = require("tifffile", "reading TIFF files")
    with tifffile.TiffFile(path, **read_options(path)) as tiff:
        series = tiff.series[0]
        return tuple(series.shape), np.dtype(series.dtype)


@contextlib.contextmanager
def zarr_view(path: str | os.PathLike) -> Iterator[Any]:
    """A TIFF file as a read-only zarr array (the image ``tifffile.imread`` reads);
    reading a slice decodes only the pages and tiles it touches."""
    tifffile = require("tifffile", "reading TIFF files")
    zarr = require("zarr", "reading parts of TIFF files")
    store = tifffile.imread(path, aszarr=True, **read_options(path))
    try:
        array = zarr.open(store, mode="r")
        if not hasattr(array, "shape"):  # a pyramid: a group of levels, the first is full size
            array = array["0"]
        yield array
    finally:
        store.close()


def read_tile(path: str | os.PathLike, tile: Tile, has_time: bool) -> np.ndarray:
    """The part of ``tifffile.imread(path)`` a tile reads, reading nothing else.

    ``has_time``: the file has a leading time axis (a time-lapse input that
    is not static).
    """
    with zarr_view(path) as array:
        return np.asarray(array[tile.index(has_time, array.ndim)])


@dataclass(frozen=True)
class TiffRegions:
    """The image of a TIFF file as an array-like that reads what is indexed (opening
    the file for each read): what :func:`read_lazy` wraps.  Pickles as its path."""

    path: str
    shape: tuple[int, ...]
    dtype: np.dtype

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __getitem__(self, index: Any) -> np.ndarray:
        with zarr_view(self.path) as array:
            return np.asarray(array[index])


def read_lazy(path: str | os.PathLike) -> Any:
    """A TIFF file as a lazy dask array: nothing is read until a part is computed.

    The dask chunks are the file's own (pages, or the TIFF's tiles); each chunk
    computed opens the file, reads what it needs and closes it, so the array
    holds no open file and runs on a dask cluster as well (it carries the
    path).  For exploring a large file in a notebook, e.g.
    ``read_lazy("movie.tif")[10].compute()``.
    """
    dask_array = require("dask.array", "reading TIFF files lazily")
    path = Path(path)
    with zarr_view(path) as array:
        regions = TiffRegions(str(path.resolve()), tuple(array.shape), np.dtype(array.dtype))
        chunks = tuple(array.chunks)
    stat = path.stat()
    name = f"oclip-tiff-{dask_array.core.tokenize(regions.path, stat.st_mtime_ns, stat.st_size)}"
    return dask_array.from_array(regions, chunks=chunks, name=name,
                                 meta=np.empty((0,) * regions.ndim, regions.dtype))
