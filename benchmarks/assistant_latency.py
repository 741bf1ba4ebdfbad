"""Latency of the Assistant: from a parameter change to the result layer updated.

    xvfb-run -a python benchmarks/assistant_latency.py [--repeat 15] [--output FILE]

For a 2D 1024x1024 and a 3D 64x256x256 float32 image, a gaussian_blur step is
added through the Assistant, then its sigma_x is changed ``--repeat`` times;
each change is timed from setting the widget's value (as a user does) until
the layer's data event (the new result is shown), with the Qt event loop
running as in napari.  Then the 5-step chain of the other benchmarks
(gaussian_blur, top_hat_box, threshold_otsu, connected_components_labeling,
label_statistics) is made by category clicks, and a change of the blur's
sigma_x is timed until every step is shown again (the labels layer updated,
the compute thread idle).  Prints one JSON line per size and case and a
summary on stderr.  Not part of the test run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

import napari
import numpy as np
from qtpy.QtWidgets import QApplication

import oclip
from oclip.napari._assistant import Assistant


def measure(shape: tuple[int, ...], repeat: int, chain: bool = False) -> dict:
    viewer = napari.Viewer(show=False)
    image = oclip.data.blobs(shape, count=max(1, int(np.prod(shape)) // 9000), seed=1)
    viewer.add_image(image, name="image")
    assistant = Assistant(viewer)
    app = QApplication.instance()

    def wait(condition, timeout: float = 120.0) -> None:
        start = time.perf_counter()
        while not condition():
            app.processEvents()
            if time.perf_counter() - start > timeout:
                raise TimeoutError("no result within the timeout")
            time.sleep(0.0005)

    wait(lambda: assistant.device_box.count() > 0)
    viewer.layers.selection.active = viewer.layers["image"]
    assistant.add_step("Remove noise")
    wait(lambda: "gaussian_blur" in viewer.layers)
    last = "gaussian_blur"
    ops = ["gaussian_blur"]
    if chain:  # each category's default operation on the previous result
        for category in ("Remove background", "Binarize", "Label", "Measure"):
            step_id = assistant.add_step(category, viewer.layers[last])
            wait(lambda: assistant.viewer_workflow.jobs.idle)
            if step_id in viewer.layers:
                last = step_id
        top_hat = assistant.step_widgets[assistant.workflow.step_ids[1]].form
        for name, value in (("radius_x", 10), ("radius_y", 10), ("radius_z", 2)):
            top_hat[name].value = value
        wait(lambda: assistant.viewer_workflow.jobs.idle)
        ops = [step.op for step in assistant.workflow.steps]
    layer = viewer.layers[last]
    updates = []
    layer.events.data.connect(lambda event: updates.append(time.perf_counter()))
    widget = assistant.step_widgets["gaussian_blur"].form["sigma_x"]
    latencies = []
    for index in range(repeat + 1):  # the first change builds nothing new, but warms up
        before = len(updates)
        start = time.perf_counter()
        widget.value = 1.5 + (index % 2)  # alternate: every change is a real change
        wait(lambda before=before: len(updates) > before
             and assistant.viewer_workflow.jobs.idle)
        if index:
            latencies.append(updates[-1] - start)
    viewer.close()
    return {
        "benchmark": ("assistant parameter change of the first of 5 steps -> all shown"
                      if chain else "assistant parameter change -> layer updated"),
        "operation": " -> ".join(ops),
        "shape": "x".join(map(str, shape)),
        "device": oclip.current_device().name,
        "median_s": statistics.median(latencies),
        "min_s": min(latencies),
        "max_s": max(latencies),
        "repeat": repeat,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--output", help="also append the JSON lines to this file")
    args = parser.parse_args(argv)
    os.environ.setdefault("OCLIP_WARM_UP", "0")  # the steady state: nothing built ahead
    QApplication.instance() or QApplication([])
    rows = [measure(shape, args.repeat, chain) for chain in (False, True)
            for shape in [(1024, 1024), (64, 256, 256)]]
    for row in rows:
        print(json.dumps(row))
        steps = len(row["operation"].split(" -> "))
        print(f"{row['shape']:>12s} {steps} step(s): median {row['median_s'] * 1e3:.1f} ms "
              f"(min {row['min_s'] * 1e3:.1f}, max {row['max_s'] * 1e3:.1f}) on {row['device']}",
              file=sys.stderr)
    if args.output:
        with open(args.output, "a") as output:
            output.writelines(json.dumps(row) + "\n" for row in rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
