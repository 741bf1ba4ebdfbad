"""OpenCL build logs go to the ``oclip`` logger; Python's warnings machinery is left alone."""

from __future__ import annotations

import logging
import threading
import uuid
import warnings

import numpy as np
import pyopencl as cl
import pytest

import oclip
from oclip import _backend as backend

from ._isolated import run_python


def test_build_logs_go_to_the_log_inside_the_scope_and_warn_outside(caplog):
    with caplog.at_level(logging.DEBUG, logger="oclip"):
        with backend.compiler_output_logged():
            cl.compiler_output("build log: 1 warning generated")  # what pyopencl calls
        assert "1 warning generated" in caplog.text
    with pytest.warns(cl.CompilerWarning):
        cl.compiler_output("build log outside oclip")


#: A kernel clang warns about by default (an assignment as a condition).
WARNING_KERNEL = ("__kernel void oclip_assigns(__global int *out) "
                  "{ int x = 3; if (x = 4) out[0] = x; }")


def test_what_the_drivers_compiler_prints_goes_to_the_log_not_the_terminal(capfd, caplog):
    """PoCL's clang writes "1 warning generated." on descriptor 2 itself (issue 14, bug 12).

    A define no other build uses makes the program new to every cache (oclip's,
    pyopencl's and the driver's), so the compiler runs here.  The same build
    outside oclip's scope shows what the driver prints (where it prints
    nothing, the test has nothing to check on this device).
    """
    device = oclip.current_device()
    context = cl.Context([device.cl_device])
    token = ["-D", f"OCLIP_TOKEN_{uuid.uuid4().hex}=1"]
    capfd.readouterr()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cl.CompilerWarning)  # pyopencl's report of the log
        cl.Program(context, WARNING_KERNEL).build(options=token)
    printed = capfd.readouterr().err
    if "warning" not in printed:
        pytest.skip(f"the compiler of '{device.name}' prints no warnings on stderr")
    with caplog.at_level(logging.DEBUG, logger="oclip"):
        backend.build(WARNING_KERNEL, {f"OCLIP_TOKEN_{uuid.uuid4().hex}": 1}, name="assigns")
    captured = capfd.readouterr()
    assert captured.err == "" and captured.out == ""
    assert "warning generated" in caplog.text
    assert "x = 4" in caplog.text or "assignment" in caplog.text


def test_a_script_with_empty_kernel_caches_prints_nothing_but_its_own_output(tmp_path):
    """As an exported script runs: the first use of each kernel compiles it (empty
    caches: pyopencl's under XDG_CACHE_HOME, PoCL's under POCL_CACHE_DIR), and the
    compiler's chatter stays off the terminal."""
    done = run_python("""
        import numpy as np
        import oclip
        image = oclip.data.blobs2d((40, 48))
        labels = oclip.voronoi_otsu_labeling(oclip.gaussian_blur(image, sigma_x=1, sigma_y=1))
        print("labels", int(labels.max()))
    """, timeout=300, XDG_CACHE_HOME=str(tmp_path), POCL_CACHE_DIR=str(tmp_path / "pocl"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("labels ") and done.stderr == ""


def test_other_warnings_inside_the_scope_are_warned_as_usual():
    with pytest.warns(UserWarning, match="unrelated"), backend.compiler_output_logged():
        warnings.warn("unrelated", UserWarning, stacklevel=1)


def test_the_scope_is_per_thread(caplog):
    """A build log of another thread, outside oclip, is not swallowed by this thread's scope."""
    entered, done = threading.Event(), threading.Event()
    caught: list[warnings.WarningMessage] = []

    def other_thread() -> None:
        entered.wait(10)
        with warnings.catch_warnings(record=True) as record:  # this thread only runs now
            warnings.simplefilter("always")
            cl.compiler_output("another thread's build log")
        caught.extend(record)
        done.set()

    thread = threading.Thread(target=other_thread)
    thread.start()
    with backend.compiler_output_logged():
        entered.set()
        done.wait(10)
    thread.join(10)
    assert [str(w.message) for w in caught] != []
    assert all(issubclass(w.category, cl.CompilerWarning) for w in caught)


def test_an_operation_leaves_the_warnings_module_state_alone(rng):
    """catch_warnings swaps the module's filter list and showwarning for the block;
    done per call from several threads, the swaps interleave and lose the user's."""
    image = rng.random((9, 11)).astype(np.float32)
    filters, showwarning = warnings.filters, warnings.showwarning
    seen = []

    def probe() -> None:
        seen.append((warnings.filters is filters, warnings.showwarning is showwarning))

    with backend.compiler_output_logged():
        probe()
        oclip.gaussian_blur(image, sigma_x=1, sigma_y=1)
        probe()
    assert seen == [(True, True), (True, True)]
    assert warnings.filters is filters


CONCURRENT_CALLS = """
    import threading
    import warnings

    import numpy as np
    import oclip

    image = np.random.default_rng(1).random((24, 31)).astype(np.float32)
    oclip.gaussian_blur(image, sigma_x=1, sigma_y=1)  # builds the kernels first
    filters = len(warnings.filters)

    def calls():
        for _ in range(50):
            oclip.gaussian_blur(image, sigma_x=1, sigma_y=1)
            oclip.maximum_box(image, radius_x=1, radius_y=1)

    threads = [threading.Thread(target=calls) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    warnings.warn("the user's own warning", UserWarning)
    print("filters added:", len(warnings.filters) - filters)
"""


def test_concurrent_calls_keep_the_users_warnings_and_filters():
    done = run_python(CONCURRENT_CALLS, timeout=180)
    assert done.returncode == 0, done.stderr
    assert "filters added: 0" in done.stdout
    assert "the user's own warning" in done.stderr
