"""Where an operation's time goes: each kernel launch timed on its own.

    python benchmarks/kernels.py [--size 256x1024x1024] [--repeat 5] [--output FILE]

For each benchmark target of compare.py (oclip only), runs it once to build and
warm up, then ``--repeat`` times with every kernel launch followed by a
``finish`` of the queue, so each launch's wall time is its own (plus one launch
latency).  One JSON line per (operation, kernel launch in order): the median
time, the bytes the launch's buffer arguments hold, and the bandwidth those bytes
imply; then the whole call without per-launch synchronisation.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import oclip
from _common import parse_shape
from compare import Oclip, make_inputs
from oclip import _backend as backend
from oclip._backend import programs


def _buffer_bytes(args: tuple[object, ...]) -> int:
    return sum(a.nbytes for a in args if isinstance(a, backend.DeviceArray))


def profile(call: Callable[[], Any], repeat: int) -> tuple[list[dict[str, Any]], float]:
    """Per-launch medians of ``call`` and its unsynchronised median time."""
    original = programs.Program.launch
    launches: list[tuple[str, int, float]] = []

    def timed_launch(self: programs.Program, name: str, global_size: tuple[int, ...],
                     *args: object, **kwargs: Any) -> Any:
        backend.synchronize()
        start = time.perf_counter()
        event = original(self, name, global_size, *args, **kwargs)
        backend.synchronize()
        launches.append((name, _buffer_bytes(args), time.perf_counter() - start))
        return event

    call()
    backend.synchronize()
    runs: list[list[tuple[str, int, float]]] = []
    programs.Program.launch = timed_launch  # type: ignore[method-assign]
    try:
        for _ in range(repeat):
            launches.clear()
            call()
            backend.synchronize()
            runs.append(list(launches))
    finally:
        programs.Program.launch = original  # type: ignore[method-assign]
    rows = []
    for index, (name, nbytes, _) in enumerate(runs[0]):
        seconds = statistics.median(run[index][2] for run in runs if len(run) > index)
        rows.append({"launch": index, "kernel": name, "ms": round(seconds * 1e3, 4),
                     "bytes": nbytes,
                     "GB_per_s": round(nbytes / seconds / 1e9, 1) if seconds else None})
    totals = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        backend.synchronize()
        totals.append(time.perf_counter() - start)
    return rows, statistics.median(totals)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="256x1024x1024", type=parse_shape)
    parser.add_argument("--repeat", default=5, type=int)
    parser.add_argument("--only", nargs="*", help="operations to profile (default: all)")
    parser.add_argument("--output", help="append JSON lines to this file")
    args = parser.parse_args(argv)
    library = Oclip()
    driver = oclip.current_device().driver_version
    inputs = make_inputs(args.size)
    pushed = {key: oclip.push(value) for key, value in inputs.items()}
    shape = "x".join(map(str, args.size))
    lines = []
    for op_name, target in library.targets().items():
        if args.only and op_name not in args.only:
            continue
        rows, total = profile(lambda t=target: t(pushed), args.repeat)
        for row in rows:
            lines.append({"operation": op_name, "device": library.device, "driver": driver,
                          "size": shape, **row})
        lines.append({"operation": op_name, "device": library.device, "driver": driver,
                      "size": shape, "kernel": "(whole call)", "ms": round(total * 1e3, 4)})
        print(f"{op_name}: {total * 1e3:.3f} ms", file=sys.stderr)
        for row in rows:
            print(f"    {row['kernel']:<36} {row['ms']:9.3f} ms  {row['GB_per_s']} GB/s",
                  file=sys.stderr)
    text = "".join(json.dumps(line) + "\n" for line in lines)
    if args.output:
        with open(args.output, "a") as file:
            file.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
