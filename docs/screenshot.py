"""Make docs/assistant.png: napari at 1280x1024 with the Assistant, a five-step
workflow (denoise, background, threshold, label, measure) and its table.

    xvfb-run -a -s "-screen 0 1280x1024x24" python docs/screenshot.py [OUTPUT.png] [STEP]

STEP is the step whose widget the dock shows (default: the background removal,
top_hat_box, whose four parameters show).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import napari
from qtpy.QtWidgets import QApplication

from oclip.napari._assistant import Assistant
from oclip.napari._demo import open_demo

OUTPUT = Path(__file__).with_name("assistant.png")

#: The chain: each category clicked with the previous step's result selected.
CHAIN = ("Remove noise", "Remove background", "Binarize", "Label", "Measure")


def main(argv: list[str]) -> int:
    output = Path(argv[0]) if argv else OUTPUT
    viewer = napari.Viewer(title="oclip")
    window = viewer.window._qt_window
    window.resize(1280, 1024)
    open_demo(viewer)
    assistant = next(w for w in viewer.window.dock_widgets.values() if isinstance(w, Assistant))
    app = QApplication.instance()

    def settle() -> None:
        jobs = assistant.viewer_workflow.jobs
        while not jobs.idle:
            app.processEvents()
            time.sleep(0.01)
        for _ in range(20):
            app.processEvents()

    layer = "blobs"
    for category in CHAIN:
        viewer.layers.selection.active = viewer.layers[layer]
        step = assistant.add_step(category)
        settle()
        layer = step if step in viewer.layers else layer
    for name in ("top_hat_box", "threshold_otsu"):
        viewer.layers[name].visible = False
    shown = argv[1] if len(argv) > 1 else "top_hat_box"
    assistant.step_list.setCurrentRow(assistant.workflow.step_ids.index(shown))
    settle()
    napari.utils.io.imsave(str(output), viewer.screenshot(canvas_only=False, flash=False))
    viewer.close()
    print(f"wrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
