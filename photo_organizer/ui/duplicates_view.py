"""The Duplicates view: one block per group, a header ("3 copies · 4.1 MB") and its photos,
the reference (the copy to keep: most pixels, largest file) first and marked as such.

Groups are few and small, so plain widgets do (the grid's model-view machinery is for the
library's thousands). A click on a photo opens it in the viewer; nothing is ever deleted.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QScrollArea, QToolButton, QVBoxLayout, QWidget

from photo_organizer.app.types import DuplicateSet
from photo_organizer.ui.thumbnail_loader import ThumbnailLoader

MAX_GROUPS_SHOWN = 300  # beyond this, the first ones (most space first) are shown
TILE_SIDE = 128
REFERENCE_TEXT = "Reference (keep)"
REFERENCE_STYLE = "QToolButton { border: 2px solid palette(highlight); border-radius: 6px; padding: 4px; }"
COPY_STYLE = "QToolButton { border: 1px solid palette(mid); border-radius: 6px; padding: 4px; }"


class DuplicatesView(QScrollArea):
    photoActivated = Signal(int)  # photo id

    def __init__(self, loader: ThumbnailLoader, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._loader = loader
        self._tiles: dict[int, QToolButton] = {}
        self.headers: list[QLabel] = []
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        loader.ready.connect(self._on_thumbnail_ready)
        self.show_note("")

    def show_note(self, text: str) -> None:
        """A sentence instead of groups (while looking, or when there are none)."""
        page = QWidget()
        layout = QVBoxLayout(page)
        note = QLabel(text)
        note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        note.setWordWrap(True)
        layout.addWidget(note)
        self._replace(page)

    def show_groups(self, sets: list[DuplicateSet], paths: dict[int, str]) -> None:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(12, 8, 12, 12)
        layout.setSpacing(6)
        self._replace(page)
        for found in sets[:MAX_GROUPS_SHOWN]:
            layout.addWidget(self._header(found))
            layout.addLayout(self._row(found, paths))
            layout.addSpacing(10)
        if len(sets) > MAX_GROUPS_SHOWN:
            layout.addWidget(QLabel(f"Showing the {MAX_GROUPS_SHOWN:,} groups that take the most space, of {len(sets):,}."))
        layout.addStretch(1)

    def tile(self, photo_id: int) -> QToolButton | None:
        return self._tiles.get(photo_id)

    # ---- building -----------------------------------------------------------------------------

    def _replace(self, page: QWidget) -> None:
        self._tiles = {}
        self.headers = []
        old = self.takeWidget()
        if old is not None:
            old.deleteLater()
        self.setWidget(page)

    def _header(self, found: DuplicateSet) -> QLabel:
        header = QLabel(found.describe())
        font = header.font()
        font.setBold(True)
        header.setFont(font)
        self.headers.append(header)
        return header

    def _row(self, found: DuplicateSet, paths: dict[int, str]) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(8)
        for photo_id in found.photo_ids:
            row.addWidget(self._tile(photo_id, paths.get(photo_id, ""), photo_id == found.reference_id))
        row.addStretch(1)
        return row

    def _tile(self, photo_id: int, path: str, reference: bool) -> QToolButton:
        tile = QToolButton()
        tile.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
        tile.setIconSize(QSize(TILE_SIDE, TILE_SIDE))
        name = Path(path).name or str(photo_id)
        tile.setText(f"{REFERENCE_TEXT}\n{name}" if reference else name)
        tile.setToolTip(path + ("\nThe copy to keep: the most pixels, then the largest file" if reference else ""))
        tile.setStyleSheet(REFERENCE_STYLE if reference else COPY_STYLE)
        tile.setAutoRaise(False)
        tile.clicked.connect(lambda _checked=False, pid=photo_id: self.photoActivated.emit(pid))
        self._tiles[photo_id] = tile
        self._set_icon(photo_id, self._loader.pixmap(photo_id))
        return tile

    def _set_icon(self, photo_id: int, pixmap: QPixmap | None) -> None:
        tile = self._tiles.get(photo_id)
        if tile is not None and pixmap is not None and not pixmap.isNull():
            tile.setIcon(QIcon(pixmap))

    def _on_thumbnail_ready(self, photo_id: int) -> None:
        if photo_id in self._tiles:
            self._set_icon(photo_id, self._loader.pixmap(photo_id))
