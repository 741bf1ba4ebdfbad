"""Kernel sources as package resources, the program cache, and build errors."""

from __future__ import annotations

import numpy as np
import pytest

import oclip
from oclip import _backend as backend

FILTERS = backend.Program("oclip.ops", "filters.cl")


def test_kernel_sources_are_package_resources_with_includes_inlined():
    source = FILTERS.source
    assert "CONVOLVE(x)" in source
    assert not [line for line in source.splitlines() if line.startswith("#include")]
    assert "define ELLIPSOID_LOOP" in source  # from neighbourhood.clh


def test_programs_are_built_once_per_device_source_and_options():
    defines = {"T_IN": "short", "T_OUT": "float"}
    first = FILTERS.kernel("convolve_x", defines)
    builds = backend.stats["builds"]
    again = FILTERS.kernel("convolve_x", dict(reversed(defines.items())))
    same_program = FILTERS.kernel("convolve_y", defines)
    assert again is first
    assert same_program.program == first.program
    assert backend.stats["builds"] == builds
    FILTERS.kernel("convolve_x", {"T_IN": "char", "T_OUT": "float"})
    assert backend.stats["builds"] == builds + 1


def test_repeated_operations_build_nothing_new(rng):
    image = rng.random((11, 13)).astype(np.float32)
    oclip.gaussian_blur(image, sigma_x=1, sigma_y=1)
    builds = backend.stats["builds"]
    oclip.gaussian_blur(image * 2, sigma_x=3, sigma_y=0.5)
    assert backend.stats["builds"] == builds


def test_a_broken_source_raises_with_the_build_log():
    source = "__kernel void broken(__global float *a) { a[0] = undeclared_name; }"
    with pytest.raises(oclip.KernelBuildError, match="undeclared_name") as caught:
        backend.build(source, name="broken.cl")
    assert "broken.cl" in str(caught.value)


def test_a_broken_build_option_raises_and_the_device_keeps_working():
    with pytest.raises(oclip.KernelBuildError, match=r"filters\.cl"):
        FILTERS.kernel("convolve_x", {"T_IN": "no_such_type", "T_OUT": "float"})
    image = np.arange(9, dtype=np.float32).reshape(3, 3)
    np.testing.assert_array_equal(oclip.minimum_box(image, radius_x=0, radius_y=0), image)


def test_unknown_kernel_name():
    with pytest.raises(oclip.KernelBuildError, match="no kernel named 'nothing'"):
        backend.Program("oclip.ops", "math.cl").kernel("nothing", {"T1": "float"})


def test_a_device_whose_builds_fail_reports_them_and_another_selection_works(
        monkeypatch, restore_device):
    from oclip._backend import programs

    image = np.arange(30, dtype=np.float32).reshape(5, 6)
    expected = oclip.gaussian_blur(image, sigma_x=1.0, sigma_y=1.0)
    # a driver that refuses oclip's build options: every new program fails to build
    real = programs.build_options
    monkeypatch.setattr(programs, "build_options",
                        lambda defines: (*real(defines), "-cl-no-such-option"))
    for call in (lambda: oclip.gaussian_blur(image, sigma_x=1.0, sigma_y=1.0),
                 lambda: oclip.threshold_otsu(image)):
        with pytest.raises(oclip.KernelBuildError) as caught:
            call()
        message = str(caught.value)
        assert "-cl-no-such-option" in message and oclip.current_device().name in message
        assert "failed" in message
    # changing the device (here: selecting it again, with working options) and going on
    monkeypatch.setattr(programs, "build_options", real)
    oclip.select_device(oclip.current_device())
    np.testing.assert_array_equal(oclip.gaussian_blur(image, sigma_x=1.0, sigma_y=1.0), expected)
