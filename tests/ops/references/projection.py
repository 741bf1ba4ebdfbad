"""References of the projections (ops/projection.py), against numpy.

Tolerances: maximum, minimum and the position of the maximum exactly; sums of
integer images exactly (float32 holds them); float sums and means within a
relative 1e-5 (float32 accumulation, about n * 6e-8); means of integer images
within 2 roundings (relative 2.5e-7); the standard deviation within 1e-4 of
the image's value range (float32 sums of squared deviations from a sample).
"""

from __future__ import annotations

import numpy as np

from ._core import Reference, exact_values, named

AXES = {"z": 0, "y": 1, "x": 2}
REDUCTIONS = ["maximum", "minimum", "sum", "mean", "standard_deviation"]


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


REFERENCES = named({
    **{f"{reduction}_{axis}_projection": projection(reduction, axis)
       for reduction in REDUCTIONS for axis in AXES},
    "z_position_of_maximum_z_projection": Reference(lambda v: v["image"].argmax(axis=0),
                                                    exact_values),
})
