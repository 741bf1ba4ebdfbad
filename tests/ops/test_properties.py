"""Properties of every registered operation on random arguments (hypothesis).

For each operation of the registry, hypothesis draws the dimensionality (from
``op.dimensions``), a shape whose sides come from :data:`SIDES` (1-pixel axes
included; few sizes, as PoCL compiles per launch size), one image per image
parameter (intensities: uint8, uint16 or float32, spread over the dtype's
range, a few levels with ties, or constant; labels: uint32 0..k; binary:
uint8 0/1) and every scalar within its annotated ``Range`` (tightened by
:data:`CAPS`) or from its ``Literal`` choices.  Every draw must:

* run, or be refused with a ValueError naming the operation exactly where a
  documented condition across parameters says so (:data:`REFUSALS`);
* give a numpy array of the documented kind (labels uint32, sequential
  where documented; binary uint8 0/1; images of a supported dtype) and shape
  (:data:`SAME_SHAPE`, :data:`SHAPES`), a table of equally long 1-D columns,
  or a float;
* give the same result when called again;
* equal its reference (numpy / scipy.ndimage / scikit-image: the shared table of
  tests/ops/references, which the family tests use too) within the tolerance stated
  there, or where this suite states its own, within that (:data:`OWN`); all but
  :data:`UNCOMPARED` (:data:`REFERENCES`).

Examples are derandomized (the same on every run).  Run time of the whole module,
143 operations x 15 examples, here (2 shared CPU cores, PoCL): 4.3 to 4.6 minutes
with PoCL's kernel cache empty (as on a fresh CI machine: compiling for each new
launch size and build option is nearly all of it), 20 to 35 seconds with it filled.  Runs of 250
random examples per operation (1500 for the thresholds) passed as well.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
import scipy.ndimage as ndi
import skimage.filters
from hypothesis import given, settings
from hypothesis import strategies as st

from oclip import _backend as backend
from oclip.ops import ImageKind, operations

from ._arguments import as_equal
from .references import REFERENCES as SHARED_REFERENCES
from .references import Reference
from .references._core import exact, f64
from .references.labeling import relabel_raster
from .references.measure import assert_tables_equal, statistics_options
from .references.threshold import splits_at
from .references.transform import COORDINATES, interpolation_tolerance

OPERATIONS = operations()
#: Examples per operation.
EXAMPLES = 15
#: Sides of the drawn shapes.
SIDES = (1, 2, 3, 7)
INTENSITY_DTYPES = (np.uint8, np.uint16, np.float32)

# --- arguments ---------------------------------------------------------------------------


def axes_of(shape: tuple[int, ...]) -> str:
    """The axis names of a shape, numpy order."""
    return "zyx"[3 - len(shape):]


#: Bounds tighter than the annotated Range, as (low, high), by parameter name or
#: "operation.parameter"; each says why.
CAPS: dict[str, tuple[float, float]] = {
    # Windows of 2r + 1 pixels: radius 2 already exceeds sides of 1..3 pixels, and every
    # window size is a compilation (static windows, median sorting networks).
    **dict.fromkeys(("radius_x", "radius_y", "radius_z", "radius"), (0, 2)),
    # Gaussians reach 4 sigma: sigma 2 spans the largest side.
    **dict.fromkeys(("sigma_x", "sigma_y", "sigma_z", "sigma1_x", "sigma1_y", "sigma1_z",
                     "sigma2_x", "sigma2_y", "sigma2_z", "spot_sigma", "outline_sigma"),
                    (0.0, 2.0)),
    # Every erosion is a pass over the image; 3 erode the largest side away.
    "number_of_erosions": (0, 3),
    # Results of round(size * factor) pixels per axis: up to 21 (each size a compilation;
    # the low end still reaches the refusal of an empty result).
    **dict.fromkeys(("scale.factor_x", "scale.factor_y", "scale.factor_z"), (0.1, 3.0)),
    **dict.fromkeys(("resample.voxel_size_x", "resample.voxel_size_y",
                     "resample.voxel_size_z"), (0.1, 3.0)),
    "resample.target_voxel_size": (0.5, 3.0),
    **dict.fromkeys(("upsample.factor_x", "upsample.factor_y", "upsample.factor_z"), (1, 3)),
    # Blocks wider than the largest side are all alike.
    **dict.fromkeys(("downsample.factor_x", "downsample.factor_y", "downsample.factor_z"),
                    (1, 8)),
    # Ends, sizes and steps beyond the largest side are all alike (cut off).  (Starts are
    # drawn up to the image's side: SPECIAL.)
    **dict.fromkeys(("crop.size_x", "crop.size_y", "crop.size_z", "sub_stack.end_z",
                     "reduce_stack.step"), (1, 8)),
    # Deskewing: results of up to 7 + 7 * 4 pixels along the sweep (each size a compilation).
    **dict.fromkeys(("deskew_x.angle", "deskew_y.angle"), (20.0, 70.0)),
    **dict.fromkeys((f"deskew_{sheet}.voxel_size_{axis}" for sheet in "xy" for axis in "xyz"),
                    (0.5, 2.0)),
    # Stacks: positions, borders and overlaps beyond the largest side are all alike (cut
    # off or refused).
    **dict.fromkeys(("paste.destination_x", "paste.destination_y", "paste.destination_z"),
                    (-8, 8)),
    "crop_border.border_size": (0, 4),
    **dict.fromkeys(("stitch_horizontally.overlap", "stitch_vertically.overlap"), (0, 8)),
    # Shifts beyond the image replicate the edge everywhere.
    **dict.fromkeys(("translate_x", "translate_y", "translate_z"), (-10.0, 10.0)),
    # Sizes beyond the largest image's 343 pixels are all alike.
    **dict.fromkeys(("minimum_size", "maximum_size"), (0, 400)),
    # Larger exponents overflow or underflow float32 for most pixels of 16-bit images,
    # where the last bit decides between a finite value and inf.
    "power.exponent": (-4.0, 4.0),
    # Drawing: positions and sizes beyond the largest side (7) draw all or nothing alike.
    **{f"{op}.{name}_{axis}": (-8.0, 8.0) for op, names in (
        ("draw_box", ("start",)), ("draw_sphere", ("centre",)),
        ("draw_line", ("start", "end"))) for name in names for axis in "xyz"},
    **{f"{op}.{name}_{axis}": (0.0, 8.0) for op, name in (
        ("draw_box", "size"), ("draw_sphere", "radius")) for axis in "xyz"},
    "draw_line.thickness": (0.0, 8.0),
    "set_border.width": (0, 4),
    # Peaks: boxes of 2 * min_distance + 1 beyond the largest side are all alike.
    "peak_local_max.min_distance": (0, 4),
    # Ridge scales: sigma 2 already spans the largest side; up to 4 scales.
    "sato.sigma_minimum": (0.1, 2.0),
    "sato.sigma_maximum": (0.1, 2.0),
    "sato.sigma_step": (0.5, 2.0),
    "meijering.sigma_minimum": (0.1, 2.0),
    "meijering.sigma_maximum": (0.1, 2.0),
    "meijering.sigma_step": (0.5, 2.0),
    # Planes around a z position map: ranges beyond the largest side read edge planes.
    **dict.fromkeys(("z_position_range_projection.start_z",
                     "z_position_range_projection.end_z"), (-8, 8)),
}

#: Values of float parameters without a Range (scalars, constants, clip bounds): over
#: the images' value range and beyond.
UNBOUNDED = (-1e4, 1e5)


@st.composite
def affine_matrices(draw: st.DrawFn, shape: tuple[int, ...]) -> list[float]:
    """A homogeneous matrix near a rotation, with a shift: 9 numbers for 2D, 16 for 3D."""
    ndim = len(shape)
    matrix = np.eye(ndim + 1)
    matrix[:ndim, :ndim] += draw(st.lists(st.floats(-0.5, 0.5), min_size=ndim * ndim,
                                          max_size=ndim * ndim).map(
                                              lambda v: np.reshape(v, (ndim, ndim))))
    matrix[:ndim, ndim] = draw(st.lists(st.floats(-4.0, 4.0), min_size=ndim, max_size=ndim))
    return matrix.ravel().tolist()


@st.composite
def z_positions(draw: st.DrawFn, shape: tuple[int, ...]) -> np.ndarray:
    """A z position map of a stack of ``shape`` (a 2D image: one plane): its planes' shape
    (y, x), plane indices within and beyond the stack (uint32, or float32 with fractions
    and NaN)."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    plane, nz = shape[-2:], (shape[0] if len(shape) == 3 else 1)
    if draw(st.booleans()):
        return rng.integers(0, nz + 3, plane).astype(np.uint32)
    z = rng.uniform(-2, nz + 2, plane).astype(np.float32)
    z[rng.random(plane) < 0.1] = np.nan
    return z


