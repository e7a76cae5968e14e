"""The year/month scrubber beside the grid, and the sticky day header on top of it.

The scrubber lists years and months, newest first, from the month counts the library keeps:
clicking a month puts that month's newest photos at the top of the grid at once, whatever the
library's size. While the grid scrolls it follows, showing the month on screen.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QWidget

from photo_organizer.app.timeline import MonthEntry

MONTH_ROLE = Qt.ItemDataRole.UserRole + 1
SCRUBBER_WIDTH = 112


class TimelineScrubber(QListWidget):
    monthChosen = Signal(str)  # "YYYY-MM"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFixedWidth(SCRUBBER_WIDTH)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setToolTip("Jump to a month")
        self._items: dict[str, QListWidgetItem] = {}
        self._following = False
        self.itemClicked.connect(self._on_clicked)

    def set_months(self, months: list[MonthEntry]) -> None:
        """Years and their months, newest first (a year entry jumps to its newest month)."""
        self.clear()
        self._items.clear()
        year = None
        bold = QFont(self.font())
        bold.setBold(True)
        for entry in months:
            if entry.month[:4] != year:
                year = entry.month[:4]
                total = sum(m.count for m in months if m.month[:4] == year)
                item = QListWidgetItem(year)
                item.setFont(bold)
                item.setData(MONTH_ROLE, entry.month)
                item.setToolTip(f"{year}: {total:,} photos")
                self.addItem(item)
            name = date.fromisoformat(entry.month + "-01").strftime("%b")
            item = QListWidgetItem(f"  {name}  {entry.count:,}")
            item.setData(MONTH_ROLE, entry.month)
            item.setToolTip(f"{date.fromisoformat(entry.month + '-01'):%B %Y}: {entry.count:,} photos")
            self.addItem(item)
            self._items[entry.month] = item

    def item_of(self, month: str) -> QListWidgetItem | None:
        return self._items.get(month)

    def follow(self, month: str | None) -> None:
        """Show the month the grid is on, without jumping."""
        item = self._items.get(month or "")
        if item is None or item is self.currentItem():
            return
        self._following = True
        try:
            self.setCurrentItem(item)
            self.scrollToItem(item)
        finally:
            self._following = False

    def _on_clicked(self, item: QListWidgetItem) -> None:
        month = item.data(MONTH_ROLE)
        if month and not self._following:
            self.monthChosen.emit(month)


class StickyHeader(QLabel):
    """The title of the day at the top of the grid, over the grid's first row."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        font = QFont(self.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.05)
        self.setFont(font)
        self.setAutoFillBackground(True)
        self.setContentsMargins(10, 0, 0, 0)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.hide()
