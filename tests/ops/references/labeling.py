"""References of the labeling operations (ops/labeling.py): connected components against
scipy.ndimage.label, the others against compositions of scipy / scikit-image steps."""

from __future__ import annotations

import numpy as np
import scipy.ndimage as ndi
import skimage.filters
import skimage.segmentation

from ._core import Reference, exact, exact_values, named

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


def structure(connectivity: str, ndim: int) -> np.ndarray:
    """scipy's structure of a connectivity: "box" (all neighbours) or "diamond" (faces)."""
    return box(ndim) if connectivity == "box" else cross(ndim)


def connected_components(v):
    return ndi.label(v["binary"], structure=structure(v["connectivity"], v["binary"].ndim))[
        0].astype(np.uint32)


def masked_voronoi_reference(binary: np.ndarray, mask: np.ndarray) -> np.ndarray:
    seeds, _ = ndi.label(binary, structure=box(binary.ndim))
    return relabel_raster(grow_in_mask(seeds * (mask != 0), mask))


# --- voronoi_labeling: the nearest object -------------------------------------------


def nearest_distance_per_label(labels: np.ndarray) -> dict[int, np.ndarray]:
    return {int(v): ndi.distance_transform_edt(labels != v) for v in np.unique(labels) if v}


def assert_nearest_label(result: np.ndarray, objects: np.ndarray) -> None:
    """Every pixel's label is (one of) the nearest objects; exact where unique."""
    distances = nearest_distance_per_label(objects)
    stack = np.stack(list(distances.values()))
    nearest = stack.min(axis=0)
    values = np.array(list(distances))
    # the objects of the result, as labels of `objects` (same raster order)
    chosen = np.take_along_axis(stack, np.searchsorted(values, result)[None], 0)[0]
    np.testing.assert_array_equal(chosen, nearest)
    _, indices = ndi.distance_transform_edt(objects == 0, return_indices=True)
    reference = objects[tuple(indices)]
    tie = (stack == nearest).sum(axis=0) > 1
    np.testing.assert_array_equal(result[~tie], reference[~tie])


def to_objects(result: np.ndarray, objects: np.ndarray) -> np.ndarray:
    """Translate result labels to the object labels they grew from."""
    lut = np.zeros(result.max() + 1, np.int64)
    lut[result[objects > 0]] = objects[objects > 0]
    return lut[result]


def objects_of(v):
    """The objects: "box"-connected components of the binary image."""
    return ndi.label(v["binary"], structure=box(v["binary"].ndim))[0]


def voronoi_check(result, objects, v):
    """Every pixel gets (one of) the nearest objects; exactly the nearest where it is
    unique."""
    if not objects.any():
        assert not result.any()
        return
    assert result.all()
    assert_nearest_label(to_objects(result, objects), objects)


# --- watershed_labeling ---------------------------------------------------------------


def skimage_watershed(image, seeds, connectivity):
    return skimage.segmentation.watershed(
        image, seeds, connectivity=1 if connectivity == "diamond" else image.ndim)


def watershed_check(result, expected, v):
    """Equal where the flooding order is unique: all pixel values distinct (not compared
    elsewhere: on plateaus the order decides)."""
    image = v["image"]
    if np.unique(image).size == image.size:
        exact_values(result, expected, v)


# --- threshold compositions -----------------------------------------------------------


def gauss_otsu(image: np.ndarray, outline_sigma: float) -> np.ndarray:
    return ndi.label(otsu(gaussian(image, outline_sigma)), structure=box(image.ndim))[0]


def eroded_otsu(image: np.ndarray, number_of_erosions: int, outline_sigma: float) -> np.ndarray:
    mask = otsu(gaussian(image, outline_sigma))
    eroded = mask
    for _ in range(number_of_erosions):
        eroded = ndi.binary_erosion(eroded, cross(image.ndim), border_value=1)
    seeds, _ = ndi.label(eroded, structure=box(image.ndim))
    return relabel_raster(grow_in_mask(seeds, mask))


def almost_everywhere(label_count_difference: int):
    """float32 blurs against scipy's float64: pixels at the threshold may flip (and a
    local maximum between two almost equal pixels move); the partition must agree at
    all but 1e-3 of the pixels, the label count within ``label_count_difference``."""
    def tolerance(result, expected, v):
        assert (result != expected).mean() < 1e-3
        assert abs(int(result.max()) - int(expected.max())) <= label_count_difference
    return tolerance


REFERENCES = named({
    "connected_components_labeling": Reference(connected_components, exact),
    "label_spots": Reference(lambda v: np.where(
        v["binary"] != 0, np.cumsum(v["binary"] != 0).reshape(v["binary"].shape), 0).astype(
        np.uint32), exact),
    "masked_voronoi_labeling": Reference(
        lambda v: masked_voronoi_reference(v["binary"] != 0, v["mask"] != 0), exact),
    "voronoi_labeling": Reference(objects_of, voronoi_check),
    "watershed_labeling": Reference(
        lambda v: skimage_watershed(v["image"], v["labels"], v["connectivity"]),
        watershed_check),
    "voronoi_otsu_labeling": Reference(
        lambda v: voronoi_otsu(v["image"], v["spot_sigma"], v["outline_sigma"]),
        almost_everywhere(1)),
    "gauss_otsu_labeling": Reference(lambda v: gauss_otsu(v["image"], v["outline_sigma"]),
                                     almost_everywhere(0)),
    "eroded_otsu_labeling": Reference(
        lambda v: eroded_otsu(v["image"], v["number_of_erosions"], v["outline_sigma"]),
        almost_everywhere(0)),
})
