"""References of the projections (ops/projection.py), against numpy.

Tolerances: maximum, minimum and the positions of the maximum and minimum
exactly; sums of integer images exactly (float32 holds them); float sums and
means within a relative 1e-5 (float32 accumulation, about n * 6e-8); means of
integer images within 2 roundings (relative 2.5e-7); the standard deviation
within 1e-4 of the image's value range (float32 sums of squared deviations from
a sample).  Medians and percentiles of float32 images exactly (numpy computes
them in float32 too, with the same operations); of integer images within 3e-7
of the image's largest magnitude (a few float32 roundings) of the exact value
(numpy's percentile on the values as float64: on int8 / int16 images numpy's
own overflows in the difference of two values).  Stacks read at z position maps
exactly (numpy.take_along_axis).  Extended depth of focus: every pixel is the
stack's at a plane whose focus measure (scipy, float64) lies within 1e-4 of the
stack's largest measure of the largest there (float32 rounding may decide near
ties otherwise).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.ndimage as ndi

from ._core import Arguments, Reference, exact, f64, named
from .filters import gaussian
from .windows import footprint, window_values

AXES = {"z": 0, "y": 1, "x": 2}
REDUCTIONS = ["maximum", "minimum", "sum", "mean", "standard_deviation"]
#: The position projections: name -> (numpy method, numpy axis).
POSITIONS = {f"{a}_position_of_{which}_{a}_projection": (method, axis)
             for a, axis in AXES.items()
             for which, method in (("maximum", "argmax"), ("minimum", "argmin"))}
ORDER_STATISTICS = ["median", "percentile"]


def reference(image: np.ndarray, reduction: str, axis: int) -> np.ndarray:
    wide = image.astype(np.float64)
    return {"maximum": lambda: image.max(axis=axis),
            "minimum": lambda: image.min(axis=axis),
            "sum": lambda: wide.sum(axis=axis),
            "mean": lambda: wide.mean(axis=axis),
            "standard_deviation": lambda: wide.std(axis=axis)}[reduction]()


def assert_projection_close(result: np.ndarray, expected: np.ndarray, image: np.ndarray,
                            reduction: str) -> None:
    """The tolerances of the module's docstring."""
    assert result.shape == expected.shape
    integer = image.dtype.kind in "iu"
    if reduction in ("maximum", "minimum"):
        assert result.dtype == image.dtype
        np.testing.assert_array_equal(result, expected)
        return
    assert result.dtype == np.float32
    if reduction == "sum" and integer:
        np.testing.assert_array_equal(result, expected)
    elif reduction == "mean" and integer:
        np.testing.assert_allclose(result, expected, rtol=2.5e-7)
    elif reduction in ("sum", "mean"):
        np.testing.assert_allclose(result, expected, rtol=1e-5,
                                   atol=1e-5 * np.abs(image).max())
    else:
        spread = float(image.max()) - float(image.min())
        np.testing.assert_allclose(result, expected, rtol=1e-4, atol=1e-4 * spread)


def projection(reduction: str, axis: str) -> Reference:
    return Reference(lambda v: reference(v["image"], reduction, AXES[axis]),
                     lambda r, e, v: assert_projection_close(r, e, v["image"], reduction))


def positions(result: np.ndarray, expected: np.ndarray, v: Arguments) -> None:
    """uint32 indices, exactly numpy's."""
    assert result.dtype == np.uint32, result.dtype
    np.testing.assert_array_equal(result, expected)


def order_statistic(reduction: str, axis: int) -> Callable[[Arguments], np.ndarray]:
    """numpy.median / numpy.percentile along ``axis``: of float32 images in float32, as
    numpy computes them; of integer images on the values as float64."""
    def compute(v: Arguments) -> np.ndarray:
        image = v["image"]
        if image.dtype.kind != "f":
            image = image.astype(np.float64)
        with np.errstate(invalid="ignore", over="ignore"):  # inf - inf, as numpy
            if reduction == "median":
                return np.median(image, axis=axis)
            return np.percentile(image, v["percentile"], axis=axis)
    return compute


def order_tolerance(result: np.ndarray, expected: np.ndarray, v: Arguments) -> None:
    """float32: of float32 images exactly, of integer ones within 3e-7 of the largest
    magnitude."""
    image = v["image"]
    assert result.dtype == np.float32, result.dtype
    assert result.shape == expected.shape
    if image.dtype.kind == "f":
        np.testing.assert_array_equal(result, expected)
    else:
        scale = float(np.abs(image.astype(np.float64)).max())
        np.testing.assert_allclose(result, expected, rtol=0, atol=3e-7 * scale)


