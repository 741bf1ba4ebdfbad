"""The command line, run as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import oclip


def oclip_command(*arguments: str, **environment: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "oclip", *arguments],
                          env=dict(os.environ, **environment), capture_output=True, text=True,
                          timeout=300)


def test_devices_lists_and_marks_the_selected_device():
    done = oclip_command("devices")
    assert done.returncode == 0, done.stderr
    selected = oclip.current_device()
    marked = [line for line in done.stdout.splitlines() if line.startswith("*")]
    assert len(marked) == 1 and selected.name in marked[0]
    assert "OpenCL" in marked[0]
    assert "GiB" in marked[0] or "MiB" in marked[0]
    assert f"selected (*): {selected}" in done.stdout


def test_devices_with_an_unknown_name_fails_cleanly():
    done = oclip_command("devices", "--device", "no-such-device")
    assert done.returncode == 1
    assert "no OpenCL device matches 'no-such-device'" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.skipif(not sys.platform.startswith("linux"),
                    reason="OCL_ICD_VENDORS steers the ocl-icd loader of pyopencl's Linux wheels")
def test_devices_without_any_platform_says_how_to_get_one():
    done = oclip_command("devices", OCL_ICD_VENDORS="/nonexistent")
    assert done.returncode == 1
    assert "No OpenCL platform is installed" in done.stderr
    assert "Traceback" not in done.stderr


def test_help_lists_the_commands():
    done = oclip_command("--help")
    assert done.returncode == 0
    assert "devices" in done.stdout and "demo" in done.stdout
