"""The reference record, and the comparisons (tolerances) the reference modules share."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from oclip.ops import get_operation

from .windows import assert_smoothing_close, numpy_order

#: An operation's arguments by parameter name, its defaults filled in.
Arguments = dict[str, Any]
#: A comparison of a result with the reference's value: ``tolerance(result, expected,
#: arguments)`` raises AssertionError where the result is off.
Tolerance = Callable[[Any, Any, Arguments], None]


@dataclass(frozen=True)
class Reference:
    """What numpy / scipy.ndimage / scikit-image give for an operation's arguments, and
    the tolerance its result must meet against that.

    Called with the operation's own arguments (positionally or by name; the defaults
    of its signature filled in), a reference returns its value; ``compute`` takes the
    same arguments as one dict.

    Parameters
    ----------
    compute : callable
        The value for the arguments (a dict by parameter name).
    tolerance : callable
        ``tolerance(result, expected, arguments)``: raises AssertionError where the
        operation's result is not within the tolerance of the value.
    operation : str
        The operation's registry name (set by :func:`named`).
    """

    compute: Callable[[Arguments], Any]
    tolerance: Tolerance
    operation: str = ""

    def arguments(self, *args: Any, **kwargs: Any) -> Arguments:
        """The arguments bound to the operation's signature, its defaults filled in."""
        bound = get_operation(self.operation).signature.bind(*args, **kwargs)
        bound.apply_defaults()
        return dict(bound.arguments)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.compute(self.arguments(*args, **kwargs))

    def assert_close(self, result: Any, *args: Any, **kwargs: Any) -> None:
        """Assert that ``result`` (the operation's, for these arguments) is within the
        tolerance of the reference."""
        arguments = self.arguments(*args, **kwargs)
        self.tolerance(result, self.compute(arguments), arguments)

    def assert_operation_close(self, *args: Any, **kwargs: Any) -> Any:
        """Run the operation on the arguments, assert that its result is within the
        tolerance of the reference, and return the result."""
        result = get_operation(self.operation).function(*args, **kwargs)
        self.assert_close(result, *args, **kwargs)
        return result


def named(references: dict[str, Reference]) -> dict[str, Reference]:
    """The references, each told the name of its operation."""
    return {name: dataclasses.replace(reference, operation=name)
            for name, reference in references.items()}


# --- arguments ------------------------------------------------------------------------


def first_image(v: Arguments) -> np.ndarray:
    return next(a for a in v.values() if isinstance(a, np.ndarray))


def per_axis(v: Arguments, prefix: str) -> tuple:
    """``prefix_z, prefix_y, prefix_x`` in numpy order for the image's dimensionality."""
    return numpy_order(first_image(v), v[f"{prefix}_x"], v[f"{prefix}_y"], v[f"{prefix}_z"])


def f32(a: np.ndarray) -> np.ndarray:
    return np.asarray(a).astype(np.float32)


def f64(a: np.ndarray) -> np.ndarray:
    return np.asarray(a).astype(np.float64)


def quiet(function: Callable[[Arguments], Any]) -> Callable[[Arguments], Any]:
    """A reference computed without numpy's floating-point warnings (inf, NaN as IEEE)."""
    def expected(v: Arguments) -> Any:
        with np.errstate(all="ignore"):
            return function(v)
    return expected


# --- tolerances -----------------------------------------------------------------------


def exact(result: Any, expected: Any, v: Arguments) -> None:
    """The same dtype and the same values."""
    expected = np.asarray(expected)
    assert result.dtype == expected.dtype, (result.dtype, expected.dtype)
    np.testing.assert_array_equal(result, expected)


def exact_values(result: Any, expected: Any, v: Arguments) -> None:
    """The same values (of any dtype)."""
    np.testing.assert_array_equal(result, expected)


def smoothing(result: Any, expected: Any, v: Arguments) -> None:
    """float32 within :data:`~.windows.SMOOTHING_RTOL` of the value and of the image's
    magnitude."""
    assert_smoothing_close(result, expected, first_image(v))


def relative(rtol: float, atol: float = 0.0) -> Tolerance:
    """float32 within ``atol + rtol |expected|``."""
    def check(result: Any, expected: Any, v: Arguments) -> None:
        assert result.dtype == np.float32
        np.testing.assert_allclose(result, expected, rtol=rtol, atol=atol)
    return check


def close_to(result, expected, rtol, atol=0.0) -> None:
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
