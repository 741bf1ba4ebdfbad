"""Feedback while the Assistant works (issue 14, friction 1 and 2, bug 12): the dock
says which step computes and can cancel it; kernels are built ahead when the dock
opens; closing the viewer with work pending tells the user nothing.

A computation is held (deterministically) by wrapping the registered
implementation of an operation, which is what a workflow step calls on the
compute thread.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
from typing import Any

import numpy as np
import pytest
from qtpy.QtCore import Qt

import oclip
from oclip import _backend as backend
from oclip.napari import _busy
from oclip.ops import _registry

HOLD_TIMEOUT = 30.0  # seconds a held computation waits at most


class Hold:
    """Makes the registered operation ``name`` wait, when asked, until released."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.holding = False
        self.runs = 0
        operation = _registry.get_operation(name)
        function = operation.function

        def run(**arguments: Any) -> Any:
            self.runs += 1
            if self.holding:
                self.entered.set()
                assert self.release.wait(HOLD_TIMEOUT), f"{name} was held too long"
            return function(**arguments)

        monkeypatch.setitem(_registry._registry, name,
                            dataclasses.replace(operation, function=run))

    def hold(self) -> None:
        self.entered.clear()
        self.release.clear()
        self.holding = True


@pytest.fixture
def hold(monkeypatch: pytest.MonkeyPatch) -> Any:
    holds: list[Hold] = []

    def make(name: str) -> Hold:
        holds.append(Hold(monkeypatch, name))
        return holds[-1]

    yield make
    for made in holds:
        made.release.set()  # never leave a compute thread waiting


def step_rows(assistant: Any) -> list[str]:
    return [assistant.step_list.item(i).text() for i in range(assistant.step_list.count())]


# --- friction 1: which step computes, and Cancel -------------------------------------------


