"""The main job of a first session: napari with sample data and the oclip widgets."""

from __future__ import annotations

import napari

from ..ops import operations
from ._manifest import display_name


def open_demo(viewer: napari.Viewer) -> None:
    """Load the sample images into ``viewer`` and dock one widget per operation.

    The 3D nuclei start hidden so that the 2D blobs fill the view; the first
    operation's widget is in front.
    """
    viewer.open_sample("oclip", "nuclei")
    viewer.layers["nuclei"].visible = False
    viewer.open_sample("oclip", "blobs")
    docks = [viewer.window.add_plugin_dock_widget("oclip", display_name(op), tabify=True)[0]
             for op in operations().values()]
    docks[0].raise_()
    viewer.reset_view()


def main() -> None:
    """Open a napari window with the demo and run until it is closed."""
    viewer = napari.Viewer(title="oclip")
    open_demo(viewer)
    napari.run()
