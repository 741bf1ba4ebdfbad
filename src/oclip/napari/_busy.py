"""What the compute thread is doing, told to the user, and work done ahead.

:class:`BusyBar` is the Assistant's line saying which step computes (or that
kernels are being built on their first use), with a Cancel button and
napari's activity indicator while a computation lasts.  :func:`warm_up` builds
the kernels of the operations a user is likely to click first, in background
jobs of the compute thread (they run only when no other job waits), so that a
first click does not wait for the OpenCL compiler.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from napari.layers import Image
from qtpy.QtCore import QTimer
from qtpy.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from oclip import Cancelled
from oclip._backend import watched_by
from oclip.ops import ImageKind, get_operation

from ._viewer_workflow import ViewerWorkflow

logger = logging.getLogger("oclip")

#: Set to 0 to build no kernels ahead when the Assistant opens.
WARM_UP_ENVIRONMENT_VARIABLE = "OCLIP_WARM_UP"

#: How long a computation runs before napari's activity indicator shows it (ms).
_ACTIVITY_DELAY_MS = 300

BUILDING = "building kernels (first use)…"

#: The categories in the order a user is likely to click them first; the
#: kernels of their default operations are built ahead in this order.
FIRST_USED = ("Remove noise", "Label", "Binarize", "Measure", "Remove background",
              "Process labels", "Projection", "Filter", "Combine", "Transform")


class BusyBar(QWidget):
    """A status line and a Cancel button for a viewer's computations.

    Attributes
    ----------
    status : QLabel
        "computing <step>…", "building kernels (first use)…", "cancelled: ..."
        or empty when nothing computes.
    cancel_button : QPushButton
        Enabled while the compute thread works; stops the computation at its
        next device command (see :meth:`ViewerWorkflow.cancel`).
    """

    def __init__(self, viewer_workflow: ViewerWorkflow, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.viewer_workflow = viewer_workflow
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.status = QLabel()
        self.status.setWordWrap(True)
        layout.addWidget(self.status, 1)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the computation (between two kernels); the "
                                      "workflow stays, the layers keep their last results")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self._cancel_clicked)
        layout.addWidget(self.cancel_button)
        self._activity: Any = None  # napari's progress bar while a computation lasts
        self._activity_timer = QTimer(self)
        self._activity_timer.setSingleShot(True)
        self._activity_timer.timeout.connect(self._show_activity)
        viewer_workflow.busy_changed.connect(self._busy_changed)
        viewer_workflow.step_started.connect(self._step_started)
        viewer_workflow.building.connect(self._building)
        viewer_workflow.cancelled.connect(self._cancelled)
        self.destroyed.connect(lambda *_: self._hide_activity())

    def _say(self, text: str) -> None:
        self.status.setText(text)
        if self._activity is not None:
            self._activity.set_description(f"oclip: {text}")

    def _busy_changed(self, busy: bool) -> None:
        self.cancel_button.setEnabled(busy)
        if busy:
            if not self.status.text() or self.status.text().startswith("cancelled"):
                self._say("computing…")
            self._activity_timer.start(_ACTIVITY_DELAY_MS)
            return
        self._activity_timer.stop()
        self._hide_activity()
        if not self.status.text().startswith("cancelled"):
            self._say("")  # a cancel is told until the next computation

    def _step_started(self, step_id: str) -> None:
        self._say(f"computing {step_id}…")

    def _building(self, name: str) -> None:
        computing = self.viewer_workflow.computing
        self._say(f"computing {computing}: {BUILDING}" if computing else BUILDING)

    def _cancel_clicked(self) -> None:
        self.viewer_workflow.cancel()
        self._say("cancelling… (after the kernel that runs now)")

    def _cancelled(self) -> None:
        step = self.viewer_workflow.cancelled_step
        self._say(f"cancelled: {step} shows its result from before the change" if step
                  else "cancelled")

    def _show_activity(self) -> None:
        if self._activity is None and self.viewer_workflow.jobs.busy:
            from napari.utils import progress

            self._activity = progress(total=0, desc=f"oclip: {self.status.text() or 'computing'}")

    def _hide_activity(self) -> None:
        if self._activity is not None:
            self._activity.close()
            self._activity = None


def warm_up_enabled() -> bool:
    """Whether kernels are built ahead (``OCLIP_WARM_UP`` is not ``0``)."""
    return os.environ.get(WARM_UP_ENVIRONMENT_VARIABLE, "1").strip().lower() not in (
        "0", "false", "no", "off")


def sample_images(layers: Iterable[Any]) -> list[tuple[np.dtype, int]]:
    """The (dtype, number of spatial dimensions) of the image layers a user may
    start from (float32 2D when there is none)."""
    found: dict[tuple[str, int], tuple[np.dtype, int]] = {}
    for layer in layers:
        if isinstance(layer, Image) and not getattr(layer, "rgb", False):
            dtype = np.dtype(layer.dtype)
            ndim = min(int(layer.ndim), 3)
            if dtype.kind in "uif" and ndim >= 2:
                found.setdefault((dtype.str, ndim), (dtype, ndim))
    return list(found.values()) or [(np.dtype(np.float32), 2)]


def _inputs(kind: ImageKind, dtype: np.dtype, ndim: int) -> np.ndarray:
    """A small image of ``kind`` with some structure (thresholds find two classes)."""
    shape = (4, 16, 16)[-ndim:]
    grid = np.indices(shape)
    if kind is ImageKind.LABELS:
        labels = np.zeros(shape, np.uint32)
        inner = tuple(slice(1, -1) for _ in shape)
        labels[inner] = (grid[-2][inner] // 8) * 2 + grid[-1][inner] // 8 + 1
        return labels
    pattern = (grid.sum(axis=0) % 7 > 3)
    if kind is ImageKind.BINARY:
        return pattern.astype(np.uint8)
    values = pattern * 50 + grid[-1]
    return values.astype(dtype)


def warm_up_job(op_name: str, samples: Sequence[tuple[np.dtype, int]]) -> None:
    """Run ``op_name`` on small images of each sample kind (its kernels are built
    and launched once); failures are logged, not reported."""
    operation = get_operation(op_name)
    for dtype, ndim in samples:
        if ndim not in operation.dimensions:
            continue
        arguments = {p.name: _inputs(p.kind or ImageKind.IMAGE, dtype, ndim)
                     for p in operation.image_parameters}
        try:
            operation.function(**arguments)
        except Cancelled:
            raise
        except Exception:  # a kernel built ahead is a convenience, never an error
            logger.debug("building the kernels of %s ahead failed", op_name, exc_info=True)


def first_operations(preferred: Mapping[str, Sequence[str]]) -> list[str]:
    """The default operation of each category of ``preferred`` (category → the
    operations a click prefers), in :data:`FIRST_USED` order."""
    ordered = [c for c in FIRST_USED if c in preferred] + [
        c for c in preferred if c not in FIRST_USED]
    return [preferred[c][0] for c in ordered if preferred[c]]


def warm_up(viewer_workflow: ViewerWorkflow, op_names: Sequence[str],
            layers: Iterable[Any] = ()) -> list[int]:
    """Build the kernels of ``op_names`` in background jobs of the compute thread,
    one job per operation in the order given (unless ``OCLIP_WARM_UP=0``).
    Returns the jobs' tickets."""
    if not warm_up_enabled():
        return []
    samples = sample_images(layers)
    tickets = []
    for name in op_names:
        scope = viewer_workflow.work_scope()

        def job(name: str = name, scope: Any = scope) -> None:
            with watched_by(scope):
                warm_up_job(name, samples)

        tickets.append(viewer_workflow.jobs.call(job, lambda _: None, background=True))
    return tickets
