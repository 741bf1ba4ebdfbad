"""The main job of a first session: napari with sample data and the oclip Assistant."""

from __future__ import annotations

import napari


def open_demo(viewer: napari.Viewer) -> None:
    """Load the sample images into ``viewer`` and dock the Assistant.

    The 3D nuclei start hidden so that the 2D blobs fill the view; the blobs
    are selected, ready for a first category click.
    """
    viewer.open_sample("oclip", "nuclei")
    viewer.layers["nuclei"].visible = False
    viewer.open_sample("oclip", "blobs")
    viewer.window.add_plugin_dock_widget("oclip", "Assistant")
    viewer.layers.selection.active = viewer.layers["blobs"]
    viewer.reset_view()


def main() -> None:
    """Open a napari window with the demo and run until it is closed."""
    viewer = napari.Viewer(title="oclip")
    open_demo(viewer)
    napari.run()
