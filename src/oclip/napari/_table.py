"""A table of measurements: sortable, copyable, saved as CSV."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
from qtpy.QtCore import Qt
from qtpy.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from oclip._io import table_csv, write_text

from . import _dialogs


class _NumberItem(QTableWidgetItem):
    """A cell that sorts by its number, not its text."""

    def __init__(self, value: object) -> None:
        super().__init__(format_value(value))
        self.setData(Qt.ItemDataRole.UserRole, value)
        self.setFlags(self.flags() & ~Qt.ItemFlag.ItemIsEditable)

    def __lt__(self, other: QTableWidgetItem) -> bool:
        mine, theirs = self.data(Qt.ItemDataRole.UserRole), other.data(Qt.ItemDataRole.UserRole)
        try:
            return float(mine) < float(theirs)
        except (TypeError, ValueError):
            return str(mine) < str(theirs)


def format_value(value: object) -> str:
    if isinstance(value, float | np.floating):
        return f"{float(value):.6g}"
    return str(value)


class TableWidget(QWidget):
    """Shows a table (dict of equally long columns)."""

    def __init__(self, table: Mapping[str, np.ndarray], name: str = "table",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.table: dict[str, np.ndarray] = {}
        layout = QVBoxLayout(self)
        self.view = QTableWidget()
        self.view.setSortingEnabled(True)
        layout.addWidget(self.view)
        buttons = QHBoxLayout()
        self.copy_button = QPushButton("Copy")
        self.copy_button.setToolTip("Copy the table to the clipboard (tab-separated)")
        self.copy_button.clicked.connect(self.copy_to_clipboard)
        self.save_button = QPushButton("Save as CSV...")
        self.save_button.setToolTip("Save the table as a CSV file")
        self.save_button.clicked.connect(self._save_clicked)
        buttons.addWidget(self.copy_button)
        buttons.addWidget(self.save_button)
        layout.addLayout(buttons)
        self.set_table(table)

    def set_table(self, table: Mapping[str, np.ndarray]) -> None:
        self.table = {k: np.asarray(v) for k, v in table.items()}
        rows = len(next(iter(self.table.values()))) if self.table else 0
        self.view.setSortingEnabled(False)
        self.view.clear()
        self.view.setColumnCount(len(self.table))
        self.view.setRowCount(rows)
        self.view.setHorizontalHeaderLabels(list(self.table))
        for column, values in enumerate(self.table.values()):
            for row, value in enumerate(values.tolist()):
                self.view.setItem(row, column, _NumberItem(value))
        self.view.setSortingEnabled(True)

    def rows(self) -> list[list[str]]:
        """The table as shown (in the current sort order), header first."""
        def text(item: QTableWidgetItem | None) -> str:
            return "" if item is None else item.text()

        header = [text(self.view.horizontalHeaderItem(c)) for c in range(self.view.columnCount())]
        body = [[text(self.view.item(r, c)) for c in range(self.view.columnCount())]
                for r in range(self.view.rowCount())]
        return [header, *body]

    def copy_to_clipboard(self) -> None:
        clipboard = QApplication.clipboard()
        if clipboard is not None:  # None only without a QApplication
            clipboard.setText("\n".join("\t".join(row) for row in self.rows()))

    def save_csv(self, path: str | Path) -> None:
        """Write the table with full precision, one row per label (as ``oclip run``
        writes tables)."""
        write_text(path, table_csv(self.table))

    def _save_clicked(self) -> None:
        path = _dialogs.ask_save_path(self, "Save table", f"{self.name}.csv",
                                      "CSV files (*.csv)")
        if path:
            self.save_csv(path)
