"""Local operations on images larger than the device's memory, tile by tile.

A local operation (a pixel-wise or neighbourhood one, declared with a halo)
reads, for each output pixel, no further than its halo.  So an image too large
for the device can go through in tiles: each tile is uploaded with its halo
around it, computed, and the core of its result copied into the whole result,
which equals the result of the whole image at once (``tests/ops/test_tiles.py``
checks this for every local operation).  At the image's edges the tile reaches
the edge, so border pixels replicate as they do for the whole image.

The ``@operation`` wrapper asks :func:`tile_for` whether a call's host images
fit the device, and if not hands :func:`run_in_tiles` the way it runs the
operation on one whole image; this module knows nothing of the registry.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from .. import _backend as backend

_log = logging.getLogger("oclip")

#: Device buffers an operation holds per pixel, in bytes, beyond its inputs:
#: a float32 result and a float32 intermediate (separable passes, blurs).
_WORKING_BYTES_PER_PIXEL = 8
#: Share of the device's memory one tile's buffers may take (the memory pool,
#: the driver and other programs need the rest).
_MEMORY_SHARE = 0.5


def bytes_needed(images: Sequence[np.ndarray], shape: Sequence[int]) -> int:
    """Device memory a local operation needs for ``images`` of ``shape`` (an estimate)."""
    pixels = int(np.prod(shape, dtype=np.int64))
    uploads = sum(backend.upload_dtype(image.dtype).itemsize for image in images)
    return pixels * (uploads + _WORKING_BYTES_PER_PIXEL)


def largest_buffer(images: Sequence[np.ndarray], shape: Sequence[int]) -> int:
    """The largest single buffer of such a computation, in bytes."""
    pixels = int(np.prod(shape, dtype=np.int64))
    widest = max([backend.upload_dtype(image.dtype).itemsize for image in images] + [4])
    return pixels * widest


def fits(images: Sequence[np.ndarray], shape: Sequence[int]) -> bool:
    """Whether the whole image goes through the device at once."""
    device = backend.current_device()
    return (largest_buffer(images, shape) <= device.max_allocation
            and bytes_needed(images, shape) <= _MEMORY_SHARE * device.global_memory)


def tile_shape_for(images: Sequence[np.ndarray], shape: Sequence[int],
                   halo: Sequence[int]) -> tuple[int, ...] | None:
    """The largest tile (halved along the slowest axis first) whose region read with
    the halo fits the device; None where not even one pixel's does."""
    tile = list(shape)

    def read_shape() -> list[int]:
        return [min(t + 2 * h, n) for t, h, n in zip(tile, halo, shape, strict=True)]

    while not fits(images, read_shape()):
        axis = next((a for a in range(len(tile)) if tile[a] > 1), None)
        if axis is None:
            return None
        tile[axis] = (tile[axis] + 1) // 2
    return tuple(tile)


def tile_for(images: Sequence[np.ndarray], halo: Callable[[], Sequence[int]]
             ) -> tuple[int, ...] | None:
    """The tile shape for host ``images`` of one shape that do not fit the device at once;
    None where they fit, differ in shape, or cannot be tiled.

    ``halo`` gives the operation's (z, y, x) halo; it is asked only for images too
    large.
    """
    shapes = {image.shape for image in images}
    if len(shapes) != 1:
        return None  # the operation says which shapes differ
    shape = shapes.pop()
    if fits(images, shape):
        return None
    tile = tile_shape_for(images, shape, tuple(halo())[-len(shape):])
    if tile is None or tile == shape:
        return None
    return tile


def run_in_tiles(name: str, run_whole: Callable[[dict[str, np.ndarray]], Any],
                 images: Mapping[str, np.ndarray], halo: Sequence[int],
                 tile: Sequence[int]) -> np.ndarray:
    """Run a local operation on host ``images`` tile by tile.

    Parameters
    ----------
    name : str
        The operation's name, for the log.
    run_whole : callable
        Runs the operation on one set of whole images (image parameter name to
        numpy array; the scalar arguments are bound already) and returns its
        result on the host.
    images : mapping of str to numpy.ndarray
        The image arguments, all of one shape.
    halo : sequence of 3 int
        The operation's halo for these arguments, (z, y, x) pixels.
    tile : sequence of int
        Tile shape (without the halo), numpy axis order, as :func:`tile_for`
        gives it.

    Returns
    -------
    numpy.ndarray
        The result, equal to the whole image's.
    """
    shape = next(iter(images.values())).shape
    halo = tuple(halo[-len(shape):])
    starts = [range(0, length, size) for length, size in zip(shape, tile, strict=True)]
    _log.info("%s: the image of shape %s goes through the device in %d tiles of %s",
              name, shape, int(np.prod([len(s) for s in starts])), tuple(tile))
    result: np.ndarray | None = None
    for corner in itertools.product(*starts):
        core = [slice(c, min(c + t, n))
                for c, t, n in zip(corner, tile, shape, strict=True)]
        read = tuple(slice(max(s.start - h, 0), min(s.stop + h, n))
                     for s, h, n in zip(core, halo, shape, strict=True))
        part = np.asarray(run_whole({n: a[read] for n, a in images.items()}))
        if result is None:
            result = np.empty(shape, part.dtype)
        within = tuple(slice(s.start - r.start, s.stop - r.start)
                       for s, r in zip(core, read, strict=True))
        result[tuple(core)] = part[within]
    assert result is not None
    return result
