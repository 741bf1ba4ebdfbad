"""push / pull / create and the dtype rule of uploads."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import oclip
from oclip._backend import SUPPORTED_DTYPES, check_fits, is_device_array, upload_dtype


@pytest.mark.parametrize("dtype", SUPPORTED_DTYPES, ids=str)
def test_round_trip_keeps_values_and_dtype(dtype, rng):
    info = np.iinfo(dtype) if dtype.kind in "iu" else np.finfo(dtype)
    image = rng.uniform(max(info.min, -1e6), min(info.max, 1e6), (5, 7, 3)).astype(dtype)
    on_device = oclip.push(image)
    assert is_device_array(on_device)
    assert on_device.dtype == dtype and on_device.shape == image.shape
    back = oclip.pull(on_device)
    assert back.dtype == dtype
    np.testing.assert_array_equal(back, image)


@pytest.mark.parametrize(("given", "expected"), [
    (np.bool_, np.uint8),
    (np.float16, np.float32),
    (np.float64, np.float32),
    (np.int64, np.int32),
    (np.uint64, np.uint32),
])
def test_converted_dtypes(given, expected):
    image = np.array([[0, 1], [1, 0]], dtype=given)
    on_device = oclip.push(image)
    assert on_device.dtype == expected
    np.testing.assert_array_equal(oclip.pull(on_device), image.astype(expected))


def test_float64_rounds_to_float32():
    image = np.array([[1 / 3, 1e-9], [2.0**30 + 1, -0.1]])
    np.testing.assert_array_equal(oclip.pull(oclip.push(image)), image.astype(np.float32))


def test_int64_beyond_32_bits_is_refused():
    with pytest.raises(ValueError, match="do not fit int32"):
        oclip.push(np.array([[0, 2**40]], dtype=np.int64))


@pytest.mark.parametrize("dtype", [np.complex64, object, "U3", "datetime64[s]"], ids=str)
def test_unsupported_dtypes_are_refused(dtype):
    image = np.zeros((2, 2), dtype=dtype)
    with pytest.raises(TypeError, match="not supported"):
        oclip.push(image)


def test_lists_and_array_likes_are_accepted():
    class Lazy:  # like a dask or xarray object
        def __array__(self, dtype=None, copy=None):
            return np.full((2, 3), 7, np.uint16)

    np.testing.assert_array_equal(oclip.pull(oclip.push([[1, 2], [3, 4]])),
                                  np.array([[1, 2], [3, 4]], np.int32))
    assert oclip.pull(oclip.push(Lazy())).dtype == np.uint16


def test_non_contiguous_views_are_copied_in_order():
    image = np.arange(60, dtype=np.float32).reshape(3, 4, 5)
    view = image[::-1, :, ::2].transpose(0, 2, 1)
    np.testing.assert_array_equal(oclip.pull(oclip.push(view)), view)


def test_pull_passes_numpy_through_and_push_device_arrays():
    image = np.ones((2, 2), np.float32)
    assert oclip.pull(image) is image
    on_device = oclip.push(image)
    assert oclip.push(on_device) is on_device


def test_create():
    created = oclip.create((4, 5, 6), np.uint16)
    assert created.shape == (4, 5, 6) and created.dtype == np.uint16
    assert oclip.create(10).dtype == np.float32
    with pytest.raises(TypeError, match="dtype"):
        oclip.create((2, 2), np.float64)
    with pytest.raises(ValueError, match="shape"):
        oclip.create((2, -1))


def test_too_large_for_the_device_says_how_much():
    device = oclip.current_device()
    side = int((device.max_allocation / 4) ** (1 / 3)) + 2
    with pytest.raises(oclip.DeviceMemoryError, match="allows at most") as caught:
        check_fits((side, side, side), np.float32, "the image")
    assert device.name in str(caught.value)
    with pytest.raises(oclip.DeviceMemoryError):
        oclip.create((side, side, side))
    # the device still works afterwards
    assert oclip.pull(oclip.push(np.ones(3, np.float32))).sum() == 3


def test_upload_dtype_rule_names_the_parameter():
    with pytest.raises(TypeError, match=r"^labels: arrays of dtype complex128"):
        upload_dtype(np.complex128, "labels")


@pytest.mark.parametrize("shape", [(3, 1000, 997), (5, 7)])
def test_staged_transfers_through_pinned_buffers(shape, rng, monkeypatch):
    # Discrete GPUs copy large arrays in chunks through two pinned buffers;
    # forced here with tiny chunks on whatever device runs the tests.
    from oclip._backend import arrays

    session = oclip._backend.current_context()
    monkeypatch.setattr(arrays.Stager, "chunk_bytes", 4096 * 3 + 8)
    monkeypatch.setattr(arrays.Stager, "threshold_bytes", 0)
    monkeypatch.setattr(session, "device",
                        dataclasses.replace(session.device, unified_memory=False))
    monkeypatch.setattr(session, "stager", None)
    image = rng.random(shape, dtype=np.float32)
    on_device = oclip.push(image)
    assert session.stager is not None
    np.testing.assert_array_equal(on_device.get(), image)
    offset_view = on_device[1:]  # an array with an offset reads from that offset
    np.testing.assert_array_equal(oclip.pull(offset_view), image[1:])
    np.testing.assert_array_equal(oclip.pull(oclip.push(image[::-1].copy())), image[::-1])


def test_pull_takes_a_table_of_device_columns(rng):
    columns = {"label": np.arange(1, 4, dtype=np.uint32), "area": rng.random(3).astype(np.float32)}
    table = oclip.pull({name: oclip.push(values) for name, values in columns.items()})
    assert list(table) == ["label", "area"]
    for name, values in columns.items():
        np.testing.assert_array_equal(table[name], values)
