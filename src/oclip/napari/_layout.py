"""Keeping the dock readable at its width: whole parameter labels, device names
that shorten in the middle (never cut at their end), nothing that needs a
horizontal scroll bar.
"""

from __future__ import annotations

from magicgui.widgets import Container
from qtpy.QtCore import QEvent, QObject, Qt
from qtpy.QtGui import QPaintEvent
from qtpy.QtWidgets import (
    QComboBox,
    QLabel,
    QStyle,
    QStyleOptionComboBox,
    QStylePainter,
    QWidget,
)


def form_labels(container: Container) -> list[QLabel]:
    """The labels magicgui put in front of a container's widgets."""
    labels = []
    for widget in container:
        labeled = widget._labeled_widget()
        if labeled is not None:
            native = labeled._label_widget.native
            if isinstance(native, QLabel):
                labels.append(native)
    return labels


def label_width(label: QLabel) -> int:
    """The width ``label`` asks for in the style it is drawn in (a stylesheet's font
    and padding)."""
    label.ensurePolished()
    return label.sizeHint().width()


def fit_labels(container: Container) -> None:
    """Make every label of ``container`` as wide as the widest one asks to be, in the
    style it is drawn in (magicgui measures the text in the application's default
    font, without the stylesheet's padding, so that "image" showed as "imag")."""
    labels = form_labels(container)
    if labels:
        width = max(label_width(label) for label in labels)
        for label in labels:
            label.setMinimumWidth(width)


class _Refit(QObject):
    """Fits a container's labels again when its widget is shown or restyled."""

    def __init__(self, container: Container) -> None:
        super().__init__(container.native)
        self._container = container

    def eventFilter(self, watched: QObject | None, event: QEvent | None) -> bool:
        if event is not None and event.type() in (QEvent.Type.Show, QEvent.Type.StyleChange,
                                                  QEvent.Type.FontChange):
            fit_labels(self._container)
        return False


def keep_labels_readable(container: Container) -> None:
    """Fit ``container``'s labels now and whenever it is shown or its style changes."""
    container.native.installEventFilter(_Refit(container))
    fit_labels(container)


class ElidingComboBox(QComboBox):
    """A combo box that shortens a long current text in the middle ("pthread-…EPYC
    (CPU)") instead of cutting its end; the list shows whole texts, and the
    tooltip the whole current one."""

    def __init__(self, tip: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tip = tip
        self.setToolTip(tip)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(12)

    def shown_text(self) -> str:
        """The current text as drawn: whole, or shortened in the middle to fit (the
        tooltip then says it whole; the current item may be set with signals blocked)."""
        text = self.currentText()
        tip = f"{self._tip}: {text}" if text else self._tip
        if self.toolTip() != tip:
            self.setToolTip(tip)
        option = QStyleOptionComboBox()
        self.initStyleOption(option)
        style = self.style()
        width = self.width() if style is None else style.subControlRect(
            QStyle.ComplexControl.CC_ComboBox, option, QStyle.SubControl.SC_ComboBoxEditField,
            self).width()
        return self.fontMetrics().elidedText(text, Qt.TextElideMode.ElideMiddle,
                                             max(width - 4, 0))

    def paintEvent(self, event: QPaintEvent | None) -> None:
        painter = QStylePainter(self)
        option = QStyleOptionComboBox()
        self.initStyleOption(option)
        painter.drawComplexControl(QStyle.ComplexControl.CC_ComboBox, option)
        option.currentText = self.shown_text()
        painter.drawControl(QStyle.ControlElement.CE_ComboBoxLabel, option)

    def showPopup(self) -> None:
        view = self.view()
        if view is not None:  # the list as wide as its longest text
            widest = max((self.fontMetrics().horizontalAdvance(self.itemText(i))
                          for i in range(self.count())), default=0)
            view.setMinimumWidth(widest + 40)
        super().showPopup()

