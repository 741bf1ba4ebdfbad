"""References of the thresholds, local extrema and edges (ops/threshold.py), against
scikit-image and scipy.ndimage."""

from __future__ import annotations

import warnings

import numpy as np
import scipy.ndimage as ndi
import skimage.feature
import skimage.filters

from ._core import Reference, exact, f64, named, per_axis

#: The histogram thresholds, as scikit-image names them (threshold_<method>).
METHODS = ["isodata", "li", "triangle", "yen", "mean", "otsu"]


def splits_at(result: np.ndarray, image: np.ndarray, threshold: float) -> bool:
    """``result`` is ``image > threshold``: exactly for integer images (one bin per value,
    as scikit-image), but within one of the 256 bins of float images."""
    expected = image > threshold
    if image.dtype.kind in "iu":
        return bool(np.array_equal(result, expected))
    bin_width = (float(image.max()) - float(image.min())) / 256
    certain = np.abs(f64(image) - threshold) > bin_width
    return bool(np.array_equal(result[certain], expected[certain]))


def within_one_bin(result, threshold, v):
    """The split at scikit-image's threshold (:func:`splits_at`)."""
    image = v["image"]
    assert splits_at(result, image, threshold), (
        f"{np.flatnonzero(result != (image > threshold))} differ from the split at {threshold}")


def threshold(method: str) -> Reference:
    """scikit-image's threshold of the image (the reference's value: a number)."""
    return Reference(lambda v: getattr(skimage.filters, f"threshold_{method}")(v["image"]),
                     within_one_bin)


def extrema(function):
    """Pixels equal to the extreme of their box (plateaus included)."""
    def expected(v):
        image = v["image"]
        size = [2 * r + 1 for r in per_axis(v, "radius")]
        return (function(image, size=size, mode="nearest") == image).astype(np.uint8)
    return expected


def peaks(v) -> np.ndarray:
    """skimage's peak_local_max coordinates as a binary image (its warning for
    min_distance 0 silenced: the documented behaviour)."""
    image = v["image"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        coordinates = skimage.feature.peak_local_max(
            image, min_distance=v["min_distance"], threshold_abs=v["threshold_abs"],
            exclude_border=v["exclude_border"])
    out = np.zeros(image.shape, np.uint8)
    out[tuple(coordinates.T)] = 1
    return out


REFERENCES = named({
    "peak_local_max": Reference(peaks, exact),
    **{f"threshold_{method}": threshold(method) for method in METHODS},
    "detect_maxima_box": Reference(extrema(ndi.maximum_filter), exact),
    "detect_minima_box": Reference(extrema(ndi.minimum_filter), exact),
    # the edge replicated: objects are not cut open at the border
    "binary_edge_detection": Reference(lambda v: (
        (v["binary"] != 0) & ~ndi.binary_erosion(v["binary"] != 0, border_value=1)).astype(
        np.uint8), exact),
})