def start_in(axis: str) -> Callable[[tuple[int, ...]], st.SearchStrategy]:
    """A start up to the image's side along ``axis`` (the side itself is refused)."""
    def strategy(shape: tuple[int, ...]) -> st.SearchStrategy:
        axes = axes_of(shape)
        return st.integers(0, shape[axes.index(axis)] if axis in axes else max(SIDES) + 1)
    return strategy


#: Strategies of parameters that are not plain numbers or choices, or whose useful values
#: depend on the image's shape (starts: most larger ones would be refused), by
#: "operation.parameter": functions of the shape.
SPECIAL: dict[str, Callable[[tuple[int, ...]], st.SearchStrategy]] = {
    "affine_transform.matrix": affine_matrices,
    **{f"crop.start_{axis}": start_in(axis) for axis in "zyx"},
    "sub_stack.start_z": start_in("z"),
    "reduce_stack.offset": start_in("z"),
    "copy_slice.slice_index": start_in("z"),
    "copy_slice_into_stack.slice_index": start_in("z"),
    "copy_slice_into_stack.plane": lambda shape: intensities(shape[-2:]),
    # image parameters of another shape than the drawn one
    "z_position_projection.z_position": lambda shape: z_positions(shape),
    "z_position_range_projection.z_position": lambda shape: z_positions(shape),
}


