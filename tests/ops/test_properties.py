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
* equal its reference (numpy / scipy.ndimage / scikit-image,
  :data:`REFERENCES`) within the tolerance the operation's own test module
  states, where there is one.

Examples are derandomized (the same on every run).  Run time of the whole module,
143 operations x 15 examples, here (2 shared CPU cores, PoCL): 4.3 to 4.6 minutes
with PoCL's kernel cache empty (as on a fresh CI machine: compiling for each new
launch size and build option is nearly all of it), 20 to 35 seconds with it filled.  Runs of 250
random examples per operation (1500 for the thresholds) passed as well.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
import scipy.ndimage as ndi
import skimage.filters
import skimage.measure
import skimage.segmentation
from hypothesis import given, settings
from hypothesis import strategies as st

from oclip import _backend as backend
from oclip.ops import ImageKind, operations

from ._arguments import as_equal
from ._label_references import box, cross, relabel_raster
from ._windows import assert_smoothing_close, footprint, numpy_order, window_values
from .test_derivatives import assert_eigenvalues_close, hessian_reference, laplace_kernel
from .test_filters import assert_variance_close, mode_reference
from .test_label_processing import (
    border_labels_removed,
    closing_reference,
    equally_near,
    erosion_reference,
    merge_reference,
    opening_reference,
    sequential,
)
from .test_labeling import masked_voronoi_reference
from .test_measure import (
    assert_tables_equal,
    centroid_distances,
    per_label_map,
    reference_table,
    touching_reference,
)
from .test_morphology import scipy_binary
from .test_projection import check as check_projection
from .test_transform import about_centre, affine_coordinates, plane_rotation, zoom_coordinates
from .test_transform import check as check_transform

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
    # Shifts beyond the image replicate the edge everywhere.
    **dict.fromkeys(("translate_x", "translate_y", "translate_z"), (-10.0, 10.0)),
    # Sizes beyond the largest image's 343 pixels are all alike.
    **dict.fromkeys(("minimum_size", "maximum_size"), (0, 400)),
    # Larger exponents overflow or underflow float32 for most pixels of 16-bit images,
    # where the last bit decides between a finite value and inf.
    "power.exponent": (-4.0, 4.0),
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
    "clip": ("min above max, or no whole number between them for an integer image",
             clip_refused),
}

# --- what results look like ------------------------------------------------------------

#: Operations that are not local (no halo) and keep the input's shape, as documented.
SAME_SHAPE = {
    "rotate", "translate", "affine_transform", "flip",
    "threshold_otsu", "threshold_isodata", "threshold_li", "threshold_triangle",
    "threshold_yen", "threshold_mean", "detect_maxima_box", "detect_minima_box",
    "binary_edge_detection",
    *(name for name, op in OPERATIONS.items()
      if op.category in ("Label", "Process labels", "Measure") and not op.returns_table
      and op.result_kind is not None),
}


def projected(axis: int) -> Callable[[tuple[int, ...], dict], tuple[int, ...]]:
    return lambda s, v: s[:axis] + s[axis + 1:]


def zoomed(s, factors: dict[str, float]) -> tuple[int, ...]:
    return tuple(round(n * factors[a]) for a, n in zip(axes_of(s), s, strict=True))


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
    "z_position_of_maximum_z_projection": projected(0),
    "hessian_eigenvalues": lambda s, v: (len(s), *s),
    "scale": lambda s, v: zoomed(s, {a: v[f"factor_{a}"] for a in "zyx"}),
    "resample": lambda s, v: zoomed(s, {a: v[f"voxel_size_{a}"] / v["target_voxel_size"]
                                        for a in "zyx"}),
    "crop": lambda s, v: tuple(min(v[f"size_{a}"], n - v[f"start_{a}"])
                               for a, n in zip(axes_of(s), s, strict=True)),
    "transpose": swapped,
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


@dataclass(frozen=True)
class Reference:
    """What an operation gives (a function of its arguments) and how a result is compared
    with it (a function of the result, the expected value and the arguments)."""

    expected: Callable[[dict], Any]
    check: Callable[[Any, Any, dict], None]


def first_image(v: dict) -> np.ndarray:
    return next(a for a in v.values() if isinstance(a, np.ndarray))


def per_axis(v: dict, prefix: str) -> tuple:
    """``prefix_z, prefix_y, prefix_x`` in numpy order for the image's dimensionality."""
    return numpy_order(first_image(v), v[f"{prefix}_x"], v[f"{prefix}_y"], v[f"{prefix}_z"])


