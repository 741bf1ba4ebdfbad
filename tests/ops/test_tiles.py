"""Images larger than the device: local operations go through tile by tile and give the
whole image's result; other operations say how much memory they need and how much the
device has, and the device stays usable."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator

import numpy as np
import pytest

import oclip
from oclip._backend import current_context
from oclip.ops import operations
from oclip.ops._tiles import bytes_needed, tile_shape_for

from .test_halo import LOCAL, arguments, assert_same

SHAPES = {2: (40, 46), 3: (12, 30, 32)}
#: Operations whose smallest halo needs a longer image to leave room for tiles: their
#: shape and parameters (sato's Gaussian derivatives reach 8 sigma, 100 up to sigma 1).
WIDE_HALOS = {"sato": ((6, 20, 96), {"sigma_minimum": 1.5, "sigma_maximum": 1.5})}


@pytest.fixture
def small_device() -> Iterator[callable]:
    """Pretend the device holds only ``limit`` bytes per buffer and twice that in all."""
    session = current_context()
    real = session.device

    def shrink(limit: int) -> None:
        session.device = dataclasses.replace(real, max_allocation=limit,
                                             global_memory=2 * limit)

    yield shrink
    session.device = real


@pytest.mark.parametrize("name", LOCAL)
def test_a_local_operation_too_large_for_the_device_goes_through_in_tiles(
        name, rng, small_device, caplog):
    op = operations()[name]
    ndim = max(op.dimensions)
    shape, parameters = WIDE_HALOS.get(name, (SHAPES[ndim], {}))
    values = {**arguments(op, rng, shape), **parameters}
    whole = np.asarray(op.function(**values))
    images = [v for v in values.values() if isinstance(v, np.ndarray)]
    scalars = {p.name: values.get(p.name, p.default) for p in op.scalar_parameters}
    halo = op.halo_for(scalars)[-ndim:]
    # room for half the image (and its halo) along an axis where that is less than all
    axis = next(a for a in range(ndim) if (shape[a] + 1) // 2 + 2 * halo[a] < shape[a])
    half = [min(n + 2 * h, n) for n, h in zip(shape, halo, strict=True)]
    half[axis] = (shape[axis] + 1) // 2 + 2 * halo[axis]
    small_device(bytes_needed(images, half))
    with caplog.at_level(logging.INFO, logger="oclip"):
        tiled = np.asarray(op.function(**values))
    assert "goes through the device in" in caplog.text
    assert_same(tiled, whole)


def test_tiles_are_as_large_as_fit_and_split_the_slowest_axis_first(small_device):
    image = np.zeros((64, 100, 100), np.float32)
    per_plane = bytes_needed([image], (1, 100, 100))
    small_device(10**12)
    assert tile_shape_for([image], image.shape, (2, 2, 2)) == image.shape
    small_device(per_plane * 40 // 2)  # the memory share is half the device's memory
    tile = tile_shape_for([image], image.shape, (0, 0, 0))
    assert tile[1:] == (100, 100) and bytes_needed([image], tile) <= per_plane * 40 // 2
    assert bytes_needed([image], (2 * tile[0], 100, 100)) > per_plane * 40 // 2
    small_device(per_plane // 4)
    tile = tile_shape_for([image], image.shape, (1, 1, 1))
    assert tile[0] == 1 and tile[1] < 100
    small_device(8)
    assert tile_shape_for([image], image.shape, (1, 1, 1)) is None


def test_a_whole_image_operation_too_large_says_what_it_needs_and_the_device_goes_on(
        small_device):
    image = (np.random.default_rng(1).random((40, 50)) > 0.5).astype(np.uint8)
    small_device(1000)
    with pytest.raises(oclip.DeviceMemoryError) as caught:
        oclip.connected_components_labeling(image)
    message = str(caught.value)
    assert "needs" in message and "allows at most 1000 bytes" in message
    assert current_context().device.name in message
    # the same session computes the next (small) call
    small = np.arange(12, dtype=np.float32).reshape(3, 4)
    np.testing.assert_array_equal(oclip.add_image_and_scalar(small, scalar=1.0), small + 1)


def test_device_arrays_are_not_tiled(small_device):
    image = np.ones((30, 40), np.float32)
    on_device = oclip.push(image)
    small_device(1000)
    with pytest.raises(oclip.DeviceMemoryError, match="allows at most"):
        oclip.gaussian_blur(on_device, sigma_x=1.0, sigma_y=1.0)
