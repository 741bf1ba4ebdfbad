"""References of grey and binary morphology (ops/morphology.py), against scipy.ndimage
with the edge replicated."""

from __future__ import annotations

import numpy as np
import scipy.ndimage as ndi

from ._core import Reference, exact, named
from .filters import rank, window


def scipy_binary(which, binary, fp):
    """Binary morphology with the edge replicated, from scipy: erosion with
    border_value=1, dilation with border_value=0 (each step on its own)."""
    erode = lambda b: ndi.binary_erosion(b, fp, border_value=1)  # noqa: E731
    dilate = lambda b: ndi.binary_dilation(b, fp)  # noqa: E731
    steps = {"erosion": [erode], "dilation": [dilate], "opening": [erode, dilate],
             "closing": [dilate, erode]}[which]
    for step in steps:
        binary = step(binary)
    return binary.astype(np.uint8)


def binary_morphology(which: str, shape: str):
    return lambda v: scipy_binary(which, v["binary"] != 0, window(v, shape))


REFERENCES = named({
    **{f"{name}_{shape}": Reference(rank(function, shape), exact)
       for name, function in (("opening", ndi.grey_opening), ("closing", ndi.grey_closing))
       for shape in ("box", "sphere")},
    **{f"binary_{which}_{shape}": Reference(binary_morphology(which, shape), exact)
       for which in ("erosion", "dilation", "opening", "closing")
       for shape in ("box", "sphere")},
})
