"""One device per operation call, whatever other threads select meanwhile."""

from __future__ import annotations

import threading

import pytest

import oclip
from oclip import _backend as backend
from oclip._backend import device as device_module

from ._isolated import run_python


def _working_devices() -> list[backend.DeviceInfo]:
    return [d for d in oclip.devices() if device_module.check_device(d) is None]


two_devices = pytest.mark.skipif(len(_working_devices()) < 2,
                                 reason="needs two working OpenCL devices")


@two_devices
@pytest.mark.usefixtures("restore_device")
def test_a_session_keeps_its_device_while_another_thread_selects():
    first, second = _working_devices()[:2]
    oclip.select_device(first)
    with backend.device_session() as session:
        switch = threading.Thread(target=oclip.select_device, args=(second,))
        switch.start()
        switch.join(30)
        assert session.device == first
        assert backend.current_device() == first
        with backend.device_session() as inner:  # nested: the same device
            assert inner is session
    assert backend.current_device() == second  # the selection applies to what follows


# The worker's computation: a kernel every device builds (the second PoCL on CI
# compiles little else), pushed, computed and pulled in one call.
SWITCHING = """
    import threading, time
    import numpy as np
    import pyopencl as cl
    import oclip
    from oclip import _backend as backend
    from oclip.ops._registry import operation
    from oclip.ops._types import Image

    SOURCE = ("__kernel void scale(__global const float *a, __global float *b, float f) "
              "{ const int i = get_global_id(0); b[i] = f * a[i]; }")

    def tripled_on_device(image):
        target = backend.create(image.shape)
        program = backend.build(SOURCE, name="scale")
        context = backend.current_context()
        backend.check_same_device([image, target], context, "scale")  # as Program.launch
        cl.Kernel(program, "scale")(context.queue, (image.size,), None, image.base_data,
                                    target.base_data, np.float32(3))
        return target

    def in_a_session(image):
        with backend.device_session():
            return backend.pull(tripled_on_device(backend.push(image)))

    @operation(category="Filter")
    def tripled(image: Image) -> Image:
        \"\"\"Three times the image (a test operation).\"\"\"
        return tripled_on_device(image)

    devices = oclip.devices()[:2]
    image = np.arange(4096, dtype=np.float32).reshape(64, 64)
    stop = threading.Event()
    failures, calls = [], [0]

    def compute():
        while not stop.is_set():
            try:
                if not np.array_equal(CALL(image), 3 * image):
                    failures.append("wrong result")
            except Exception as error:
                failures.append(repr(error))
            calls[0] += 1

    worker = threading.Thread(target=compute, daemon=True)
    worker.start()
    switches, start = 0, time.monotonic()
    while worker.is_alive() and (time.monotonic() - start < 2 or calls[0] < 20):
        oclip.select_device(devices[switches % 2])
        switches += 1
        time.sleep(0.002)
    stop.set()
    worker.join()
    print("calls", calls[0], "switches", switches, "failures", len(failures), failures[:2])
"""


@two_devices
def test_switching_devices_while_another_thread_computes_in_a_session():
    done = run_python(SWITCHING.replace("CALL(", "in_a_session("), timeout=60)
    assert done.returncode == 0, done.stderr
    assert "failures 0 " in done.stdout, done.stdout


@two_devices
def test_switching_devices_while_another_thread_runs_operations():
    done = run_python(SWITCHING.replace("CALL(", "tripled("), timeout=60)
    assert done.returncode == 0, done.stderr
    assert "failures 0 " in done.stdout, done.stdout


STALE_ARRAY = """
    import numpy as np
    import oclip
    from oclip import _backend as backend

    first, second = oclip.devices()[:2]
    oclip.select_device(first)
    image = backend.push(np.ones(16, np.float32))
    oclip.select_device(second)
    try:
        backend.Program("oclip.ops", "math.cl").launch(
            "binary_add", (16,), image, image, image, np.float32(1), np.float32(1),
            defines={"T1": "float", "TOUT": "float", "TC": "float", "TP": "float",
                     "TC_FLOAT": 1})
    except oclip.DeviceError as error:
        print("refused:", error)
    print("pulled", backend.pull(image).sum())  # read on its own device
"""


@two_devices
def test_a_device_array_of_another_device_is_refused_not_hung():
    done = run_python(STALE_ARRAY, timeout=60)
    assert "refused:" in done.stdout, done.stderr
    assert "belong to the device they were made on" in done.stdout
    assert "pulled 16.0" in done.stdout

