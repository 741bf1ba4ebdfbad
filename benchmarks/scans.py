"""Exclusive prefix scans: oclip's hand-written kernels against pyopencl's scan.

    python benchmarks/scans.py
    python benchmarks/scans.py --sizes 10000,1000000,16000000 --repeat 9 \\
        --output benchmarks/results/scans-pocl-2cpu.jsonl

Two scans of the label machinery (ops/_labels.py), each a JSON line per
(case, implementation, size):

* ``offsets``: the exclusive sums of a uint32 vector of counts (0..3) into
  ``n + 1`` offsets, the last the total (the per-row offsets of connected
  components, raster numbering and touching pairs).  ``single_group``: the
  one-work-group kernel ``exclusive_scan`` of labels.cl; ``blocked``: block
  sums, the one-group scan of those, then per-block scans (``_long_scan``);
  ``pyopencl``: :func:`oclip._backend.scan` (pyopencl's GenericScanKernel);
* ``number_flags``: sequential numbers of the set flags of a uint8 vector
  (30 % set), and their count.  ``blocked``: ``_labels.number_flags`` (block
  counts, a scan of those, per-block numbering); ``pyopencl``: one scan.

Every implementation's result is compared with numpy's before it is timed.
Each timing is the median of ``--repeat`` runs after a warm-up (the kernel
builds), from the launch to the end of the queue.  Not part of the test run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

import oclip
from oclip import _backend as backend
from oclip.ops import _labels


def offsets_single_group(counts: backend.DeviceArray) -> backend.DeviceArray:
    return _labels.exclusive_scan(counts)


def offsets_blocked(counts: backend.DeviceArray) -> backend.DeviceArray:
    return _labels._long_scan(counts)


def offsets_pyopencl(counts: backend.DeviceArray) -> backend.DeviceArray:
    offsets = backend.create(counts.size + 1, np.uint32)
    backend.scan(counts, offsets, size=counts.size, dtype=np.uint32,
                 input_expr="counts[i]",
                 output_statement="offsets[i + 1] = item; if (i == 0) offsets[0] = 0u;",
                 arguments="__global const uint *counts, __global uint *offsets",
                 name="benchmark_offsets")
    return offsets


def number_blocked(flags: backend.DeviceArray) -> tuple[backend.DeviceArray, int]:
    number, offsets = _labels.number_flags(flags)
    return number, _labels.count_of(offsets)


def number_pyopencl(flags: backend.DeviceArray) -> tuple[backend.DeviceArray, int]:
    number = backend.create(flags.shape, np.uint32)
    total = backend.create(1, np.uint32)
    backend.scan(flags, number, total, size=flags.size, dtype=np.uint32,
                 input_expr="flags[i] != 0",
                 output_statement="number[i] = flags[i] ? item : 0u; "
                                  "if (i == N - 1) total[0] = item;",
                 arguments="__global const uchar *flags, __global uint *number, "
                           "__global uint *total",
                 name="benchmark_number_flags")
    return number, int(total.get()[0])


OFFSETS: dict[str, Callable] = {"single_group": offsets_single_group,
                                "blocked": offsets_blocked, "pyopencl": offsets_pyopencl}
NUMBER: dict[str, Callable] = {"blocked": number_blocked, "pyopencl": number_pyopencl}


def timed(function: Callable, argument: object, repeat: int) -> list[float]:
    function(argument)  # warm-up: kernel builds
    backend.synchronize()
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        function(argument)
        backend.synchronize()
        runs.append(time.perf_counter() - start)
    return runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,1000000,16000000",
                        help="comma-separated vector lengths")
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--output", type=Path, help="append JSON lines to this file")
    args = parser.parse_args(argv)
    device = backend.current_device()
    rng = np.random.default_rng(20261204)
    lines = []
    for size in (int(float(s)) for s in args.sizes.split(",")):
        counts = rng.integers(0, 4, size).astype(np.uint32)
        flags = (rng.random(size) < 0.3).astype(np.uint8)
        expected_offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.uint32)
        expected_number = np.where(flags, np.cumsum(flags), 0).astype(np.uint32)
        cases = [("offsets", OFFSETS, oclip.push(counts)),
                 ("number_flags", NUMBER, oclip.push(flags))]
        for case, implementations, data in cases:
            for name, function in implementations.items():
                result = function(data)
                if case == "offsets":
                    np.testing.assert_array_equal(result.get(), expected_offsets)
                else:
                    np.testing.assert_array_equal(result[0].get(), expected_number)
                    assert result[1] == int(flags.sum())
                runs = timed(function, data, args.repeat)
                line = {"benchmark": "scans", "case": case, "implementation": name,
                        "size": size, "device": device.name, "cores": device.compute_units,
                        "load_average": os.getloadavg()[0],
                        "runs": runs, "seconds": statistics.median(runs),
                        "host": platform.machine()}
                lines.append(line)
                print(f"{case:13s} {name:13s} {size:>10d} {1e3 * line['seconds']:9.3f} ms",
                      flush=True)
    if args.output is not None:
        with args.output.open("a") as file:
            for line in lines:
                file.write(json.dumps(line) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
