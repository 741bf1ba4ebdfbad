"""Workflow replay against the same operations called one by one from numpy.

    python benchmarks/replay.py
    python benchmarks/replay.py --size 64x256x256 --repeat 5 --output results.jsonl

The workflow: gaussian_blur → top_hat_box → threshold_otsu →
connected_components_labeling → label_statistics, on a synthetic blob image.

* ``replay_s``: median seconds of ``Workflow.run`` with its outputs read: the
  image pushed once, every intermediate kept on the device, only the outputs
  (labels and statistics) pulled;
* ``one_by_one_s``: the sum of the median seconds of each operation called
  on numpy arrays (each call pushes its input and pulls its result), what a
  script that never calls ``oclip.push`` sees.

Each median is taken over ``--repeat`` runs after one warm-up run (which also
builds the kernels); the runs of the replay and of each operation alternate,
so that other load on the machine weighs on both alike.  The last step is
skipped, with a note, while no operation ``label_statistics`` is registered.
Not part of the test run.
"""

from __future__ import annotations

import argparse
import functools
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import oclip
from _common import build_workflow, parse_shape
from oclip import _backend as backend


def seconds(function: Callable[[], Any]) -> float:
    """Wall time of one call, the device queue finished."""
    backend.synchronize()
    start = time.perf_counter()
    function()
    backend.synchronize()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="64x256x256", help="image shape (default: %(default)s)")
    parser.add_argument("--repeat", type=int, default=9, help="timed runs per measurement")
    parser.add_argument("--device", help="OpenCL device (gpu, cpu or part of a name)")
    parser.add_argument("--output", help="also append the JSON line to this file")
    args = parser.parse_args(argv)

    device = oclip.select_device(args.device)
    print(f"device: {backend.describe(device)}", file=sys.stderr)
    shape = parse_shape(args.size)
    image = oclip.data.blobs(shape, count=max(1, int(np.prod(shape)) // 9000), seed=1)
    workflow = build_workflow()

    def replay() -> dict[str, Any]:
        results = workflow.run({"image": image})
        return {name: results[name] for name in results}

    # numpy in, numpy out: each call pushes its input and pulls its result
    host: dict[str, Any] = {"image": image}
    calls = {}
    for step in workflow.steps:
        function = oclip.get_operation(step.op).function
        arguments = {p: host[source] for p, source in step.inputs.items()}
        arguments.update(step.params)
        calls[step.id] = functools.partial(function, **arguments)
        host[step.id] = calls[step.id]()  # also the warm-up
    replay()

    # Interleaved, so that load from other processes weighs on both alike.
    replay_times: list[float] = []
    step_times: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(args.repeat):
        replay_times.append(seconds(replay))
        for name, call in calls.items():
            step_times[name].append(seconds(call))
    replay_s = statistics.median(replay_times)
    per_step = {name: statistics.median(times) for name, times in step_times.items()}
    one_by_one_s = sum(per_step.values())

    replayed = replay()
    np.testing.assert_array_equal(replayed["labels"], host["labels"])

    row = {
        "benchmark": "workflow replay",
        "steps": [s.op for s in workflow.steps],
        "shape": "x".join(map(str, shape)),
        "dtype": str(image.dtype),
        "device": oclip.current_device().name,
        "replay_s": replay_s,
        "one_by_one_s": one_by_one_s,
        "per_step_s": per_step,
        "ratio": replay_s / one_by_one_s,
        "host": platform.processor() or platform.machine(),
    }
    print(json.dumps(row), flush=True)
    if args.output:
        with open(args.output, "a") as output:
            output.write(json.dumps(row) + "\n")
    print(f"\n{'step (numpy in, numpy out)':40s} {'ms':>9s}", file=sys.stderr)
    for step in workflow.steps:
        print(f"  {step.id + ' (' + step.op + ')':38s} {per_step[step.id] * 1e3:9.1f}",
              file=sys.stderr)
    print(f"{'one by one, sum':40s} {one_by_one_s * 1e3:9.1f}\n"
          f"{'replay (push once, pull outputs)':40s} {replay_s * 1e3:9.1f}\n"
          f"{'ratio replay / one by one':40s} {replay_s / one_by_one_s:9.2f}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
