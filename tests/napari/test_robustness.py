"""The plugin under stress: layers deleted while their step computes, the viewer
closed while a computation runs, a parameter changed 50 times in a second,
operations that raise.  Nothing may reach napari's console as an unhandled
exception, no compute thread may outlive its viewer, and the workflow must stay
bound to the right layers.

Computations are made slow and controllable by :class:`Gate`, which wraps the
registered implementation of an operation (what a workflow step calls on the
compute thread): it counts the runs, can hold them until the test releases
them, and can make them raise.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import oclip
from oclip.napari import _dialogs
from oclip.ops import _registry

HOLD_TIMEOUT = 30.0  # seconds a held computation waits at most (a failing test never hangs)


class Gate:
    """Instruments registered operations for one test."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.runs: list[tuple[str, dict[str, Any]]] = []  # (operation, scalar arguments)
        self.held: set[str] = set()  # operations that wait for `release` before running
        self.entered = threading.Event()  # a held operation started
        self.release = threading.Event()
        self.failures: dict[str, Exception] = {}  # operation → what it raises
        self.delay = 0.0  # seconds each run takes at least
        self._monkeypatch = monkeypatch

    def watch(self, *names: str) -> None:
        for name in names:
            operation = _registry.get_operation(name)
            wrapped = dataclasses.replace(operation, function=self._wrap(name, operation.function))
            self._monkeypatch.setitem(_registry._registry, name, wrapped)

    def _wrap(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def run(**arguments: Any) -> Any:
            self.runs.append((name, {k: v for k, v in arguments.items()
                                     if not hasattr(v, "shape")}))
            if name in self.held:
                self.entered.set()
                if not self.release.wait(HOLD_TIMEOUT):
                    raise TimeoutError(f"{name} was held for {HOLD_TIMEOUT} s")
            if self.delay:
                time.sleep(self.delay)
            if name in self.failures:
                raise self.failures[name]
            return function(**arguments)

        return run

    def count(self, name: str) -> int:
        return sum(1 for op, _ in self.runs if op == name)

    def hold(self, name: str) -> None:
        self.entered.clear()
        self.release.clear()
        self.held.add(name)

    def wait_entered(self) -> None:
        assert self.entered.wait(HOLD_TIMEOUT), "the held computation never started"


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Any:
    instrumented = Gate(monkeypatch)
    yield instrumented
    instrumented.release.set()  # never leave a compute thread waiting


class Unhandled:
    """Exceptions that reached sys.excepthook (Qt and napari callbacks: napari's
    console) or threading.excepthook (a thread that died of one)."""

    def __init__(self) -> None:
        self.in_threads: list[BaseException] = []
        self.in_qt: list[Any] = []

    def check(self) -> None:
        errors = [*self.in_threads, *(value for _, value, _ in self.in_qt)]
        assert not errors, f"unhandled exceptions: {errors!r}"


@pytest.fixture
def unhandled(qtbot: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    record = Unhandled()
    monkeypatch.setattr(threading, "excepthook", lambda args: record.in_threads.append(
        args.exc_value))
    with qtbot.captureExceptions() as caught:
        record.in_qt = caught
        yield record
    record.check()


def blur_then_threshold(viewer: Any, assistant: Any, settled: Any) -> tuple[str, str]:
    """gaussian_blur on the image, threshold_otsu on the blur; both computed."""
    blur = assistant.add_step("Remove noise", viewer.layers["image"])
    settled(assistant)
    otsu = assistant.add_step("Binarize", viewer.layers[blur])
    settled(assistant)
    assert (blur, otsu) == ("gaussian_blur", "threshold_otsu")
    return blur, otsu


def names(viewer: Any) -> list[str]:
    return [layer.name for layer in viewer.layers]


# --- deleting layers while their step computes ---------------------------------------------


def test_deleting_a_result_layer_while_its_step_computes(assistant_in, settled, blobs, gate,
                                                         answers, unhandled):
    viewer, assistant = assistant_in(blobs)
    recorded = assistant.viewer_workflow
    gate.watch("gaussian_blur")
    blur = assistant.add_step("Remove noise", viewer.layers["image"])
    settled(assistant)
    layer = viewer.layers[blur]
    shown = layer.data.copy()
    gate.hold("gaussian_blur")
    assistant.step_widgets[blur].form["sigma_x"].value = 3.0
    gate.wait_entered()
    viewer.layers.remove(layer)  # read by no other step: the step goes with it
    assert not assistant.workflow.steps
    gate.release.set()
    settled(assistant)
    assert names(viewer) == ["image"]  # the late result re-added no layer
    np.testing.assert_array_equal(layer.data, shown)  # nor was written into the removed one
    assert recorded.layers.step_of(layer) is None and not assistant.step_widgets
    assert gate.count("gaussian_blur") == 2 and not answers.asked
    recorded.editor.undo()  # the step comes back with a fresh layer of its last parameters
    settled(assistant)
    assert names(viewer) == ["image", blur] and viewer.layers[blur] is not layer
    np.testing.assert_array_equal(viewer.layers[blur].data,
                                  oclip.gaussian_blur(blobs, sigma_x=3.0))
    unhandled.check()


@pytest.mark.parametrize("keep", [True, False], ids=["keep", "remove-followers"])
def test_deleting_a_read_result_layer_while_its_step_computes(qtbot, monkeypatch, assistant_in,
                                                              settled, blobs, gate, unhandled,
                                                              keep):
    """The result arrives while the question about the followers is open (a modal
    dialog runs the event loop): it must neither add a stray layer nor be lost."""
    viewer, assistant = assistant_in(blobs)
    recorded = assistant.viewer_workflow
    gate.watch("gaussian_blur")
    blur, otsu = blur_then_threshold(viewer, assistant, settled)
    blur_layer, otsu_layer = viewer.layers[blur], viewer.layers[otsu]
    shown = blur_layer.data.copy()
    asked: list[str] = []

    def user(parent: Any, question: str) -> bool:
        asked.append(question)
        gate.release.set()  # the computation ends while the user reads the question
        qtbot.waitUntil(lambda: recorded.jobs.idle, timeout=30000)
        return not keep

    monkeypatch.setattr(_dialogs, "confirm", user)
    inserted: list[Any] = []
    viewer.layers.events.inserted.connect(lambda event: inserted.append(event.value))
    gate.hold("gaussian_blur")
    assistant.step_widgets[blur].form["sigma_x"].value = 3.0
    gate.wait_entered()
    viewer.layers.remove(blur_layer)
    qtbot.waitUntil(lambda: bool(asked), timeout=30000)
    settled(assistant)
    assert len(asked) == 1 and otsu in asked[0]
    if keep:
        assert assistant.workflow.step_ids == (blur, otsu)
        assert sorted(names(viewer)) == sorted(["image", blur, otsu])
        assert inserted == [blur_layer]  # its own layer came back, nothing else
        assert (recorded.layers.layer_of(blur) is blur_layer
                and recorded.layers.layer_of(otsu) is otsu_layer)
        expected = oclip.gaussian_blur(blobs, sigma_x=3.0)  # the result computed meanwhile
        np.testing.assert_array_equal(blur_layer.data, expected)
        np.testing.assert_array_equal(otsu_layer.data, oclip.threshold_otsu(expected))
    else:
        assert not assistant.workflow.steps
        assert names(viewer) == ["image"] and inserted == []
        np.testing.assert_array_equal(blur_layer.data, shown)
    unhandled.check()


def test_deleting_the_input_layer_while_computing(qtbot, assistant_in, settled, blobs, gate,
                                                  answers, notified, unhandled):
    viewer, assistant = assistant_in(blobs)
    recorded = assistant.viewer_workflow
    gate.watch("gaussian_blur")
    blur = assistant.add_step("Remove noise", viewer.layers["image"])
    settled(assistant)
    image = viewer.layers["image"]
    gate.hold("gaussian_blur")
    widget = assistant.step_widgets[blur]
    widget.form["sigma_x"].value = 3.0
    gate.wait_entered()
    viewer.layers.remove(image)  # told once napari is done removing (unless it closes)
    qtbot.waitUntil(lambda: bool(notified["warning"]), timeout=5000)
    assert "'image'" in notified["warning"][-1] and blur in notified["warning"][-1]
    gate.release.set()
    settled(assistant)
    # The step stays (it can run again on another layer); the computation that was
    # running shows the result of the data it was given; the input is not re-added.
    assert assistant.workflow.step_ids == (blur,) and names(viewer) == [blur]
    assert recorded.layers.layer_of("image") is None
    np.testing.assert_array_equal(viewer.layers[blur].data,
                                  oclip.gaussian_blur(blobs, sigma_x=3.0))
    runs = gate.count("gaussian_blur")
    widget.form["sigma_x"].value = 4.0  # without its input nothing can compute
    settled(assistant)
    assert gate.count("gaussian_blur") == runs
    assert "gone" in recorded.last_error and notified["error"]
    other = oclip.data.blobs2d((96, 120), seed=3)  # onto a new image, it computes again
    recorded.editor.load(assistant.workflow, {"image": viewer.add_image(other, name="other")})
    settled(assistant)
    # (in a result layer of its own: the one shown before keeps its data, issue 14)
    np.testing.assert_array_equal(recorded.layers.layer_of(blur).data,
                                  oclip.gaussian_blur(other, sigma_x=4.0))
    np.testing.assert_array_equal(viewer.layers[blur].data,
                                  oclip.gaussian_blur(blobs, sigma_x=3.0))
    assert recorded.last_error is None and not answers.asked
    unhandled.check()


def test_deleting_an_input_layer_that_only_an_undone_step_read(assistant_in, settled, blobs,
                                                                notified, unhandled):
    viewer, assistant = assistant_in(blobs)
    recorded = assistant.viewer_workflow
    blur = assistant.add_step("Remove noise", viewer.layers["image"])
    settled(assistant)
    recorded.editor.undo()  # the workflow is empty again; the image stays bound for redo
    settled(assistant)
    viewer.layers.remove("image")  # used to raise: 'image' is not an input of the workflow
    assert not notified["warning"] and recorded.layers.layer_of("image") is None
    recorded.editor.redo()  # the step is back, but its input is gone: said, nothing computed
    settled(assistant)
    assert assistant.workflow.step_ids == (blur,) and len(viewer.layers) == 0
    assert "gone" in recorded.last_error and "gone" in notified["error"][-1]
    unhandled.check()


# --- closing the viewer ------------------------------------------------------------------


def test_closing_the_viewer_while_computing(qtbot, assistant_in, settled, blobs, gate, answers,
                                            unhandled):
    before = set(threading.enumerate())
    viewer, assistant = assistant_in(blobs)
    recorded = assistant.viewer_workflow
    thread = recorded.jobs.worker._thread
    assert thread.is_alive()
    gate.watch("gaussian_blur")
    blur, _ = blur_then_threshold(viewer, assistant, settled)
    gate.hold("gaussian_blur")
    assistant.step_widgets[blur].form["sigma_x"].value = 3.0
    gate.wait_entered()
    inserted: list[Any] = []
    viewer.layers.events.inserted.connect(lambda event: inserted.append(event.value))
    started = time.perf_counter()
    viewer.close()  # removes every layer (the blur is read by the threshold), then the window
    assert time.perf_counter() - started < 5.0  # not frozen waiting for the computation
    assert recorded._closed and thread.is_alive()  # the computation was still running
    gate.release.set()
    qtbot.waitUntil(lambda: not thread.is_alive(), timeout=15000)
    qtbot.waitUntil(lambda: set(threading.enumerate()) <= before, timeout=5000)
    assert not answers.asked  # no question (a modal dialog) while the viewer closes
    assert inserted == [] and len(viewer.layers) == 0  # the late result added nothing
    unhandled.check()


def test_closing_the_viewer_while_idle_ends_the_thread(qtbot, assistant_in, settled, blobs,
                                                       answers, unhandled):
    before = set(threading.enumerate())
    viewer, assistant = assistant_in(blobs)
    thread = assistant.viewer_workflow.jobs.worker._thread
    blur_then_threshold(viewer, assistant, settled)
    viewer.close()
    qtbot.waitUntil(lambda: not thread.is_alive(), timeout=15000)
    assert set(threading.enumerate()) <= before and not answers.asked
    unhandled.check()


# --- a parameter changed 50 times in a second ----------------------------------------------


def test_fifty_changes_while_computing_are_coalesced(assistant_in, settled, blobs, gate,
                                                     unhandled):
    viewer, assistant = assistant_in(blobs)
    recorded = assistant.viewer_workflow
    gate.watch("gaussian_blur")
    blur = assistant.add_step("Remove noise", viewer.layers["image"])
    settled(assistant)
    runs = gate.count("gaussian_blur")
    widget = assistant.step_widgets[blur].form["sigma_x"]
    values = [1.0 + 0.1 * i for i in range(1, 51)]
    gate.hold("gaussian_blur")
    widget.value = values[0]
    gate.wait_entered()  # the first change computes; the other 49 come meanwhile
    started = time.perf_counter()
    for value in values[1:]:
        widget.value = value
    assert time.perf_counter() - started < 1.0
    gate.release.set()
    settled(assistant)
    computed = [arguments["sigma_x"] for op, arguments in gate.runs[runs:]]
    assert computed == [values[0], values[-1]]  # the first, then only the newest
    assert assistant.workflow.step(blur).params["sigma_x"] == values[-1]
    np.testing.assert_array_equal(viewer.layers[blur].data,
                                  oclip.gaussian_blur(blobs, sigma_x=values[-1]))
    recorded.editor.undo()  # the 50 changes of one parameter are one undo step
    settled(assistant)
    assert assistant.workflow.step(blur).params.get("sigma_x", 1.0) == 1.0
    unhandled.check()


def test_fifty_changes_in_a_second_like_a_slider(qtbot, assistant_in, settled, blobs, gate,
                                                 unhandled):
    """A change every 20 ms while results keep arriving: each computation takes at
    least 0.2 s, so at most about one value in ten is computed, and the layers end
    with the last value, downstream too."""
    viewer, assistant = assistant_in(blobs)
    gate.watch("gaussian_blur", "threshold_otsu")
    blur, otsu = blur_then_threshold(viewer, assistant, settled)
    runs = gate.count("gaussian_blur")
    widget = assistant.step_widgets[blur].form["sigma_x"]
    values = [1.0 + 0.05 * i for i in range(1, 51)]
    gate.delay = 0.2
    started = time.perf_counter()
    for value in values:
        widget.value = value
        qtbot.wait(20)
    elapsed = time.perf_counter() - started
    settled(assistant)
    count = gate.count("gaussian_blur") - runs
    assert 1 <= count <= elapsed / gate.delay + 2 and count < 25
    (last_blur, arguments), (last_otsu, _) = gate.runs[-2:]
    assert (last_blur, last_otsu) == ("gaussian_blur", "threshold_otsu")
    assert arguments["sigma_x"] == values[-1]
    expected = oclip.gaussian_blur(blobs, sigma_x=values[-1])
    np.testing.assert_array_equal(viewer.layers[blur].data, expected)
    np.testing.assert_array_equal(viewer.layers[otsu].data, oclip.threshold_otsu(expected))
    unhandled.check()


# --- operations that raise -----------------------------------------------------------------


def test_an_operation_that_raises_is_reported_and_the_step_recovers(assistant_in, settled, blobs,
                                                                    gate, notified, unhandled):
    viewer, assistant = assistant_in(blobs)
    recorded = assistant.viewer_workflow
    gate.watch("threshold_otsu")
    blur, otsu = blur_then_threshold(viewer, assistant, settled)
    before = {layer.name: layer.data.copy() for layer in viewer.layers}
    gate.failures["threshold_otsu"] = RuntimeError("CL_OUT_OF_RESOURCES")
    widget = assistant.step_widgets[blur].form["sigma_x"]
    widget.value = 2.0
    settled(assistant)
    assert recorded.last_error == "CL_OUT_OF_RESOURCES"
    assert notified["error"] == ["oclip: CL_OUT_OF_RESOURCES"]
    # the change is recorded; the failing step fails alone (issue 14): it keeps its
    # last good result and is marked in error, the step before it computes
    assert assistant.workflow.step_ids == (blur, otsu)
    assert assistant.workflow.step(blur).params["sigma_x"] == 2.0
    assert names(viewer) == list(before)
    np.testing.assert_array_equal(viewer.layers[otsu].data, before[otsu])
    np.testing.assert_array_equal(viewer.layers[blur].data,
                                  oclip.gaussian_blur(blobs, sigma_x=2.0))
    assert recorded.step_errors == {otsu: "CL_OUT_OF_RESOURCES"}
    del gate.failures["threshold_otsu"]
    widget.value = 2.5
    settled(assistant)
    assert recorded.last_error is None and len(notified["error"]) == 1
    expected = oclip.gaussian_blur(blobs, sigma_x=2.5)
    np.testing.assert_array_equal(viewer.layers[blur].data, expected)
    np.testing.assert_array_equal(viewer.layers[otsu].data, oclip.threshold_otsu(expected))
    unhandled.check()


def test_while_a_step_fails_the_steps_before_it_compute_once_per_change(assistant_in, settled,
                                                                       blobs, gate, notified):
    viewer, assistant = assistant_in(blobs)
    gate.watch("gaussian_blur", "threshold_otsu")
    blur, otsu = blur_then_threshold(viewer, assistant, settled)
    gate.failures["threshold_otsu"] = RuntimeError("CL_OUT_OF_RESOURCES")
    widget = assistant.step_widgets[blur].form["sigma_x"]
    widget.value = 2.0
    settled(assistant)
    assert otsu in assistant.viewer_workflow.step_errors
    for sigma in (2.5, 3.0):  # the failing step is tried after the others, reusing them
        blurs, otsus = gate.count("gaussian_blur"), gate.count("threshold_otsu")
        widget.value = sigma
        settled(assistant)
        assert (gate.count("gaussian_blur"), gate.count("threshold_otsu")) == (blurs + 1,
                                                                                otsus + 1)
        np.testing.assert_array_equal(viewer.layers[blur].data,
                                      oclip.gaussian_blur(blobs, sigma_x=sigma))
    assert len(notified["error"]) == 1
    del gate.failures["threshold_otsu"]
    widget.value = 3.5
    settled(assistant)
    assert assistant.viewer_workflow.step_errors == {}
    np.testing.assert_array_equal(viewer.layers[otsu].data, oclip.threshold_otsu(
        oclip.gaussian_blur(blobs, sigma_x=3.5)))


def test_a_parameter_the_operation_refuses_is_reported_then_fixed(assistant_in, settled, blobs,
                                                                  notified, unhandled):
    viewer, assistant = assistant_in(blobs)
    recorded = assistant.viewer_workflow
    step = recorded.editor.add_step("crop", {"image": viewer.layers["image"]},
                            {"size_x": 50, "size_y": 40})
    settled(assistant)
    layer = viewer.layers[step]
    shown = layer.data.copy()
    widget = assistant.step_widgets[step].form
    widget["start_x"].value = 500  # beyond the image: crop raises ValueError
    settled(assistant)
    assert "start_x" in recorded.last_error and step in recorded.last_error
    assert notified["error"] and "start_x" in notified["error"][-1]
    np.testing.assert_array_equal(layer.data, shown)
    assert names(viewer) == ["image", step]
    widget["start_x"].value = 10
    settled(assistant)
    assert recorded.last_error is None
    np.testing.assert_array_equal(viewer.layers[step].data,
                                  oclip.crop(blobs, start_x=10, size_x=50, size_y=40))
    unhandled.check()


@pytest.mark.parametrize(("category", "first", "chosen"), [
    ("Combine", "add_images", "mask"),
    ("Combine", "add_images", "binary_and"),
    ("Combine", "add_images", "add_image_and_scalar"),
])
def test_choosing_an_operation_with_other_image_parameters(assistant_in, settled, blobs, notified,
                                                           unhandled, category, first, chosen):
    """The chooser offers every operation of the category; one whose image parameters
    are named otherwise reads the step's source for each (it used to raise in the
    chooser's callback, a WorkflowError in napari's console)."""
    viewer, assistant = assistant_in(blobs)
    step = assistant.add_step(category, viewer.layers["image"])
    settled(assistant)
    assert assistant.workflow.step(step).op == first
    assistant.step_widgets[step].operation_box.setCurrentText(chosen)
    settled(assistant)
    changed = assistant.workflow.step(step)
    operation = oclip.get_operation(chosen)
    assert changed.op == chosen
    assert changed.inputs == {p.name: "image" for p in operation.image_parameters}
    arguments = {p.name: blobs for p in operation.image_parameters}
    np.testing.assert_array_equal(viewer.layers[chosen].data, operation(**arguments))
    assert not notified["error"] and assistant.viewer_workflow.last_error is None
    unhandled.check()


def test_the_interpreter_waits_at_exit_for_a_running_job_only(tmp_path):
    """A closed worker's thread is a daemon that finishes its running job by itself;
    at interpreter exit that job is waited for (a kernel is never cut off), while
    an idle worker nobody closed does not delay the exit."""
    done = tmp_path / "done"
    script = (
        "import time\n"
        "from oclip.napari._worker import ComputeWorker\n"
        "idle, worker = ComputeWorker(), ComputeWorker()\n"
        f"worker.submit(lambda: (time.sleep(0.5), open({str(done)!r}, 'w').close()))\n"
        "time.sleep(0.1)\n"
        "worker.close(timeout=0)\n"
        "print(time.time(), flush=True)\n"
    )
    ran = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=60, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    ended = time.time()
    assert ran.returncode == 0, ran.stderr
    assert done.exists()
    assert ended - float(ran.stdout) < 3.0  # not the 10 s an idle thread's join would take
