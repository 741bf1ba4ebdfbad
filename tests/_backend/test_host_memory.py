"""Host memory that is not there is refused with sizes before the driver is asked on
CPU devices (PoCL aborts the process where a host allocation fails); oclip keeps an
account of its live buffers on every device."""

from __future__ import annotations

import dataclasses

import pytest

import oclip
from oclip import _backend as backend

from ._isolated import run_python

LIMITED = """
    import resource
    import numpy as np
    import oclip
    from oclip import _backend as backend

    small = np.ones((16, 16), np.float32)
    expected = oclip.gaussian_blur(small, sigma_x=1, sigma_y=1)  # kernels built first
    image = np.ones((64, 1024, 1024), np.float32)  # 256 MiB, allocated before the limit

    def used():
        with open("/proc/self/status") as status:
            line = next(line for line in status if line.startswith("VmSize:"))
        return int(line.split()[1]) * 1024

    limit = used() + HEADROOM * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))
    STEP
    # the process goes on: memory freed, small and large work both run
    print("small:", np.array_equal(oclip.gaussian_blur(small, sigma_x=1, sigma_y=1), expected))
    print("pushed again:", backend.pull(backend.push(image)).sum() == image.size)
"""

PUSHES = """kept = []
    try:
        for _ in range(8):
            kept.append(backend.push(image))
    except oclip.DeviceMemoryError as error:
        print("refused after", len(kept), "pushes:", error)
    kept.clear()"""

PIPELINE = """try:
        oclip.gaussian_blur(image, sigma_x=2, sigma_y=2, sigma_z=1)
        print("computed")
    except oclip.DeviceMemoryError as error:
        print("refused:", error)"""


def _run_limited(step: str, headroom_mib: int):
    done = run_python(LIMITED.replace("HEADROOM", str(headroom_mib)).replace("STEP", step),
                      timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.mark.skipif(oclip.current_device().type != "CPU", reason="host memory of CPU devices")
def test_pushes_beyond_the_address_space_limit_are_refused_and_the_process_goes_on():
    out = _run_limited(PUSHES, headroom_mib=900)
    assert "(the process's address-space limit (RLIMIT_AS))" in out
    assert "refused after 3 pushes:" in out or "refused after 2 pushes:" in out, out
    assert "needs 256.0 MiB" in out and "of host memory is left" in out
    assert "live device arrays there hold" in out
    assert "small: True" in out and "pushed again: True" in out


@pytest.mark.skipif(oclip.current_device().type != "CPU", reason="host memory of CPU devices")
def test_an_operation_whose_buffers_do_not_fit_is_refused_and_the_process_goes_on():
    # the input and its result fit, the blur's intermediate image does not
    out = _run_limited(PIPELINE, headroom_mib=700)
    assert "refused:" in out, out
    assert "needs 256.0 MiB" in out and "RLIMIT_AS" in out
    assert "small: True" in out and "pushed again: True" in out


def test_available_memory_counts_live_buffers(monkeypatch):
    session = backend.current_context()
    monkeypatch.setattr(session, "device",
                        dataclasses.replace(session.device, global_memory=64 * 2**20))
    before = backend.available_memory()
    kept = backend.create((1024, 1024))  # 4 MiB
    assert before - backend.available_memory() >= 4 * 2**20
    assert backend.available_memory() <= 60 * 2**20
    del kept