def f32(a: np.ndarray) -> np.ndarray:
    return a.astype(np.float32)


def f64(a: np.ndarray) -> np.ndarray:
    return a.astype(np.float64)


def gaussian(image: np.ndarray, sigmas: tuple) -> np.ndarray:
    """scipy's Gaussian truncated at 4 sigma; sigmas of radius int(4 sigma + 0.5) = 0 are
    the identity (as documented; scipy divides by sigma**2 and fails on the smallest)."""
    sigmas = tuple(s if int(4 * s + 0.5) > 0 else 0.0 for s in sigmas)
    return ndi.gaussian_filter(f64(image), sigmas, mode="nearest", truncate=4.0)


def window(v: dict, shape: str) -> np.ndarray:
    return footprint(first_image(v), shape, v["radius_x"], v["radius_y"], v["radius_z"])


def exact(result: Any, expected: Any, v: dict) -> None:
    expected = np.asarray(expected)
    assert result.dtype == expected.dtype, (result.dtype, expected.dtype)
    np.testing.assert_array_equal(result, expected)


def exact_values(result: Any, expected: Any, v: dict) -> None:
    np.testing.assert_array_equal(result, expected)


def smoothing(result: Any, expected: Any, v: dict) -> None:
    assert_smoothing_close(result, expected, first_image(v))


def relative(rtol: float, atol: float = 0.0) -> Callable[[Any, Any, dict], None]:
    def check(result: Any, expected: Any, v: dict) -> None:
        assert result.dtype == np.float32
        np.testing.assert_allclose(result, expected, rtol=rtol, atol=atol)
    return check


def quiet(function: Callable[[dict], Any]) -> Callable[[dict], Any]:
    """A reference computed without numpy's floating-point warnings (inf, NaN as IEEE)."""
    def expected(v: dict) -> Any:
        with np.errstate(all="ignore"):
            return function(v)
    return expected


# pixel-wise


def logarithm_check(result, expected, v):
    finite = np.isfinite(expected)
    np.testing.assert_array_equal(result[~finite], expected[~finite])
    np.testing.assert_allclose(result[finite], expected[finite], rtol=2.5e-7, atol=0)


def power_tolerance(base: np.ndarray, exponent: float) -> np.ndarray:
    """exp(p log x) in float32: log's error of a few ulp of |p log x| becomes a relative
    error of the result; plus test_math's 5e-6."""
    base = np.abs(base.astype(np.float64))
    exponent_of_e = np.where(base > 0, exponent * np.log(np.where(base > 0, base, 1.0)), 0.0)
    return 5e-6 + 2.5e-7 * np.abs(exponent_of_e)


def power_check(result, expected, v):
    close_to(result, expected, power_tolerance(v["image"], v["exponent"]))


def gamma_scale(image: np.ndarray) -> float:
    return float(np.iinfo(image.dtype).max) if image.dtype.kind in "iu" else 1.0


def gamma_check(result, expected, v):
    scale = gamma_scale(v["image"])
    close_to(result, expected, power_tolerance(v["image"] / scale, v["gamma"]),
             atol=1e-37 * scale)


def close_to(result, expected, rtol, atol=0.0):
    """|result - expected| <= atol + rtol |expected| (per pixel rtol), NaN and inf equal."""
    assert result.dtype == np.float32
    expected = np.asarray(expected, np.float64)
    with np.errstate(over="ignore"):  # beyond float32's range: inf, as the result
        rounded = expected.astype(np.float32)
    special = ~np.isfinite(rounded) | ~np.isfinite(result)
    np.testing.assert_array_equal(result[special], rounded[special])
    error = np.abs(result[~special] - expected[~special])
    tolerance = (atol + np.broadcast_to(rtol, expected.shape)[~special]
                 * np.abs(expected[~special]))
    assert (error <= tolerance).all(), f"largest excess {np.max(error - tolerance)}"


def clip_expected(v):
    image = v["image"]
    if image.dtype.kind == "f":
        return np.clip(image, np.float32(v["min"]), np.float32(v["max"]))
    info = np.iinfo(image.dtype)  # the bounds rounded inwards, within the dtype
    return np.clip(image, np.clip(math.ceil(v["min"]), info.min, info.max),
                   np.clip(math.floor(v["max"]), info.min, info.max)).astype(image.dtype)


