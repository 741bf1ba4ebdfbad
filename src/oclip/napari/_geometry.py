"""Where results go in the viewer: time points, and the scale and translation of result layers."""

from __future__ import annotations

import napari
import numpy as np
from napari.layers import Layer

#: A 3D or 4D layer whose first axis has one of these labels is a time-lapse.
TIME_AXIS_LABELS = ("t", "time", "frame")


def is_time_lapse(layer: Layer) -> bool:
    """Whether ``layer`` is a time-lapse: a 3D or 4D layer whose first axis is
    labelled as time, or a 4D layer with napari's default (unnamed) axis labels,
    taken as (t, z, y, x).  A first axis labelled otherwise (``c``) is not time."""
    if layer.ndim not in (3, 4):
        return False
    labels = tuple(str(label) for label in getattr(layer, "axis_labels", ()))
    if labels and labels[0].lower() in TIME_AXIS_LABELS:
        return True
    unnamed = tuple(str(i) for i in range(-layer.ndim, 0))  # napari's defaults
    return layer.ndim == 4 and labels in ((), unnamed)


def shown_time_point(layer: Layer, viewer: napari.Viewer) -> int:
    """The time point of the time-lapse ``layer`` that ``viewer`` shows."""
    position = layer.world_to_data(viewer.dims.point)[0]
    return int(np.clip(round(position), 0, layer.data.shape[0] - 1))


def result_geometry(source: Layer | None, ndim: int,
                    leading: int = 0) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Scale and translation of a result of ``ndim`` axes computed from ``source``.

    The source's time axis is dropped (a result of one time point) unless the
    result has a ``leading`` time axis of its own (all time points); axes a
    result adds (eigenvalues) get scale 1; axes it lost (projections) are
    dropped from the front.  Without a source: unit scale, no translation.
    """
    if source is None:
        return (1.0,) * ndim, (0.0,) * ndim
    scale, translate = list(source.scale), list(source.translate)
    if is_time_lapse(source) and not leading:
        scale, translate = scale[1:], translate[1:]
    elif leading and not is_time_lapse(source):
        scale, translate = [1.0, *scale], [0.0, *translate]
    while len(scale) < ndim:
        scale, translate = [1.0, *scale], [0.0, *translate]
    return tuple(scale[len(scale) - ndim:]), tuple(translate[len(translate) - ndim:])
