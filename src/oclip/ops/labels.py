"""Labeling of binary images (category "Label")."""

from __future__ import annotations

from typing import Literal

from ._labeling import components
from ._registry import operation
from ._types import Binary, Labels

__all__ = ["connected_components_labeling"]

#: Neighbourhoods: "box" joins pixels touching by a face, an edge or a corner
#: (8 in 2D, 26 in 3D); "diamond" by a face only (4 in 2D, 6 in 3D).
Connectivity = Literal["box", "diamond"]


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
    return components(binary, connectivity)[0]
