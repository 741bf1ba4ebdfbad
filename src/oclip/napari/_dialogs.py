"""What the plugin asks and tells its user: questions, file choosers, notifications.

Tests replace these functions (``monkeypatch.setattr(_dialogs, "confirm", ...)``,
likewise napari's ``show_error`` / ``show_warning`` imported here), so the rest
of the plugin calls them through this module, never imports them by name.
"""

from __future__ import annotations

from collections.abc import Sequence

from napari.utils.notifications import show_error, show_info, show_warning
from qtpy.QtWidgets import QFileDialog, QMessageBox, QWidget


def confirm(parent: QWidget | None, question: str) -> bool:
    """Ask a yes/no question; True for yes."""
    answer = QMessageBox.question(parent, "oclip", question)
    return answer == QMessageBox.StandardButton.Yes


def ask_to_remove_followers(parent: QWidget | None, step_id: str,
                            followers: Sequence[str]) -> bool:
    """The result layer of ``step_id`` was removed: remove the steps reading it too?"""
    return confirm(parent, f"Step '{step_id}' is read by {', '.join(followers)}. "
                           "Remove those steps too?")


def show_details(parent: QWidget | None, title: str, message: str, details: str) -> None:
    """Show a whole message, with ``details`` (a traceback) behind "Show Details..."."""
    box = QMessageBox(QMessageBox.Icon.Warning, "oclip", title, parent=parent)
    box.setInformativeText(message)
    if details:
        box.setDetailedText(details)
    box.exec()


def ask_save_path(parent: QWidget | None, title: str, default: str, filters: str) -> str:
    """A file to write ("" when cancelled)."""
    return QFileDialog.getSaveFileName(parent, title, default, filters)[0]


def ask_open_path(parent: QWidget | None, title: str, filters: str) -> str:
    """A file to read ("" when cancelled)."""
    return QFileDialog.getOpenFileName(parent, title, "", filters)[0]


def inform(message: str) -> None:
    """A passing notification, such as a hint of what to do first."""
    show_info(f"oclip: {message}")


def warn(message: str) -> None:
    """Something did not go as asked, and the work goes on."""
    show_warning(f"oclip: {message}")


def report_error(message: str) -> None:
    """Something failed (a computation: its previous results stay)."""
    show_error(f"oclip: {message}")
