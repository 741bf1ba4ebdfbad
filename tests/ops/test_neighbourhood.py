"""The shared neighbourhood machinery: window tables and pixels per work-item."""

from __future__ import annotations

import numpy as np
import pytest

import oclip
from oclip.ops import _neighbourhood

from .references.windows import ellipsoid

RADII = {"radius_x": 2, "radius_y": 1, "radius_z": 1}
SIGMAS = {"sigma_x": 1.5, "sigma_y": 1.0, "sigma_z": 0.7}

#: Operations over every kind of kernel of filters.cl and derivatives.cl.
CASES = [
    ("gaussian_blur", SIGMAS),
    ("mean_box", RADII),
    ("minimum_box", RADII),
    ("maximum_sphere", {"radius_x": 1, "radius_y": 1, "radius_z": 1}),  # pixel by pixel
    ("minimum_sphere", {"radius_x": 3, "radius_y": 2, "radius_z": 2}),  # through rows
    ("mean_sphere", {"radius_x": 1, "radius_y": 1, "radius_z": 1}),
    ("mean_sphere", {"radius_x": 3, "radius_y": 2, "radius_z": 2}),
    ("variance_box", RADII),
    ("standard_deviation_sphere", RADII),
    ("opening_sphere", RADII),
    ("binary_closing_box", RADII),
    ("subtract_gaussian_background", SIGMAS),
    ("divide_by_gaussian_background", SIGMAS),
    ("laplace_box", {}),
    ("sobel", {}),
    ("gradient_x", {}),
    ("hessian_eigenvalues", SIGMAS),
]


@pytest.mark.parametrize("width", [1, 4])
@pytest.mark.parametrize(("name", "arguments"), CASES, ids=lambda c: str(c))
def test_any_number_of_pixels_per_work_item_gives_the_same(width, name, arguments,
                                                           make_image, monkeypatch):
    # GPUs take one pixel per work-item, CPUs 16: the kernels are the same code
    function = getattr(oclip, name)
    images = [make_image((9, 21, 35), np.uint8), make_image((23, 50), np.float32)]
    expected = [function(image, **arguments) for image in images]
    monkeypatch.setattr(_neighbourhood, "CPU_VECTOR_WIDTH", width)
    for image, reference in zip(images, expected, strict=True):
        result = function(image, **arguments)
        assert result.dtype == reference.dtype
        np.testing.assert_allclose(result, reference, rtol=1e-5,
                                   atol=1e-5 * float(np.abs(image).max()))


#: Operations made of separable passes: radii of each bound of GPU_PASS_RADIUS_TIERS
#: (and one beyond, not blocked), windows wider than a block's overlap.
BLOCKED_CASES = [
    ("gaussian_blur", {"sigma_x": 1.0, "sigma_y": 0.5, "sigma_z": 1.5}),
    ("minimum_box", {"radius_x": 2, "radius_y": 20, "radius_z": 3}),
    ("top_hat_box", {"radius_x": 2, "radius_y": 2, "radius_z": 2}),
    ("binary_closing_box", {"radius_x": 1, "radius_y": 3, "radius_z": 1}),
    ("divide_by_gaussian_background", {"sigma_x": 1.0, "sigma_y": 3.0, "sigma_z": 1.0}),
]


@pytest.mark.parametrize(("name", "arguments"), BLOCKED_CASES, ids=lambda c: str(c))
def test_blocked_passes_along_y_and_z_give_the_same(name, arguments, make_image,
                                                    monkeypatch):
    # GPUs compute GPU_PASS_BLOCK outputs along y or z per work-item (BLOCKED_PASS):
    # forced here on whichever device runs the tests, lengths not multiples of it.
    function = getattr(oclip, name)
    images = [make_image((21, 37, 19), np.uint16), make_image((40, 13), np.float32)]
    if name == "binary_closing_box":
        images = [(image > image.mean()).astype(np.uint8) for image in images]
    expected = [function(image, **arguments) for image in images]
    monkeypatch.setattr(_neighbourhood, "CPU_VECTOR_WIDTH", 1)
    monkeypatch.setattr(_neighbourhood, "blocked_passes", lambda: True)
    for image, reference in zip(images, expected, strict=True):
        result = function(image, **arguments)
        assert result.dtype == reference.dtype
        np.testing.assert_allclose(result, reference, rtol=1e-5,
                                   atol=1e-5 * float(np.abs(image).max()))


