"""Reference implementations (numpy / scipy / scikit-image) for the label tests."""

from __future__ import annotations

import numpy as np
import scipy.ndimage as ndi
import skimage.filters

UNLABELLED = np.iinfo(np.uint32).max


def cross(ndim: int) -> np.ndarray:
    return ndi.generate_binary_structure(ndim, 1)


def box(ndim: int) -> np.ndarray:
    return np.ones((3,) * ndim, bool)


def relabel_raster(labels: np.ndarray) -> np.ndarray:
    """Labels renumbered 1..n in raster order of each label's first pixel."""
    values, first = np.unique(labels.ravel(), return_index=True)
    order = [v for v in values[np.argsort(first)] if v != 0]
    lut = np.zeros(int(labels.max()) + 1, np.uint32)
    lut[order] = np.arange(1, len(order) + 1)
    return lut[labels]


def grow_in_mask(labels: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Alternating cross and box steps; an unlabelled mask pixel takes the smallest
    neighbouring label; until nothing changes."""
    labels = labels.astype(np.uint32).copy()
    mask = mask.astype(bool)
    while True:
        changed = False
        for footprint in (cross(labels.ndim), box(labels.ndim)):
            inf = np.where(labels == 0, UNLABELLED, labels)
            smallest = ndi.minimum_filter(inf, footprint=footprint, mode="constant",
                                          cval=UNLABELLED)
            new = (labels == 0) & mask & (smallest != UNLABELLED)
            labels[new] = smallest[new]
            changed |= bool(new.any())
        if not changed:
            return labels


def gaussian(image: np.ndarray, sigma: float) -> np.ndarray:
    return ndi.gaussian_filter(image.astype(np.float64), sigma, mode="nearest")


def otsu(image: np.ndarray) -> np.ndarray:
    return image > skimage.filters.threshold_otsu(image)


def voronoi_otsu(image: np.ndarray, spot_sigma: float, outline_sigma: float) -> np.ndarray:
    blurred = gaussian(image, spot_sigma)
    spots = ndi.maximum_filter(blurred, size=3, mode="nearest") == blurred
    mask = otsu(gaussian(image, outline_sigma))
    seeds, _ = ndi.label(spots & mask, structure=box(image.ndim))
    return relabel_raster(grow_in_mask(seeds, mask))
