"""A table of measurements: sortable, copyable, saved as CSV."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
from napari.layers import Labels
from qtpy.QtCore import Qt
from qtpy.QtWidgets import (
    QAbstractItemView,
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

#: How many rows a table shows at least.
SHOWN_ROWS = 3


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
    """A cell's text: a float to 4 significant digits (copy and CSV keep them all)."""
    if isinstance(value, float | np.floating):
        return f"{float(value):.4g}"
    return str(value)


class TableWidget(QWidget):
    """Shows a table (dict of equally long columns).

    Columns are as wide as their contents (every column of a measurement can be
    read side by side); a table with a ``label`` column can be linked to the
    labels layer it measures (:meth:`link_labels`): clicking a row selects that
    label in the layer, selecting a label (napari's label picker) selects its row.
    """

    def __init__(self, table: Mapping[str, np.ndarray], name: str = "table",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.table: dict[str, np.ndarray] = {}
        layout = QHBoxLayout(self)  # the buttons beside the table: its rows get the height
        self.view = QTableWidget()
        self.view.setSortingEnabled(True)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        rows = self.view.verticalHeader()
        if rows is not None:
            rows.setVisible(False)  # the label column says which row it is
        self.view.currentCellChanged.connect(self._row_chosen)
        layout.addWidget(self.view, 1)
        columns = self.view.horizontalHeader()
        if columns is not None:
            columns.setDefaultAlignment(Qt.AlignmentFlag.AlignCenter)
            columns.setMinimumSectionSize(24)
        self.labels_layer: Labels | None = None
        buttons = QVBoxLayout()
        self.copy_button = QPushButton("Copy")
        self.copy_button.setToolTip("Copy the table to the clipboard (tab-separated)")
        self.copy_button.clicked.connect(self.copy_to_clipboard)
        self.save_button = QPushButton("Save as CSV...")
        self.save_button.setToolTip("Save the table as a CSV file")
        self.save_button.clicked.connect(self._save_clicked)
        buttons.addWidget(self.copy_button)
        buttons.addWidget(self.save_button)
        buttons.addStretch()
        layout.addLayout(buttons)
        self.set_table(table)

    def set_table(self, table: Mapping[str, np.ndarray]) -> None:
        self.table = {k: np.asarray(v) for k, v in table.items()}
        rows = len(next(iter(self.table.values()))) if self.table else 0
        self.view.setSortingEnabled(False)
        self.view.blockSignals(True)  # refilling chooses no row (nor a label)
        self.view.clear()
        self.view.setColumnCount(len(self.table))
        self.view.setRowCount(rows)
        for column, name in enumerate(self.table):
            # a long name wraps at its underscores: columns as narrow as their numbers
            header = QTableWidgetItem(name.replace("_", "_\n"))
            header.setToolTip(name)
            self.view.setHorizontalHeaderItem(column, header)
        for column, values in enumerate(self.table.values()):
            for row, value in enumerate(values.tolist()):
                self.view.setItem(row, column, _NumberItem(value))
        self.view.setSortingEnabled(True)
        self.view.blockSignals(False)
        self.view.resizeColumnsToContents()
        self._fit_height()
        self._label_selected()  # the selected label's row, in the new rows

    def _fit_height(self) -> None:
        """At least :data:`SHOWN_ROWS` rows in view, under the header and above the
        horizontal scroll bar (half a row more: the stylesheet's header may grow)."""
        self.view.ensurePolished()
        row = self.view.rowHeight(0) if self.view.rowCount() else 30
        header = self.view.horizontalHeader()
        bar = self.view.horizontalScrollBar()
        self.view.setMinimumHeight(
            SHOWN_ROWS * row + row // 2 + (header.sizeHint().height() if header is not None else 0)
            + (bar.sizeHint().height() if bar is not None else 0) + 2 * self.view.frameWidth())

    def link_labels(self, layer: Labels | None) -> None:
        """Keep the selected row and ``layer``'s selected label the same (None: unlink)."""
        if self.labels_layer is layer:
            return
        if self.labels_layer is not None:
            self.labels_layer.events.selected_label.disconnect(self._label_selected)
        self.labels_layer = layer
        if layer is not None:
            layer.events.selected_label.connect(self._label_selected)
            self._label_selected()

    def row_of_label(self, label: int) -> int | None:
        """The row (as sorted now) of ``label``, or None."""
        column = self._label_column()
        if column is None:
            return None
        for row in range(self.view.rowCount()):
            item = self.view.item(row, column)
            if item is not None and item.data(Qt.ItemDataRole.UserRole) == label:
                return row
        return None

    def _label_column(self) -> int | None:
        return list(self.table).index("label") if "label" in self.table else None

    def _row_chosen(self, row: int, *_: int) -> None:
        column = self._label_column()
        item = self.view.item(row, column) if column is not None and row >= 0 else None
        if item is not None and self.labels_layer is not None:
            label = int(item.data(Qt.ItemDataRole.UserRole))
            if self.labels_layer.selected_label != label:
                self.labels_layer.selected_label = label

    def _label_selected(self, event: object = None) -> None:
        if self.labels_layer is None:
            return
        row = self.row_of_label(int(self.labels_layer.selected_label))
        if row is None:
            self.view.clearSelection()
        elif row != self.view.currentRow():
            self.view.selectRow(row)
            item = self.view.item(row, 0)
            if item is not None:
                self.view.scrollToItem(item)

    def rows(self, *, full: bool = False) -> list[list[str]]:
        """The table in the current sort order, header first: as shown, or with
        ``full`` every digit of the values (what Copy puts on the clipboard)."""
        def text(item: QTableWidgetItem | None) -> str:
            if item is None:
                return ""
            return str(item.data(Qt.ItemDataRole.UserRole)) if full else item.text()

        header = list(self.table)
        body = [[text(self.view.item(r, c)) for c in range(self.view.columnCount())]
                for r in range(self.view.rowCount())]
        return [header, *body]

    def copy_to_clipboard(self) -> None:
        clipboard = QApplication.clipboard()
        if clipboard is not None:  # None only without a QApplication
            clipboard.setText("\n".join("\t".join(row) for row in self.rows(full=True)))

    def save_csv(self, path: str | Path) -> None:
        """Write the table with full precision, one row per label (as ``oclip run``
        writes tables)."""
        write_text(path, table_csv(self.table))

    def _save_clicked(self) -> None:
        path = _dialogs.ask_save_path(self, "Save table", f"{self.name}.csv",
                                      "CSV files (*.csv)")
        if path:
            self.save_csv(path)
