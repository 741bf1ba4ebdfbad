"""Labeling of binary images (category "Label")."""

from __future__ import annotations

from typing import Literal

import numpy as np
from pyopencl.scan import GenericScanKernel

from .. import _backend as backend
from ._registry import operation
from ._types import Binary, Labels

__all__ = ["connected_components_labeling"]

LABELS = "labels.cl"

#: Neighbourhoods: "box" joins pixels touching by a face, an edge or a corner
#: (8 in 2D, 26 in 3D); "diamond" by a face only (4 in 2D, 6 in 3D).
Connectivity = Literal["box", "diamond"]
_CONNECTIVITY_REACH = {"box": 3, "diamond": 1}

_root_scans: dict[int, GenericScanKernel] = {}


def _number_roots(binary: backend.DeviceArray, parent: backend.DeviceArray) -> backend.DeviceArray:
    """Inclusive count of component roots up to each pixel: a root's label."""
    device = backend.current_device().index
    scan = _root_scans.get(device)
    if scan is None:
        scan = GenericScanKernel(
            backend.current_session().context, np.uint32,
            arguments="__global const uchar *binary, __global const int *parent, "
                      "__global uint *number",
            input_expr="(binary[i] && parent[i] == i) ? 1 : 0",
            scan_expr="a + b", neutral="0",
            output_statement="number[i] = item;",
        )
        backend.stats["builds"] += 1
        _root_scans[device] = scan
    number = backend.create(binary.size, np.uint32)
    backend.stats["launches"] += 1
    scan(binary.reshape(binary.size), parent.reshape(parent.size), number,
         queue=backend.current_session().queue)
    return number


def label_components(binary: backend.DeviceArray, connectivity: str) -> backend.DeviceArray:
    """Label the connected foreground components of a device binary image."""
    if binary.size >= 2**31:
        raise ValueError(f"connected components labeling supports images of fewer than 2**31 "
                         f"pixels, got {binary.size}")
    nx, ny, nz = backend.grid(binary.shape)
    defines = {"CONNECTIVITY": _CONNECTIVITY_REACH[connectivity]}
    parent = backend.create(binary.shape, np.int32)
    backend.launch(LABELS, "label_init", (binary.size,), parent, defines=defines)
    backend.launch(LABELS, "label_merge", (nx, ny, nz), binary, parent, nx, ny, nz,
                   defines=defines)
    backend.launch(LABELS, "label_flatten", (binary.size,), binary, parent, defines=defines)
    number = _number_roots(binary, parent)
    labels = parent.view(np.uint32)  # each pixel overwrites only its own parent
    backend.launch(LABELS, "label_assign", (binary.size,), binary, parent, number, labels,
                   defines=defines)
    return labels


@operation(category="Label")
def connected_components_labeling(binary: Binary,
                                  connectivity: Connectivity = "box") -> Labels:
    """Label the connected foreground components of a binary image.

    Parameters
    ----------
    binary : Binary
        Foreground is every non-zero pixel.
    connectivity : {"box", "diamond"}
        "box" joins pixels that touch by a face, an edge or a corner (8
        neighbours in 2D, 26 in 3D); "diamond" only by a face (4 in 2D, 6 in 3D).

    Returns
    -------
    Labels
        uint32 label image: background 0, components numbered 1..n in raster
        order of their first pixel.

    See Also
    --------
    scipy.ndimage.label : the reference; "box" is ``structure=np.ones((3,) * ndim)``,
        "diamond" is ``generate_binary_structure(ndim, 1)``.
    """
    return label_components(binary, connectivity)