# --- stacks read at z positions, extended depth of focus ----------------------------------


def plane_indices(image: np.ndarray, z_position: np.ndarray, offset: int) -> np.ndarray:
    """The map as plane indices, as documented: truncated toward zero, NaN 0, plus
    ``offset``, clamped to the stack."""
    z = f64(z_position)
    z = np.where(np.isnan(z), 0.0, np.trunc(z))
    return np.clip(z + offset, 0, image.shape[0] - 1).astype(np.intp)


def read_at(image: np.ndarray, indices: np.ndarray) -> np.ndarray:
    return np.take_along_axis(image, indices[np.newaxis], axis=0)[0]


def as_stack(image: np.ndarray) -> np.ndarray:
    """A 2D image as the stack of one plane it stands for."""
    return image if image.ndim == 3 else image[np.newaxis]


def z_position_range(v: Arguments) -> np.ndarray:
    image, z_position = as_stack(v["image"]), v["z_position"]
    return np.stack([read_at(image, plane_indices(image, z_position, offset))
                     for offset in offsets(v["start_z"], v["end_z"])])


def offsets(start: int, end: int) -> range:
    """From start to end, both included, ascending or descending."""
    return range(start, end + 1) if end >= start else range(start, end - 1, -1)


def focus_variance(v: Arguments) -> np.ndarray:
    """The variance over the ellipse of radius_x, radius_y in each plane."""
    image = v["image"]
    fp = footprint(image, "sphere", v["radius_x"], v["radius_y"], 0)
    return window_values(image, fp).var(axis=-1)


def focus_sobel(v: Arguments) -> np.ndarray:
    """The 2D Sobel gradient magnitude of each plane."""
    planes = f64(v["image"])

    def derivative(along: int, across: int) -> np.ndarray:
        # scipy.ndimage.sobel of one plane: the difference along, [1, 2, 1] across
        difference = ndi.correlate1d(planes, [-1.0, 0.0, 1.0], axis=along, mode="nearest")
        return ndi.correlate1d(difference, [1.0, 2.0, 1.0], axis=across, mode="nearest")

    return np.sqrt(derivative(1, 2) ** 2 + derivative(2, 1) ** 2)


def in_focus(measure: Callable[[Arguments], np.ndarray]
             ) -> Callable[[Arguments], tuple[np.ndarray, np.ndarray]]:
    """The stack at the plane of the largest smoothed focus measure, and the measure."""
    def compute(v: Arguments) -> tuple[np.ndarray, np.ndarray]:
        focus = gaussian(measure(v), (0.0, v["sigma_y"], v["sigma_x"]))
        return read_at(v["image"], np.argmax(focus, axis=0)), focus
    return compute


def in_focus_tolerance(result: np.ndarray, expected: tuple[np.ndarray, np.ndarray],
                       v: Arguments) -> None:
    """Every pixel the stack's at a plane of a focus measure within 1e-4 of the stack's
    largest of the largest there."""
    image = v["image"]
    _, focus = expected
    assert result.dtype == image.dtype and result.shape == image.shape[1:]
    slack = 1e-4 * float(np.abs(focus).max())
    good = (image == result[np.newaxis]) & (focus >= focus.max(axis=0) - slack)
    bad = np.flatnonzero(~good.any(axis=0))
    assert bad.size == 0, f"{bad.size} pixels off focus, first (flat) {bad[:5]}"


REFERENCES = named({
    **{f"{reduction}_{axis}_projection": projection(reduction, axis)
       for reduction in REDUCTIONS for axis in AXES},
    **{name: Reference(lambda v, m=method, a=axis: getattr(v["image"], m)(axis=a), positions)
       for name, (method, axis) in POSITIONS.items()},
    **{f"{reduction}_{axis}_projection": Reference(order_statistic(reduction, index),
                                                   order_tolerance)
       for reduction in ORDER_STATISTICS for axis, index in AXES.items()},
    "z_position_projection": Reference(lambda v: read_at(as_stack(v["image"]), plane_indices(
        as_stack(v["image"]), v["z_position"], 0)), exact),
    "z_position_range_projection": Reference(z_position_range, exact),
    "extended_depth_of_focus_variance_projection": Reference(in_focus(focus_variance),
                                                             in_focus_tolerance),
    "extended_depth_of_focus_sobel_projection": Reference(in_focus(focus_sobel),
                                                          in_focus_tolerance),
})
