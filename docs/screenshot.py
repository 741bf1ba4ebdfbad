"""Make docs/assistant.png: napari with the Assistant and a 3-step workflow.

    xvfb-run -a -s "-screen 0 1600x1000x24" python docs/screenshot.py
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


def main() -> int:
    viewer = napari.Viewer(title="oclip")
    viewer.window._qt_window.resize(1500, 950)
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

    for category, layer in [("Remove noise", "blobs"), ("Binarize", "gaussian_blur"),
                            ("Label", "threshold_otsu")]:
        viewer.layers.selection.active = viewer.layers[layer]
        assistant.add_step(category)
        settle()
    assistant.step_widgets["gaussian_blur"].form["sigma_x"].value = 2.0
    assistant.step_widgets["gaussian_blur"].form["sigma_y"].value = 2.0
    settle()
    viewer.layers["threshold_otsu"].visible = False
    viewer.layers.selection.active = viewer.layers["gaussian_blur"]
    settle()
    napari.utils.io.imsave(str(OUTPUT), viewer.screenshot(canvas_only=False, flash=False))
    viewer.close()
    print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
