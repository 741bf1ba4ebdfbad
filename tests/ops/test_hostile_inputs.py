"""What users actually feed the operations, tried on every registered operation.

Each input either works, through a documented conversion (the README's Conventions:
the upload dtype rule, array-likes, views, NaN and infinity), and then gives what the
converted array gives; or it is refused with a TypeError / ValueError whose message
names the operation, the parameter, what was given and what is taken.  Never a
pyopencl error, never a crash, never a silently different result.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import pytest

import oclip
from oclip.ops import ImageKind, operations
from oclip.ops._registry import PROPAGATE, REFUSE_INFINITY, REFUSE_NAN, REFUSE_NONFINITE

from ._arguments import ArrayLike, FailingArrayLike, as_equal, images_for, shape_for

OPERATIONS = list(operations().values())


@dataclass(frozen=True)
class Works:
    """The input works and gives what ``canonical(input)`` gives."""

    canonical: Callable[[Any], np.ndarray]


@dataclass(frozen=True)
class Refused:
    """The input is refused with ``error``; the message holds each of ``says``."""

    error: type
    says: tuple[str, ...]


def refused(error: type, *says: str) -> Refused:
    return Refused(error, says)


def same(value: Any) -> np.ndarray:
    return np.ascontiguousarray(value)


def read_only(array: np.ndarray) -> np.ndarray:
    array = array.copy()
    array.flags.writeable = False
    return array


def with_pixel(array: np.ndarray, value: float) -> np.ndarray:
    array = array.astype(np.float32)
    array[(0,) * (array.ndim - 2) + (4, 5)] = value
    return array


#: Inputs every kind of image parameter gets: (name, make from a valid image, expectation).
COMMON: list[tuple[str, Callable[[np.ndarray], Any], Works | Refused]] = [
    ("complex", lambda a: a.astype(np.complex64), refused(TypeError, "dtype complex64")),
    ("object array", lambda a: a.astype(object), refused(TypeError, "dtype object")),
    ("text array", lambda a: a.astype(str), refused(TypeError, "dtype <U")),
    ("file name", lambda a: "cells.tif", refused(TypeError, "got the str 'cells.tif'",
                                                 "tifffile.imread")),
    ("dict", lambda a: {"image": a}, refused(TypeError, "got a dict", "numpy array")),
    ("None", lambda a: None, refused(TypeError, "got None")),
    ("ragged list", lambda a: [[1, 2, 3], [4, 5]], refused(TypeError, "cannot convert")),
    ("failing array-like", lambda a: FailingArrayLike(),
     refused(TypeError, "chunk 3 could not be computed")),
    ("masked array", lambda a: np.ma.masked_array(a, mask=a == a.flat[0]),
     refused(TypeError, "masked arrays are not supported", "filled")),
    ("0-d", lambda a: a.flat[0], refused(ValueError, "a single value")),
    ("1-D", lambda a: a.ravel(), refused(ValueError, "1D array", "reshape")),
    ("4-D", lambda a: np.stack([a.reshape((1,) * (3 - a.ndim) + a.shape)] * 2),
     refused(ValueError, "4D array", "time-lapse")),
    ("5-D", lambda a: a.reshape((1,) * (5 - a.ndim) + a.shape),
     refused(ValueError, "5D array", "time-lapse")),
    ("empty first axis", lambda a: a[:0], refused(ValueError, "empty", "(0,")),
    ("empty last axis", lambda a: a[..., :0], refused(ValueError, "empty", ", 0)")),
    ("list", lambda a: a.tolist(), Works(same)),
    ("array-like", ArrayLike, Works(same)),
    ("non-contiguous view", lambda a: np.repeat(a, 2, axis=-1)[..., ::2], Works(same)),
    ("negative strides", lambda a: a[..., ::-1, ::-1], Works(same)),
    ("Fortran order", np.asfortranarray, Works(same)),
    ("read-only", read_only, Works(same)),
    ("big-endian", lambda a: a.astype(a.dtype.newbyteorder(">")),
     Works(lambda a: a.astype(a.dtype.newbyteorder("=")))),
]

#: Inputs of intensity (Image) parameters, whose valid images are float32 from 1 to 201.
FOR_IMAGES = [
    ("bool", lambda a: a > 100, Works(lambda a: a.astype(np.uint8))),
    ("float64", lambda a: a.astype(np.float64), Works(lambda a: a.astype(np.float32))),
    ("float16", lambda a: a.astype(np.float16), Works(lambda a: a.astype(np.float32))),
    ("int64", lambda a: a.astype(np.int64), Works(lambda a: a.astype(np.int32))),
    ("uint64", lambda a: a.astype(np.uint64), Works(lambda a: a.astype(np.uint32))),
    ("int64 beyond 32 bits", lambda a: a.astype(np.int64) + 2**40,
     refused(ValueError, "do not fit int32", "32-bit")),
]

#: Inputs of label parameters, whose valid images are uint32 from 0 to 3.
FOR_LABELS = [
    ("bool", lambda a: a > 1, Works(lambda a: a.astype(np.uint32))),
    ("int64", lambda a: a.astype(np.int64), Works(lambda a: a.astype(np.uint32))),
    ("int8", lambda a: a.astype(np.int8), Works(lambda a: a.astype(np.uint32))),
    ("negative", lambda a: a.astype(np.int32) - 1, refused(ValueError, "must not be negative")),
    ("beyond uint32", lambda a: a.astype(np.uint64) + 2**33, refused(ValueError, "fit uint32")),
    ("float", lambda a: a.astype(np.float32), refused(TypeError, "must hold integers",
                                                      "got dtype float32")),
]

#: Inputs of binary parameters, whose valid images are uint8 0/1.
FOR_BINARY = [
    ("bool", lambda a: a.astype(bool), Works(same)),
    ("float any non-zero", lambda a: a * 2.5, Works(lambda a: (a != 0).astype(np.uint8))),
    ("negative int64", lambda a: a.astype(np.int64) * -3,
     Works(lambda a: (a != 0).astype(np.uint8))),
    ("NaN counts as foreground", lambda a: with_pixel(a, np.nan),
     Works(lambda a: (a != 0).astype(np.uint8))),
]

BY_KIND = {ImageKind.IMAGE: FOR_IMAGES, ImageKind.LABELS: FOR_LABELS,
           ImageKind.BINARY: FOR_BINARY}


def call(op, arguments) -> tuple[Any, BaseException | None]:
    try:
        return op.function(**arguments), None
    except Exception as error:  # judged by the caller
        return None, error


def judge(op, parameter, name, value, expectation, images) -> str | None:
    """Run one input; return what went wrong, or None."""
    where = f"{op.name}({parameter.name}={name})"
    result, error = call(op, {**images, parameter.name: value})
    if isinstance(expectation, Refused):
        if error is None:
            return f"{where}: accepted, expected {expectation.error.__name__}"
        message = str(error)
        if type(error) is not expectation.error:
            return f"{where}: {type(error).__name__}: {message}"
        missing = [s for s in (f"{op.name}: parameter '{parameter.name}'", *expectation.says)
                   if s not in message]
        return f"{where}: the message lacks {missing}: {message}" if missing else None
    if error is not None:
        return f"{where}: {type(error).__name__}: {error}"
    expected, error = call(op, {**images, parameter.name: expectation.canonical(value)})
    if error is not None:
        return f"{where}: the canonical input failed: {error}"
    if not as_equal(result, expected):
        return f"{where}: differs from the documented conversion's result"
    return None


def inputs_of(kind: ImageKind) -> list:
    return COMMON + BY_KIND[kind]


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.name)
def test_every_input_works_or_is_refused_clearly(op, rng):
    images = images_for(op, rng)
    problems = []
    for parameter in op.image_parameters:
        for name, make, expectation in inputs_of(parameter.kind):
            problems.append(judge(op, parameter, name, make(images[parameter.name]),
                                  expectation, images))
    problems = [p for p in problems if p]
    assert not problems, "\n".join(problems)


# --- NaN and infinity ---------------------------------------------------------------------

#: What each policy does with NaN and with an infinity: refused (the message's words) or not.
POLICIES = {
    PROPAGATE: (None, None),
    REFUSE_NAN: ("holds NaN values", None),
    REFUSE_INFINITY: (None, "holds infinite values"),
    REFUSE_NONFINITE: ("holds NaN or infinite values", "holds NaN or infinite values"),
}


def outside_halo(op, image_shape, params):
    """Mask of the pixels the special pixel at (.., 4, 5) cannot reach through the halo."""
    halo = op.halo_for(params)
    mask = np.ones(image_shape, bool)
    centre = (0,) * (len(image_shape) - 2) + (4, 5)
    reach = tuple(slice(max(c - h, 0), c + h + 1)
                  for c, h in zip(centre, halo[-len(image_shape):], strict=True))
    mask[reach] = False
    return mask


@pytest.mark.parametrize("op", [op for op in OPERATIONS
                                if any(p.kind is ImageKind.IMAGE for p in op.image_parameters)],
                         ids=lambda op: op.name)
@pytest.mark.parametrize("on_device", [False, True], ids=["numpy", "device"])
def test_nan_and_infinity_follow_the_operations_policy(op, on_device, rng):
    images = images_for(op, rng)
    clean, error = call(op, images)
    assert error is None, error
    for special, refusal in zip((np.nan, np.inf, -np.inf),
                                (POLICIES[op.nonfinite][0], *[POLICIES[op.nonfinite][1]] * 2),
                                strict=True):
        for parameter in (p for p in op.image_parameters if p.kind is ImageKind.IMAGE):
            value = with_pixel(images[parameter.name], special)
            value = oclip.push(value) if on_device else value
            result, error = call(op, {**images, parameter.name: value})
            if refusal is not None:
                assert isinstance(error, ValueError), (special, error)
                assert f"{op.name}: parameter '{parameter.name}': the image {refusal}" in \
                    str(error)
                continue
            assert error is None, (special, error)
            result = oclip.pull(result) if on_device else result
            if isinstance(clean, np.ndarray) and op.local:
                # the special value reaches no further than the halo: far pixels are as before
                assert result.shape == clean.shape and result.dtype == clean.dtype
                far = outside_halo(op, clean.shape, {p.name: p.default
                                                     for p in op.scalar_parameters})
                assert as_equal(result[far], clean[far]), special


def test_policies_are_declared_where_the_readme_says():
    policy = {name: op.nonfinite for name, op in operations().items()}
    assert {policy[n] for n in ("median_box", "maximum_sphere", "top_hat_box", "opening_box",
                                "detect_maxima_box")} == {REFUSE_NAN}
    assert {policy[n] for n in ("threshold_otsu", "threshold_li", "threshold_yen")} == {
        REFUSE_INFINITY}
    assert {policy[n] for n in ("voronoi_otsu_labeling", "watershed_labeling",
                                "label_statistics", "mean_intensity_map")} == {REFUSE_NONFINITE}
    assert {policy[n] for n in ("gaussian_blur", "add_images", "maximum_z_projection",
                                "threshold_mean", "rotate", "greater")} == {PROPAGATE}


def test_nan_checks_find_one_value_anywhere():
    from oclip._backend import holds_nonfinite

    for size in (1, 7, 65_536, 65_537, 300_001):
        for where in (0, size // 2, size - 1):
            for special, nan, infinity in ((np.nan, True, False), (np.inf, False, True),
                                           (-np.inf, False, True)):
                array = np.zeros(size, np.float32)
                array[where] = special
                for given in (array, oclip.push(array)):
                    assert holds_nonfinite(given)
                    assert holds_nonfinite(given, nan=True, infinity=False) is nan
                    assert holds_nonfinite(given, nan=False, infinity=True) is infinity
        clean = oclip.push(np.zeros(size, np.float32))
        assert not holds_nonfinite(clean) and not holds_nonfinite(np.zeros(size, np.float32))
    assert not holds_nonfinite(oclip.push(np.full(5, 2**31, np.uint32)))


def test_projections_of_nan_and_infinity_are_numpys():
    image = np.random.default_rng(3).random((4, 5, 6)).astype(np.float32)
    image[1, 2, 3], image[2, 0, 0], image[3, 4, 5] = np.nan, np.inf, -np.inf
    for reduction, reference in (("maximum", np.max), ("minimum", np.min), ("mean", np.mean),
                                 ("sum", np.sum), ("standard_deviation", np.std)):
        for axis, name in enumerate("zyx"):
            result = getattr(oclip, f"{reduction}_{name}_projection")(image)
            with np.errstate(invalid="ignore"):
                expected = reference(image, axis=axis).astype(np.float32)
            np.testing.assert_array_equal(np.isnan(result), np.isnan(expected))
            np.testing.assert_array_equal(np.isinf(result) & (result > 0),
                                          np.isinf(expected) & (expected > 0))


# --- device arrays ---------------------------------------------------------------------


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.name)
def test_device_inputs_work_or_are_refused_clearly(op, rng):
    import pyopencl.array as cl_array

    images = images_for(op, rng)
    on_host, error = call(op, images)
    assert error is None, error
    first = op.image_parameters[0]
    on_device = {**images, first.name: oclip.push(images[first.name])}
    result, error = call(op, on_device)
    assert error is None, error
    assert as_equal(oclip.pull(result), on_host)
    queue = oclip._backend.current_context().queue
    padded = np.concatenate([images[first.name].ravel()[:3], images[first.name].ravel()])
    sliced = oclip.push(padded)[3:].reshape(images[first.name].shape)  # an offset
    result, error = call(op, {**images, first.name: sliced})
    assert error is None and as_equal(oclip.pull(result), on_host), error
    shape = shape_for(op)
    cases = [
        (cl_array.to_device(queue, images[first.name].astype(np.float64)), TypeError,
         "device arrays of dtype float64 are not supported"),
        (oclip.push(np.zeros((2, *shape), images[first.name].dtype).reshape(
            (1,) * (2 - len(shape) + 1) + (2, *shape))), ValueError, "time-lapse"),
        (oclip.push(np.zeros((0, *shape[1:]), images[first.name].dtype)), ValueError, "empty"),
    ]
    if first.kind is ImageKind.LABELS:
        negative = images[first.name].astype(np.int32) - 1
        cases += [(oclip.push(negative), ValueError, "labels must not be negative (found -1)"),
                  (oclip.push(images[first.name].astype(np.float32)), TypeError,
                   "must hold integers")]
    for value, expected, says in cases:
        result, error = call(op, {**images, first.name: value})
        assert type(error) is expected and says in str(error), (says, error)
        assert f"{op.name}: parameter '{first.name}'" in str(error)


# --- scalars ----------------------------------------------------------------------------


def scalar_cases(parameter) -> list[tuple[Any, type | None]]:
    """Values of one scalar parameter, and the error each gives (None: accepted)."""
    cases: list[tuple[Any, type | None]] = [(None, TypeError), ("1", TypeError),
                                            (np.array([1, 2]), TypeError), ([1.0], TypeError)]
    if parameter.value_type not in (int, float, bool) and parameter.choices is None:
        # a list of numbers (an affine matrix): wrong types and sizes are refused as values
        return [(None, ValueError), ("1", ValueError), (np.array([1, 2]), ValueError),
                ([1.0], ValueError), (["a"] * 9, TypeError), ([float("nan")] * 9, ValueError),
                ([float("inf")] * 9, ValueError), ([[1, 0, 0], [0, 1, 0], [0, 0, 1]], None),
                ([1, 0, 0, 0, 1, 0, 0, 0, 1], None)]
    if parameter.choices is not None:
        cases = [(parameter.choices[0], None), (np.str_(parameter.choices[0]), None),
                 ("no such choice", ValueError),
                 (np.array(parameter.choices), ValueError), (None, ValueError),
                 (1, ValueError)]
    elif parameter.value_type is bool:
        cases += [(np.True_, None), (1, TypeError)]
    elif parameter.value_type in (int, float):
        limits = parameter.range
        low = limits.min if limits is not None and limits.min is not None else None
        high = limits.max if limits is not None and limits.max is not None else None
        cases += [(float("nan"), ValueError), (10**400, ValueError), (True, TypeError),
                  (np.float32(2.0), None), (np.int64(2), None), (Decimal("2"), None),
                  (Decimal("NaN"), ValueError), (Decimal("1e400"), ValueError)]
        if parameter.value_type is int:
            cases += [(2.5, ValueError), (float("inf"), ValueError)]
        if low is not None:
            cases += [(low - 1, ValueError), (low, None)]
        if high is not None:
            cases += [(high + 1, ValueError), (-float("inf") if low is None else
                                                float("inf"), ValueError)]
    return cases


#: Extremes of a range that make an operation legitimately heavy on a 9x11 image
#: (radius 1000 is fine: windows are clamped to the image; large zoom factors are not).
HEAVY = {("scale", "factor_x"), ("scale", "factor_y"), ("scale", "factor_z"),
         ("upsample", "factor_x"), ("upsample", "factor_y"), ("upsample", "factor_z"),
         ("resample", "voxel_size_x"), ("resample", "voxel_size_y"),
         ("resample", "voxel_size_z"), ("resample", "target_voxel_size"),
         *((f"deskew_{sheet}", f"voxel_size_{axis}") for sheet in "xy" for axis in "xyz")}


#: Values of other parameters that the accepted values of one need (histogram refuses a
#: minimum above the maximum, 0 by default).
COMPANIONS = {("histogram", "minimum"): {"maximum": 10.0}}


@pytest.mark.parametrize("op", [op for op in OPERATIONS if op.scalar_parameters],
                         ids=lambda op: op.name)
def test_scalar_values_are_checked_naming_the_parameter(op, rng):
    images = images_for(op, rng)
    problems = []
    for parameter in op.scalar_parameters:
        for value, expected in scalar_cases(parameter):
            if expected is None and (op.name, parameter.name) in HEAVY:
                continue
            companions = COMPANIONS.get((op.name, parameter.name), {})
            _, error = call(op, {**images, **companions, parameter.name: value})
            if expected is None:
                if error is not None:
                    problems.append(f"{parameter.name}={value!r}: {error!r}")
            elif type(error) is not expected or \
                    f"{op.name}: parameter '{parameter.name}'" not in str(error):
                problems.append(f"{parameter.name}={value!r}: expected {expected.__name__}, "
                                f"got {error!r}")
    assert not problems, "\n".join(problems)


def spelt_otherwise(parameter) -> Any:
    """The parameter's default in another type the API takes for it, or None if none is."""
    default = parameter.default
    if parameter.choices is not None:
        return np.str_(default) if isinstance(default, str) else None
    if parameter.value_type in (int, float) and type(default) in (int, float):
        return Decimal(repr(default))
    return None


