"""Cancelling device work between device commands (oclip.Cancelled)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import oclip
import oclip.workflow
from oclip import _backend as backend


def test_a_cancelled_scope_stops_at_the_next_device_command(rng):
    image = rng.random((12, 14)).astype(np.float32)
    scope = backend.WorkScope()
    with backend.watched_by(scope):
        blurred = oclip.gaussian_blur(image, sigma_x=1, sigma_y=1)  # not cancelled: runs
        scope.cancel()
        launches = backend.stats["launches"]
        with pytest.raises(oclip.Cancelled, match="cancelled before"):
            oclip.gaussian_blur(image, sigma_x=1, sigma_y=1)
        assert backend.stats["launches"] == launches  # nothing was enqueued
    # outside the scope the same call computes, and gives what it gave before
    np.testing.assert_array_equal(oclip.gaussian_blur(image, sigma_x=1, sigma_y=1), blurred)


def test_a_scope_watches_its_own_thread_only(rng):
    image = rng.random((12, 14)).astype(np.float32)
    scope = backend.WorkScope()
    scope.cancel()
    results: list[object] = []
    with backend.watched_by(scope):
        thread = threading.Thread(target=lambda: results.append(oclip.maximum_box(image)))
        thread.start()
        thread.join(60)
    np.testing.assert_array_equal(results[0], oclip.maximum_box(image))


def test_a_workflow_run_says_which_step_runs_and_stops_when_cancelled(rng):
    image = rng.random((12, 14)).astype(np.float32)
    workflow = (oclip.workflow.Workflow.from_dict({
        "oclip_workflow": 1, "inputs": ["image"],
        "steps": [
            {"id": "blurred", "op": "gaussian_blur", "inputs": {"image": "image"},
             "params": {"sigma_x": 1.0, "sigma_y": 1.0}},
            {"id": "binary", "op": "threshold_otsu", "inputs": {"image": "blurred"},
             "params": {}},
        ]}))
    scope = backend.WorkScope()
    started: list[str] = []

    def on_step(step_id: str) -> None:
        started.append(step_id)
        if step_id == "binary":
            scope.cancel()

    with backend.watched_by(scope), pytest.raises(oclip.Cancelled) as raised:
        workflow.run({"image": image}, outputs=workflow.step_ids, on_step=on_step)
    assert started == ["blurred", "binary"]
    assert "binary" not in str(raised.value) and not getattr(raised.value, "__notes__", ())