def divide_by_background_check(result, expected, v):
    """Where the float64 background is not near 0 (relative to the image): the ratio with
    the background's float32 error (test_filters' 1e-5 of the image) carried through."""
    image = v["image"]
    background = gaussian(image, per_axis(v, "sigma"))
    scale = float(np.abs(image).max())
    kept = np.abs(background) > 1e-3 * scale
    ratio = expected[kept]
    tolerance = 1e-5 * np.abs(ratio) + 1e-5 * scale * np.abs(
        f64(image)[kept]) / background[kept] ** 2
    assert result.dtype == np.float32
    assert (np.abs(result[kept] - ratio) <= tolerance).all()


def divided_by_background(v):
    image = v["image"]
    background = gaussian(image, per_axis(v, "sigma"))
    return np.divide(f64(image), background, out=np.zeros(image.shape),
                     where=background != 0)


# windows


def variance_check(root: bool):
    def check(result, expected, v):
        assert_variance_close(result, expected, v["image"], root=root)
    return check


def windowed_variance(shape: str):
    return lambda v: window_values(v["image"], window(v, shape)).var(axis=-1)


def rank(function, shape: str):
    return lambda v: function(v["image"], footprint=window(v, shape), mode="nearest")


def gradient(axis: int):
    def expected(v):
        image = v["image"]
        if -axis > image.ndim:
            return np.zeros(image.shape, np.float32)
        return ndi.correlate1d(f64(image), [-0.5, 0.0, 0.5], axis=axis,
                               mode="nearest").astype(np.float32)
    return expected


def hessian_check(result, expected, v):
    assert_eigenvalues_close(result, expected, v["image"])


def binary_morphology(which: str, shape: str):
    return lambda v: scipy_binary(which, v["binary"] != 0, window(v, shape))


def extrema(function):
    def expected(v):
        image = v["image"]
        size = [2 * r + 1 for r in per_axis(v, "radius")]
        return (function(image, size=size, mode="nearest") == image).astype(np.uint8)
    return expected


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


def splits_at(result: np.ndarray, image: np.ndarray, threshold: float) -> bool:
    """``result`` is ``image > threshold``: exactly for integer images, but within one of
    the 256 bins of float images."""
    expected = image > threshold
    if image.dtype.kind in "iu":
        return bool(np.array_equal(result, expected))
    bin_width = (float(image.max()) - float(image.min())) / 256
    certain = np.abs(f64(image) - threshold) > bin_width
    return bool(np.array_equal(result[certain], expected[certain]))


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
    """scikit-image's threshold, and whether the comparison within one bin holds.  Of the
    pixels as one row (thresholds ignore the shape, and scikit-image warns of shapes that
    look like RGB); of float images in float64 (in float32 scikit-image's isodata finds
    no threshold among values of 1e-16)."""
    def expected(v):
        image = v["image"].ravel()
        if image.min() == image.max():
            return None, False  # scikit-image divides by zero for some methods
        if image.dtype.kind == "f":
            image = f64(image)
        if method != "li" or image.dtype.kind in "iu":
            return getattr(skimage.filters, f"threshold_{method}")(image), True
        # Not compared (reported): Li's iteration on the histogram of a float image (from
        # the histogram's mean, each pixel at its bin's centre) may split the pixels
        # otherwise than scikit-image's iteration on the pixels where a pixel lies
        # within one bin of an iterate, and then converge to another fixed point,
        # far from scikit-image's threshold (e.g. [[-159.2424, 851.7387], [-452.26,
        # -879.9028]]: scikit-image -300.27, oclip above -159.24).  The docstring's
        # "agree within one bin" holds elsewhere.
        iterates: list[float] = []
        threshold = skimage.filters.threshold_li(image, iter_callback=iterates.append)
        bin_width = (float(image.max()) - float(image.min())) / 256
        ambiguous = any(np.any(np.abs(image - t) <= bin_width) for t in iterates[:-1])
        return threshold, not ambiguous
    return expected


# labels


def connected_components(v):
    structure = box if v["connectivity"] == "box" else cross
    return ndi.label(v["binary"], structure=structure(v["binary"].ndim))[0].astype(np.uint32)


def voronoi_check(result, _, v):
    """Every pixel gets (one of) the nearest objects ("box"-connected components);
    exactly the nearest where it is unique (test_labeling's reference)."""
    from .test_labeling import _to_objects, assert_nearest_label

    objects = ndi.label(v["binary"], structure=box(v["binary"].ndim))[0]
    if not objects.any():
        assert not result.any()
        return
    assert result.all()
    assert_nearest_label(_to_objects(result, objects), objects)


