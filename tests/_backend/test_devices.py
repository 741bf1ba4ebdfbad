"""Device discovery, the selection policy, and the errors without a usable device."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys

import numpy as np
import pyopencl as cl
import pytest

import oclip
from oclip._backend import DeviceInfo, device_matches, device_rank
from oclip._backend import device as device_module


def fake(name: str, kind: str, memory_gib: float, unified: bool = False,
         index: int = 0) -> DeviceInfo:
    return DeviceInfo(name=name, platform="Fake", type=kind,
                      global_memory=int(memory_gib * 2**30), max_allocation=2**28,
                      opencl_version="OpenCL 3.0", driver_version="1", compute_units=4,
                      unified_memory=unified, double_precision=True,
                      exact_divide_sqrt=True, index=index,
                      cl_device=None)


def test_devices_lists_the_selected_device():
    found = oclip.devices()
    assert found, "at least one device"
    selected = oclip.current_device()
    assert selected in found
    for device in found:
        assert device.type in ("GPU", "CPU", "ACCELERATOR", "OTHER")
        assert device.global_memory > 0 and device.max_allocation > 0
        assert device.opencl_version.startswith("OpenCL")


def test_policy_prefers_discrete_gpu_with_more_memory_then_integrated_then_cpu():
    cpu = fake("Some CPU", "CPU", 64, unified=True, index=0)
    integrated = fake("iGPU", "GPU", 16, unified=True, index=1)
    small = fake("GPU A", "GPU", 8, index=2)
    large = fake("GPU B", "GPU", 24, index=3)
    accelerator = fake("FPGA", "ACCELERATOR", 32, index=4)
    ranked = sorted([cpu, integrated, small, large, accelerator], key=device_rank)
    assert [d.name for d in ranked] == ["GPU B", "GPU A", "iGPU", "Some CPU", "FPGA"]


@pytest.mark.parametrize(("name", "expected"), [
    ("gpu", {"NVIDIA H100"}),
    ("GPU", {"NVIDIA H100"}),
    ("cpu", {"pthread-AMD EPYC"}),
    ("h100", {"NVIDIA H100"}),
    ("epyc", {"pthread-AMD EPYC"}),
    ("radeon", set()),
])
def test_names_match_type_or_name_substring(name, expected):
    candidates = [fake("NVIDIA H100", "GPU", 80), fake("pthread-AMD EPYC", "CPU", 64)]
    assert {d.name for d in candidates if device_matches(d, name)} == expected


@pytest.mark.usefixtures("restore_device")
def test_unknown_name_is_refused_with_the_list_of_devices():
    with pytest.raises(oclip.NoDeviceError, match="no OpenCL device matches 'no-such-device'"
                       ) as caught:
        oclip.select_device("no-such-device")
    assert oclip.devices()[0].name in str(caught.value)


@pytest.mark.usefixtures("restore_device")
def test_environment_variable_selects(monkeypatch):
    current = oclip.current_device()
    monkeypatch.setenv("OCLIP_DEVICE", current.name[-6:])
    assert oclip.select_device() == current
    monkeypatch.setenv("OCLIP_DEVICE", "no-such-device")
    with pytest.raises(oclip.NoDeviceError, match="from OCLIP_DEVICE"):
        oclip.select_device()


@pytest.mark.usefixtures("restore_device")
def test_explicit_name_wins_over_environment(monkeypatch):
    monkeypatch.setenv("OCLIP_DEVICE", "no-such-device")
    current = oclip.current_device()
    assert oclip.select_device(current.type.lower()).type == current.type


@pytest.mark.usefixtures("restore_device")
def test_a_device_that_fails_its_self_test_is_passed_over(monkeypatch):
    real = oclip.current_device()
    broken = dataclasses.replace(fake("Broken GPU", "GPU", 48), index=1000)
    monkeypatch.setattr(device_module, "devices", lambda refresh=False: [broken, real])
    opened = device_module._open

    def open_or_fail(device):
        if device.index == broken.index:
            raise oclip.DeviceError(f"device '{device}' does not work: error: simulated")
        return opened(device)

    monkeypatch.setattr(device_module, "_open", open_or_fail)
    device_module._state.failures.pop(broken.index, None)
    assert oclip.select_device() == real
    assert "simulated" in str(device_module.check_device(broken))
    with pytest.raises(oclip.NoDeviceError, match="simulated"):
        oclip.select_device("Broken")
    device_module._state.failures.pop(broken.index, None)


def test_a_real_build_failure_reads_as_the_compiler_error():
    error = cl.RuntimeError("clBuildProgram failed: BUILD_PROGRAM_FAILURE\n\nBuild on X:\n\n"
                            "error: unknown target CPU 'generic'\nfailed")
    reason = device_module._reason(error)
    assert reason.startswith("error: unknown target CPU 'generic'")
    assert "pocl-opencl-icd" in reason


def test_no_platform_is_an_oclip_error_that_says_how_to_get_one(monkeypatch, restore_device):
    def no_platform():
        raise cl.LogicError("clGetPlatformIDs failed: PLATFORM_NOT_FOUND_KHR")

    monkeypatch.setattr(cl, "get_platforms", no_platform)
    with pytest.raises(oclip.NoDeviceError, match=r"pyopencl\[pocl\]") as caught:
        oclip.devices(refresh=True)
    assert "GPU" in str(caught.value) and "driver" in str(caught.value)
    assert not isinstance(caught.value, cl.Error)


@pytest.mark.skipif(not sys.platform.startswith("linux"),
                    reason="OCL_ICD_VENDORS steers the ocl-icd loader of pyopencl's Linux wheels")
def test_no_platform_in_a_real_process():
    environment = dict(os.environ, OCL_ICD_VENDORS="/nonexistent", OCLIP_DEVICE="")
    script = "import numpy, oclip; oclip.gaussian_blur(numpy.zeros((3, 3)))"
    done = subprocess.run([sys.executable, "-c", script], env=environment,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    last_line = done.stderr.strip().splitlines()[-1]
    assert last_line.startswith("oclip.NoDeviceError: No OpenCL platform")
    assert "pyopencl[pocl]" in last_line and "pocl-opencl-icd" in last_line


def test_import_does_not_touch_opencl():
    script = (
        "import pyopencl\n"
        "def refuse(*args, **kwargs):\n"
        "    raise SystemExit('OpenCL was queried at import time')\n"
        "pyopencl.get_platforms = refuse\n"
        "import oclip\n"
        "assert oclip.operations(), 'operations are registered'\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert done.stdout.strip() == "ok", done.stderr


def test_selected_device_computes():
    image = np.arange(12, dtype=np.float32).reshape(3, 4)
    assert np.array_equal(oclip.maximum_box(image, radius_x=0, radius_y=0), image)


@pytest.mark.usefixtures("restore_device")
def test_a_listed_device_selects_exactly_that_device():
    for device in oclip.devices():
        if device_module.check_device(device) is None:
            assert oclip.select_device(device) == device
            assert oclip.current_device() == device
    stranger = dataclasses.replace(oclip.devices()[0], name="Elsewhere", index=999)
    with pytest.raises(oclip.NoDeviceError, match="not among the devices"):
        oclip.select_device(stranger)
