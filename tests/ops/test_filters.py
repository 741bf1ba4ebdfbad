"""Smoothing, rank filters and local statistics against scipy.ndimage (mode="nearest")."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.ndimage as ndi
import skimage.morphology
from hypothesis import given, settings
from hypothesis import strategies as st

import oclip
from oclip.ops import _neighbourhood

from .._helpers import DTYPES, SHAPES, random_image
from .references import REFERENCES
from .references.filters import assert_variance_close, variance_tolerance
from .references.windows import ellipsoid, footprint


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("sigmas", [(1.0, 1.0, 1.0), (2.5, 0.7, 0.0), (0.0, 3.0, 1.5)])
def test_gaussian_blur_matches_scipy(shape, dtype, sigmas, make_image):
    image = make_image(shape, dtype)
    sx, sy, sz = sigmas
    REFERENCES["gaussian_blur"].assert_operation_close(image, sigma_x=sx, sigma_y=sy,
                                                       sigma_z=sz)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("radii", [(1, 1, 1), (3, 0, 2)])
def test_mean_box_matches_scipy(shape, dtype, radii, make_image):
    image = make_image(shape, dtype)
    rx, ry, rz = radii
    REFERENCES["mean_box"].assert_operation_close(image, radius_x=rx, radius_y=ry, radius_z=rz)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("which", ["minimum", "maximum"])
@pytest.mark.parametrize("radii", [(1, 1, 1), (4, 0, 2)])
def test_minimum_and_maximum_box_equal_scipy(shape, dtype, which, radii, make_image):
    image = make_image(shape, dtype)
    rx, ry, rz = radii
    result = REFERENCES[f"{which}_box"].assert_operation_close(image, radius_x=rx,
                                                               radius_y=ry, radius_z=rz)
    assert result.dtype == image.dtype


def test_radius_zero_and_sigma_zero_copy_the_image(make_image):
    image = make_image((5, 6, 7), np.uint16)
    np.testing.assert_array_equal(oclip.minimum_box(image, radius_x=0, radius_y=0), image)
    blurred = oclip.gaussian_blur(image, sigma_x=0, sigma_y=0, sigma_z=0)
    assert blurred.dtype == np.float32
    np.testing.assert_array_equal(blurred, image.astype(np.float32))


def test_windows_larger_than_the_image(make_image):
    image = make_image((3, 4), np.float32)
    np.testing.assert_array_equal(oclip.maximum_box(image, radius_x=10, radius_y=10),
                                  np.full_like(image, image.max()))
    REFERENCES["gaussian_blur"].assert_operation_close(image, sigma_x=6, sigma_y=6)


small_shapes = st.one_of(
    st.tuples(st.integers(1, 9), st.integers(1, 9)),
    st.tuples(st.integers(1, 6), st.integers(1, 7), st.integers(1, 8)),
)


@settings(max_examples=30, deadline=None)
@given(shape=small_shapes, sigma=st.one_of(st.just(0.0), st.floats(0.05, 3.0)),
       radius=st.integers(0, 3),
       seed=st.integers(0, 2**16))
def test_filters_on_small_and_one_pixel_axes(shape, sigma, radius, seed):
    image = random_image(np.random.default_rng(seed), shape, np.float32)
    REFERENCES["gaussian_blur"].assert_operation_close(image, sigma_x=sigma, sigma_y=sigma,
                                                       sigma_z=sigma)
    REFERENCES["minimum_box"].assert_operation_close(image, radius_x=radius, radius_y=radius,
                                                     radius_z=radius)


@pytest.mark.parametrize("sigma", [1e-300, 2.7e-267, 0.1])
def test_sigmas_below_an_eighth_pixel_leave_the_image_alone(sigma, make_image):
    # the kernel of radius int(4 * sigma + 0.5) = 0 is the identity (scipy
    # divides by sigma**2 and fails on the smallest of these)
    image = make_image((5, 6), np.float32)
    np.testing.assert_array_equal(oclip.gaussian_blur(image, sigma_x=sigma, sigma_y=sigma), image)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("radius", [1, 2, 4])
@pytest.mark.parametrize(("which", "reference"), [("minimum", ndi.minimum_filter),
                                                  ("maximum", ndi.maximum_filter)])
def test_sphere_filters_with_equal_radii_use_skimage_disk_and_ball(dtype, radius, which,
                                                                   reference, make_image):
    function = getattr(oclip, f"{which}_sphere")
    flat = make_image((37, 53), dtype)
    np.testing.assert_array_equal(
        function(flat, radius_x=radius, radius_y=radius),
        reference(flat, footprint=skimage.morphology.disk(radius), mode="nearest"))
    volume = make_image((9, 21, 33), dtype)
    result = function(volume, radius_x=radius, radius_y=radius, radius_z=radius)
    assert result.dtype == dtype
    np.testing.assert_array_equal(
        result, reference(volume, footprint=skimage.morphology.ball(radius), mode="nearest"))


@pytest.mark.parametrize("radii", [(1, 2, 3), (0, 3, 1), (2, 0, 0), (3, 1, 0)])
def test_sphere_filters_with_unequal_radii(radii, make_image):
    rz, ry, rx = radii
    volume = make_image((9, 21, 33), np.uint16)
    REFERENCES["minimum_sphere"].assert_operation_close(volume, radius_x=rx, radius_y=ry,
                                                        radius_z=rz)
    REFERENCES["maximum_sphere"].assert_operation_close(volume[4], radius_x=rx, radius_y=ry,
                                                        radius_z=rz)


def test_ellipsoid_footprint_helper_matches_the_written_out_definition():
    from oclip.ops._neighbourhood import ellipsoid_footprint

    for rz, ry, rx in [(1, 2, 3), (0, 3, 1), (2, 2, 2), (0, 0, 0), (4, 1, 0)]:
        np.testing.assert_array_equal(ellipsoid_footprint({0: rx, 1: ry, 2: rz}),
                                      ellipsoid(rz, ry, rx))


@pytest.mark.parametrize("rows_from_width", [0.0, np.inf], ids=["rows", "direct"])
@pytest.mark.parametrize("radii", [(1, 1, 1), (2, 3, 2), (0, 2, 4)])
def test_sphere_filters_give_the_same_through_rows_and_directly(rows_from_width, radii,
                                                                 make_image, monkeypatch):
    # larger ellipsoids go through row segments (one read per row); both ways
    # must match scipy
    monkeypatch.setattr(_neighbourhood, "_ROWS_FROM_WIDTH", rows_from_width)
    rz, ry, rx = radii
    radius = {"radius_x": rx, "radius_y": ry, "radius_z": rz}
    for dtype in (np.uint8, np.float32):
        volume = make_image((9, 21, 33), dtype)
        REFERENCES["minimum_sphere"].assert_operation_close(volume, **radius)
        REFERENCES["maximum_sphere"].assert_operation_close(volume[3], **radius)
        REFERENCES["mean_sphere"].assert_operation_close(volume, **radius)


# --- mean over an ellipsoid ---------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("radii", [(1, 1, 1), (3, 2, 1), (0, 4, 2)])
def test_mean_sphere_matches_scipy(shape, dtype, radii, make_image):
    image = make_image(shape, dtype)
    rx, ry, rz = radii
    REFERENCES["mean_sphere"].assert_operation_close(image, radius_x=rx, radius_y=ry,
                                                     radius_z=rz)


# --- median ---------------------------------------------------------------------------

# Windows of 9, 27 (box) and 13, 33 (sphere) pixels: by size and dtype the
# kernel sorts (bitonic network) or selects bit by bit; both are covered.
# (Each window and dtype is a compilation: not every combination.)
MEDIAN_CASES = [
    (np.uint8, "box", (1, 1, 1)),
    (np.uint8, "sphere", (2, 2, 2)),
    (np.uint16, "box", (2, 0, 1)),
    (np.uint16, "sphere", (2, 2, 2)),
    (np.float32, "box", (1, 1, 1)),
    (np.float32, "sphere", (1, 2, 1)),
]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize(("dtype", "window", "radii"), MEDIAN_CASES, ids=str)
def test_median_equals_scipy(shape, dtype, window, radii, make_image):
    image = make_image(shape, dtype)
    rx, ry, rz = radii
    result = REFERENCES[f"median_{window}"].assert_operation_close(image, radius_x=rx,
                                                                   radius_y=ry, radius_z=rz)
    assert result.dtype == image.dtype


@pytest.mark.parametrize(("dtype", "window"), [(np.int8, "sphere"), (np.int16, "sphere"),
                                               (np.int32, "box"), (np.uint32, "box"),
                                               (np.float32, "sphere")], ids=str)
def test_median_of_signed_and_negative_values(dtype, window, rng):
    # the kernels compare keys that must sort like the values, sign included
    # (8- and 16-bit types here select bit by bit, the others sort)
    if np.dtype(dtype).kind == "f":
        image = rng.normal(0.0, 1e3, (9, 21, 33)).astype(dtype)
        image[0, 0, :4] = [-0.0, 0.0, np.inf, -np.inf]
    else:
        info = np.iinfo(dtype)
        image = rng.integers(info.min, info.max, (9, 21, 33), endpoint=True).astype(dtype)
    radius = 2 if window == "sphere" else 1
    REFERENCES[f"median_{window}"].assert_operation_close(image, radius_x=radius,
                                                          radius_y=radius, radius_z=radius)


def test_median_removes_salt_and_pepper_noise():
    image = np.full((20, 30), 100, np.uint16)
    noisy = image.copy()
    noisy[1:-1:3, 1:-1:3] = 0  # isolated spots, at most one per 3 x 3 window
    noisy[2:-1:3, 2:-1:3] = 4095
    np.testing.assert_array_equal(oclip.median_box(noisy), image)
    np.testing.assert_array_equal(oclip.median_sphere(noisy), image)


@pytest.mark.parametrize(("function", "image", "radii", "pixels"), [
    ("median_box", np.zeros((4, 5, 6)), (5, 5, 5), 1331),
    ("median_box", np.zeros((4, 5)), (16, 16, 0), 1089),
    ("median_sphere", np.zeros((4, 5, 6)), (7, 7, 7), 1419),
    ("mode_box", np.zeros((4, 5, 6), np.uint32), (20, 1, 10), 41 * 3 * 21),
    ("mode_sphere", np.zeros((4, 5), np.uint16), (19, 19, 0), 1129),
])
def test_rank_filters_refuse_windows_beyond_their_limit(function, image, radii, pixels):
    rx, ry, rz = radii
    message = (f"{function}: the window of radius_x={rx}, radius_y={ry}.* holds {pixels} "
               "pixels, more than the 1024 .* choose smaller radius_x, radius_y or radius_z")
    with pytest.raises(ValueError, match=message):
        getattr(oclip, function)(image, radius_x=rx, radius_y=ry, radius_z=rz)


def test_largest_median_window_is_accepted(make_image):
    # the largest window of the limit: 31 x 33 = 1023 pixels
    image = make_image((40, 45), np.uint8)
    REFERENCES["median_box"].assert_operation_close(image, radius_x=16, radius_y=15)


# --- mode of labels -------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("window", ["box", "sphere"])
@pytest.mark.parametrize("radii", [(1, 1, 1), (2, 1, 0)])
def test_mode_equals_generic_filter_reference(shape, window, radii, rng):
    # few labels in large patches and many ties along their borders
    labels = ndi.zoom(rng.integers(0, 5, tuple(max(1, n // 4) for n in shape)), 4, order=0)
    labels = np.pad(labels, [(0, n - m) for n, m in zip(shape, labels.shape, strict=True)],
                    mode="edge")[tuple(slice(0, n) for n in shape)].astype(np.uint32)
    labels[rng.random(shape) < 0.2] = rng.integers(0, 5)
    rx, ry, rz = radii
    result = REFERENCES[f"mode_{window}"].assert_operation_close(labels, radius_x=rx,
                                                                 radius_y=ry, radius_z=rz)
    assert result.dtype == np.uint32


def test_mode_takes_the_smallest_of_equally_frequent_labels():
    row = np.array([[7, 2, 9, 2, 7]], np.uint32)
    # windows of 3 (edges replicated): [7 7 2] [7 2 9] [2 9 2] [9 2 7] [2 7 7]
    np.testing.assert_array_equal(oclip.mode_box(row, radius_x=1, radius_y=0), [[7, 2, 2, 2, 7]])
    # [4 4 1 1 9]: 4 and 1 twice each
    tie = np.array([[4, 4, 1, 1, 9]], np.uint32)
    assert oclip.mode_box(tie, radius_x=2, radius_y=0)[0, 2] == 1
    # the largest labels sort like any other
    top = 2**32 - 1
    big = np.array([[top, 5, top, 5, 5]], np.uint64)
    np.testing.assert_array_equal(oclip.mode_box(big, radius_x=1, radius_y=0),
                                  [[top, top, 5, 5, 5]])


def test_mode_smooths_a_ragged_outline():
    labels = np.zeros((15, 15), np.uint32)
    labels[4:11, 4:11] = 3
    ragged = labels.copy()
    ragged[4, 6] = ragged[10, 8] = 0  # notches
    ragged[3, 7] = 3  # a bump
    np.testing.assert_array_equal(oclip.mode_sphere(ragged, radius_x=1, radius_y=1), labels)


# --- variance and standard deviation ---------------------------------------------------

@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("window", ["box", "sphere"])
@pytest.mark.parametrize("radii", [(1, 1, 1), (2, 0, 3)])
def test_variance_and_standard_deviation_match_float64(shape, dtype, window, radii,
                                                       make_image):
    image = make_image(shape, dtype)
    rx, ry, rz = radii
    arguments = {"radius_x": rx, "radius_y": ry, "radius_z": rz}
    REFERENCES[f"variance_{window}"].assert_operation_close(image, **arguments)
    REFERENCES[f"standard_deviation_{window}"].assert_operation_close(image, **arguments)


@pytest.mark.parametrize("window", ["box", "sphere"])
def test_variance_of_a_bright_flat_image_is_accurate(window, rng):
    # 10000 +- 1: sum(x^2)/n - mean^2 in float32 loses the variance entirely
    image = (10000 + rng.normal(0, 1, (9, 21, 33))).astype(np.float32)
    image[4] = 10000  # a flat plane: variance 0 around it
    fp = footprint(image, window, 2, 2, 1)
    expected = REFERENCES[f"variance_{window}"](image, radius_x=2, radius_y=2, radius_z=1)
    result = getattr(oclip, f"variance_{window}")(image, radius_x=2, radius_y=2, radius_z=1)
    assert_variance_close(result, expected, image)
    # the test can tell: the textbook float32 formula misses its tolerance
    weights = (fp / fp.sum()).astype(np.float32)
    naive = (ndi.correlate(image * image, weights, mode="nearest")
             - ndi.correlate(image, weights, mode="nearest") ** 2)
    assert (np.abs(naive - expected) > variance_tolerance(image, expected)).any()


def test_variance_hand_made():
    row = np.array([[1, 1, 1, 5, 5]], np.uint8)
    # windows of 3 with the edge replicated: [1 1 1] [1 1 1] [1 1 5] [1 5 5] [5 5 5]
    # (a constant window's mean is value * (1/3) in float32, not exact on every
    # device: its variance is 0 to within float32 rounding of the values squared)
    np.testing.assert_allclose(oclip.variance_box(row, radius_x=1, radius_y=0),
                               [[0, 0, 32 / 9, 32 / 9, 0]], rtol=1e-6, atol=1e-6 * 5**2)
    np.testing.assert_allclose(oclip.standard_deviation_box(row, radius_x=1, radius_y=0),
                               [[0, 0, np.sqrt(32) / 3, np.sqrt(32) / 3, 0]], rtol=1e-6,
                               atol=1e-3 * 5)
    flat = np.full((4, 5, 6), 3.25, np.float32)
    assert oclip.variance_sphere(flat, radius_x=2, radius_y=2, radius_z=2).max() == 0
    assert oclip.variance_box(flat, radius_x=0, radius_y=0, radius_z=0).max() == 0


@settings(max_examples=25, deadline=None)
@given(shape=small_shapes, radius=st.integers(0, 1), seed=st.integers(0, 2**16))
def test_statistics_on_small_and_one_pixel_axes(shape, radius, seed):
    image = random_image(np.random.default_rng(seed), shape, np.float32)
    arguments = {"radius_x": radius, "radius_y": radius, "radius_z": radius}
    for window in ("box", "sphere"):
        REFERENCES[f"variance_{window}"].assert_operation_close(image, **arguments)
    REFERENCES["mean_sphere"].assert_operation_close(image, **arguments)


@settings(max_examples=20, deadline=None)
@given(shape=small_shapes, radius=st.integers(0, 1), seed=st.integers(0, 2**16))
def test_rank_filters_on_small_and_one_pixel_axes(shape, radius, seed):
    rng = np.random.default_rng(seed)
    image = random_image(rng, shape, np.uint16)
    labels = rng.integers(0, 3, shape).astype(np.uint32)
    arguments = {"radius_x": radius, "radius_y": radius, "radius_z": radius}
    for window in ("box", "sphere"):
        REFERENCES[f"median_{window}"].assert_operation_close(image, **arguments)
        REFERENCES[f"mode_{window}"].assert_operation_close(labels, **arguments)


@pytest.mark.parametrize("device_type", ["CPU", "GPU"])
@pytest.mark.parametrize("which", ["median", "mode"])
def test_rank_filters_without_unrolled_sorts_give_the_same(device_type, which, monkeypatch, rng):
    # On GPUs large sorting networks stay loops (and medians select bit by bit):
    # the same results as the unrolled networks CPU drivers get.
    import dataclasses

    from oclip import _backend as backend

    session = backend.current_context()
    monkeypatch.setattr(session, "device", dataclasses.replace(session.device, type=device_type))
    image = rng.integers(0, 7, (5, 13, 17)).astype(np.uint16)
    radii = {"radius_x": 3, "radius_y": 2, "radius_z": 1}  # 105 pixels: 128 keys
    # the values (the mode of uint16 pixels is a uint32 label image)
    np.testing.assert_array_equal(getattr(oclip, f"{which}_box")(image, **radii),
                                  REFERENCES[f"{which}_box"](image, **radii))


# --- convolution with a kernel image, template matching ----------------------------------

KERNEL_SHAPES = {2: [(3, 3), (2, 4), (1, 5)], 3: [(3, 3, 3), (2, 3, 4), (3, 3)]}


@pytest.mark.parametrize("shape", [(13, 17), (6, 9, 11)])
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_convolve_equals_scipy_convolve(shape, dtype, make_image, rng):
    image = make_image(shape, dtype)
    for kernel_shape in KERNEL_SHAPES[len(shape)]:  # odd, even and fewer dimensions
        kernel = rng.normal(0, 1, kernel_shape).astype(np.float32)
        REFERENCES["convolve"].assert_operation_close(image, kernel)


def test_convolve_flips_the_kernel_and_skips_zero_weights():
    impulse = np.zeros((3, 5), np.float32)
    impulse[1, 2] = 1
    kernel = np.array([[1, 2, 3]], np.float32)
    np.testing.assert_array_equal(oclip.convolve(impulse, kernel)[1], [0, 1, 2, 3, 0])
    with_nan = impulse.copy()
    with_nan[0, 0] = np.nan
    result = oclip.convolve(with_nan, np.array([[0, 1, 0]], np.float32))
    assert np.isnan(result[0, 0]) and not np.isnan(result[0, 1])


@pytest.mark.parametrize("shape", [(13, 17), (6, 9, 11)])
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_match_template_equals_skimage(shape, dtype, make_image):
    image = make_image(shape, dtype)
    for template_shape in KERNEL_SHAPES[len(shape)][:2]:
        template = image[tuple(slice(1, 1 + t) for t in template_shape)]
        result = REFERENCES["match_template"].assert_operation_close(image, template)
        # the template's own place matches best
        best = np.unravel_index(np.argmax(result), result.shape)
        assert best == tuple(1 + t // 2 for t in template_shape)
        assert result.max() == pytest.approx(1, abs=1e-5)


def test_constant_windows_and_templates_give_zero():
    image = np.zeros((5, 6), np.float32)
    image[:, 3:] = 2
    result = oclip.match_template(image, np.array([[0, 1, 2]], np.float32))
    assert (result[:, 0] == 0).all() and (result[:, -1] == 0).all()
    assert (oclip.match_template(image, np.ones((2, 2), np.float32)) == 0).all()


@pytest.mark.parametrize(("name", "second", "says"), [
    ("convolve", np.ones((3, 3, 3)), "convolve: kernel has 3 dimensions"),
    ("match_template", np.ones((3, 3, 3)), "match_template: template has 3 dimensions"),
    ("match_template", np.ones((3, 9)), r"match_template: template of shape \(3, 9\) is larger"),
])
def test_kernels_and_templates_that_do_not_fit_are_refused(name, second, says):
    with pytest.raises(ValueError, match=says):
        oclip.operations()[name].function(np.zeros((5, 5), np.float32), second)


def test_match_template_refuses_nan():
    image = np.zeros((5, 5), np.float32)
    image[2, 2] = np.nan
    with pytest.raises(ValueError, match=r"match_template: .*NaN"):
        oclip.match_template(image, np.ones((2, 2), np.float32))