def test_the_dock_shows_the_step_computing_and_cancel_keeps_the_workflow(
        qtbot, assistant_in, settled, blobs, hold, notified):
    viewer, assistant = assistant_in(blobs)
    recorded = assistant.viewer_workflow
    blur = assistant.add_step("Remove noise", viewer.layers["image"])
    settled(assistant)
    otsu = assistant.add_step("Binarize", viewer.layers[blur])
    settled(assistant)
    shown = {sid: viewer.layers[sid].data.copy() for sid in (blur, otsu)}
    bar = assistant.busy_bar
    assert not bar.cancel_button.isEnabled()  # nothing computes

    held = hold("gaussian_blur")
    threshold_runs = hold("threshold_otsu")
    held.hold()
    assistant.step_widgets[blur].form["sigma_x"].value = 4.0  # as a user types it
    qtbot.waitUntil(held.entered.is_set, timeout=int(HOLD_TIMEOUT * 1000))
    # the dock says what computes, and offers Cancel
    qtbot.waitUntil(lambda: "computing" in bar.status.text(), timeout=5000)
    assert blur in bar.status.text()
    assert bar.cancel_button.isEnabled()
    assert "computing" in step_rows(assistant)[0] and "computing" not in step_rows(assistant)[1]
    # napari's activity indicator shows the computation once it lasts
    qtbot.waitUntil(lambda: bar._activity is not None, timeout=5000)

    qtbot.mouseClick(bar.cancel_button, Qt.MouseButton.LeftButton)
    held.release.set()  # the blur returns; the next device command stops the run
    settled(assistant)

    assert threshold_runs.runs == 0  # the step after it never ran
    assert bar.status.text().startswith("cancelled") and blur in bar.status.text()
    assert not bar.cancel_button.isEnabled() and bar._activity is None
    assert "cancelled" in step_rows(assistant)[0]
    # the workflow and the step's parameters stay; the layers show the old results
    assert recorded.workflow.step(blur).params["sigma_x"] == 4.0
    assert assistant.step_widgets[blur].form["sigma_x"].value == 4.0
    for sid, data in shown.items():
        np.testing.assert_array_equal(viewer.layers[sid].data, data)
    assert notified["error"] == [] and recorded.step_errors == {}

    # the next change computes as usual
    held.holding = False
    assistant.step_widgets[blur].form["sigma_y"].value = 3.0
    settled(assistant)
    expected = oclip.gaussian_blur(blobs, sigma_x=4.0, sigma_y=3.0)
    np.testing.assert_allclose(viewer.layers[blur].data, expected, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(viewer.layers[otsu].data, oclip.threshold_otsu(expected))
    assert "cancelled" not in bar.status.text() and bar.status.text() == ""
    assert all("cancelled" not in row and "computing" not in row for row in step_rows(assistant))
    assert notified["error"] == []


def test_cancelling_a_slow_median_of_a_stack(qtbot, assistant_in, settled, notified):
    """A real slow step: a median of a large sphere on a small 3D image (its kernel is
    built for the window and then runs long); Cancel as soon as it starts."""
    stack = oclip.data.nuclei3d((8, 32, 40))
    viewer, assistant = assistant_in(stack)
    recorded = assistant.viewer_workflow
    step = assistant.add_step("Remove noise", viewer.layers["image"])
    assistant.step_widgets[step].operation_box.setCurrentText("median_sphere")
    settled(assistant)
    np.testing.assert_array_equal(viewer.layers[step].data, oclip.median_sphere(
        stack, **recorded.workflow.step(step).params))
    bar = assistant.busy_bar
    clicked: list[str] = []

    def cancel_at_once(step_id: str) -> None:
        clicked.append(bar.status.text())
        qtbot.mouseClick(bar.cancel_button, Qt.MouseButton.LeftButton)

    form = assistant.step_widgets[step].form
    form["radius_z"].value = 4
    settled(assistant)
    shown = viewer.layers[step].data.copy()
    recorded.step_started.connect(cancel_at_once)
    with qtbot.waitSignal(recorded.cancelled, timeout=60000):
        form["radius_x"].value = 6  # a window of 13x3x9 pixels: a new kernel, and slow
    recorded.step_started.disconnect(cancel_at_once)
    settled(assistant)
    assert clicked and clicked[0].startswith("computing")
    assert recorded.workflow.step(step).params["radius_x"] == 6 and form["radius_x"].value == 6
    assert bar.status.text().startswith("cancelled")
    np.testing.assert_array_equal(viewer.layers[step].data, shown)  # the result from before
    assert notified["error"] == []
    # the next change computes normally
    form["radius_y"].value = 6
    settled(assistant)
    np.testing.assert_array_equal(viewer.layers[step].data, oclip.median_sphere(
        stack, radius_x=6, radius_y=6, radius_z=4))


def test_background_jobs_wait_for_the_users_work(qtbot):
    from oclip.napari._worker import ComputeWorker

    worker = ComputeWorker()
    gate = threading.Event()
    order: list[str] = []
    try:
        worker.submit(lambda: gate.wait(HOLD_TIMEOUT))  # keeps the thread busy
        worker.submit(lambda: order.append("ahead 1"), background=True)
        worker.submit(lambda: order.append("ahead 2"), background=True)
        worker.submit(lambda: order.append("user"))
        gate.set()
        qtbot.waitUntil(lambda: worker.idle, timeout=10000)
    finally:
        worker.close()
    assert order == ["user", "ahead 1", "ahead 2"]


# --- friction 2: kernels built ahead ---------------------------------------------------------


def test_kernels_of_the_default_operations_are_built_when_the_dock_opens(
        qtbot, monkeypatch, make_napari_viewer, settled, blobs):
    monkeypatch.setenv("OCLIP_WARM_UP", "1")
    statuses: list[str] = []
    built: list[str] = []
    original = _busy.BusyBar._building

    def building(self: Any, name: str) -> None:
        original(self, name)
        built.append(name)
        statuses.append(self.status.text())

    monkeypatch.setattr(_busy.BusyBar, "_building", building)
    # kernels another test built are taken from the process's cache: start afresh
    monkeypatch.setattr(backend.programs, "_programs", {})
    monkeypatch.setattr(backend.programs, "_kernels", {})
    viewer = make_napari_viewer()
    viewer.add_image(blobs, name="image")
    _, assistant = viewer.window.add_plugin_dock_widget("oclip", "Assistant")
    settled(assistant, timeout=300000)
    assert built, "no kernel was built ahead"
    assert all(text.endswith(_busy.BUILDING) for text in statuses)
    assert assistant.busy_bar.status.text() == ""  # said no more once done

    builds = backend.stats["builds"]
    viewer.layers.selection.active = viewer.layers["image"]
    qtbot.mouseClick(assistant.category_buttons["Label"], Qt.MouseButton.LeftButton)
    settled(assistant)
    label = assistant.workflow.step_ids[-1]
    assert isinstance(viewer.layers[label], oclip.napari._layers.Labels)
    assert backend.stats["builds"] == builds  # every kernel of the click was built ahead


def test_pocl_compiles_each_kernel_once_for_all_image_shapes(assistant_in, monkeypatch):
    """PoCL would compile a kernel again for each new image shape (its work-group
    size); the plugin asks it not to, unless the user chose otherwise."""
    monkeypatch.delenv("POCL_WORK_GROUP_SPECIALIZATION", raising=False)
    assistant_in()
    assert os.environ["POCL_WORK_GROUP_SPECIALIZATION"] == "0"
    monkeypatch.setenv("POCL_WORK_GROUP_SPECIALIZATION", "1")
    assistant_in()
    assert os.environ["POCL_WORK_GROUP_SPECIALIZATION"] == "1"


def test_no_kernels_are_built_ahead_with_oclip_warm_up_0(qtbot, assistant_in, settled, blobs,
                                                         monkeypatch):
    calls: list[str] = []
    monkeypatch.setattr(_busy, "warm_up_job", lambda name, samples: calls.append(name))
    _, assistant = assistant_in(blobs)  # the conftest sets OCLIP_WARM_UP=0
    settled(assistant)
    assert calls == []
    monkeypatch.setenv("OCLIP_WARM_UP", "1")
    _busy.warm_up(assistant.viewer_workflow, ["gaussian_blur", "threshold_otsu"])
    settled(assistant)
    assert calls == ["gaussian_blur", "threshold_otsu"]


# --- bug 12: closing the viewer says nothing -------------------------------------------------


def test_closing_the_viewer_with_work_pending_says_nothing(
        qtbot, assistant_in, settled, blobs, hold, notified, answers, caplog, capfd):
    viewer, assistant = assistant_in(blobs)
    recorded = assistant.viewer_workflow
    thread = recorded.jobs.worker._thread
    blur = assistant.add_step("Remove noise", viewer.layers["image"])
    settled(assistant)
    otsu = assistant.add_step("Binarize", viewer.layers[blur])
    settled(assistant)
    label = assistant.add_step("Label", viewer.layers[otsu])
    settled(assistant)
    assistant.add_step("Measure", viewer.layers[label])  # a table: reads the image, no layer
    settled(assistant)
    held = hold("gaussian_blur")
    held.hold()
    assistant.step_widgets[blur].form["sigma_x"].value = 3.0
    qtbot.waitUntil(held.entered.is_set, timeout=int(HOLD_TIMEOUT * 1000))
    assistant.step_widgets[blur].form["sigma_y"].value = 3.0  # waits behind the running one
    capfd.readouterr()
    with caplog.at_level(logging.WARNING):
        viewer.close()
        held.release.set()
        qtbot.waitUntil(lambda: not thread.is_alive(), timeout=15000)
        qtbot.wait(100)  # anything queued to the main thread is delivered
    assert notified == {"error": [], "warning": [], "info": []}
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert capfd.readouterr().err == ""
    assert not answers.asked

