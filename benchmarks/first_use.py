"""First use of the Assistant with an empty kernel cache: the first category click
to its layer, and the longest stall of napari's main thread meanwhile.

    xvfb-run -a python benchmarks/first_use.py [--output FILE]

Each case runs in a fresh Python process whose kernel caches are empty:
``XDG_CACHE_HOME`` (where pyopencl keeps its binaries) and ``POCL_CACHE_DIR``
(PoCL's own) point to a new temporary folder; oclip itself keeps programs in
memory only.  The case opens a napari window with an image (2D 256x256 blobs
or a 3D 60x128x128 nuclei stack), docks the Assistant (with or without kernels
built ahead, ``OCLIP_WARM_UP``), waits ``delay`` seconds (``until-ready``: until
the compute thread is idle), clicks Label and times the click until the labels
layer holds its result.  A QTimer ticking every 10 ms on the main thread gives
the longest gap between two ticks from the click to the layer shown, and from
the dock opening to the click (napari's own work of docking counted in).
Prints one JSON line per case and a summary on stderr.  Not part of the test run.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time

CASES = [  # (image, warm up, delay before the click)
    ("2d", False, "0"),
    ("2d", True, "0"),
    ("2d", True, "until-ready"),
    ("3d", False, "0"),
    ("3d", True, "0"),
    ("3d", True, "until-ready"),
]


def case(image: str, delay: str) -> dict:
    """One case, in this process (its environment set by the caller)."""
    import napari
    from qtpy.QtCore import QTimer
    from qtpy.QtWidgets import QApplication

    import oclip

    app = QApplication.instance() or QApplication([])
    data = oclip.data.blobs2d((256, 256)) if image == "2d" else oclip.data.nuclei3d((60, 128, 128))
    viewer = napari.Viewer(show=True)
    viewer.add_image(data, name="image")
    ticks: list[float] = []
    heartbeat = QTimer()
    heartbeat.timeout.connect(lambda: ticks.append(time.perf_counter()))
    heartbeat.start(10)

    def pump(condition, timeout: float = 600.0) -> None:
        start = time.perf_counter()
        while not condition():
            app.processEvents()
            if time.perf_counter() - start > timeout:
                raise TimeoutError("no result within the timeout")
            time.sleep(0.001)

    pump(lambda: len(ticks) > 5)
    opened = time.perf_counter()
    _, assistant = viewer.window.add_plugin_dock_widget("oclip", "Assistant")
    recorded = assistant.viewer_workflow
    if delay == "until-ready":
        pump(lambda: recorded.jobs.idle)
    else:
        wait_until = time.perf_counter() + float(delay)
        pump(lambda: time.perf_counter() >= wait_until)
    ready = time.perf_counter()
    viewer.layers.selection.active = viewer.layers["image"]
    clicked = time.perf_counter()
    assistant.category_buttons["Label"].click()
    # the result layer is added when the step's result arrives (kernels built
    # ahead may still be building: the compute thread need not be idle)
    pump(lambda: bool(assistant.workflow.steps)
         and assistant.workflow.step_ids[-1] in viewer.layers)
    shown = time.perf_counter()
    heartbeat.stop()
    def stall(start: float, end: float) -> float:
        return max((b - a for a, b in itertools.pairwise(ticks) if start < b <= end + 0.05),
                   default=0.0)

    step = assistant.workflow.step_ids[-1]
    viewer.close()
    return {
        "benchmark": "first Label click -> labels layer, empty kernel cache",
        "image": "256x256 uint8 blobs" if image == "2d" else "60x128x128 nuclei",
        "operation": step,
        "device": oclip.current_device().name,
        "warm_up": os.environ.get("OCLIP_WARM_UP") != "0",
        "delay_before_click": delay,
        "dock_open_to_ready_s": round(ready - opened, 3),
        "click_to_layer_s": round(shown - clicked, 3),
        "longest_stall_click_to_layer_s": round(stall(clicked, shown), 3),
        "longest_stall_dock_open_to_click_s": round(stall(opened, clicked), 3),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "cpu_count": os.cpu_count(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", help="also append the JSON lines to this file")
    parser.add_argument("--case", nargs=2, metavar=("IMAGE", "DELAY"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.case:  # the child process
        print(json.dumps(case(*args.case)))
        return 0
    rows = []
    for image, warm, delay in CASES:
        with tempfile.TemporaryDirectory(prefix="oclip-cache-") as cache:
            env = {**os.environ, "XDG_CACHE_HOME": cache,
                   "POCL_CACHE_DIR": os.path.join(cache, "pocl"),
                   "OCLIP_WARM_UP": "1" if warm else "0"}
            done = subprocess.run([sys.executable, __file__, "--case", image, delay], env=env,
                                  capture_output=True, text=True, check=False)
        lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
        if done.returncode or not lines:
            print(done.stderr, file=sys.stderr)
            return 1
        row = json.loads(lines[-1])
        rows.append(row)
        print(json.dumps(row), flush=True)
        print(f"{row['image']:>20s} warm-up {'on ' if warm else 'off'} click after {delay:>11s}: "
              f"click -> layer {row['click_to_layer_s']:.2f} s, longest stall "
              f"{row['longest_stall_click_to_layer_s'] * 1e3:.0f} ms (before the click "
              f"{row['longest_stall_dock_open_to_click_s'] * 1e3:.0f} ms; ready after "
              f"{row['dock_open_to_ready_s']:.1f} s; load {row['load_average_1min']})",
              file=sys.stderr, flush=True)
    if args.output:
        with open(args.output, "a") as output:
            output.writelines(json.dumps(row) + "\n" for row in rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