@pytest.mark.parametrize("op", [op for op in OPERATIONS
                                if any(spelt_otherwise(p) is not None
                                       for p in op.scalar_parameters)],
                         ids=lambda op: op.name)
def test_decimals_and_str_subclasses_give_what_their_values_give(op, rng):
    images = images_for(op, rng)
    expected, error = call(op, images)
    assert error is None, error
    for parameter in op.scalar_parameters:
        value = spelt_otherwise(parameter)
        if value is None:
            continue
        result, error = call(op, {**images, parameter.name: value})
        assert error is None and as_equal(result, expected), (parameter.name, value, error)


def test_wrong_values_of_well_known_parameters():
    image = np.ones((5, 6), np.float32)
    for call_, says in [
        (lambda: oclip.gaussian_blur(image, sigma_x=-1.0), "'sigma_x' must be between 0.0"),
        (lambda: oclip.mean_box(image, radius_y=-1), "'radius_y' must be between 0"),
        (lambda: oclip.dilate_labels(image.astype(np.uint32), radius=-2),
         "'radius' must be between 0"),
        (lambda: oclip.crop(image, size_x=0), "'size_x' must be between 1"),
        (lambda: oclip.downsample(image, factor_x=0), "'factor_x' must be between 1"),
        (lambda: oclip.scale(image, factor_x=0.0), "'factor_x' must be between 0.01"),
        (lambda: oclip.add_images(image, image[:4]), "image1 and image2 must have the same"),
        (lambda: oclip.mask(image, np.ones((5, 6, 1), np.uint8)), "image and binary must have"),
        (lambda: oclip.label_statistics(image, np.ones((6, 5), np.uint32)),
         "image and labels must have the same shape"),
    ]:
        with pytest.raises(ValueError, match=says):
            call_()
