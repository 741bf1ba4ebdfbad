"""Finding an operation by typing: a search box over every operation's name and
docstring summary, whichever its category.

Typing lists the operations whose name or summary hold every typed word; the
best matches (the name starting with the text, then the name holding it) come
first.  Choosing one (a click, or Enter for the first) hands its name to the
owner, which adds it as a step on the selected layer.
"""

from __future__ import annotations

from collections.abc import Callable

from qtpy.QtCore import Qt
from qtpy.QtWidgets import QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from oclip.ops import Operation, operations

#: The most matches listed at once.
MAX_SHOWN = 40


def matches(text: str) -> list[Operation]:
    """The operations whose name (underscores read as spaces) or summary hold every
    word of ``text`` (case-insensitive), best first: names starting with the text,
    then names holding every word, then summaries; registry order within each."""
    words = text.lower().replace("_", " ").split()
    if not words:
        return []
    query = " ".join(words)
    ranked: list[tuple[int, int, Operation]] = []
    for order, operation in enumerate(operations().values()):
        name = operation.name.replace("_", " ")
        summary = operation.summary.lower()
        if name.startswith(query):
            rank = 0
        elif all(word in name for word in words):
            rank = 1
        elif all(word in f"{name} {summary}" for word in words):
            rank = 2
        else:
            continue
        ranked.append((rank, order, operation))
    return [operation for _, _, operation in sorted(ranked, key=lambda r: r[:2])]


class OperationSearch(QWidget):
    """A search box and the list of the operations matching what is typed.

    Parameters
    ----------
    chosen : callable
        Called with an operation's name when the user chooses it.
    """

    def __init__(self, chosen: Callable[[str], object], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._chosen = chosen
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.box = QLineEdit()
        self.box.setPlaceholderText("Search operations (name or description)...")
        self.box.setClearButtonEnabled(True)
        self.box.setToolTip("Type part of an operation's name or description; click a match "
                            "(or press Enter for the first) to add it on the selected layer")
        self.box.textChanged.connect(self._search)
        self.box.returnPressed.connect(self._choose_first)
        layout.addWidget(self.box)
        self.results = QListWidget()
        self.results.setWordWrap(True)
        self.results.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.results.setMaximumHeight(140)
        self.results.itemClicked.connect(self._item_chosen)
        self.results.itemActivated.connect(self._item_chosen)
        self.results.setVisible(False)
        layout.addWidget(self.results)

    def shown(self) -> list[str]:
        """The names of the operations listed now, in order."""
        items = [self.results.item(row) for row in range(self.results.count())]
        return [name for item in items if item is not None
                and (name := item.data(Qt.ItemDataRole.UserRole))]

    def _search(self, text: str) -> None:
        self.results.clear()
        found = matches(text)
        for operation in found[:MAX_SHOWN]:
            item = QListWidgetItem(f"{operation.name}: {operation.summary}")
            item.setData(Qt.ItemDataRole.UserRole, operation.name)
            item.setToolTip(f"{operation.category}: {operation.summary}")
            self.results.addItem(item)
        self.results.setVisible(bool(text.strip()))
        if text.strip() and not found:
            self.results.addItem(QListWidgetItem("no operation matches"))

    def _item_chosen(self, item: QListWidgetItem) -> None:
        name = item.data(Qt.ItemDataRole.UserRole)
        if name:
            self._choose(name)

    def _choose_first(self) -> None:
        names = self.shown()
        if names:
            self._choose(names[0])

    def _choose(self, name: str) -> None:
        self._chosen(name)
        self.box.clear()
