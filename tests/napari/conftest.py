"""Fixtures of the napari tests: a viewer with the Assistant docked."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

napari = pytest.importorskip("napari", reason="the napari extra is part of the test install")

import oclip  # noqa: E402
from oclip.napari import _dialogs  # noqa: E402


@pytest.fixture(autouse=True)
def no_warm_up(monkeypatch: pytest.MonkeyPatch) -> None:
    """No kernels built ahead when an Assistant opens (the test of that sets
    OCLIP_WARM_UP itself): a test's compute thread does its own work only."""
    monkeypatch.setenv("OCLIP_WARM_UP", "0")


@pytest.fixture
def assistant_in(make_napari_viewer: Callable[..., Any], qtbot: Any) -> Callable[..., Any]:
    """A function giving (viewer, assistant) with an image layer named 'image'."""

    def make(image: np.ndarray | None = None, **layer_kwargs: Any) -> tuple[Any, Any]:
        viewer = make_napari_viewer()
        if image is not None:
            viewer.add_image(image, name="image", **layer_kwargs)
        _, assistant = viewer.window.add_plugin_dock_widget("oclip", "Assistant")
        qtbot.waitUntil(lambda: assistant.device_box.count() > 0, timeout=30000)
        return viewer, assistant

    return make


@pytest.fixture
def blobs() -> np.ndarray:
    return oclip.data.blobs2d((96, 120))


@pytest.fixture
def settled(qtbot: Any) -> Callable[[Any], None]:
    """Wait until an assistant's compute thread is idle and its results are shown."""

    def wait(assistant: Any, timeout: int = 60000) -> None:
        recorded = assistant.viewer_workflow
        qtbot.waitUntil(lambda: recorded.jobs.idle, timeout=timeout)

    return wait


class Answers:
    """The questions the plugin asked, and the replies it will get (default: no)."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.replies: list[bool] = []

    def __call__(self, parent: Any, question: str) -> bool:
        self.asked.append(question)
        return self.replies.pop(0) if self.replies else False


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> Answers:
    replies = Answers()
    monkeypatch.setattr(_dialogs, "confirm", replies)
    return replies


@pytest.fixture
def notified(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """The error, warning and info notifications the plugin showed."""
    shown: dict[str, list[str]] = {"error": [], "warning": [], "info": []}
    monkeypatch.setattr(_dialogs, "show_error", shown["error"].append)
    monkeypatch.setattr(_dialogs, "show_warning", shown["warning"].append)
    monkeypatch.setattr(_dialogs, "show_info", shown["info"].append)
    return shown