def watershed_expected(v):
    """scikit-image's watershed from the labels as seeds, where the flooding order is
    unique: all pixel values distinct (test_labeling); None elsewhere."""
    image = v["image"]
    if np.unique(image).size < image.size:
        return None
    connectivity = 1 if v["connectivity"] == "diamond" else image.ndim
    return skimage.segmentation.watershed(image, v["labels"], connectivity=connectivity)


def watershed_check(result, expected, v):
    if expected is not None:
        exact_values(result, expected, v)


def keep_sizes(condition: Callable[[np.ndarray, dict], np.ndarray]):
    def expected(v):
        labels = v["labels"]
        counts = np.bincount(labels.ravel())
        keep = condition(counts, v)
        lut = np.arange(len(counts), dtype=np.uint32) * keep
        lut[0] = 0
        return sequential(lut[labels])
    return expected


def unless_tied(result, expected, v):
    """Equal but at pixels equally near to two labels (test_label_processing)."""
    labels = v["labels"]
    if not labels.any():
        assert not result.any()
        return
    np.testing.assert_array_equal(result != 0, expected != 0)
    tie = equally_near(labels)
    np.testing.assert_array_equal(result[~tie], expected[~tie])


def nearest_label(v):
    labels = v["labels"]
    if not labels.any():
        return labels
    _, indices = ndi.distance_transform_edt(labels == 0, return_indices=True)
    return labels[tuple(indices)]


def smooth_check(result, expected, v):
    opened = opening_reference(v["labels"], v["radius"])
    np.testing.assert_array_equal(result != 0, expected != 0)
    if opened.any():
        tie = equally_near(opened)
        np.testing.assert_array_equal(result[~tie], expected[~tie])


def centroids(v):
    labels = v["labels"]
    out = np.zeros_like(labels)
    for region in skimage.measure.regionprops(labels):
        out[tuple(np.floor(np.array(region.centroid) + 0.5).astype(int))] = region.label
    return out


def filled_holes(v):
    """Background regions (face-connected) enclosed by one label, not on the border,
    take that label (test_label_processing)."""
    labels = v["labels"]
    regions, count = ndi.label(labels == 0)
    out = labels.copy()
    for k in range(1, count + 1):
        region = regions == k
        around = np.unique(labels[ndi.binary_dilation(region) & ~region])
        slices = ndi.find_objects(region.astype(int))[0]
        on_border = any(s.start == 0 or s.stop == n
                        for s, n in zip(slices, labels.shape, strict=True))
        if not on_border and len(around) == 1 and around[0] != 0:
            out[region] = around[0]
    return out


# measurements


def intensity_map(function):
    def expected(v):
        labels, image = v["labels"], v["image"]
        index = np.arange(labels.max() + 1)
        with np.errstate(invalid="ignore", divide="ignore"):
            values = np.nan_to_num(function(f64(image), labels, index))
        return per_label_map(labels, values)
    return expected


def extension_ratios(v):
    labels = v["labels"]
    distances = centroid_distances(labels)
    out = np.zeros(labels.shape)
    for value in np.unique(labels[labels > 0]):
        d = distances[labels == value]
        out[labels == value] = d.max() / d.mean() if d.mean() > 0 else 1.0
    return out


def touching_counts(v):
    labels = v["labels"]
    values = np.zeros(labels.max() + 1)
    for label, others in touching_reference(labels).items():
        values[label] = len(others)
    return per_label_map(labels, values)


def touching_means(v):
    labels, image = v["labels"], v["image"]
    with np.errstate(invalid="ignore", divide="ignore"):
        means = ndi.mean(f64(image), labels, np.arange(labels.max() + 1))
    values = np.zeros(labels.max() + 1)
    for label, others in touching_reference(labels).items():
        values[label] = np.mean(means[[label, *others]])
    return per_label_map(labels, values)


def overlap(dice: bool):
    def expected(v):
        a, b = v["binary1"] != 0, v["binary2"] != 0
        if dice:
            total = a.sum() + b.sum()
            return 1.0 if total == 0 else 2 * (a & b).sum() / total
        either = (a | b).sum()
        return 1.0 if either == 0 else (a & b).sum() / either
    return expected


def scalar_check(result, expected, v):
    assert result == pytest.approx(expected, rel=1e-12)


