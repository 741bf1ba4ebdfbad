"""Processing label images (category "Process labels").

Every result is a uint32 label image numbered 1..n without gaps.  Operations
that remove labels renumber the remaining ones sequentially in the order of
their original values (as ``skimage.segmentation.relabel_sequential``);
operations that only move label boundaries keep the labels' values.

Neighbourhoods: "touching" means sharing a face (4 neighbours in 2D, 6 in
3D); distances are Euclidean, in pixels; a radius r selects the offsets d
with ``|d| <= r`` (the sphere of ``minimum_sphere``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import numpy as np

from .. import _backend as backend
from . import _labels
from ._arguments import same_shape
from ._labels import MEASURE, border_flags, label_counts, label_records, measure_defines
from ._neighbourhood import sphere_arguments
from ._registry import operation
from ._types import Labels, Range

__all__ = [
    "closing_labels",
    "combine_labels",
    "dilate_labels",
    "erode_labels",
    "exclude_labels_on_edges",
    "exclude_labels_outside_size_range",
    "exclude_large_labels",
    "exclude_small_labels",
    "extend_labeling_via_voronoi",
    "fill_holes_in_labels",
    "merge_touching_labels",
    "opening_labels",
    "reduce_labels_to_centroids",
    "reduce_labels_to_label_edges",
    "relabel_sequential",
    "smooth_labels",
    "subtract_labels",
]

LABEL_PROCESSING = backend.Program("oclip.ops", "label_processing.cl")

#: A size in pixels.
Size = Annotated[int, Range(0, 2**31 - 1, 1)]
#: A label radius in pixels.
LabelRadius = Annotated[int, Range(0, 100, 1)]


def _sequential(labels: backend.DeviceArray) -> backend.DeviceArray:
    return _labels.relabel_sequential(labels)[0]


@operation(category="Process labels")
def relabel_sequential(labels: Labels) -> Labels:
    """Renumber labels 1..n without gaps, keeping their order.

    Parameters
    ----------
    labels : Labels
        Any label image (labels may have gaps).

    Returns
    -------
    Labels
        uint32 label image: the k-th smallest label becomes k; background 0.

    See Also
    --------
    skimage.segmentation.relabel_sequential : the reference (its first result).
    """
    return _sequential(labels)


def _exclude(labels: backend.DeviceArray,
             keep_of: Callable[[backend.DeviceArray, int], backend.DeviceArray]
             ) -> backend.DeviceArray:
    labels, n = _labels.compact_values(labels)
    keep = keep_of(labels, n)
    return _labels.relabel_sequential(labels, n, keep)[0]


@operation(category="Process labels")
def exclude_labels_on_edges(labels: Labels) -> Labels:
    """Remove the labels that touch the image border, renumber the others.

    Parameters
    ----------
    labels : Labels
        The objects.  In 2D the border is the first and last row and column;
        in 3D also the first and last plane.

    Returns
    -------
    Labels
        uint32 label image without the labels that have a pixel on the
        border; the others renumbered 1..n in the order of their values.

    See Also
    --------
    skimage.segmentation.clear_border : removes the connected pieces that
        touch the border (not whole labels) without renumbering; for labels
        that are connected the result equals
        ``relabel_sequential(clear_border(labels))``.
    """
    return _exclude(labels, lambda lab, n: (border_flags(lab, n) == 0).astype(np.uint32))


def _size_filter(labels: backend.DeviceArray, low: int, high: int) -> backend.DeviceArray:
    def keep(lab: backend.DeviceArray, n: int) -> backend.DeviceArray:
        counts = label_counts(lab, n)
        return ((counts >= np.uint32(min(low, 2**32 - 1)))
                * (counts <= np.uint32(min(high, 2**32 - 1)))).astype(np.uint32)

    return _exclude(labels, keep)


@operation(category="Process labels")
def exclude_small_labels(labels: Labels, maximum_size: Size = 100) -> Labels:
    """Remove the labels of at most ``maximum_size`` pixels, renumber the others.

    Parameters
    ----------
    labels : Labels
        The objects.
    maximum_size : int
        Labels with this many pixels or fewer are removed.

    Returns
    -------
    Labels
        uint32 label image; the remaining labels renumbered 1..n in the order
        of their values.

    See Also
    --------
    skimage.morphology.remove_small_objects : the same labels, ``max_size=
        maximum_size`` (without renumbering).
    """
    return _size_filter(labels, maximum_size + 1, 2**32 - 1)


@operation(category="Process labels")
def exclude_large_labels(labels: Labels, minimum_size: Size = 100) -> Labels:
    """Remove the labels of at least ``minimum_size`` pixels, renumber the others.

    Parameters
    ----------
    labels : Labels
        The objects.
    minimum_size : int
        Labels with this many pixels or more are removed.

    Returns
    -------
    Labels
        uint32 label image; the remaining labels renumbered 1..n in the order
        of their values.

    See Also
    --------
    numpy.bincount : the pixel counts; the result equals relabeling the
        labels whose ``bincount(labels.ravel()) < minimum_size``.
    """
    if minimum_size == 0:
        return _labels.zeros(labels.shape)
    return _size_filter(labels, 0, minimum_size - 1)


@operation(category="Process labels")
def exclude_labels_outside_size_range(labels: Labels, minimum_size: Size = 100,
                                      maximum_size: Size = 1000) -> Labels:
    """Keep the labels whose pixel count lies in [minimum_size, maximum_size].

    Parameters
    ----------
    labels : Labels
        The objects.
    minimum_size : int
        The smallest pixel count kept.
    maximum_size : int
        The largest pixel count kept.

    Returns
    -------
    Labels
        uint32 label image; the remaining labels renumbered 1..n in the order
        of their values.

    See Also
    --------
    numpy.bincount : the pixel counts; the result equals relabeling the
        labels with ``minimum_size <= count <= maximum_size``.
    """
    return _size_filter(labels, minimum_size, maximum_size)


@operation(category="Process labels")
def extend_labeling_via_voronoi(labels: Labels) -> Labels:
    """Give every background pixel the label of the nearest label pixel.

    Parameters
    ----------
    labels : Labels
        The objects.

    Returns
    -------
    Labels
        uint32 label image without background (unless ``labels`` is empty):
        the Voronoi tiling of the labels (Euclidean distance); labels keep
        their values.  Among equally near label pixels the one first in
        raster order wins.

    See Also
    --------
    scipy.ndimage.distance_transform_edt : ``labels[tuple(indices)]`` with the
        indices of ``distance_transform_edt(labels == 0, return_indices=True)``;
        equal except where two labels are equally near.
    """
    return _labels.nearest_labels(labels)


@operation(category="Process labels")
def dilate_labels(labels: Labels, radius: LabelRadius = 2) -> Labels:
    """Grow the labels into the background by ``radius`` pixels without merging them.

    A background pixel takes the label of the nearest label pixel if that is
    at most ``radius`` away (Euclidean); labels never overwrite each other.
    Among equally near label pixels the one first in raster order wins.

    Parameters
    ----------
    labels : Labels
        The objects.
    radius : int
        How far the labels grow, in pixels.

    Returns
    -------
    Labels
        uint32 label image; labels keep their values.

    See Also
    --------
    skimage.segmentation.expand_labels : the reference, ``expand_labels(labels,
        distance=radius)``; equal except where two labels are equally near.
    """
    if radius == 0:
        return labels.copy()
    return _labels.nearest_labels(labels, radius)


def _erode(labels: backend.DeviceArray, radius: int) -> backend.DeviceArray:
    """Label pixels with only their own label within ``radius`` (unnumbered)."""
    if radius == 0:
        return labels.copy()
    nx, ny, nz = backend.grid(labels.shape)
    radii = {0: radius, 1: radius}
    if labels.ndim == 3:
        radii[2] = radius
    out = backend.create(labels.shape, np.uint32)
    LABEL_PROCESSING.launch("erode_labels_sphere", (nx, ny, nz), labels, out,
                            *sphere_arguments(radii), nx, ny, nz, defines={"T_IN": "uint"})
    return out


@operation(category="Process labels")
def erode_labels(labels: Labels, radius: LabelRadius = 1) -> Labels:
    """Shrink the labels: remove the label pixels near another label or the background.

    A pixel of label l stays when every pixel within ``radius`` (Euclidean,
    the sphere of ``minimum_sphere``) carries l too; outside the image, the
    border replicates the edge pixel, so labels are not eroded from the
    image border.  Labels that vanish are dropped; a label may fall apart
    into pieces, which keep its number.

    Parameters
    ----------
    labels : Labels
        The objects.
    radius : int
        How far the labels shrink, in pixels.

    Returns
    -------
    Labels
        uint32 label image; the remaining labels renumbered 1..n in the order
        of their values.

    See Also
    --------
    scipy.ndimage.binary_erosion : per label, ``binary_erosion(labels == l,
        structure=sphere, border_value=1)``; the union is this result before
        renumbering.
    """
    return _sequential(_erode(labels, radius))


@operation(category="Process labels")
def opening_labels(labels: Labels, radius: LabelRadius = 1) -> Labels:
    """Morphological opening of each label: removes thin parts and small labels.

    ``erode_labels`` then ``dilate_labels`` by the same radius: a pixel stays
    in label l when a sphere of ``radius`` inside l (border replicated)
    covers it.  Labels never grow.

    Parameters
    ----------
    labels : Labels
        The objects.
    radius : int
        Radius of the sphere, in pixels.

    Returns
    -------
    Labels
        uint32 label image; the remaining labels renumbered 1..n in the order
        of their values.

    See Also
    --------
    scipy.ndimage.binary_opening : per label, ``binary_dilation(
        binary_erosion(labels == l, sphere, border_value=1), sphere)``.
    """
    if radius == 0:
        return _sequential(labels)
    return _sequential(_labels.nearest_labels(_erode(labels, radius), radius))


def _close(labels: backend.DeviceArray, radius: int) -> backend.DeviceArray:
    if radius == 0:
        return labels.copy()
    dilated = _labels.nearest_labels(labels, radius)
    inside = _labels.farther_than(dilated, radius, from_zero=True)
    return _labels.mask_labels(dilated, inside)


@operation(category="Process labels")
def closing_labels(labels: Labels, radius: LabelRadius = 1) -> Labels:
    """Morphological closing of the labels: fills gaps and dents up to ``radius``.

    The foreground (all labels together) is closed with the sphere of
    ``radius``: dilated, then eroded (border replicated); the pixels it
    gains take the label of the nearest label pixel (as ``dilate_labels``).
    Touching labels stay apart.

    Parameters
    ----------
    labels : Labels
        The objects.
    radius : int
        Radius of the sphere, in pixels.

    Returns
    -------
    Labels
        uint32 label image; labels keep their values.

    See Also
    --------
    scipy.ndimage.binary_closing : the foreground, ``binary_erosion(
        expand_labels(labels, radius) != 0, sphere, border_value=1)``, labelled
        by ``skimage.segmentation.expand_labels(labels, radius)``.
    """
    return _close(labels, radius)


@operation(category="Process labels")
def smooth_labels(labels: Labels, radius: LabelRadius = 1) -> Labels:
    """Smooth label outlines: ``opening_labels`` then ``closing_labels``.

    The opening removes protrusions and labels thinner than the sphere of
    ``radius``; the closing fills dents and gaps as wide.

    Parameters
    ----------
    labels : Labels
        The objects.
    radius : int
        Radius of the sphere, in pixels.

    Returns
    -------
    Labels
        uint32 label image; the remaining labels renumbered 1..n in the order
        of their values.

    See Also
    --------
    opening_labels, closing_labels : the two steps, with their references.
    """
    if radius == 0:
        return _sequential(labels)
    opened = _labels.nearest_labels(_erode(labels, radius), radius)
    return _sequential(_close(opened, radius))


@operation(category="Process labels")
def merge_touching_labels(labels: Labels) -> Labels:
    """Merge labels that touch into one.

    Two labels touch when a pixel of one shares a face with a pixel of the
    other; merging follows chains of touching labels.  Each group becomes one
    label, numbered in the order of its smallest original label.

    Parameters
    ----------
    labels : Labels
        The objects.

    Returns
    -------
    Labels
        uint32 label image numbered 1..n.

    See Also
    --------
    scipy.sparse.csgraph.connected_components : on the graph of touching
        labels gives the same groups.
    """
    labels, n = _labels.compact_values(labels)
    up = _labels.zeros(n + 1, np.int32)
    nx, ny, nz = backend.grid(labels.shape)
    defines = _labels.defines()
    _labels.LABELS.launch("touch_unite", (nx, ny, nz), labels, up, nx, ny, nz,
                   defines=defines)
    flags = _labels.zeros(n + 1)
    _labels.LABELS.launch("root_flags", (n + 1,), up, _labels.present(labels, n),
                   flags, defines=defines)
    number, _ = _labels.number_flags(flags)
    lut = backend.create(n + 1, np.uint32)
    _labels.LABELS.launch("root_lut", (n + 1,), up, number, lut, defines=defines)
    return _labels.apply_lut(labels, lut)


@operation(category="Process labels")
def combine_labels(labels1: Labels, labels2: Labels) -> Labels:
    """Draw the labels of ``labels2`` over ``labels1``.

    Parameters
    ----------
    labels1 : Labels
        The labels underneath.
    labels2 : Labels
        The labels on top, of the same shape: where non-zero they replace
        ``labels1``.

    Returns
    -------
    Labels
        uint32 label image: the labels of ``labels1`` still visible, then
        those of ``labels2``, renumbered 1..n in that order (each in the order
        of its values).

    See Also
    --------
    skimage.segmentation.relabel_sequential : the result equals
        ``relabel_sequential(np.where(labels2 > 0, labels2 + labels1.max(), labels1))``.
    """
    same_shape("combine_labels", labels1, labels2, "labels1", "labels2")
    labels1, n1 = _labels.compact_values(labels1)
    labels2, n2 = _labels.compact_values(labels2)
    if n1 + n2 >= _labels.MAX_TABLE:
        labels1, n1 = _labels.compact_values(_sequential(labels1))
        labels2, n2 = _labels.compact_values(_sequential(labels2))
    out = backend.create(labels1.shape, np.uint32)
    LABEL_PROCESSING.launch("draw_over", (out.size,), labels1, labels2, out, np.uint32(n1),
                            defines={"T_IN": "uint"})
    return _labels.relabel_sequential(out, n1 + n2)[0]


@operation(category="Process labels")
def subtract_labels(labels1: Labels, labels2: Labels) -> Labels:
    """Remove from ``labels1`` the pixels labelled in ``labels2``.

    Parameters
    ----------
    labels1 : Labels
        The labels to cut.
    labels2 : Labels
        Where non-zero, ``labels1`` is set to background.

    Returns
    -------
    Labels
        uint32 label image; the remaining labels of ``labels1`` renumbered
        1..n in the order of their values.

    See Also
    --------
    skimage.segmentation.relabel_sequential : the result equals
        ``relabel_sequential(np.where(labels2 > 0, 0, labels1))``.
    """
    same_shape("subtract_labels", labels1, labels2, "labels1", "labels2")
    out = backend.create(labels1.shape, np.uint32)
    LABEL_PROCESSING.launch("subtract_labels", (out.size,), labels1, labels2, out,
                            defines={"T_IN": "uint"})
    return _sequential(out)


@operation(category="Process labels")
def reduce_labels_to_centroids(labels: Labels) -> Labels:
    """Reduce every label to one pixel at its centroid.

    The centroid (mean coordinates) is rounded half up on each axis; it may
    lie outside the label (a ring's centroid is its centre).  Where two
    labels' centroids fall on one pixel, the larger label is kept.

    Parameters
    ----------
    labels : Labels
        The objects.

    Returns
    -------
    Labels
        uint32 image: each label's value at its rounded centroid, 0 elsewhere.

    See Also
    --------
    skimage.measure.regionprops : ``centroid``; the pixel is
        ``numpy.floor(centroid + 0.5)``.
    """
    labels, n = _labels.compact_values(labels)
    records = label_records(labels, None, n)
    nx, ny, nz = backend.grid(labels.shape)
    out = _labels.zeros(labels.shape)
    MEASURE.launch("centroid_points", (n + 1,), records.data, out, nx, ny, nz,
                   defines=measure_defines())
    return out


@operation(category="Process labels")
def reduce_labels_to_label_edges(labels: Labels) -> Labels:
    """Keep only the pixels of each label that touch another value.

    A label pixel is kept when one of its face neighbours (4 in 2D, 6 in 3D)
    has another value (another label or background).  Pixels outside the
    image do not count: the border replicates the edge pixel.

    Parameters
    ----------
    labels : Labels
        The objects.

    Returns
    -------
    Labels
        uint32 image: the inner edge pixels with their labels, 0 elsewhere.

    See Also
    --------
    skimage.segmentation.find_boundaries : the result equals
        ``labels * find_boundaries(labels, connectivity=1, mode="inner")``.
    """
    nx, ny, nz = backend.grid(labels.shape)
    out = backend.create(labels.shape, np.uint32)
    LABEL_PROCESSING.launch("inner_edges", (nx, ny, nz), labels, out, 0, nx, ny, nz,
                            defines={"T_IN": "uint", "BINARY": 0})
    return out


@operation(category="Process labels")
def fill_holes_in_labels(labels: Labels) -> Labels:
    """Fill the holes of each label.

    A hole is a connected region of background (pixels joined by faces)
    that does not touch the image border and whose neighbouring pixels all
    carry one label; it takes that label.  Background enclosed by several
    labels together is not a hole.

    Parameters
    ----------
    labels : Labels
        The objects.

    Returns
    -------
    Labels
        uint32 label image; labels keep their values.

    See Also
    --------
    scipy.ndimage.binary_fill_holes : per label, ``binary_fill_holes(labels ==
        l)`` adds the same pixels for every hole enclosed by that label alone.
    """
    background = (labels == 0).astype(np.uint8)
    holes, offsets = _labels.components(background, "diamond")
    k = _labels.count_of(offsets)
    border = _labels.zeros(k + 1)
    low = _labels.full(k + 1, 0xFFFFFFFF)
    high = _labels.zeros(k + 1)
    nx, ny, nz = backend.grid(labels.shape)
    options = {"T_IN": "uint"}
    LABEL_PROCESSING.launch("hole_neighbours", (nx, ny, nz), labels, holes, border, low,
                            high, int(labels.ndim == 3), nx, ny, nz, defines=options)
    out = backend.create(labels.shape, np.uint32)
    LABEL_PROCESSING.launch("fill_holes", (labels.size,), labels, holes, border, low, high,
                            out, defines=options)
    return out
