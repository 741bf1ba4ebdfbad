"""Sample data contributions: synthetic blobs (2D) and nuclei (3D)."""

from __future__ import annotations

import napari.types

from .. import data


def blobs() -> list[napari.types.LayerDataTuple]:
    """A 2D image of fluorescent blobs (uint8, 256 x 256)."""
    return [(data.blobs2d(), {"name": "blobs"}, "image")]


def nuclei() -> list[napari.types.LayerDataTuple]:
    """A 3D stack of nuclei (uint16, 60 x 128 x 128)."""
    return [(data.nuclei3d(), {"name": "nuclei"}, "image")]