def table_check(result, expected, v):
    """As test_measure; the standard deviation against float64 (scikit-image's float32
    one is off by about 1e-7 of the intensities, 1e-4 of a constant region of 500),
    within what the fixed-point sums (1e-15 of the largest possible total) leave of a
    difference of squares: 1e-6 of the largest intensity."""
    image, labels = v["image"], v["labels"]
    deviation, expected_deviation = result["intensity_std"], expected["intensity_std"]
    assert_tables_equal({k: c for k, c in result.items() if k != "intensity_std"},
                        {k: c for k, c in expected.items() if k != "intensity_std"},
                        image, labels)
    assert deviation.dtype == expected_deviation.dtype
    with np.errstate(invalid="ignore", divide="ignore"):  # scipy divides for absent labels
        reference = ndi.standard_deviation(f64(image), labels, expected["label"])
    np.testing.assert_allclose(deviation, reference, rtol=1e-6,
                               atol=1e-6 * float(np.abs(image).max()))


# transforms


def interpolated(function: Callable[[dict, int], tuple[np.ndarray, np.ndarray]]):
    """A scipy resampling ``function(v, order) -> (expected, input coordinates)``, compared
    as test_transform compares (ties of nearest sampling left out)."""
    order = {"nearest": 0, "linear": 1}

    def expected(v):
        return function(v, order[v.get("interpolation", "linear")])

    def check(result, expected, v):
        values, coordinates = expected
        check_transform(result, values, v["image"], v.get("interpolation", "linear"),
                        coordinates, kept=0.0)
    return Reference(expected, check)


def zoom_by(factors: Callable[[dict], tuple]):
    def function(v, order):
        image = v["image"]
        zoom = factors(v)
        values = ndi.zoom(f64(image), zoom, order=order, mode="nearest", grid_mode=True)
        return values, zoom_coordinates(image.shape, values.shape)
    return function


def rotated(v, order):
    image = v["image"]
    if image.ndim == 2:
        rotation = plane_rotation(v["angle_z"], (0, 1), 2)
    else:
        rotation = (plane_rotation(v["angle_x"], (0, 1), 3)
                    @ plane_rotation(v["angle_y"], (0, 2), 3)
                    @ plane_rotation(v["angle_z"], (1, 2), 3))
    matrix = about_centre(rotation, image.shape)
    return (ndi.affine_transform(f64(image), matrix, order=order, mode="nearest"),
            affine_coordinates(matrix, image.shape))


def translated(v, order):
    image = v["image"]
    shifts = np.array(per_axis(v, "translate"))
    return (ndi.shift(f64(image), shifts, order=order, mode="nearest"),
            affine_coordinates(np.column_stack([np.eye(image.ndim), -shifts]), image.shape))


def affine(v, order):
    image = v["image"]
    matrix = np.reshape(v["matrix"], (image.ndim + 1, image.ndim + 1))
    return (ndi.affine_transform(f64(image), matrix, order=order, mode="nearest"),
            affine_coordinates(matrix[:-1], image.shape))


def cropped(v):
    image = v["image"]
    starts, sizes = per_axis(v, "start"), per_axis(v, "size")
    return image[tuple(slice(a, a + n) for a, n in zip(starts, sizes, strict=True))]


def flipped(v):
    image = v["image"]
    axes = tuple(axis for axis, wanted in zip((-1, -2, -3), (v["flip_x"], v["flip_y"],
                                                             v["flip_z"]), strict=True)
                 if wanted and -axis <= image.ndim)
    return np.flip(image, axes)


def transposed(v):
    image = v["image"]
    order = axes_of(image.shape)
    return np.swapaxes(image, order.index(v["which"][0]), order.index(v["which"][1]))


def repeated(v):
    image = v["image"]
    for axis, count in enumerate(per_axis(v, "factor")):
        image = np.repeat(image, count, axis=axis)
    return image


def block_means(v):
    image = v["image"]
    return skimage.measure.block_reduce(f64(image), per_axis(v, "factor"), np.nanmean,
                                        cval=np.nan)


def block_means_check(result, expected, v):
    """float32 sums of n pixels: within n float32 roundings (6e-8) of the largest pixel
    (test_transform's 1e-6 relative are 16 of them, on positive images; here the pixels
    may cancel, and blocks hold up to 343)."""
    image = v["image"]
    block = math.prod(min(f, n) for f, n in zip(per_axis(v, "factor"), image.shape,
                                                 strict=True))
    relative(1e-6, block * 6e-8 * float(np.abs(image).max()))(result, expected, v)


