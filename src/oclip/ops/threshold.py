"""Thresholding (category "Binarize")."""

from __future__ import annotations

import numpy as np

from .. import _backend as backend
from ._reductions import THRESHOLD, histogram, minimum_maximum
from ._registry import operation
from ._types import Binary, Image

__all__ = ["threshold_otsu"]


def _binarize_above(image: backend.DeviceArray, threshold: backend.DeviceArray,
                    defines: dict[str, object]) -> backend.DeviceArray:
    out = backend.create(image.shape, np.uint8)
    backend.launch(THRESHOLD, "greater_than_threshold", (image.size,), image, threshold, out,
                   defines=defines)
    return out


@operation(category="Binarize")
def threshold_otsu(image: Image) -> Binary:
    """Binarize an image with Otsu's threshold.

    The threshold maximises the between-class variance of the image's
    histogram: one bin per value for 8- and 16-bit images, 256 bins between
    the minimum and the maximum otherwise.  Pixels above it become 1.

    Parameters
    ----------
    image : Image
        The image to binarize, 2D or 3D.

    Returns
    -------
    Binary
        uint8 image, 1 where ``image > threshold``.

    See Also
    --------
    skimage.filters.threshold_otsu : the reference threshold (with its
        default 256 bins); the result equals ``image > threshold``.

    References
    ----------
    N. Otsu, "A threshold selection method from gray-level histograms",
    IEEE Trans. Syst. Man Cybern. 9 (1979), 62-66.
    """
    value_range = minimum_maximum(image)
    counts, bins = histogram(image, value_range)
    defines = bins.defines(image.dtype)
    threshold = backend.create((1,), image.dtype)
    backend.launch(THRESHOLD, "otsu_threshold", (1,), counts, value_range, threshold,
                   defines=defines)
    return _binarize_above(image, threshold, defines)
