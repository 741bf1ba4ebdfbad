"""The cached reduction and scan helpers, and the work buffers of the backend."""

from __future__ import annotations

import numpy as np

import oclip
from oclip import _backend as backend

SUM = {"neutral": "0", "reduce_expr": "a + b", "map_expr": "values[i]",
       "arguments": "__global const int *values", "name": "test_sum"}


def test_reductions_are_built_once_and_counted(rng):
    values = rng.integers(-100, 100, 1000).astype(np.int32)
    device = oclip.push(values)
    assert int(backend.reduce(device, dtype=np.int32, **SUM).get()) == values.sum()
    builds, launches = backend.stats["builds"], backend.stats["launches"]
    assert int(backend.reduce(oclip.push(values[:10]), dtype=np.int32, **SUM).get()) == (
        values[:10].sum())
    assert backend.stats["builds"] == builds
    assert backend.stats["launches"] == launches + 1


def test_vector_reductions_take_opencl_vector_types(rng):
    values = rng.random(777).astype(np.float32)
    pair = backend.vector_dtype(np.float32, 2)
    result = backend.reduce(
        oclip.push(values), dtype=pair, neutral="(float2)(INFINITY, -INFINITY)",
        reduce_expr="(float2)(fmin(a.x, b.x), fmax(a.y, b.y))",
        map_expr="(float2)(values[i], values[i])", arguments="__global const float *values",
        name="test_range").get()
    assert (result["x"], result["y"]) == (values.min(), values.max())


def test_scans_write_through_their_output_statement(rng):
    counts = rng.integers(0, 5, 3000).astype(np.uint32)
    offsets = backend.create(counts.size + 1, np.uint32)
    arguments = {"dtype": np.uint32, "input_expr": "counts[i]",
                 "output_statement": "offsets[i + 1] = item; if (i == 0) offsets[0] = 0u;",
                 "arguments": "__global const uint *counts, __global uint *offsets",
                 "name": "test_offsets"}
    backend.scan(oclip.push(counts), offsets, size=counts.size, **arguments)
    np.testing.assert_array_equal(offsets.get(), np.concatenate([[0], np.cumsum(counts)]))
    builds = backend.stats["builds"]
    backend.scan(oclip.push(counts), offsets, size=counts.size, **arguments)
    assert backend.stats["builds"] == builds


def test_work_arrays_take_any_dtype_and_can_start_at_zero():
    zeros = backend.work_array((3, 4), np.int64, zero=True)
    assert zeros.dtype == np.int64 and zeros.shape == (3, 4)
    np.testing.assert_array_equal(zeros.get(), 0)
    assert backend.work_array(5, np.float64).shape == (5,)