def bounds(op, parameter) -> tuple[float | None, float | None]:
    """The Range of a numeric parameter, tightened by CAPS."""
    limits = parameter.range
    low = limits.min if limits is not None else None
    high = limits.max if limits is not None else None
    cap = CAPS.get(f"{op.name}.{parameter.name}", CAPS.get(parameter.name))
    if cap is not None:
        low = cap[0] if low is None else max(low, cap[0])
        high = cap[1] if high is None else min(high, cap[1])
    return low, high


def scalar_strategy(op, parameter, shape: tuple[int, ...]) -> st.SearchStrategy:
    key = f"{op.name}.{parameter.name}"
    if key in SPECIAL:
        return SPECIAL[key](shape)
    if parameter.choices is not None:
        return st.sampled_from(parameter.choices)
    if parameter.value_type is bool:
        return st.booleans()
    low, high = bounds(op, parameter)
    if parameter.value_type is int:
        return st.integers(int(low), int(high))
    if parameter.value_type is float:
        low = UNBOUNDED[0] if low is None else low
        high = UNBOUNDED[1] if high is None else high
        return st.floats(low, high, allow_nan=False, allow_infinity=False)
    raise AssertionError(f"{key}: no strategy for {parameter.value_type!r}; add one to SPECIAL")


@st.composite
def intensities(draw: st.DrawFn, shape: tuple[int, ...]) -> np.ndarray:
    """uint8, uint16 or float32: spread over the dtype's range (float32: -1000..1000, or
    of magnitudes from 1e-15 to 1e15, whose squares stay normal float32 numbers: the
    references that square in float32 or float64 agree there), a few levels 0..3 (ties,
    plateaus, zeros), or constant (not subnormal)."""
    dtype = np.dtype(draw(st.sampled_from(INTENSITY_DTYPES)))
    content = draw(st.sampled_from(["spread", "levels", "constant"]))
    if content == "constant":
        value = draw(st.floats(-1000, 1000, width=32, allow_subnormal=False)
                     if dtype.kind == "f"
                     else st.integers(0, int(np.iinfo(dtype).max)))
        return np.full(shape, value, dtype)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if content == "levels":
        return rng.integers(0, 4, shape).astype(dtype)
    if dtype.kind == "f":
        magnitude = draw(st.sampled_from([1e3, 1e3, 1e-15, 1e-6, 1e6, 1e15]))
        return (rng.uniform(-1, 1, shape) * magnitude).astype(dtype)
    return rng.integers(0, np.iinfo(dtype).max, shape, endpoint=True).astype(dtype)


@st.composite
def label_images(draw: st.DrawFn, shape: tuple[int, ...]) -> np.ndarray:
    """uint32 labels 0..k, k up to 5 (gaps where a value is not drawn)."""
    k = draw(st.integers(0, 5))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return rng.integers(0, k + 1, shape).astype(np.uint32)