def projection(reduction: str, axis: str) -> Reference:
    return Reference(lambda v: None,
                     lambda result, _, v: check_projection(result, v["image"], reduction, axis))


def comparison(function):
    return Reference(lambda v: function(v["image1"], v["image2"]).astype(np.uint8), exact)


def logical(function):
    return Reference(lambda v: function(v["binary1"] != 0, v["binary2"] != 0).astype(np.uint8),
                     exact)


def arithmetic(function):
    return Reference(quiet(lambda v: function(f32(v["image1"]), f32(v["image2"]))), exact)


REFERENCES: dict[str, Reference] = {
    # Remove noise (test_filters)
    "gaussian_blur": Reference(lambda v: gaussian(v["image"], per_axis(v, "sigma")),
                               smoothing),
    "mean_box": Reference(lambda v: ndi.uniform_filter(
        f64(v["image"]), [2 * r + 1 for r in per_axis(v, "radius")], mode="nearest"),
        smoothing),
    "mean_sphere": Reference(lambda v: ndi.correlate(
        f64(v["image"]), window(v, "sphere") / window(v, "sphere").sum(), mode="nearest"),
        smoothing),
    **{f"{which}_{shape}": Reference(rank(function, shape), exact)
       for which, function in (("minimum", ndi.minimum_filter), ("maximum", ndi.maximum_filter),
                               ("median", ndi.median_filter))
       for shape in ("box", "sphere")},
    **{f"mode_{shape}": Reference(lambda v, shape=shape: mode_reference(
        v["labels"], window(v, shape)), exact) for shape in ("box", "sphere")},
    # Remove background (test_background)
    **{f"{name}_{shape}": Reference(rank(function, shape), exact)
       for name, function in (("top_hat", ndi.white_tophat), ("bottom_hat", ndi.black_tophat),
                              ("opening", ndi.grey_opening), ("closing", ndi.grey_closing))
       for shape in ("box", "sphere")},
    "subtract_gaussian_background": Reference(
        lambda v: f64(v["image"]) - gaussian(v["image"], per_axis(v, "sigma")), smoothing),
    "divide_by_gaussian_background": Reference(divided_by_background,
                                               divide_by_background_check),
    "difference_of_gaussian": Reference(
        lambda v: gaussian(v["image"], per_axis(v, "sigma1"))
        - gaussian(v["image"], per_axis(v, "sigma2")), smoothing),
    # Filter (test_derivatives, test_filters, test_math)
    "gradient_x": Reference(gradient(-1), exact),
    "gradient_y": Reference(gradient(-2), exact),
    "gradient_z": Reference(gradient(-3), exact),
    "sobel": Reference(lambda v: np.sqrt(sum(
        ndi.sobel(f64(v["image"]), axis, mode="nearest") ** 2 for axis in range(v["image"].ndim))),
        smoothing),
    "laplace_box": Reference(lambda v: ndi.correlate(
        f64(v["image"]), laplace_kernel(v["image"].ndim), mode="nearest"), smoothing),
    "hessian_eigenvalues": Reference(lambda v: hessian_reference(
        v["image"], tuple(s if int(4 * s + 0.5) > 0 else 0.0 for s in per_axis(v, "sigma"))),
        hessian_check),
    **{f"variance_{shape}": Reference(windowed_variance(shape), variance_check(False))
       for shape in ("box", "sphere")},
    **{f"standard_deviation_{shape}": Reference(windowed_variance(shape), variance_check(True))
       for shape in ("box", "sphere")},
    "gamma_correction": Reference(quiet(lambda v: gamma_scale(v["image"]) * (
        f64(v["image"]) / gamma_scale(v["image"])) ** v["gamma"]), gamma_check),
    "absolute": Reference(lambda v: np.abs(v["image"]), exact),
    "power": Reference(quiet(lambda v: np.power(f32(v["image"]), np.float32(v["exponent"]))),
                       power_check),
    "square_root": Reference(quiet(lambda v: np.sqrt(f32(v["image"]))), relative(4e-7)),
    "logarithm": Reference(quiet(lambda v: np.log(f32(v["image"]))), logarithm_check),
    "exponential": Reference(quiet(lambda v: np.exp(f32(v["image"]))), relative(4e-7, 1e-44)),
    "clip": Reference(clip_expected, exact),
    # Combine (test_math)
    "add_images": arithmetic(np.add),
    "subtract_images": arithmetic(np.subtract),
    "multiply_images": arithmetic(np.multiply),
    "absolute_difference": arithmetic(lambda a, b: np.abs(a - b)),
    "squared_difference": arithmetic(lambda a, b: np.square(a - b)),
    "divide_images": Reference(quiet(lambda v: f32(v["image1"]) / f32(v["image2"])),
                               relative(3e-7)),
    "add_images_weighted": Reference(quiet(
        lambda v: f32(v["image1"]) * np.float32(v["factor1"])
        + f32(v["image2"]) * np.float32(v["factor2"])), exact),
    "maximum_images": Reference(lambda v: np.maximum(v["image1"], v["image2"]), exact),
    "minimum_images": Reference(lambda v: np.minimum(v["image1"], v["image2"]), exact),
    "mask": Reference(lambda v: np.where(v["binary"] != 0, v["image"], 0).astype(
        v["image"].dtype), exact),
    "add_image_and_scalar": Reference(quiet(
        lambda v: f32(v["image"]) + np.float32(v["scalar"])), exact),
    "multiply_image_and_scalar": Reference(quiet(
        lambda v: f32(v["image"]) * np.float32(v["scalar"])), exact),
    "greater": comparison(np.greater),
    "smaller": comparison(np.less),
    "equal": comparison(np.equal),
    "binary_and": logical(np.logical_and),
    "binary_or": logical(np.logical_or),
    "binary_xor": logical(np.logical_xor),
    # Transform (test_transform)
    "scale": interpolated(zoom_by(lambda v: per_axis(v, "factor"))),
    "resample": interpolated(zoom_by(lambda v: tuple(
        s / v["target_voxel_size"] for s in per_axis(v, "voxel_size")))),
    "rotate": interpolated(rotated),
    "translate": interpolated(translated),
    "affine_transform": interpolated(affine),
    "crop": Reference(cropped, exact),
    "flip": Reference(flipped, exact),
    "transpose": Reference(transposed, exact),
    "sub_stack": Reference(lambda v: v["image"][v["start_z"]:v["end_z"]], exact),
    "reduce_stack": Reference(lambda v: v["image"][v["offset"]::v["step"]], exact),
    "upsample": Reference(repeated, exact),
    "downsample": Reference(block_means, block_means_check),
    # Projection (test_projection)
    **{f"{reduction}_{axis}_projection": projection(reduction, axis)
       for reduction in ("maximum", "minimum", "mean", "sum", "standard_deviation")
       for axis in "zyx"},
    "z_position_of_maximum_z_projection": Reference(lambda v: v["image"].argmax(axis=0),
                                                    exact_values),
    # Binarize (test_morphology, test_threshold, test_math)
    **{f"binary_{which}_{shape}": Reference(binary_morphology(which, shape), exact)
       for which in ("erosion", "dilation", "opening", "closing")
       for shape in ("box", "sphere")},
    **{f"threshold_{method}": Reference(threshold_of(method), threshold_check(method))
       for method in ("otsu", "isodata", "li", "triangle", "yen")},
    "threshold_mean": Reference(lambda v: (v["image"] > f64(v["image"]).mean()).astype(np.uint8),
                                exact),
    "detect_maxima_box": Reference(extrema(ndi.maximum_filter), exact),
    "detect_minima_box": Reference(extrema(ndi.minimum_filter), exact),
    "binary_edge_detection": Reference(lambda v: (
        (v["binary"] != 0) & ~ndi.binary_erosion(v["binary"] != 0, border_value=1)).astype(
        np.uint8), exact),
    "greater_constant": Reference(lambda v: np.greater(v["image"], v["constant"]).astype(
        np.uint8), exact),
    "smaller_constant": Reference(lambda v: np.less(v["image"], v["constant"]).astype(
        np.uint8), exact),
    "equal_constant": Reference(lambda v: np.equal(v["image"], v["constant"]).astype(
        np.uint8), exact),
    "binary_not": Reference(lambda v: (v["binary"] == 0).astype(np.uint8), exact),
    # Label (test_labels, test_labeling)
    "connected_components_labeling": Reference(connected_components, exact),
    "label_spots": Reference(lambda v: np.where(
        v["binary"] != 0, np.cumsum(v["binary"] != 0).reshape(v["binary"].shape), 0).astype(
        np.uint32), exact),
    "masked_voronoi_labeling": Reference(
        lambda v: masked_voronoi_reference(v["binary"] != 0, v["mask"] != 0), exact),
    "voronoi_labeling": Reference(lambda v: None, voronoi_check),
    "watershed_labeling": Reference(watershed_expected, watershed_check),
    # Process labels (test_label_processing)
    "relabel_sequential": Reference(lambda v: sequential(v["labels"]), exact),
    "exclude_labels_on_edges": Reference(lambda v: border_labels_removed(v["labels"]), exact),
    "exclude_small_labels": Reference(keep_sizes(lambda c, v: c > v["maximum_size"]), exact),
    "exclude_large_labels": Reference(keep_sizes(lambda c, v: c < v["minimum_size"]), exact),
    "exclude_labels_outside_size_range": Reference(keep_sizes(
        lambda c, v: (c >= v["minimum_size"]) & (c <= v["maximum_size"])), exact),
    "dilate_labels": Reference(lambda v: skimage.segmentation.expand_labels(
        v["labels"], distance=v["radius"]), unless_tied),
    "extend_labeling_via_voronoi": Reference(nearest_label, unless_tied),
    "erode_labels": Reference(lambda v: sequential(erosion_reference(v["labels"], v["radius"])),
                              exact),
    "opening_labels": Reference(lambda v: opening_reference(v["labels"], v["radius"]), exact),
    "closing_labels": Reference(lambda v: closing_reference(v["labels"], v["radius"]),
                                unless_tied),
    "smooth_labels": Reference(lambda v: sequential(closing_reference(
        opening_reference(v["labels"], v["radius"]), v["radius"])), smooth_check),
    "merge_touching_labels": Reference(lambda v: merge_reference(v["labels"]), exact),
    "combine_labels": Reference(lambda v: sequential(np.where(
        v["labels2"] > 0, v["labels2"].astype(np.int64) + v["labels1"].max(), v["labels1"])),
        exact),
    "subtract_labels": Reference(lambda v: sequential(np.where(v["labels2"] > 0, 0,
                                                               v["labels1"])), exact),
    "reduce_labels_to_centroids": Reference(centroids, exact),
    "reduce_labels_to_label_edges": Reference(lambda v: v["labels"] * (
        skimage.segmentation.find_boundaries(v["labels"], connectivity=1, mode="inner")),
        exact),
    "fill_holes_in_labels": Reference(filled_holes, exact),
    # Measure (test_measure)
    "label_statistics": Reference(lambda v: reference_table(v["image"], v["labels"]),
                                  table_check),
    "pixel_count_map": Reference(lambda v: per_label_map(
        v["labels"], np.bincount(v["labels"].ravel())), exact_values),
    "mean_intensity_map": Reference(intensity_map(ndi.mean), relative(1e-6, 1e-4)),
    "minimum_intensity_map": Reference(intensity_map(ndi.minimum), relative(1e-7, 1e-4)),
    "maximum_intensity_map": Reference(intensity_map(ndi.maximum), relative(1e-7, 1e-4)),
    "standard_deviation_intensity_map": Reference(intensity_map(ndi.standard_deviation),
                                                  relative(1e-5, 1e-4)),
    "distance_to_centroid_map": Reference(lambda v: centroid_distances(v["labels"]),
                                          relative(1e-5, 1e-5)),
    "extension_ratio_map": Reference(extension_ratios, relative(1e-5)),
    "touching_neighbor_count_map": Reference(touching_counts, exact_values),
    "mean_of_touching_neighbors_map": Reference(touching_means, relative(1e-5)),
    "jaccard_index": Reference(overlap(dice=False), scalar_check),
    "sorensen_dice": Reference(overlap(dice=True), scalar_check),
}

# --- the tests -------------------------------------------------------------------------


def arguments_strategy(op, data) -> tuple[tuple[int, ...], dict]:
    ndim = data.draw(st.sampled_from(op.dimensions), label="ndim")
    shape = data.draw(st.tuples(*[st.sampled_from(SIDES)] * ndim), label="shape")
    values = {}
    for parameter in op.parameters:
        if parameter.kind is not None:
            strategy = IMAGES[parameter.kind](shape)
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
        reference.check(result, reference.expected(values), values)


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
    for table in (REFUSALS, SHAPES, REFERENCES, KEEP_VALUES):
        assert set(table) <= set(OPERATIONS), set(table) - set(OPERATIONS)
    assert set(OPERATIONS) >= SEQUENTIAL | RASTER_ORDER | SAME_SHAPE
    assert len(REFERENCES) >= 30