def test_window_tables_and_sizes():
    radii = {0: 3, 1: 2, 2: 1}
    box = _neighbourhood.box_widths(radii)
    assert box.shape == (3 * 5,) and (box == 3).all()
    assert _neighbourhood.window_size(radii, "box") == 7 * 5 * 3
    assert _neighbourhood.window_size(radii, "sphere") == ellipsoid(1, 2, 3).sum()
    assert _neighbourhood.window_size({0: 0, 1: 0}, "sphere") == 1
    with pytest.raises(ValueError, match="window: one of"):
        _neighbourhood.window_widths(radii, "diamond")
    defines = _neighbourhood.static_window_defines({0: 1, 1: 1})
    assert defines == {"STATIC_RX": 1, "STATIC_RY": 1, "STATIC_RZ": 0,
                       "STATIC_WIDTHS": "0,1,0"}


def test_scalar_window_kernels_still_take_one_pixel_per_work_item(make_image):
    # built without VEC (as other families launch them), one work-item per pixel
    image = oclip.push(make_image((9, 21, 33), np.uint16))
    radii = {0: 2, 1: 1, 2: 1}
    plain = _neighbourhood.sphere_filter(image, "minimum_sphere", radii, image.dtype)
    fast = _neighbourhood.extremum_sphere(image, "minimum", radii)
    np.testing.assert_array_equal(plain.get(), fast.get())


@pytest.mark.parametrize("device_type", ["CPU", "GPU"])
def test_windows_fixed_at_compile_time_only_where_it_pays_off(device_type, monkeypatch, rng):
    # A GPU gets one program for every radius (no compilation per new radius);
    # results are the same either way.
    import dataclasses

    import scipy.ndimage as ndi
    import skimage.morphology

    from oclip import _backend as backend

    session = backend.current_context()
    monkeypatch.setattr(session, "device", dataclasses.replace(session.device, type=device_type))
    assert _neighbourhood.static_windows_pay_off() == (device_type == "CPU")
    image = rng.random((9, 21, 33)).astype(np.float32)
    builds = backend.stats["builds"]
    for radius in (1, 2):
        np.testing.assert_allclose(
            oclip.mean_sphere(image, radius_x=radius, radius_y=radius, radius_z=radius),
            ndi.correlate(image.astype(np.float64), skimage.morphology.ball(radius)
                          / skimage.morphology.ball(radius).sum(), mode="nearest"),
            rtol=1e-5, atol=1e-5)
    new_programs = backend.stats["builds"] - builds
    if device_type == "GPU":
        assert new_programs <= 1  # at most the generic program, once


def test_work_groups_of_separable_passes_on_gpus(monkeypatch):
    import dataclasses

    from oclip._backend import current_context
    from oclip.ops._neighbourhood import pass_local_size

    session = current_context()
    monkeypatch.setattr(session, "device", dataclasses.replace(session.device, type="GPU"))
    assert pass_local_size("minimum_z", (1024, 1024, 256)) == (32, 1, 8)
    assert pass_local_size("convolve_finish_y", (1024, 1024, 256)) == (32, 8, 1)
    assert pass_local_size("maximum_y", (100, 64, 3)) == (4, 8, 1)  # sizes must divide
    assert pass_local_size("convolve_z", (33, 64, 5)) is None  # 1 x 1: the driver's choice
    assert pass_local_size("convolve_x", (1024, 1024, 256)) is None
    assert pass_local_size("minimum_sphere_rows", (1024, 1024, 256)) is None
    monkeypatch.setattr(session, "device", dataclasses.replace(session.device, type="CPU"))
    assert pass_local_size("minimum_z", (1024, 1024, 256)) is None