@st.composite
def binary_images(draw: st.DrawFn, shape: tuple[int, ...]) -> np.ndarray:
    """uint8 0/1: empty, sparse, dense or full."""
    density = draw(st.sampled_from([0.0, 0.3, 0.7, 1.0]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return (rng.random(shape) < density).astype(np.uint8)


IMAGES = {ImageKind.IMAGE: intensities, ImageKind.LABELS: label_images,
          ImageKind.BINARY: binary_images}

# --- refusals ---------------------------------------------------------------------------


def empty_zoom(shape, factors: dict[str, float]) -> bool:
    return any(round(n * factors[a]) < 1 for a, n in zip(axes_of(shape), shape, strict=True))


def clip_refused(shape, v) -> bool:
    if v["min"] > v["max"]:
        return True
    if v["image"].dtype.kind == "f":
        return False
    info = np.iinfo(v["image"].dtype)
    return math.ceil(np.clip(v["min"], info.min, info.max)) > math.floor(
        np.clip(v["max"], info.min, info.max))


#: The documented conditions across parameters under which an operation refuses its
#: arguments (ValueError "<operation>: ..."): (what, predicate of the shape and the
#: arguments).  Any other exception, and these refusals elsewhere, fail.
REFUSALS: dict[str, tuple[str, Callable[[tuple[int, ...], dict], bool]]] = {
    "crop": ("a start outside the image", lambda s, v: any(
        v[f"start_{a}"] >= n for a, n in zip(axes_of(s), s, strict=True))),
    "sub_stack": ("start_z outside the stack or end_z not above it",
                  lambda s, v: v["start_z"] >= s[0] or v["end_z"] <= v["start_z"]),
    "reduce_stack": ("an offset outside the stack", lambda s, v: v["offset"] >= s[0]),
    "scale": ("a factor that leaves no pixel", lambda s, v: empty_zoom(
        s, {a: v[f"factor_{a}"] for a in "zyx"})),
    "resample": ("voxel sizes that leave no pixel", lambda s, v: empty_zoom(
        s, {a: v[f"voxel_size_{a}"] / v["target_voxel_size"] for a in "zyx"})),
    "transpose": ("axes other than 'xy' of a 2D image",
                  lambda s, v: len(s) == 2 and v["which"] != "xy"),
    "histogram": ("minimum above maximum", lambda s, v: v["minimum"] > v["maximum"]),
    "clip": ("min above max, or no whole number between them for an integer image",
             clip_refused),
    "copy_slice": ("a slice_index outside the stack", lambda s, v: v["slice_index"] >= s[0]),
    "copy_slice_into_stack": ("a slice_index outside the stack (2D: of one plane)",
                              lambda s, v: v["slice_index"] >= (s[0] if len(s) == 3 else 1)),
    "crop_border": ("a border that leaves no pixel", lambda s, v: any(
        n - 2 * v["border_size"] < 1 for n in s)),
    "downsample_slice_by_slice_half_median": ("fewer than 2 pixels along y or x",
                                              lambda s, v: min(s[-2:]) < 2),
    "stitch_horizontally": ("an overlap wider than the images",
                            lambda s, v: v["overlap"] > s[-1]),
    "stitch_vertically": ("an overlap higher than the images",
                          lambda s, v: v["overlap"] > s[-2]),
}

# --- what results look like ------------------------------------------------------------

#: Operations that are not local (no halo) and keep the input's shape, as documented.
SAME_SHAPE = {
    "rotate", "translate", "affine_transform", "rigid_transform", "apply_vector_field",
    "flip", "paste",
    "copy_slice_into_stack",
    "threshold_otsu", "threshold_isodata", "threshold_li", "threshold_triangle",
    "threshold_yen", "threshold_mean", "detect_maxima_box", "detect_minima_box",
    "binary_edge_detection", "multiply_image_and_coordinate",
    "ramp_x", "ramp_y", "ramp_z", "set_border", "draw_box", "draw_sphere", "draw_line",
    "convolve", "match_template", "peak_local_max", "meijering",
    *(name for name, op in OPERATIONS.items()
      if op.category in ("Label", "Process labels", "Measure") and not op.returns_table
      and op.result_kind is not None),
}


def projected(axis: int) -> Callable[[tuple[int, ...], dict], tuple[int, ...]]:
    return lambda s, v: s[:axis] + s[axis + 1:]


def zoomed(s, factors: dict[str, float]) -> tuple[int, ...]:
    return tuple(round(n * factors[a]) for a, n in zip(axes_of(s), s, strict=True))


def stretched(s, axis: int, size: int) -> tuple[int, ...]:
    """The shape ``s`` with ``size`` pixels along ``axis``."""
    out = list(s)
    out[axis] = size
    return tuple(out)


def deskewed_shape(s, v, sheet: str) -> tuple[int, ...]:
    """deskew_<sheet>'s documented shape."""
    other = "x" if sheet == "y" else "y"
    angle, size = math.radians(v["angle"]), v[f"voxel_size_{sheet}"]
    n_sheet, n_other = s["zyx".index(sheet)], s["zyx".index(other)]
    out = {"z": round(n_sheet * math.sin(angle)),
           sheet: round(n_sheet * math.cos(angle) + s[0] * v["voxel_size_z"] / size),
           other: round(n_other * v[f"voxel_size_{other}"] / size)}
    return tuple(max(1, out[a]) for a in "zyx")


def swapped(s, v) -> tuple[int, ...]:
    order = list(axes_of(s))
    first, second = order.index(v["which"][0]), order.index(v["which"][1])
    out = list(s)
    out[first], out[second] = s[second], s[first]
    return tuple(out)


#: Result shapes of the operations that change it, as their docstrings give them.
SHAPES: dict[str, Callable[[tuple[int, ...], dict], tuple[int, ...]]] = {
    **{f"{reduction}_{axis}_projection": projected(index)
       for reduction in ("maximum", "minimum", "mean", "sum", "standard_deviation")
       for index, axis in enumerate("zyx")},
    **{f"{axis}_position_of_{which}_{axis}_projection": projected(index)
       for which in ("maximum", "minimum") for index, axis in enumerate("zyx")},
    **{f"{statistic}_{axis}_projection": projected(index)
       for statistic in ("median", "percentile") for index, axis in enumerate("zyx")},
    "z_position_projection": lambda s, v: s[-2:],
    "z_position_range_projection": lambda s, v: (abs(v["end_z"] - v["start_z"]) + 1,
                                                 *s[-2:]),
    "extended_depth_of_focus_variance_projection": projected(0),
    "extended_depth_of_focus_sobel_projection": projected(0),
    "hessian_eigenvalues": lambda s, v: (len(s), *s),
    "scale": lambda s, v: zoomed(s, {a: v[f"factor_{a}"] for a in "zyx"}),
    "resample": lambda s, v: zoomed(s, {a: v[f"voxel_size_{a}"] / v["target_voxel_size"]
                                        for a in "zyx"}),
    "crop": lambda s, v: tuple(min(v[f"size_{a}"], n - v[f"start_{a}"])
                               for a, n in zip(axes_of(s), s, strict=True)),
    "transpose": swapped,
    "concatenate_stacks": lambda s, v: ((2 * s[0], *s[1:]) if len(s) == 3 else (2, *s))
    if v["axis"] == "z" else stretched(s, "zyx"[3 - len(s):].index(v["axis"]),
                                       2 * s["zyx"[3 - len(s):].index(v["axis"])]),
    "combine_horizontally": lambda s, v: stretched(s, -1, 2 * s[-1]),
    "combine_vertically": lambda s, v: stretched(s, -2, 2 * s[-2]),
    "copy_slice": lambda s, v: s[1:],
    "crop_border": lambda s, v: tuple(n - 2 * v["border_size"] for n in s),
    "downsample_slice_by_slice_half_median": lambda s, v: (*s[:-2], s[-2] // 2, s[-1] // 2),
    "stitch_horizontally": lambda s, v: stretched(s, -1, 2 * s[-1] - v["overlap"]),
    "stitch_vertically": lambda s, v: stretched(s, -2, 2 * s[-2] - v["overlap"]),
    "deskew_x": lambda s, v: deskewed_shape(s, v, "x"),
    "deskew_y": lambda s, v: deskewed_shape(s, v, "y"),
    "sub_stack": lambda s, v: (min(v["end_z"], s[0]) - v["start_z"], *s[1:]),
    "reduce_stack": lambda s, v: (-(-(s[0] - v["offset"]) // v["step"]), *s[1:]),
    "upsample": lambda s, v: tuple(n * v[f"factor_{a}"]
                                   for a, n in zip(axes_of(s), s, strict=True)),
    "downsample": lambda s, v: tuple(-(-n // v[f"factor_{a}"])
                                     for a, n in zip(axes_of(s), s, strict=True)),
}

#: Label results documented as numbered 1..n without gaps.
SEQUENTIAL = {
    "connected_components_labeling", "label_spots", "masked_voronoi_labeling",
    "voronoi_labeling", "voronoi_otsu_labeling", "gauss_otsu_labeling",
    "eroded_otsu_labeling", "relabel_sequential", "exclude_labels_on_edges",
    "exclude_small_labels", "exclude_large_labels", "exclude_labels_outside_size_range",
    "erode_labels", "opening_labels", "smooth_labels", "merge_touching_labels",
    "combine_labels", "subtract_labels",
}
#: ... of which these in raster order of each label's first pixel.
RASTER_ORDER = {"connected_components_labeling", "label_spots", "masked_voronoi_labeling",
                "voronoi_labeling", "voronoi_otsu_labeling", "gauss_otsu_labeling",
                "eroded_otsu_labeling"}
#: Label results documented to keep the values of the labels given (``labels``).
KEEP_VALUES = {"mode_box", "mode_sphere", "watershed_labeling", "extend_labeling_via_voronoi",
               "dilate_labels", "closing_labels", "reduce_labels_to_centroids",
               "reduce_labels_to_label_edges", "fill_holes_in_labels"}


def check_result(op, result: Any, shape: tuple[int, ...], v: dict) -> None:
    """The result's type, dtype, values and shape as documented."""
    if op.returns_table:
        assert isinstance(result, dict) and result
        lengths = set()
        for name, column in result.items():
            assert isinstance(column, np.ndarray) and column.ndim == 1, name
            lengths.add(len(column))
        assert len(lengths) == 1, lengths
        return
    if op.result_kind is None:
        assert isinstance(result, op.returns), type(result)
        return
    assert isinstance(result, np.ndarray), type(result)
    if op.local or op.name in SAME_SHAPE:
        assert result.shape == shape
    else:
        assert result.shape == SHAPES[op.name](shape, v)
    if op.result_kind is ImageKind.BINARY:
        assert result.dtype == np.uint8
        assert set(np.unique(result)) <= {0, 1}
    elif op.result_kind is ImageKind.LABELS:
        assert result.dtype == np.uint32
        present = np.unique(result)
        if op.name in SEQUENTIAL:
            np.testing.assert_array_equal(present[present > 0],
                                          np.arange(1, np.count_nonzero(present) + 1))
        if op.name in RASTER_ORDER:
            np.testing.assert_array_equal(result, relabel_raster(result))
        if op.name in KEEP_VALUES:
            assert set(present) <= set(np.unique(v["labels"])) | {0}
    else:
        assert result.dtype in backend.SUPPORTED_DTYPES, result.dtype


# --- references ------------------------------------------------------------------------

# The references are the shared table's (tests/ops/references), with the tolerances the
# family tests state; where this suite states its own (for the arguments it draws), it
# says so below.


# thresholds


def threshold_check(method: str) -> Callable[[Any, Any, dict], None]:
    """Integer images (one bin per value, as scikit-image): exactly ``image > threshold``;
    float images (256 bins between the minimum and the maximum): pixels within a bin of
    it may go either way.  Where the method's criterion has several exact maxima, the
    split at any of them (:data:`CRITERIA`).  Constant images: no foreground (documented)."""
    def check(result, expected, v):
        image = v["image"]
        if image.min() == image.max():
            assert not result.any()
            return
        threshold, comparable = expected
        if not comparable:
            return
        candidates = [threshold, *tied_thresholds(method, image, threshold)]
        assert any(splits_at(result, image, t) for t in candidates), (
            f"{np.flatnonzero(result != (image > threshold))} differ from the split at "
            f"{threshold} (thresholds tied with it: {candidates[1:]})")
    return check


def histogram_bins(image: np.ndarray) -> tuple[list[int], np.ndarray]:
    """The histogram the thresholds take, as scikit-image: counts and bin centres, one bin
    per value from the minimum to the maximum of integer images, 256 bins of float ones."""
    if image.dtype.kind in "iu":
        values = image.ravel().astype(np.int64)
        counts = np.bincount(values - values.min())
        return counts.tolist(), values.min() + np.arange(len(counts), dtype=np.float64)
    counts, edges = np.histogram(f64(image), bins=256, range=(image.min(), image.max()))
    return counts.tolist(), (edges[:-1] + edges[1:]) / 2


def splits(counts: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The non-empty bins b but the last (each a distinct split: bins up to b below), and
    the pixel counts below and above each."""
    counts = np.asarray(counts, np.int64)
    bins = np.flatnonzero(counts)[:-1]
    below = np.cumsum(counts)[bins]
    return bins, below, counts.sum() - below


def otsu_criteria(counts: list[int]) -> dict[int, Fraction]:
    """Between-class variance (in bins, times the squared pixel count) of each split,
    exactly: n0 n1 (m0 - m1)**2 = (s0 n1 - s1 n0)**2 / (n0 n1)."""
    bins, n0, n1 = splits(counts)
    weighted = np.cumsum(np.asarray(counts, np.int64) * np.arange(len(counts)))
    s0 = weighted[bins]
    s1 = weighted[-1] - s0
    return {int(b): Fraction(int(a) * int(d) - int(c) * int(e), 1) ** 2 / (int(e) * int(d))
            for b, a, c, d, e in zip(bins, s0, s1, n1, n0, strict=True)}


def yen_criteria(counts: list[int]) -> dict[int, Fraction]:
    """Yen's (P1 (1 - P1))**2 / (S1 S2) of each split (times the pixel count**4),
    exactly."""
    bins, n0, n1 = splits(counts)
    squares = np.cumsum(np.asarray(counts, np.int64) ** 2)
    q0 = squares[bins]
    q1 = squares[-1] - q0
    return {int(b): Fraction((int(a) * int(c)) ** 2, int(d) * int(e))
            for b, a, c, d, e in zip(bins, n0, n1, q0, q1, strict=True)}


def triangle_criteria(counts: list[int]) -> dict[int, int]:
    """The triangle's distance (unnormalised: h k - w y_k, k counted from the end of the
    longer tail, w the peak's distance from it) of each bin of that tail, exactly."""
    counts = np.asarray(counts, np.int64)
    peak = int(np.argmax(counts))  # the first maximum
    height, last = int(counts[peak]), len(counts) - 1
    if peak < last - peak:  # the tail above the peak is longer: count from the top
        k = np.arange(last - peak)
        return dict(zip((last - k).tolist(), (height * k - (last - peak) * counts[last - k])
                        .tolist(), strict=True))
    k = np.arange(peak)
    return dict(zip(k.tolist(), (height * k - peak * counts[k]).tolist(), strict=True))


#: Thresholds at the bin that maximises a criterion of the histogram: where several bins
#: give the maximum exactly (e.g. Yen's criterion of distinct values is symmetric about
#: the median) or within float32's rounding of it (scikit-image computes Yen's criterion
#: from a float32 histogram, Otsu's of float images with float32 bin centres), rounding
#: picks one, in scikit-image as on the device (which computes in double).
CRITERIA: dict[str, Callable[[list[int]], dict[int, Any]]] = {
    "otsu": otsu_criteria, "yen": yen_criteria, "triangle": triangle_criteria}
#: The criteria's relative rounding in scikit-image (a few float32 roundings).
CRITERION_ROUNDING = 1e-6


def tied_thresholds(method: str, image: np.ndarray, threshold: float) -> list[float]:
    """The other bins' thresholds whose exact criterion lies within rounding of the
    maximum, if scikit-image's threshold is one of them."""
    if method not in CRITERIA:
        return []
    counts, centres = histogram_bins(image)
    criteria = CRITERIA[method](counts)
    nearest = int(np.argmin(np.abs(centres - threshold)))
    # the split of scikit-image's bin (Otsu's and Yen's are kept at the non-empty ones)
    chosen = max((b for b in criteria if b <= nearest), default=None)
    best = max(criteria.values())
    good = {b for b, value in criteria.items()
            if value >= best - CRITERION_ROUNDING * abs(best)}
    if chosen not in good:
        return []
    return [float(centres[b]) for b in sorted(good - {chosen})]


def threshold_of(method: str):
    """scikit-image's threshold (the shared reference's), and whether the comparison
    within one bin holds.  Of the pixels as one row (thresholds ignore the shape, and
    scikit-image warns of shapes that look like RGB); of float images in float64 (in
    float32 scikit-image's isodata finds no threshold among values of 1e-16)."""
    def expected(v):
        image = v["image"].ravel()
        if image.min() == image.max():
            return None, False  # scikit-image divides by zero for some methods
        if image.dtype.kind == "f":
            image = f64(image)
        threshold = SHARED_REFERENCES[f"threshold_{method}"](image)
        if method != "li" or image.dtype.kind in "iu":
            return threshold, True
        # Not compared (reported): Li's iteration on the histogram of a float image (from
        # the histogram's mean, each pixel at its bin's centre) may split the pixels
        # otherwise than scikit-image's iteration on the pixels where a pixel lies
        # within one bin of an iterate, and then converge to another fixed point,
        # far from scikit-image's threshold (e.g. [[-159.2424, 851.7387], [-452.26,
        # -879.9028]]: scikit-image -300.27, oclip above -159.24).  The docstring's
        # "agree within one bin" holds elsewhere.
        iterates: list[float] = []
        skimage.filters.threshold_li(image, iter_callback=iterates.append)
        bin_width = (float(image.max()) - float(image.min())) / 256
        ambiguous = any(np.any(np.abs(image - t) <= bin_width) for t in iterates[:-1])
        return threshold, not ambiguous
    return expected


# measurements


def table_check(result, expected, v):
    """As test_measure; the standard deviation against float64 (scikit-image's float32
    one is off by about 1e-7 of the intensities, 1e-4 of a constant region of 500),
    within what the fixed-point sums (1e-15 of the largest possible total) leave of a
    difference of squares: 1e-6 of the largest intensity."""
    image, labels = v["image"], v["labels"]
    deviation, expected_deviation = result["intensity_std"], expected["intensity_std"]
    assert_tables_equal({k: c for k, c in result.items() if k != "intensity_std"},
                        {k: c for k, c in expected.items() if k != "intensity_std"},
                        image, labels, statistics_options(v)[0], statistics_options(v)[2])
    assert deviation.dtype == expected_deviation.dtype
    with np.errstate(invalid="ignore", divide="ignore"):  # scipy divides for absent labels
        reference = ndi.standard_deviation(f64(image), labels, expected["label"])
    np.testing.assert_allclose(deviation, reference, rtol=1e-6,
                               atol=1e-6 * float(np.abs(image).max()))


#: The operations not compared with their reference here, and why.
UNCOMPARED = dict.fromkeys(
    ("voronoi_otsu_labeling", "gauss_otsu_labeling", "eroded_otsu_labeling"),
    "float32 blurs flip pixels at the threshold: test_labeling's bound of 1e-3 of the "
    "pixels holds on its large images, not on images of a few pixels")

#: The tolerances (and values) of this suite where they are not the shared table's:
#: thresholds with ties and float64 pixels, transforms with any share of nearest
#: interpolation's ties (tiny images), the standard deviation of label_statistics
#: against float64.
OWN: dict[str, dict[str, Any]] = {
    **{f"threshold_{method}": {"compute": threshold_of(method),
                               "tolerance": threshold_check(method)}
       for method in ("otsu", "isodata", "li", "triangle", "yen")},
    "threshold_mean": {"compute": lambda v: (v["image"] > SHARED_REFERENCES["threshold_mean"](
        f64(v["image"]))).astype(np.uint8), "tolerance": exact},
    **{name: {"tolerance": interpolation_tolerance(coordinates, kept=0.0)}
       for name, coordinates in COORDINATES.items()},
    "label_statistics": {"tolerance": table_check},
}

REFERENCES: dict[str, Reference] = {
    name: dataclasses.replace(reference, **OWN.get(name, {}))
    for name, reference in SHARED_REFERENCES.items() if name not in UNCOMPARED}

# --- the tests -------------------------------------------------------------------------


def arguments_strategy(op, data) -> tuple[tuple[int, ...], dict]:
    ndim = data.draw(st.sampled_from(op.dimensions), label="ndim")
    shape = data.draw(st.tuples(*[st.sampled_from(SIDES)] * ndim), label="shape")
    values = {}
    for parameter in op.parameters:
        if parameter.kind is not None:
            strategy = SPECIAL.get(f"{op.name}.{parameter.name}", IMAGES[parameter.kind])(shape)
        else:
            strategy = scalar_strategy(op, parameter, shape)
        values[parameter.name] = data.draw(strategy, label=parameter.name)
    return shape, values


@pytest.mark.parametrize("name", list(OPERATIONS))
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None)
@given(data=st.data())
def test_operation_on_random_arguments(name, data):
    op = OPERATIONS[name]
    shape, values = arguments_strategy(op, data)
    what, condition = REFUSALS.get(name, (None, lambda s, v: False))
    refused = condition(shape, values)
    message = None
    try:
        result = op.function(**values)
    except ValueError as error:  # judged below; any other exception fails the test
        message = str(error)
    if message is not None:
        assert refused, f"refused without a documented reason: {message}"
        assert message.startswith(f"{name}: "), message
        return
    assert not refused, f"accepted despite {what}"
    check_result(op, result, shape, values)
    assert as_equal(op.function(**values), result), "a second call gave another result"
    reference = REFERENCES.get(name)
    if reference is not None:
        reference.assert_close(result, **values)


def test_every_parameter_has_a_strategy_within_its_range():
    for op in OPERATIONS.values():
        for parameter in op.scalar_parameters:
            for ndim in op.dimensions:
                assert scalar_strategy(op, parameter, (max(SIDES),) * ndim) is not None
            if parameter.value_type in (int, float) and parameter.range is not None:
                low, high = bounds(op, parameter)
                assert low <= high, (op.name, parameter.name)
                assert low in parameter.range and high in parameter.range
    known = {f"{op.name}.{p.name}" for op in OPERATIONS.values() for p in op.parameters}
    names = {p.name for op in OPERATIONS.values() for p in op.parameters}
    assert set(CAPS) <= known | names, set(CAPS) - known - names
    assert set(SPECIAL) <= known


def test_every_image_result_has_a_documented_shape_and_the_tables_name_operations():
    for op in OPERATIONS.values():
        if op.result_kind is not None:
            assert op.local or op.name in SAME_SHAPE or op.name in SHAPES, op.name
    for table in (REFUSALS, SHAPES, REFERENCES, KEEP_VALUES, UNCOMPARED, OWN):
        assert set(table) <= set(OPERATIONS), set(table) - set(OPERATIONS)
    assert set(OPERATIONS) >= SEQUENTIAL | RASTER_ORDER | SAME_SHAPE
    assert len(REFERENCES) >= 30


def test_the_shared_table_holds_one_reference_per_operation():
    assert set(SHARED_REFERENCES) == set(OPERATIONS), set(SHARED_REFERENCES) ^ set(OPERATIONS)
    for name, reference in SHARED_REFERENCES.items():
        assert reference.operation == name
