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
own overflows in the difference of two values).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._core import Arguments, Reference, named

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


REFERENCES = named({
    **{f"{reduction}_{axis}_projection": projection(reduction, axis)
       for reduction in REDUCTIONS for axis in AXES},
    **{name: Reference(lambda v, m=method, a=axis: getattr(v["image"], m)(axis=a), positions)
       for name, (method, axis) in POSITIONS.items()},
    **{f"{reduction}_{axis}_projection": Reference(order_statistic(reduction, index),
                                                   order_tolerance)
       for reduction in ORDER_STATISTICS for axis, index in AXES.items()},
})
