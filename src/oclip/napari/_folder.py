"""Apply the recorded workflow to a folder of images: the dock's "Apply to folder".

The workflow as saved (its outputs are the results shown) runs on every TIFF
file of a chosen folder through :class:`oclip.runs._batch.BatchRun`, what
``oclip run`` runs (``run_files``), in its resumable form: the outputs go to
the folder's ``oclip-results`` subfolder with the summary table
``oclip-run-summary.csv`` and the workflow's record, and applying the same
workflow again skips the files whose outputs are complete.  Each file is a job
of the compute thread (napari stays responsive, and the layers still recompute
between two files); a progress bar counts the files, *Cancel* stops the run
after the file being computed, and a file that fails is listed while the others
go on.  Workflows of several inputs are refused with what to do instead.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qtpy.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from oclip.runs import BatchSummary, plan_jobs
from oclip.runs._batch import SUMMARY_FILE, BatchRun, check_record
from oclip.workflow import WorkflowError

from . import _dialogs
from ._geometry import is_time_lapse

if TYPE_CHECKING:
    from ._viewer_workflow import ViewerWorkflow

#: The subfolder of the chosen folder that the outputs go to.
OUTPUT_FOLDER = "oclip-results"


def ask_folder(parent: QWidget | None, title: str) -> str:
    """A folder to read ("" when cancelled)."""
    return QFileDialog.getExistingDirectory(parent, title)


def summary_text(summary: BatchSummary, output: Path) -> str:
    """What a folder run did, in one sentence."""
    parts = [f"{len(summary.done)} done", f"{len(summary.failed)} failed"]
    if summary.skipped:
        parts.append(f"{len(summary.skipped)} skipped (outputs complete)")
    if summary.not_run:
        parts.append(f"{len(summary.not_run)} not run (cancelled; apply again to resume)")
    return (f"{summary.jobs} file(s): {', '.join(parts)}; outputs and {SUMMARY_FILE} "
            f"in {output}")


class FolderRun(QWidget):
    """The folder run of a viewer's workflow: its progress bar, a counter, *Cancel*
    and the list of files that failed (hidden until a run starts).

    Parameters
    ----------
    viewer_workflow : ViewerWorkflow
        The viewer's recorded workflow and its compute thread.

    Attributes
    ----------
    summary : BatchSummary or None
        What the last run did.
    activity : napari.utils.progress or None
        The run's entry in napari's activity dock while it runs.
    """

    def __init__(self, viewer_workflow: ViewerWorkflow, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.viewer_workflow = viewer_workflow
        self.summary: BatchSummary | None = None
        self.running = False
        self.activity: Any = None
        self._cancelled = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.bar = QProgressBar()
        self.bar.setFormat("%v/%m files")
        self.bar.setToolTip("Files of the folder run so far")
        row.addWidget(self.bar, 1)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the folder run after the file being computed")
        self.cancel_button.clicked.connect(self.cancel)
        row.addWidget(self.cancel_button)
        layout.addLayout(row)
        self.status = QLabel()
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.setVisible(False)

    def start(self, folder: str | None = None) -> int | None:
        """Apply the workflow to the TIFF images of ``folder`` (asked for when not
        given); returns the compute job's ticket, or None when nothing runs."""
        workflow = self.viewer_workflow.as_saved()
        if not workflow.steps:
            _dialogs.inform("record a workflow first: select an image and click a category")
            return None
        if len(workflow.inputs) != 1:
            _dialogs.warn(f"Apply to folder runs workflows of one input; this one reads "
                          f"{', '.join(workflow.inputs)}: save it and run it with "
                          f"'oclip run WORKFLOW.yaml --input NAME=FOLDER ... -o OUTDIR'")
            return None
        if self.running:
            _dialogs.inform("a folder run is going on: wait for it or cancel it")
            return None
        folder = folder or ask_folder(self, "Apply the workflow to the TIFF images of a folder")
        if not folder:
            return None
        output = Path(folder) / OUTPUT_FOLDER
        layer = self.viewer_workflow.layers.input_layer(workflow.inputs[0])
        time_lapse = layer is not None and is_time_lapse(layer)
        try:
            jobs = plan_jobs(workflow, [folder], output=output)
        except (WorkflowError, OSError) as error:
            _dialogs.warn(str(error))
            return None
        overwrite = False
        try:
            check_record(output, workflow, {"time_lapse": time_lapse, "static": []}, False)
        except WorkflowError:
            overwrite = _dialogs.confirm(self, f"{output} holds the outputs of another "
                                               "workflow. Compute every file again into it?")
            if not overwrite:
                return None
        self._cancelled = False
        self.running = True
        self.bar.setRange(0, len(jobs))
        self.bar.setValue(0)
        from napari.utils import progress

        self.activity = progress(total=len(jobs), desc="oclip: apply to folder")
        self.cancel_button.setEnabled(True)
        self.status.setText(f"applying the workflow to {len(jobs)} file(s) of {folder}")
        self.setVisible(True)

        def begin() -> BatchRun:
            return BatchRun(workflow, jobs, output, time_lapse=time_lapse, resume=True,
                            overwrite=overwrite)

        return self._submit(begin, self._next)

    def _submit(self, job: Callable[[], Any], then: Callable[[Any], None]) -> int:
        """Run ``job`` on the compute thread, then ``then(value)`` here; a failure
        ends the run (with the reason in the status line and a notification)."""
        def guarded() -> tuple[bool, Any]:
            try:
                return True, job()
            except Exception as error:  # shown, and the dock stays usable
                return False, error

        def arrived(outcome: tuple[bool, Any]) -> None:
            ok, value = outcome
            if ok:
                then(value)
            else:
                self._failed(value)

        return self.viewer_workflow.jobs.call(guarded, arrived)

    def _next(self, run: BatchRun) -> None:
        """One file at a time, each a job of its own: the recomputations of the
        layers asked for meanwhile run between two files."""
        self.bar.setValue(run.done)
        if self.activity is not None:
            self.activity.update(run.done - self.activity.n)  # napari's activity dock
        if self._cancelled:
            run.stop()
        if run.finished:
            self._submit(run.finish, lambda summary: self._done(summary, run.folder))
            return

        def one_file() -> BatchRun:
            run.run_next()
            return run

        self._submit(one_file, self._next)

    def cancel(self) -> None:
        """Stop the run after the file being computed."""
        if self.running:
            self._cancelled = True
            self.cancel_button.setEnabled(False)
            self.status.setText("cancelling after the file being computed...")

    def _end_activity(self) -> None:
        if self.activity is not None:
            self.activity.close()
            self.activity = None

    def _failed(self, error: BaseException) -> None:
        self.running = False
        self._end_activity()
        self.cancel_button.setEnabled(False)
        message = f"the folder run stopped: {error}"
        self.status.setText(message)
        _dialogs.warn(message)

    def _done(self, summary: BatchSummary, output: Path) -> None:
        self.running = False
        self._end_activity()
        self.cancel_button.setEnabled(False)
        self.summary = summary
        text = summary_text(summary, output)
        failures = "".join(f"\nfailed: {Path(source).name}: {reason}"
                           for source, reason in summary.failed)
        self.status.setText(text + failures)
        if summary.failed:
            _dialogs.warn(f"{text}; failed: "
                          + ", ".join(Path(source).name for source, _ in summary.failed))
        else:
            _dialogs.inform(text)
