"""The Assistant's list of steps, with what can be done to the selected one:
remove it (asking about the steps reading it, as deleting its layer does) and
read the whole error of a step that failed.

The rows themselves are written by the Assistant; this panel gives the list
its buttons, its context menu and a layout that never needs a horizontal
scroll bar (long rows wrap; the whole text is the row's tooltip).
"""

from __future__ import annotations

from qtpy.QtCore import QPoint, Qt
from qtpy.QtGui import QAction
from qtpy.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QListWidget,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from . import _dialogs
from ._viewer_workflow import ViewerWorkflow

REMOVE_TIP = ("Remove the selected step and its result layer (undo brings it back); "
              "asks first when other steps read it")
DETAILS_TIP = "The whole error of the selected step, with its traceback"


class StepListPanel(QWidget):
    """The step list and its "Remove step" and "Details..." buttons.

    Parameters
    ----------
    recorded : ViewerWorkflow
        The viewer's workflow whose steps the list shows, one row per step in order.
    """

    def __init__(self, recorded: ViewerWorkflow, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.recorded = recorded
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.list = QListWidget()
        self.list.setToolTip("The workflow's steps in order; click one to edit it, "
                             "right-click for more")
        self.list.setWordWrap(True)  # a long row wraps: no horizontal scrolling
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.list.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._context_menu)
        self.list.currentRowChanged.connect(self.update_buttons)
        layout.addWidget(self.list)
        buttons = QHBoxLayout()
        self.remove_button = QPushButton("Remove step")
        self.remove_button.setToolTip(REMOVE_TIP)
        self.remove_button.clicked.connect(lambda checked=False: self.remove_selected())
        self.details_button = QPushButton("Error details...")
        self.details_button.setToolTip(DETAILS_TIP)
        self.details_button.clicked.connect(lambda checked=False: self.show_details())
        buttons.addWidget(self.remove_button)
        buttons.addWidget(self.details_button)
        layout.addLayout(buttons)
        recorded.changed.connect(self.update_buttons)
        recorded.computed.connect(self.update_buttons)
        self.update_buttons()

    def selected_step(self) -> str | None:
        """The id of the step of the selected row, or None."""
        row = self.list.currentRow()
        step_ids = self.recorded.workflow.step_ids
        return step_ids[row] if 0 <= row < len(step_ids) else None

    def remove_selected(self) -> None:
        """Remove the selected step; if other steps read it, ask whether to remove
        them too (no: nothing is removed).  Undo brings them back."""
        step_id = self.selected_step()
        if step_id is None:
            _dialogs.inform("select a step in the list first")
            return
        followers = self.recorded.workflow.followers(step_id)
        if followers and not _dialogs.ask_to_remove_followers(self.window(), step_id,
                                                              followers):
            return
        self.recorded.editor.remove_step(step_id, with_followers=bool(followers))

    def show_details(self) -> None:
        """Show the whole error of the selected step and its traceback."""
        step_id = self.selected_step()
        message = self.recorded.step_errors.get(step_id or "")
        if step_id is None or message is None:
            _dialogs.inform("the selected step has no error")
            return
        _dialogs.show_details(self.window(), f"Step '{step_id}' failed", message,
                              self.recorded.step_details.get(step_id, ""))

    def update_buttons(self, *_: object) -> None:
        """Enable the buttons that can act on the selected step (after the rows change)."""
        step_id = self.selected_step()
        self.remove_button.setEnabled(step_id is not None)
        self.details_button.setEnabled(step_id in self.recorded.step_errors)

    def _context_menu(self, position: QPoint) -> None:
        row = self.list.indexAt(position).row()
        if row < 0:
            return
        self.list.setCurrentRow(row)
        viewport = self.list.viewport()  # the position is in its coordinates
        self.context_menu().exec((viewport or self.list).mapToGlobal(position))

    def context_menu(self) -> QMenu:
        """The menu of the selected step: remove it, read its error."""
        menu = QMenu(self)
        remove = QAction("Remove step", menu)
        remove.triggered.connect(lambda checked=False: self.remove_selected())
        details = QAction("Error details...", menu)
        details.setEnabled(self.details_button.isEnabled())
        details.triggered.connect(lambda checked=False: self.show_details())
        menu.addActions([remove, details])
        return menu
