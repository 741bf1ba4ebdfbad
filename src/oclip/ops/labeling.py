"""Labeling: from binary and intensity images to label images (category "Label").

Every operation here gives a uint32 label image, background 0, objects
numbered 1..n in raster order of each object's first pixel, except
``watershed_labeling``, which keeps the labels of its seeds.
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np

from .. import _backend as backend
from . import _labels
from ._arguments import same_shape
from ._neighbourhood import convolve_separable, gaussian_weights, per_axis, sphere_filter
from ._registry import REFUSE_NONFINITE, operation
from ._types import Binary, Image, Labels, Range, Sigma
from .threshold import local_extrema, otsu_binary

__all__ = [
    "connected_components_labeling",
    "eroded_otsu_labeling",
    "gauss_otsu_labeling",
    "label_spots",
    "masked_voronoi_labeling",
    "voronoi_labeling",
    "voronoi_otsu_labeling",
    "watershed_labeling",
]

#: Neighbourhoods: "box" joins pixels touching by a face, an edge or a corner
#: (8 in 2D, 26 in 3D); "diamond" by a face only (4 in 2D, 6 in 3D).
Connectivity = Literal["box", "diamond"]


def blur(image: backend.DeviceArray, sigma: float) -> backend.DeviceArray:
    """Isotropic Gaussian blur (float32), as gaussian_blur with sigma on every axis."""
    return convolve_separable(image, {axis: gaussian_weights(s) for axis, s in
                                      per_axis(image, sigma, sigma, sigma).items() if s > 0})


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
    return _labels.components(binary, connectivity)[0]


@operation(category="Label")
def label_spots(binary: Binary) -> Labels:
    """Give every non-zero pixel a label of its own.

    Parameters
    ----------
    binary : Binary
        Spots: every non-zero pixel is one object.

    Returns
    -------
    Labels
        uint32 label image: the spots numbered 1..n in raster order.

    See Also
    --------
    numpy.cumsum : the result equals ``np.where(binary, np.cumsum(binary != 0)
        .reshape(binary.shape), 0)``.
    """
    return _labels.number_flags(binary)[0]


def seeded_growth(seeds: backend.DeviceArray, mask: backend.DeviceArray) -> backend.DeviceArray:
    """Masked Voronoi: seed labels (kept only inside the mask) grown through the
    mask, renumbered in raster order."""
    grown = _labels.grow_in_mask(_labels.mask_labels(seeds, mask), mask)
    return _labels.relabel_raster(grown)


@operation(category="Label")
def masked_voronoi_labeling(binary: Binary, mask: Binary) -> Labels:
    """Label the seeds of a binary image and grow them through a mask.

    The seeds are the connected components ("box": faces, edges and corners)
    of ``binary``, cut to the mask.  They grow step by step through the mask
    pixels, alternating a step to the face neighbours and a step to all
    neighbours (an octagonal front, closer to Euclidean distance than either
    alone); a pixel reached in the same step by several seeds takes the seed
    whose label is smallest (whose first pixel comes first in raster order).
    Mask pixels no seed reaches stay 0.

    Parameters
    ----------
    binary : Binary
        The seeds: every non-zero pixel.
    mask : Binary
        Where the seeds may grow: every non-zero pixel.

    Returns
    -------
    Labels
        uint32 label image, numbered 1..n in raster order of each region's
        first pixel.

    See Also
    --------
    skimage.segmentation.watershed : on a flat image with ``mask`` gives a
        similar partition (grown in breadth-first order; ties differ).

    Notes
    -----
    The result equals labeling the seeds with ``scipy.ndimage.label`` and
    repeating, until nothing changes, alternately a step with the 3x3 cross
    and with the 3x3 box: every unlabelled mask pixel takes the smallest
    non-zero label among its neighbours (``scipy.ndimage.minimum_filter``
    with 0 read as infinity); then renumbering in raster order.
    """
    same_shape("masked_voronoi_labeling", binary, mask, "binary", "mask")
    return seeded_growth(_labels.components(binary, "box")[0], mask)


@operation(category="Label")
def voronoi_labeling(binary: Binary) -> Labels:
    """Label the objects of a binary image and give every pixel the nearest one.

    The objects are the connected components ("box") of ``binary``; each
    background pixel takes the label of the nearest object pixel (Euclidean
    distance), so the labels tile the image.  Among equally near object
    pixels the one first in raster order wins.

    Parameters
    ----------
    binary : Binary
        The objects: every non-zero pixel.

    Returns
    -------
    Labels
        uint32 label image without background (unless ``binary`` is empty),
        numbered 1..n in raster order of each region's first pixel.

    See Also
    --------
    scipy.ndimage.distance_transform_edt : with ``return_indices=True`` on
        ``labels == 0`` gives the nearest object pixel; the result equals
        ``labels[tuple(indices)]`` except where two objects are equally near.
    """
    labels = _labels.components(binary, "box")[0]
    return _labels.relabel_raster(_labels.nearest_labels(labels))


@operation(category="Label", nonfinite=REFUSE_NONFINITE)
def voronoi_otsu_labeling(image: Image, spot_sigma: Sigma = 2.0,
                          outline_sigma: Sigma = 2.0) -> Labels:
    """Segment blob-like objects: seeds at the spots, grown within Otsu's foreground.

    The steps:

    1. blur the image with a Gaussian of ``spot_sigma`` (all axes);
    2. spots: the pixels equal to the maximum of their 3x3(x3) box
       (``detect_maxima_box`` with radius 1);
    3. foreground: ``threshold_otsu`` of the image blurred with ``outline_sigma``;
    4. seeds: the spots inside the foreground, joined into connected
       components ("box": a plateau of maxima is one seed);
    5. the seeds grow through the foreground as in ``masked_voronoi_labeling``
       (alternating face and full neighbourhood steps; ties to the smallest
       seed label);
    6. the regions are renumbered in raster order.

    Foreground components without a spot stay 0.

    Parameters
    ----------
    image : Image
        Intensity image of bright objects, 2D or 3D.
    spot_sigma : float
        Gaussian sigma (pixels) before detecting spots: larger merges close spots.
    outline_sigma : float
        Gaussian sigma (pixels) before Otsu's threshold: larger gives smoother outlines.

    Returns
    -------
    Labels
        uint32 label image numbered 1..n in raster order.

    See Also
    --------
    scipy.ndimage.gaussian_filter, scipy.ndimage.maximum_filter,
    skimage.filters.threshold_otsu, scipy.ndimage.label : the steps'
        references; ``masked_voronoi_labeling`` defines the growth.
    """
    spots = local_extrema(blur(image, spot_sigma), "maximum", per_axis(image, 1, 1, 1))
    mask = otsu_binary(blur(image, outline_sigma))
    seeds = _labels.components(labeling_and(spots, mask), "box")[0]
    return seeded_growth(seeds, mask)


def labeling_and(a: backend.DeviceArray, b: backend.DeviceArray) -> backend.DeviceArray:
    """uint8 ``a & b`` of two uint8 0/1 images."""
    return a * b


@operation(category="Label", nonfinite=REFUSE_NONFINITE)
def gauss_otsu_labeling(image: Image, outline_sigma: Sigma = 2.0) -> Labels:
    """Segment objects by Gaussian blur, Otsu's threshold and connected components.

    Parameters
    ----------
    image : Image
        Intensity image of bright objects, 2D or 3D.
    outline_sigma : float
        Gaussian sigma (pixels, all axes) before thresholding.

    Returns
    -------
    Labels
        uint32 label image: the connected components ("box") of the
        foreground, numbered 1..n in raster order.

    See Also
    --------
    skimage.filters.threshold_otsu, scipy.ndimage.label : the result equals
        ``label(blurred > threshold_otsu(blurred), structure=np.ones((3,) * ndim))``
        with ``blurred = gaussian_filter(image, outline_sigma, mode="nearest")``.
    """
    return _labels.components(otsu_binary(blur(image, outline_sigma)), "box")[0]


@operation(category="Label", nonfinite=REFUSE_NONFINITE)
def eroded_otsu_labeling(image: Image,
                         number_of_erosions: Annotated[int, Range(0, 100, 1)] = 5,
                         outline_sigma: Sigma = 2.0) -> Labels:
    """Segment touching objects: erode Otsu's foreground, label, grow back.

    The steps: blur with ``outline_sigma``; Otsu's threshold; erode the
    foreground ``number_of_erosions`` times with the radius-1 sphere (the
    face neighbours; the border replicates the edge pixel), which separates
    objects joined by thin necks; label the connected components ("box") of
    what remains; grow these labels back through the foreground as in
    ``masked_voronoi_labeling``; renumber in raster order.  Foreground parts
    that vanish in the erosion and are not reached again stay 0.

    Parameters
    ----------
    image : Image
        Intensity image of bright objects, 2D or 3D.
    number_of_erosions : int
        How often the foreground is eroded.
    outline_sigma : float
        Gaussian sigma (pixels, all axes) before thresholding.

    Returns
    -------
    Labels
        uint32 label image numbered 1..n in raster order.

    See Also
    --------
    scipy.ndimage.binary_erosion : the erosion, with the cross structure and
        ``border_value=1``; ``masked_voronoi_labeling`` defines the growth.
    """
    mask = otsu_binary(blur(image, outline_sigma))
    eroded = mask
    radii = per_axis(image, 1, 1, 1)
    for _ in range(number_of_erosions):
        eroded = sphere_filter(eroded, "minimum_sphere", radii, np.uint8)
    return seeded_growth(_labels.components(eroded, "box")[0], mask)


LABELING = backend.Program("oclip.ops", "labeling.cl")


def _watershed_defines(dtype: np.dtype, connectivity: str) -> dict[str, object]:
    dtype = np.dtype(dtype)
    small = dtype.kind in "iu" and dtype.itemsize <= 2
    return {"T_IN": backend.cl_type_name(dtype), "BOX": int(connectivity == "box"),
            "IS_FLOAT": int(dtype.kind == "f"), "IS_SIGNED": int(dtype.kind == "i"),
            "SMALL": int(small), "TYPE_MIN": int(np.iinfo(dtype).min) if small else 0}


def flood(image: backend.DeviceArray, seeds: backend.DeviceArray, connectivity: str
          ) -> backend.DeviceArray:
    """Seeded watershed of ``image`` from the labelled pixels of ``seeds`` (see
    labeling.cl); returns the labels of the seeds."""
    n = _labels.maximum_label(seeds)
    if n == 0:
        return _labels.zeros(seeds.shape)
    values = None
    if n >= _labels.MAX_TABLE:
        values = np.unique(seeds.get())
        seeds = backend.push(np.searchsorted(values, seeds.get()).astype(np.uint32))
        n = len(values) - 1
    options = _watershed_defines(image.dtype, connectivity)
    nx, ny, nz = backend.grid(image.shape)
    size = image.size
    h = backend.create(image.shape, np.uint32)
    cost = backend.create(image.shape, np.uint32)
    LABELING.launch("flood_init", (size,), image, seeds, h, cost, defines=options)
    changed = _labels.zeros(1, np.int32)
    bands = -(-nx // 64)  # BAND in labeling.cl
    sweeps = [("sweep_x", ny * nz), ("sweep_y", nz * bands), ("sweep_z", ny * bands)][:image.ndim]
    while True:  # minimax cost: sweeps along each axis, then the full neighbourhood
        changed.fill(0)
        for name, lines in sweeps:
            LABELING.launch(name, (lines,), h, seeds, cost, changed, nx, ny, nz,
                            defines=options)
        LABELING.launch("relax_all", (nx, ny, nz), h, seeds, cost, changed,
                        nx, ny, nz, defines=options)
        if not changed.get()[0]:
            break
    keys = h  # reuse: the image keys are no longer needed
    LABELING.launch("class_keys", (size,), cost, seeds, keys, defines=options)
    classes = _labels.components(keys, connectivity, equal_values=True)[0]
    pointer = backend.create(image.shape, np.int32)
    LABELING.launch("entry_pointer", (nx, ny, nz), cost, classes, pointer,
                    nx, ny, nz, defines=options)
    fronts = [backend.create(size, np.int32), backend.create(size, np.int32)]
    counter = _labels.zeros(1, np.int32)
    LABELING.launch("entry_front", (size,), classes, pointer, fronts[0], counter,
                    defines=options)
    claim = _labels.full(image.shape, 0x7FFFFFFF, np.int32)
    front_size = int(counter.get()[0])
    while front_size:
        counter.fill(0)
        LABELING.launch("class_step", (_labels.rounded(front_size),), classes,
                        pointer, claim, fronts[0], front_size, fronts[1], counter, nx, ny, nz,
                        defines=options)
        fronts.reverse()
        front_size = int(counter.get()[0])
        if front_size:
            LABELING.launch("class_settle", (_labels.rounded(front_size),), pointer,
                            claim, fronts[0], front_size, defines=options)
    changed = _labels.zeros(1, np.int32)
    while True:
        changed.fill(0)
        LABELING.launch("jump", (size,), pointer, changed, defines=options)
        if not changed.get()[0]:
            break
    out = backend.create(image.shape, np.uint32)
    LABELING.launch("flood_labels", (size,), seeds, pointer, out, defines=options)
    if values is not None:
        out = backend.push(values.astype(np.uint32)[out.get()])
    return out


@operation(category="Label", nonfinite=REFUSE_NONFINITE)
def watershed_labeling(image: Image, labels: Labels,
                       connectivity: Connectivity = "diamond") -> Labels:
    """Flood an image from seeds: seeded watershed.

    Every pixel takes the label of the seed whose flood reaches it first when
    the image is flooded from all seeds at once, lowest values first (Meyer's
    flooding).  Flooding reaches a pixel at the lowest possible "pass
    height": the lowest, over the paths from a seed, of the highest value on
    the path; among the seeds that reach it at that height, the pixel takes
    the one that arrives first.  The seeds keep their labels.

    Where scikit-image may differ: only where values are equal (plateaus and
    ties).  Flooding spreads over a plateau breadth first from where it
    enters, in the order of arrival; here the flood enters a plateau at all
    its entry pixels at once, each taking the label of its lowest neighbour
    (the first in raster order on ties), and spreads breadth first, ties to
    the neighbour first in raster order.  On images whose values all differ
    the result is exactly scikit-image's.

    Parameters
    ----------
    image : Image
        The relief to flood (e.g. an inverted, blurred intensity image, or a
        distance map), 2D or 3D.
    labels : Labels
        The seeds (markers): non-zero pixels keep their labels and flood the rest.
    connectivity : {"box", "diamond"}
        "diamond" floods across faces (4 neighbours in 2D, 6 in 3D), as
        scikit-image's default ``connectivity=1``; "box" also across edges and
        corners (``connectivity=ndim``).

    Returns
    -------
    Labels
        uint32 label image with the labels of the seeds (not renumbered);
        every pixel is labelled unless ``labels`` is empty.

    See Also
    --------
    skimage.segmentation.watershed : the reference, ``watershed(image,
        markers=labels, connectivity=1 or ndim)``.
    """
    same_shape("watershed_labeling", image, labels, "image", "labels")
    return flood(image, labels, connectivity)
