"""The main job of a first session: napari with sample data and the oclip widgets."""

from __future__ import annotations

import napari

from ..ops import operations
from ._manifest import display_name


def open_demo(viewer: napari.Viewer) -> None:
    """Load the sample images into ``viewer`` and dock one widget per operation."""
    viewer.open_sample("oclip", "nuclei")
    viewer.open_sample("oclip", "blobs")
    for operation in operations().values():
        viewer.window.add_plugin_dock_widget("oclip", display_name(operation), tabify=True)


def main() -> None:
    """Open a napari window with the demo and run until it is closed."""
    viewer = napari.Viewer(title="oclip")
    open_demo(viewer)
    napari.run()
