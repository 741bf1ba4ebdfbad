"""Halos of local operations: an image processed tile by tile, each tile read with the
declared halo around it, gives the whole-image result (exactly, but for the last bit of
floating-point functions computed in vectors on CPUs)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import oclip
from oclip.ops import ImageKind, operations
from oclip.ops._registry import PIXELWISE, operation, radius_halo, sigma_halo
from oclip.runs._tiles import plan_tiles

LOCAL = sorted(name for name, op in operations().items() if op.local)

#: Parameter values that make the halos matter (defaults elsewhere).
WIDER = {"radius_x": 2, "radius_y": 3, "radius_z": 1, "sigma_x": 1.5, "sigma_y": 0.8,
         "sigma_z": 1.0}


def arguments(op, rng, shape):
    values = {}
    for parameter in op.parameters:
        if parameter.kind is ImageKind.BINARY:
            values[parameter.name] = (rng.random(shape) > 0.5).astype(np.uint8)
        elif parameter.kind is ImageKind.LABELS:
            values[parameter.name] = rng.integers(0, 4, shape).astype(np.uint32)
        elif parameter.kind is not None:
            values[parameter.name] = (rng.random(shape) * 200 + 1).astype(np.float32)
        elif parameter.name in WIDER:
            values[parameter.name] = WIDER[parameter.name]
    return values


def tiled(op, values, tile):
    """The operation run tile by tile (each read with its halo), the cores put together."""
    images = {n: v for n, v in values.items() if isinstance(v, np.ndarray)}
    scalars = {n: v for n, v in values.items() if n not in images}
    shape = next(iter(images.values())).shape
    defaults = {p.name: p.default for p in op.scalar_parameters}
    halo = op.halo_for({**defaults, **scalars})
    result = None
    for planned in plan_tiles(shape, tile[-len(shape):], halo):
        index = planned.index(False, len(shape))
        part = np.asarray(op.function(**{n: v[index] for n, v in images.items()}, **scalars))
        core = part[(Ellipsis, *planned.crop())]
        if result is None:
            result = np.zeros(shape, part.dtype)
        result[tuple(slice(a, b) for a, b in planned.core)] = core
    return result


def test_local_operations_are_the_filters_and_the_pixelwise_ones():
    assert {"gaussian_blur", "mean_box", "minimum_sphere", "top_hat_box", "add_images",
            "multiply_image_and_scalar"} <= set(LOCAL)
    for whole_image in ("threshold_otsu", "connected_components_labeling",
                        "maximum_z_projection"):
        assert not operations()[whole_image].local
        assert operations()[whole_image].halo_for({}) is None


@pytest.mark.parametrize("name", LOCAL)
def test_tiles_give_the_whole_image_result(name, rng):
    op = operations()[name]
    for shape, tile in (((23, 29), (6, 7)), ((9, 19, 21), (4, 6, 5))):
        if len(shape) in op.dimensions:
            values = arguments(op, rng, shape)
            whole = np.asarray(op.function(**values))
            assert_same(tiled(op, values, tile), whole)


def assert_same(got, expected):
    """Equal; floats may differ by one unit in the last place where they differ at all: a
    CPU kernel's vector and scalar code paths (which a pixel takes depends on its
    position in the array) may round a function such as exp differently."""
    assert got.shape == expected.shape and got.dtype == expected.dtype
    if got.dtype.kind != "f":
        np.testing.assert_array_equal(got, expected)
        return
    differ = ~((got == expected) | (np.isnan(got) & np.isnan(expected)))
    np.testing.assert_array_max_ulp(got[differ], expected[differ], maxulp=1)


def test_halos_follow_the_parameters():
    blur = operations()["gaussian_blur"]
    assert blur.halo_for({"sigma_x": 2.0, "sigma_y": 0.1, "sigma_z": 0.0}) == (0, 0, 8)
    assert blur.halo_for({"sigma_x": 1.4, "sigma_y": 1.0, "sigma_z": 0.5}) == (2, 4, 6)
    opening = operations()["top_hat_box"]
    assert opening.halo_for({"radius_x": 3, "radius_y": 1, "radius_z": 0}) == (0, 2, 6)
    assert operations()["add_images"].halo_for({}) == PIXELWISE
    assert radius_halo(radius_x=1, radius_y=2, radius_z=3, other=9) == (3, 2, 1)
    assert sigma_halo(sigma_x=0.0, sigma_y=0.2, sigma_z=1.0) == (4, 1, 0)


def test_a_halo_is_checked_when_declared_and_when_computed():
    def ok(image: oclip.ops.Image) -> oclip.ops.Image:
        """Nothing (refused before it is registered)."""
        return image

    for bad in ((1, 2), (0, -1, 0), (0, 1.5, 0), [0, 0, 0], "0,0,0"):
        with pytest.raises(ValueError, match="halo: expected None, a callable or three "
                                             "non-negative ints"):
            operation(category="Filter", halo=bad)(ok)
    op = operations()["gaussian_blur"]
    broken = dataclasses.replace(op, halo=lambda **_: (1, 2))
    with pytest.raises(ValueError, match=r"gaussian_blur: the halo must be three non-negative "
                                         r"pixel counts \(z, y, x\), got \(1, 2\)"):
        broken.halo_for({})
