"""The header's order chooser: browse orders in library views, relevance or date in a search.

Each mode keeps its own choice, and a new search always starts on "Best match": the order
picked while browsing never leaks into a search, nor a search's into browsing.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QWidget

from photo_organizer.app.listing import BROWSE_SORTS, NEWEST

SEARCH_SORTS = (("relevance", "Best match"), ("date", "Newest first"))
BROWSE, SEARCH = "browse", "search"


class SortBox(QComboBox):
    sortChosen = Signal(str)  # the order the user picked, in the current mode

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.mode = ""
        self.browse_sort = NEWEST
        self.set_mode(BROWSE)
        self.currentIndexChanged.connect(self._on_changed)

    def set_mode(self, mode: str, *, reset: bool = False) -> None:
        """Show the orders of ``mode``: a search's start on relevance; browsing keeps its choice."""
        if mode == self.mode and not reset:
            return
        self.mode = mode
        choices, current = (BROWSE_SORTS, self.browse_sort) if mode == BROWSE else (SEARCH_SORTS, "relevance")
        self.blockSignals(True)
        self.clear()
        for value, text in choices:
            self.addItem(text, value)
        self.setCurrentIndex(max(0, self.findData(current)))
        self.blockSignals(False)
        self.setToolTip(
            "Order of the photos" if mode == BROWSE else "Order of the results: by relevance, or by date among the relevant ones"
        )

    def current_sort(self) -> str:
        return str(self.currentData())

    def _on_changed(self, _index: int) -> None:
        if self.mode == BROWSE:
            self.browse_sort = self.current_sort()
        self.sortChosen.emit(self.current_sort())
