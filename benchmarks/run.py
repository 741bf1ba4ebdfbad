"""Side-by-side timings: oclip against scipy / scikit-image on the same data.

    python benchmarks/run.py
    python benchmarks/run.py --sizes 64x256x256 --operations gaussian_blur,top_hat_box
    python benchmarks/run.py --output benchmarks/results/pocl-2core.jsonl

Prints one JSON line per (operation, size) on stdout, and a table on stderr:

* ``oclip_s``: median seconds of the operation on an image already on the
  device, the queue finished (device-synchronised);
* ``oclip_numpy_s``: median seconds from a numpy array to a numpy array,
  transfers included (what a script that never calls ``push`` sees);
* ``reference_s``: median seconds of the scipy / scikit-image / numpy equivalent;
* ``ratio``: ``oclip_s / reference_s`` (below 1: oclip is faster).

Each timing is the median of ``--repeat`` runs after one warm-up run (which
also builds the kernels).  The images are synthetic blobs (``oclip.data``).
Not part of the test run.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.ndimage as ndi
import skimage.feature
import skimage.filters
import skimage.filters.rank
import skimage.measure
import skimage.metrics
import skimage.morphology
import skimage.segmentation
import skimage.transform

import oclip
from _common import parse_shape
from oclip import _backend as backend


@dataclass(frozen=True)
class Case:
    """One benchmarked operation: its arguments and its reference."""

    operation: str
    reference_name: str
    reference: Callable[..., Any]
    arguments: dict[str, Any] = field(default_factory=dict)
    inputs: tuple[str, ...] = ("image",)  # names of prepared inputs, in call order
    dimensions: tuple[int, ...] = (2, 3)


def _masked_statistics(values: np.ndarray) -> tuple[Any, ...]:
    """What statistics_of_masked_pixels computes, with numpy in float64."""
    values = values.astype(np.float64)
    return values.size, values.sum(), values.mean(), values.min(), values.max(), values.std()


def _box(radius: int) -> dict[str, int]:
    return {"radius_x": radius, "radius_y": radius, "radius_z": radius}


def _quiet(function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` without numpy's floating-point warnings (NaN, inf, division by 0)."""
    def run(*arrays: np.ndarray) -> Any:
        with np.errstate(all="ignore"):
            return function(*arrays)
    return run


def _copy(function: Callable[[np.ndarray], np.ndarray]) -> Callable[[np.ndarray], np.ndarray]:
    """A numpy view made into a contiguous array, as an operation returns it."""
    return lambda im: np.ascontiguousarray(function(im))


def _projection_cases() -> list[Case]:
    reductions = {"maximum": "max", "minimum": "min", "mean": "mean", "sum": "sum",
                  "standard_deviation": "std"}
    cases = []
    for axis_name, axis in (("z", 0), ("y", 1), ("x", 2)):
        for name, method in reductions.items():
            cases.append(Case(f"{name}_{axis_name}_projection", f"numpy.{method}",
                              lambda im, m=method, a=axis: getattr(im, m)(axis=a),
                              dimensions=(3,)))
    return cases


# A rotation by 10 degrees about z with a shear and a shift, (z, y, x); the z row
# and column are the identity's, so it serves 2D images as well.
_AFFINE = np.array([[1.0, 0.0, 0.0, 0.0],
                    [0.0, 0.98, 0.17, -3.5],
                    [0.0, -0.2, 0.98, 2.25],
                    [0.0, 0.0, 0.0, 1.0]])


# The ellipse of radius 2 of extended_depth_of_focus_variance_projection's window.
_FOCUS_DISK = np.add.outer(np.arange(-2, 3) ** 2, np.arange(-2, 3) ** 2) <= 4


def _in_focus(im: np.ndarray, focus: np.ndarray) -> np.ndarray:
    """The stack at the plane of the largest focus measure, smoothed in the plane."""
    smoothed = ndi.gaussian_filter(focus, (0.0, 2.0, 2.0), mode="nearest")
    return np.take_along_axis(im, smoothed.argmax(axis=0)[np.newaxis], axis=0)[0]


def _plane_variance(im: np.ndarray) -> np.ndarray:
    """The variance over _FOCUS_DISK in each plane (mean of squares minus squared mean)."""
    weights = (_FOCUS_DISK / _FOCUS_DISK.sum())[np.newaxis]
    values = im.astype(np.float32)
    mean = ndi.correlate(values, weights, mode="nearest")
    return ndi.correlate(values * values, weights, mode="nearest") - mean * mean


def _plane_sobel(im: np.ndarray, axis: int) -> np.ndarray:
    """scipy.ndimage.sobel along ``axis`` (1 or 2) of each plane alone."""
    difference = ndi.correlate1d(im.astype(np.float32), [-1.0, 0.0, 1.0], axis=axis,
                                 mode="nearest")
    return ndi.correlate1d(difference, [1.0, 2.0, 1.0], axis=3 - axis, mode="nearest")


def _last_axes(im: np.ndarray) -> tuple[int, int]:
    return im.ndim - 2, im.ndim - 1


def _sigmas(sigma: float, prefix: str = "sigma") -> dict[str, float]:
    return {f"{prefix}_{axis}": sigma for axis in "xyz"}


def _ball(image: np.ndarray, radius: int) -> np.ndarray:
    """The sphere window of oclip (a disk or ball of equal radii)."""
    shape = skimage.morphology.ball if image.ndim == 3 else skimage.morphology.disk
    return shape(radius).astype(bool)


def _cube(image: np.ndarray, radius: int) -> np.ndarray:
    return np.ones((2 * radius + 1,) * image.ndim, bool)


def _window_moments(image: np.ndarray, footprint: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """E[x] and E[x^2] over a window in float64 (the usual scipy idiom for a
    local variance; generic_filter with numpy.var takes minutes here)."""
    x = image.astype(np.float64)
    weights = footprint / footprint.sum()
    if footprint.all():
        mean = ndi.uniform_filter(x, footprint.shape, mode="nearest")
        return mean, ndi.uniform_filter(x * x, footprint.shape, mode="nearest")
    return (ndi.correlate(x, weights, mode="nearest"),
            ndi.correlate(x * x, weights, mode="nearest"))


def _variance(image: np.ndarray, footprint: np.ndarray) -> np.ndarray:
    mean, square = _window_moments(image, footprint)
    return square - mean * mean


def _binary(which: str, binary: np.ndarray, footprint: np.ndarray) -> np.ndarray:
    """Binary morphology with the edge replicated: erosion with border_value=1."""
    erode = lambda b: ndi.binary_erosion(b, footprint, border_value=1)  # noqa: E731
    dilate = lambda b: ndi.binary_dilation(b, footprint)  # noqa: E731
    steps = {"erosion": [erode], "dilation": [dilate], "opening": [erode, dilate],
             "closing": [dilate, erode]}[which]
    for step in steps:
        binary = step(binary)
    return binary


def _hessian_eigenvalues(image: np.ndarray, sigma: float) -> np.ndarray:
    elements = skimage.feature.hessian_matrix(image, sigma, mode="nearest",
                                              use_gaussian_derivatives=False, order="rc")
    return skimage.feature.hessian_matrix_eigvals(elements)


def _divide(image: np.ndarray, background: np.ndarray) -> np.ndarray:
    return np.divide(image, background, out=np.zeros_like(background), where=background != 0)


def _laplace_kernel(ndim: int) -> np.ndarray:
    """oclip's box Laplacian: 3**ndim - 1 at the centre, -1 around."""
    kernel = -np.ones((3,) * ndim)
    kernel[(1,) * ndim] = 3**ndim - 1
    return kernel


_BINARY_REFERENCES = {"erosion": "binary_erosion", "dilation": "binary_dilation",
                      "opening": "binary_erosion + binary_dilation",
                      "closing": "binary_dilation + binary_erosion"}

#: Radii of the cases below: small for rank filters and statistics, larger for
#: the morphological background (as the README's examples).
RANK, MORPHOLOGY_BOX, MORPHOLOGY_SPHERE, BINARY = 1, 5, 3, 2


def _rigid_matrix(shape: tuple[int, ...]) -> np.ndarray:
    """rigid_transform's map for angle_z 30 and the shift (2.5, -1.5, 0.5) (x, y, z)."""
    c, s = np.cos(np.radians(30.0)), np.sin(np.radians(30.0))
    rotation = np.eye(3)
    rotation[1:, 1:] = [[c, s], [-s, c]]
    rotation = rotation[3 - len(shape):, 3 - len(shape):]
    centre = (np.array(shape, float) - 1) / 2
    shift = np.array((0.5, -1.5, 2.5)[3 - len(shape):])
    return np.column_stack([rotation, centre - rotation @ (centre + shift)])


def _deskew_map(shape: tuple[int, ...], sheet: str) -> tuple[np.ndarray, tuple[int, ...]]:
    """deskew_<sheet>'s map (angle 30, stage step 2 pixels) and output shape."""
    axis = 1 if sheet == "y" else 2
    s, c = np.sin(np.radians(30.0)), np.cos(np.radians(30.0))
    forward = np.eye(3)
    forward[0, 0], forward[0, axis], forward[axis, axis], forward[axis, 0] = 0.0, -s, c, 2.0
    out = [round(shape[axis] * s), 0, 0]
    out[axis] = round(shape[axis] * c + shape[0] * 2.0)
    out[3 - axis] = shape[3 - axis]
    inverse = np.linalg.inv(forward)
    centre, out_centre = (np.array(shape) - 1) / 2, (np.array(out) - 1) / 2
    return np.column_stack([inverse, centre - inverse @ out_centre]), tuple(out)


def _pasted(image: np.ndarray, destination: np.ndarray) -> np.ndarray:
    out = destination.copy()
    target = out[..., 8:, 16:]
    target[...] = image[..., :target.shape[-2], :target.shape[-1]]
    return out


def _stitched(first: np.ndarray, second: np.ndarray, overlap: int) -> np.ndarray:
    w = np.arange(1, overlap + 1, dtype=np.float32) / (overlap + 1)
    width = first.shape[-1]
    blend = (1 - w) * first[..., width - overlap:] + w * second[..., :overlap]
    return np.concatenate([first[..., :width - overlap], blend, second[..., overlap:]],
                          axis=-1)


CASES = [
    Case("gaussian_blur", "scipy.ndimage.gaussian_filter",
         lambda im: ndi.gaussian_filter(im, 2.0, mode="nearest"),
         {"sigma_x": 2.0, "sigma_y": 2.0, "sigma_z": 2.0}),
    Case("mean_box", "scipy.ndimage.uniform_filter",
         lambda im: ndi.uniform_filter(im, 3, mode="nearest"), _box(1)),
    Case("minimum_box", "scipy.ndimage.minimum_filter",
         lambda im: ndi.minimum_filter(im, 3, mode="nearest"), _box(1)),
    Case("maximum_box", "scipy.ndimage.maximum_filter",
         lambda im: ndi.maximum_filter(im, 3, mode="nearest"), _box(1)),
    Case("top_hat_box", "scipy.ndimage.white_tophat",
         lambda im: ndi.white_tophat(im, 21, mode="nearest"), _box(10)),
    Case("add_images", "numpy.add", np.add, inputs=("image", "image2")),
    Case("multiply_image_and_scalar", "numpy.multiply",
         lambda im: im * np.float32(2.0), {"scalar": 2.0}),
    Case("gamma_correction", "numpy.power", _quiet(lambda im: np.power(im, np.float32(0.5))),
         {"gamma": 0.5}),
    Case("absolute", "numpy.absolute", np.absolute),
    Case("power", "numpy.power", _quiet(lambda im: np.power(im, np.float32(2.0))),
         {"exponent": 2.0}),
    Case("square_root", "numpy.sqrt", _quiet(np.sqrt)),
    Case("logarithm", "numpy.log", _quiet(np.log)),
    Case("exponential", "numpy.exp", _quiet(np.exp)),
    Case("clip", "numpy.clip", lambda im: np.clip(im, np.float32(0), np.float32(1)),
         {"min": 0.0, "max": 1.0}),
    Case("add_images_weighted", "numpy (a * f1 + b * f2)",
         lambda a, b: a * np.float32(0.3) + b * np.float32(0.7),
         {"factor1": 0.3, "factor2": 0.7}, inputs=("image", "image2")),
    Case("subtract_images", "numpy.subtract", np.subtract, inputs=("image", "image2")),
    Case("multiply_images", "numpy.multiply", np.multiply, inputs=("image", "image2")),
    Case("divide_images", "numpy.divide", _quiet(np.divide), inputs=("image", "image2")),
    Case("absolute_difference", "numpy.abs(a - b)", lambda a, b: np.abs(a - b),
         inputs=("image", "image2")),
    Case("squared_difference", "numpy.square(a - b)", lambda a, b: np.square(a - b),
         inputs=("image", "image2")),
    Case("maximum_images", "numpy.maximum", np.maximum, inputs=("image", "image2")),
    Case("minimum_images", "numpy.minimum", np.minimum, inputs=("image", "image2")),
    Case("mask", "numpy.where", lambda im, b: np.where(b != 0, im, np.float32(0)),
         inputs=("image", "binary")),
    Case("add_image_and_scalar", "numpy.add", lambda im: im + np.float32(1.0), {"scalar": 1.0}),
    Case("greater", "numpy.greater", np.greater, inputs=("image", "image2")),
    Case("smaller", "numpy.less", np.less, inputs=("image", "image2")),
    Case("equal", "numpy.equal", np.equal, inputs=("image", "image2")),
    Case("binary_and", "numpy.logical_and", np.logical_and, inputs=("binary", "binary2")),
    Case("binary_or", "numpy.logical_or", np.logical_or, inputs=("binary", "binary2")),
    Case("binary_xor", "numpy.logical_xor", np.logical_xor, inputs=("binary", "binary2")),
    Case("greater_constant", "numpy.greater", lambda im: im > 0.5, {"constant": 0.5}),
    Case("smaller_constant", "numpy.less", lambda im: im < 0.5, {"constant": 0.5}),
    Case("equal_constant", "numpy.equal", lambda im: im == 0.5, {"constant": 0.5}),
    Case("binary_not", "numpy.logical_not", np.logical_not, inputs=("binary",)),
    Case("square", "numpy.square", _quiet(np.square)),
    Case("reciprocal", "numpy.reciprocal", _quiet(np.reciprocal)),
    Case("cube_root", "numpy.cbrt", np.cbrt),
    Case("negate", "numpy.negative", np.negative),
    Case("degrees_to_radians", "numpy.deg2rad", np.deg2rad),
    Case("radians_to_degrees", "numpy.rad2deg", np.rad2deg),
    Case("nan_to_num", "numpy.nan_to_num", np.nan_to_num),
    Case("multiply_image_and_coordinate", "numpy (image * arange)",
         lambda im: im * np.arange(im.shape[-1], dtype=np.float32), {"axis": "x"}),
    Case("power_images", "numpy.power", _quiet(np.power), inputs=("image", "image2")),
    Case("modulo_images", "numpy.remainder", _quiet(np.remainder), inputs=("image", "image2")),
    Case("modulo_image_and_scalar", "numpy.remainder",
         lambda im: np.remainder(im, np.float32(0.25)), {"scalar": 0.25}),
    Case("maximum_image_and_scalar", "numpy.maximum",
         lambda im: np.maximum(im, np.float32(0.5)), {"scalar": 0.5}),
    Case("minimum_image_and_scalar", "numpy.minimum",
         lambda im: np.minimum(im, np.float32(0.5)), {"scalar": 0.5}),
    Case("subtract_image_from_scalar", "numpy.subtract", lambda im: np.float32(1.0) - im,
         {"scalar": 1.0}),
    Case("divide_scalar_by_image", "numpy.divide", _quiet(lambda im: np.float32(1.0) / im),
         {"scalar": 1.0}),
    Case("greater_or_equal", "numpy.greater_equal", np.greater_equal,
         inputs=("image", "image2")),
    Case("smaller_or_equal", "numpy.less_equal", np.less_equal, inputs=("image", "image2")),
    Case("not_equal", "numpy.not_equal", np.not_equal, inputs=("image", "image2")),
    Case("greater_or_equal_constant", "numpy.greater_equal", lambda im: im >= 0.5,
         {"constant": 0.5}),
    Case("smaller_or_equal_constant", "numpy.less_equal", lambda im: im <= 0.5,
         {"constant": 0.5}),
    Case("not_equal_constant", "numpy.not_equal", lambda im: im != 0.5, {"constant": 0.5}),
    Case("binary_subtract", "numpy (a & ~b)", lambda a, b: np.logical_and(a, np.logical_not(b)),
         inputs=("binary", "binary2")),
    *_projection_cases(),
    Case("z_position_of_maximum_z_projection", "numpy.argmax", lambda im: im.argmax(axis=0),
         dimensions=(3,)),
    Case("x_position_of_minimum_x_projection", "numpy.argmin", lambda im: im.argmin(axis=2),
         dimensions=(3,)),
    Case("median_z_projection", "numpy.median", lambda im: np.median(im, axis=0),
         dimensions=(3,)),
    Case("percentile_z_projection", "numpy.percentile",
         lambda im: np.percentile(im, 90.0, axis=0), {"percentile": 90.0}, dimensions=(3,)),
    Case("z_position_projection", "numpy.take_along_axis",
         lambda im, z: np.take_along_axis(im, z.astype(np.intp)[np.newaxis], axis=0)[0],
         inputs=("image", "z_position"), dimensions=(3,)),
    Case("z_position_range_projection", "numpy.take_along_axis",
         lambda im, z: np.stack([np.take_along_axis(
             im, np.clip(z.astype(np.intp) + o, 0, im.shape[0] - 1)[np.newaxis], axis=0)[0]
             for o in range(-2, 3)]),
         {"start_z": -2, "end_z": 2}, inputs=("image", "z_position"), dimensions=(3,)),
    Case("extended_depth_of_focus_variance_projection",
         "scipy.ndimage.correlate (variance) + gaussian_filter + take_along_axis",
         lambda im: _in_focus(im, _plane_variance(im)),
         {"radius_x": 2, "radius_y": 2, "sigma_x": 2.0, "sigma_y": 2.0}, dimensions=(3,)),
    Case("extended_depth_of_focus_sobel_projection",
         "scipy.ndimage.sobel + gaussian_filter + take_along_axis",
         lambda im: _in_focus(im, np.hypot(_plane_sobel(im, 1), _plane_sobel(im, 2))),
         {"sigma_x": 2.0, "sigma_y": 2.0}, dimensions=(3,)),
    Case("crop", "numpy slicing", _copy(lambda im: im[..., 8:40, 32:160, 32:160]
                                        if im.ndim == 3 else im[32:160, 32:160]),
         {"start_x": 32, "start_y": 32, "start_z": 8, "size_x": 128, "size_y": 128,
          "size_z": 32}),
    Case("flip", "numpy.flip", _copy(lambda im: np.flip(im, (-1, -2))),
         {"flip_x": True, "flip_y": True}),
    Case("transpose", "numpy.swapaxes", _copy(lambda im: np.swapaxes(im, -1, -2)),
         {"which": "xy"}),
    Case("scale", "scipy.ndimage.zoom",
         lambda im: ndi.zoom(im, (1, 2, 2)[-im.ndim:], order=1, mode="nearest",
                             grid_mode=True),
         {"factor_x": 2.0, "factor_y": 2.0, "factor_z": 1.0, "interpolation": "linear"}),
    Case("rotate", "scipy.ndimage.rotate",
         lambda im: ndi.rotate(im, 30.0, axes=_last_axes(im), reshape=False, order=1,
                               mode="nearest"),
         {"angle_z": 30.0, "interpolation": "linear"}),
    Case("translate", "scipy.ndimage.shift",
         lambda im: ndi.shift(im, (0.5, -1.5, 2.5)[-im.ndim:], order=1, mode="nearest"),
         {"translate_x": 2.5, "translate_y": -1.5, "translate_z": 0.5,
          "interpolation": "linear"}),
    Case("affine_transform", "scipy.ndimage.affine_transform",
         lambda im: ndi.affine_transform(im, _AFFINE[-im.ndim - 1:, -im.ndim - 1:], order=1,
                                         mode="nearest"),
         {"matrix": tuple(_AFFINE.ravel()), "interpolation": "linear"}),
    Case("resample", "scipy.ndimage.zoom",
         lambda im: ndi.zoom(im, (2.0, 0.5, 0.5)[-im.ndim:], order=1, mode="nearest",
                             grid_mode=True),
         {"voxel_size_x": 0.5, "voxel_size_y": 0.5, "voxel_size_z": 2.0,
          "target_voxel_size": 1.0}),
    Case("downsample", "skimage.transform.downscale_local_mean",
         lambda im: skimage.transform.downscale_local_mean(im, (2,) * im.ndim),
         {"factor_x": 2, "factor_y": 2, "factor_z": 2}),
    Case("upsample", "numpy.repeat",
         lambda im: np.repeat(np.repeat(im, 2, axis=-1), 2, axis=-2),
         {"factor_x": 2, "factor_y": 2, "factor_z": 1}),
    Case("sub_stack", "numpy slicing", lambda im: im[16:48].copy(),
         {"start_z": 16, "end_z": 48}, dimensions=(3,)),
    Case("reduce_stack", "numpy slicing", _copy(lambda im: im[1::2]),
         {"step": 2, "offset": 1}, dimensions=(3,)),
    Case("rigid_transform", "scipy.ndimage.affine_transform",
         lambda im: ndi.affine_transform(im, _rigid_matrix(im.shape), order=1, mode="nearest"),
         {"translate_x": 2.5, "translate_y": -1.5, "translate_z": 0.5, "angle_z": 30.0,
          "interpolation": "linear"}),
    Case("deskew_y", "scipy.ndimage.affine_transform (mode grid-constant)",
         lambda im: ndi.affine_transform(im, *_deskew_map(im.shape, "y"), order=1,
                                         mode="grid-constant"),
         {"angle": 30.0, "voxel_size_z": 2.0}, dimensions=(3,)),
    Case("deskew_x", "scipy.ndimage.affine_transform (mode grid-constant)",
         lambda im: ndi.affine_transform(im, *_deskew_map(im.shape, "x"), order=1,
                                         mode="grid-constant"),
         {"angle": 30.0, "voxel_size_z": 2.0}, dimensions=(3,)),
    Case("apply_vector_field", "scipy.ndimage.map_coordinates",
         lambda im, *v: ndi.map_coordinates(
             im, np.indices(im.shape, dtype=np.float32) + np.stack(v[-im.ndim:]), order=1,
             mode="nearest"),
         {"interpolation": "linear"}, inputs=("image", "vector", "vector", "vector")),
    Case("concatenate_stacks", "numpy.concatenate",
         lambda a, b: np.concatenate([a, b]), inputs=("image", "image2"), dimensions=(3,)),
    Case("combine_horizontally", "numpy.concatenate",
         lambda a, b: np.concatenate([a, b], axis=-1), inputs=("image", "image2")),
    Case("paste", "numpy slicing assignment", _pasted, {"destination_x": 16, "destination_y": 8},
         inputs=("image2", "image")),
    Case("crop_border", "numpy slicing", _copy(lambda im: im[(slice(2, -2),) * im.ndim]),
         {"border_size": 2}),
    Case("downsample_slice_by_slice_half_median", "numpy.median of 2x2 blocks",
         lambda im: np.median(im.reshape(*im.shape[:-2], im.shape[-2] // 2, 2,
                                         im.shape[-1] // 2, 2), axis=(-3, -1))),
    Case("stitch_horizontally", "numpy blend + concatenate",
         lambda a, b: _stitched(a, b, 32), {"overlap": 32}, inputs=("image", "image2")),
    Case("threshold_otsu", "skimage.filters.threshold_otsu",
         lambda im: im > skimage.filters.threshold_otsu(im)),
    Case("connected_components_labeling", "scipy.ndimage.label",
         lambda b: ndi.label(b, structure=np.ones((3,) * b.ndim))[0],
         {"connectivity": "box"}, inputs=("binary",)),
    *[Case(f"threshold_{m}", f"skimage.filters.threshold_{m}",
           (lambda f: lambda im: im > f(im))(getattr(skimage.filters, f"threshold_{m}")))
      for m in ("isodata", "li", "mean", "triangle", "yen")],
    Case("detect_maxima_box", "scipy.ndimage.maximum_filter",
         lambda im: ndi.maximum_filter(im, 3, mode="nearest") == im, _box(1)),
    Case("binary_edge_detection", "skimage.segmentation.find_boundaries",
         lambda b: skimage.segmentation.find_boundaries(b, connectivity=1, mode="inner"),
         inputs=("binary",)),
    Case("label_spots", "numpy.cumsum", lambda b: np.where(b, np.cumsum(b).reshape(b.shape), 0),
         inputs=("binary",)),
    Case("gauss_otsu_labeling", "scipy.ndimage.gaussian_filter + threshold_otsu + label",
         lambda im: _gauss_otsu(im, 2.0), {"outline_sigma": 2.0}),
    Case("voronoi_otsu_labeling", "scipy/skimage steps (see tests)",
         lambda im: _voronoi_otsu(im, 2.0, 2.0), {"spot_sigma": 2.0, "outline_sigma": 2.0}),
    Case("voronoi_labeling", "scipy.ndimage.label + distance_transform_edt",
         lambda b: _nearest(ndi.label(b, structure=np.ones((3,) * b.ndim))[0]),
         inputs=("binary",)),
    Case("watershed_labeling", "skimage.segmentation.watershed",
         lambda im, seeds: skimage.segmentation.watershed(im, seeds), inputs=("relief", "seeds")),
    Case("relabel_sequential", "skimage.segmentation.relabel_sequential",
         lambda lab: skimage.segmentation.relabel_sequential(lab)[0], inputs=("gapped",)),
    Case("exclude_labels_on_edges", "skimage.segmentation.clear_border",
         skimage.segmentation.clear_border, inputs=("labels",)),
    Case("exclude_small_labels", "skimage.morphology.remove_small_objects",
         lambda lab: skimage.morphology.remove_small_objects(lab, max_size=100),
         {"maximum_size": 100}, inputs=("labels",)),
    Case("dilate_labels", "skimage.segmentation.expand_labels",
         lambda lab: skimage.segmentation.expand_labels(lab, 2), {"radius": 2},
         inputs=("labels",)),
    Case("extend_labeling_via_voronoi", "scipy.ndimage.distance_transform_edt",
         lambda lab: _nearest(lab), inputs=("labels",)),
    Case("erode_labels", "scipy.ndimage.minimum_filter + maximum_filter",
         lambda lab: _erode(lab, 1), {"radius": 1}, inputs=("labels",)),
    Case("reduce_labels_to_label_edges", "skimage.segmentation.find_boundaries",
         lambda lab: lab * skimage.segmentation.find_boundaries(lab, connectivity=1,
                                                                mode="inner"),
         inputs=("labels",)),
    Case("label_statistics", "skimage.measure.regionprops_table",
         lambda im, lab: skimage.measure.regionprops_table(lab, im, properties=_PROPERTIES),
         inputs=("image", "labels")),
    Case("mean_intensity_map", "scipy.ndimage.mean",
         lambda im, lab: ndi.mean(im, lab, np.arange(lab.max() + 1))[lab],
         inputs=("image", "labels")),
    Case("pixel_count_map", "numpy.bincount", lambda lab: np.bincount(lab.ravel())[lab],
         inputs=("labels",)),
    Case("jaccard_index", "numpy", lambda a, b: (a & b).sum() / (a | b).sum(),
         inputs=("binary", "binary2")),
    # --- whole-image reductions (ops/statistics.py) ---
    Case("sum_of_all_pixels", "numpy.sum (float64)", lambda im: im.sum(dtype=np.float64)),
    Case("mean_of_all_pixels", "numpy.mean (float64)", lambda im: im.mean(dtype=np.float64)),
    Case("minimum_of_all_pixels", "numpy.min", lambda im: im.min()),
    Case("maximum_of_all_pixels", "numpy.max", lambda im: im.max()),
    Case("standard_deviation_of_all_pixels", "numpy.std (float64)",
         lambda im: im.std(dtype=np.float64)),
    Case("statistics_of_masked_pixels", "numpy sum/mean/min/max/std of image[mask]",
         lambda im, m: _masked_statistics(im[m != 0]), inputs=("image", "binary")),
    Case("statistics_of_image", "numpy sum/mean/min/max/std, argmin, argmax",
         lambda im: (_masked_statistics(im), im.argmin(), im.argmax())),
    Case("position_of_maximum", "numpy.argmax + unravel_index",
         lambda im: np.unravel_index(im.argmax(), im.shape)),
    Case("position_of_minimum", "numpy.argmin + unravel_index",
         lambda im: np.unravel_index(im.argmin(), im.shape)),
    Case("center_of_mass", "scipy.ndimage.center_of_mass", ndi.center_of_mass),
    Case("histogram", "numpy.histogram", lambda im: np.histogram(im, 256),
         {"bins": 256}),
    Case("mean_squared_error", "skimage.metrics.mean_squared_error",
         lambda a, b: skimage.metrics.mean_squared_error(a, b), inputs=("image", "image2")),
    # --- neighbourhood filters ---
    Case("mean_sphere", "scipy.ndimage.correlate (ball / size)",
         lambda im: ndi.correlate(im, _ball(im, 2) / _ball(im, 2).sum(), mode="nearest"),
         _box(2)),
    Case("minimum_sphere", "scipy.ndimage.minimum_filter (ball)",
         lambda im: ndi.minimum_filter(im, footprint=_ball(im, 3), mode="nearest"), _box(3)),
    Case("maximum_sphere", "scipy.ndimage.maximum_filter (ball)",
         lambda im: ndi.maximum_filter(im, footprint=_ball(im, 3), mode="nearest"), _box(3)),
    Case("median_box", "scipy.ndimage.median_filter",
         lambda im: ndi.median_filter(im, 2 * RANK + 1, mode="nearest"), _box(RANK)),
    Case("median_sphere", "scipy.ndimage.median_filter (ball)",
         lambda im: ndi.median_filter(im, footprint=_ball(im, 2), mode="nearest"), _box(2)),
    Case("mode_box", "skimage.filters.rank.majority",
         lambda lab: skimage.filters.rank.majority(lab.astype(np.uint16), _cube(lab, RANK)),
         _box(RANK), inputs=("labels",)),
    Case("mode_sphere", "skimage.filters.rank.majority (ball)",
         lambda lab: skimage.filters.rank.majority(lab.astype(np.uint16), _ball(lab, RANK)),
         _box(RANK), inputs=("labels",)),
    Case("top_hat_sphere", "scipy.ndimage.white_tophat (ball)",
         lambda im: ndi.white_tophat(im, footprint=_ball(im, MORPHOLOGY_SPHERE),
                                     mode="nearest"), _box(MORPHOLOGY_SPHERE)),
    Case("bottom_hat_box", "scipy.ndimage.black_tophat",
         lambda im: ndi.black_tophat(im, 2 * MORPHOLOGY_BOX + 1, mode="nearest"),
         _box(MORPHOLOGY_BOX)),
    Case("bottom_hat_sphere", "scipy.ndimage.black_tophat (ball)",
         lambda im: ndi.black_tophat(im, footprint=_ball(im, MORPHOLOGY_SPHERE),
                                     mode="nearest"), _box(MORPHOLOGY_SPHERE)),
    Case("subtract_gaussian_background", "image - scipy.ndimage.gaussian_filter",
         lambda im: im - ndi.gaussian_filter(im, 2.0, mode="nearest"), _sigmas(2.0)),
    Case("divide_by_gaussian_background", "image / scipy.ndimage.gaussian_filter",
         lambda im: _divide(im, ndi.gaussian_filter(im, 2.0, mode="nearest")), _sigmas(2.0)),
    Case("difference_of_gaussian", "skimage.filters.difference_of_gaussians",
         lambda im: skimage.filters.difference_of_gaussians(im, 2.0, 4.0, mode="nearest"),
         {**_sigmas(2.0, "sigma1"), **_sigmas(4.0, "sigma2")}),
    Case("gradient_x", "scipy.ndimage.correlate1d",
         lambda im: ndi.correlate1d(im, [-0.5, 0, 0.5], axis=-1, mode="nearest")),
    Case("gradient_y", "scipy.ndimage.correlate1d",
         lambda im: ndi.correlate1d(im, [-0.5, 0, 0.5], axis=-2, mode="nearest")),
    Case("gradient_z", "scipy.ndimage.correlate1d",
         lambda im: ndi.correlate1d(im, [-0.5, 0, 0.5], axis=0, mode="nearest"),
         dimensions=(3,)),
    Case("sobel", "scipy.ndimage.sobel (root of the sum of squares)",
         lambda im: np.sqrt(sum(ndi.sobel(im, axis, mode="nearest") ** 2
                                for axis in range(im.ndim)))),
    Case("laplace_box", "scipy.ndimage.correlate",
         lambda im: ndi.correlate(im, _laplace_kernel(im.ndim), mode="nearest")),
    Case("variance_box", "scipy.ndimage.uniform_filter (E[x^2] - E[x]^2)",
         lambda im: _variance(im, _cube(im, RANK)), _box(RANK)),
    Case("variance_sphere", "scipy.ndimage.correlate (E[x^2] - E[x]^2, ball)",
         lambda im: _variance(im, _ball(im, RANK)), _box(RANK)),
    Case("standard_deviation_box", "scipy.ndimage.uniform_filter (root of the variance)",
         lambda im: np.sqrt(_variance(im, _cube(im, RANK))), _box(RANK)),
    Case("standard_deviation_sphere", "scipy.ndimage.correlate (root of the variance, ball)",
         lambda im: np.sqrt(_variance(im, _ball(im, RANK))), _box(RANK)),
    Case("opening_box", "scipy.ndimage.grey_opening",
         lambda im: ndi.grey_opening(im, 2 * MORPHOLOGY_BOX + 1, mode="nearest"),
         _box(MORPHOLOGY_BOX)),
    Case("opening_sphere", "scipy.ndimage.grey_opening (ball)",
         lambda im: ndi.grey_opening(im, footprint=_ball(im, MORPHOLOGY_SPHERE),
                                     mode="nearest"), _box(MORPHOLOGY_SPHERE)),
    Case("closing_box", "scipy.ndimage.grey_closing",
         lambda im: ndi.grey_closing(im, 2 * MORPHOLOGY_BOX + 1, mode="nearest"),
         _box(MORPHOLOGY_BOX)),
    Case("closing_sphere", "scipy.ndimage.grey_closing (ball)",
         lambda im: ndi.grey_closing(im, footprint=_ball(im, MORPHOLOGY_SPHERE),
                                     mode="nearest"), _box(MORPHOLOGY_SPHERE)),
    Case("hessian_eigenvalues", "skimage.feature.hessian_matrix_eigvals",
         lambda im: _hessian_eigenvalues(im, 2.0), _sigmas(2.0)),
    *(Case(f"binary_{which}_{window}",
           f"scipy.ndimage.{_BINARY_REFERENCES[which]}{' (ball)' if window == 'sphere' else ''}",
           lambda b, which=which, window=window: _binary(
               which, b, (_ball if window == "sphere" else _cube)(b, BINARY)),
           _box(BINARY), inputs=("binary",))
      for which in ("erosion", "dilation", "opening", "closing")
      for window in ("box", "sphere")),
]

_PROPERTIES = ["label", "area", "bbox", "centroid", "centroid_weighted",
               "equivalent_diameter_area", "intensity_max", "intensity_mean", "intensity_min",
               "intensity_std"]


def _gauss_otsu(image: np.ndarray, sigma: float) -> np.ndarray:
    blurred = ndi.gaussian_filter(image, sigma, mode="nearest")
    binary = blurred > skimage.filters.threshold_otsu(blurred)
    return ndi.label(binary, structure=np.ones((3,) * image.ndim))[0]


def _voronoi_otsu(image: np.ndarray, spot_sigma: float, outline_sigma: float) -> np.ndarray:
    """The steps of voronoi_otsu_labeling with scipy/skimage (growth: watershed on a
    flat image within the mask, the closest library equivalent)."""
    blurred = ndi.gaussian_filter(image, spot_sigma, mode="nearest")
    spots = ndi.maximum_filter(blurred, 3, mode="nearest") == blurred
    outline = ndi.gaussian_filter(image, outline_sigma, mode="nearest")
    mask = outline > skimage.filters.threshold_otsu(outline)
    seeds = ndi.label(spots & mask, structure=np.ones((3,) * image.ndim))[0]
    return skimage.segmentation.watershed(np.zeros(image.shape, np.uint8), seeds, mask=mask)


def _nearest(labels: np.ndarray) -> np.ndarray:
    _, indices = ndi.distance_transform_edt(labels == 0, return_indices=True)
    return labels[tuple(indices)]


def _erode(labels: np.ndarray, radius: int) -> np.ndarray:
    footprint = ndi.generate_binary_structure(labels.ndim, 1) if radius == 1 else None
    same = ((ndi.minimum_filter(labels, footprint=footprint, mode="nearest") == labels)
            & (ndi.maximum_filter(labels, footprint=footprint, mode="nearest") == labels))
    return skimage.segmentation.relabel_sequential(labels * same)[0]


def median_seconds(function: Callable[[], Any], repeat: int) -> float:
    """Median wall time of ``function`` after one warm-up call; the device is
    synchronised after every call."""
    function()
    backend.synchronize()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        backend.synchronize()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def prepare_inputs(shape: tuple[int, ...]) -> dict[str, np.ndarray]:
    """Blob images, their Otsu foregrounds, the labels of the first (and with gaps),
    and a relief with seeds for the watershed."""
    count = max(1, int(np.prod(shape)) // (9000 if len(shape) == 3 else 1100))
    image = oclip.data.blobs(shape, count=count, seed=1)
    image2 = oclip.data.blobs(shape, count=count, seed=2)
    binary = (image > skimage.filters.threshold_otsu(image)).astype(np.uint8)
    binary2 = (image2 > skimage.filters.threshold_otsu(image2)).astype(np.uint8)
    labels = ndi.label(binary, structure=np.ones((3,) * len(shape)))[0].astype(np.uint32)
    gapped = labels * 3
    # watershed: the inverted blurred image from its regional maxima
    blurred = ndi.gaussian_filter(image, 2.0)
    relief = (blurred.max() - blurred).astype(np.float32)
    peaks = (ndi.maximum_filter(blurred, 5) == blurred) & (blurred > blurred.mean())
    seeds = ndi.label(peaks)[0].astype(np.uint32)
    inputs = {"image": image, "image2": image2, "binary": binary, "binary2": binary2,
              "labels": labels, "gapped": gapped, "relief": relief, "seeds": seeds}
    # a smooth displacement of a few pixels, for apply_vector_field
    inputs["vector"] = (3.0 * np.sin(np.indices(shape)[-1] / 17.0)).astype(np.float32)
    if len(shape) == 3:  # the plane of each pixel's maximum, for the z position projections
        inputs["z_position"] = image.argmax(axis=0).astype(np.uint32)
    return inputs


def run_case(case: Case, inputs: dict[str, np.ndarray], repeat: int) -> dict[str, Any]:
    function = getattr(oclip, case.operation)
    host = [inputs[name] for name in case.inputs]
    on_device = [oclip.push(array) for array in host]
    oclip_s = median_seconds(lambda: function(*on_device, **case.arguments), repeat)
    oclip_numpy_s = median_seconds(lambda: function(*host, **case.arguments), repeat)
    reference_s = median_seconds(lambda: case.reference(*host), repeat)
    shape = host[0].shape
    return {
        "operation": case.operation,
        "shape": "x".join(map(str, shape)),
        "dtype": str(host[0].dtype),
        "arguments": case.arguments,
        "device": oclip.current_device().name,
        "oclip_s": oclip_s,
        "oclip_numpy_s": oclip_numpy_s,
        "reference": case.reference_name,
        "reference_s": reference_s,
        "ratio": oclip_s / reference_s,
        "host": platform.processor() or platform.machine(),
    }


def transfer_row(inputs: dict[str, np.ndarray], repeat: int) -> dict[str, Any]:
    """push + pull of the image (no reference: copying within host memory)."""
    image = inputs["image"]
    seconds = median_seconds(lambda: oclip.pull(oclip.push(image)), repeat)
    copy_s = median_seconds(lambda: image.copy(), repeat)
    return {
        "operation": "push+pull", "shape": "x".join(map(str, image.shape)),
        "dtype": str(image.dtype), "arguments": {}, "device": oclip.current_device().name,
        "oclip_s": seconds, "oclip_numpy_s": seconds, "reference": "numpy.copy",
        "reference_s": copy_s, "ratio": seconds / copy_s,
        "host": platform.processor() or platform.machine(),
    }


def print_table(rows: list[dict[str, Any]]) -> None:
    print(f"\n{'operation':32s} {'shape':>12s} {'oclip ms':>10s} {'+transfer':>10s} "
          f"{'reference ms':>13s} {'ratio':>6s}", file=sys.stderr)
    for row in rows:
        print(f"{row['operation']:32s} {row['shape']:>12s} {row['oclip_s'] * 1e3:10.2f} "
              f"{row['oclip_numpy_s'] * 1e3:10.2f} {row['reference_s'] * 1e3:13.2f} "
              f"{row['ratio']:6.2f}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else list(argv)
    if "--compare" in arguments:
        # oclip beside pyclesperanto, cupy and scipy on the same data (compare.py)
        import compare

        arguments.remove("--compare")
        return compare.main(arguments)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compare", action="store_true",
                        help="run benchmarks/compare.py instead (its options follow)")
    parser.add_argument("--sizes", default="1024x1024,64x256x256",
                        help="comma-separated shapes, numpy order (default: %(default)s)")
    parser.add_argument("--operations", default="",
                        help="comma-separated operation names (default: all)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per measurement")
    parser.add_argument("--device", help="OpenCL device (gpu, cpu or part of a name)")
    parser.add_argument("--output", help="also append the JSON lines to this file")
    args = parser.parse_args(arguments)

    device = oclip.select_device(args.device)
    print(f"device: {backend.describe(device)}", file=sys.stderr)
    wanted = {n for n in args.operations.split(",") if n}
    cases = [c for c in CASES if not wanted or c.operation in wanted]
    rows = []
    for shape in map(parse_shape, args.sizes.split(",")):
        inputs = prepare_inputs(shape)
        if not wanted or "push+pull" in wanted:
            rows.append(transfer_row(inputs, args.repeat))
        for case in cases:
            if len(shape) in case.dimensions:
                rows.append(run_case(case, inputs, args.repeat))
                print(json.dumps(rows[-1]), flush=True)
    if args.output:
        with open(args.output, "a") as output:
            output.writelines(json.dumps(row) + "\n" for row in rows)
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
