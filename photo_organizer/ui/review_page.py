"""The review screen: each stack with its best shot marked, "Keep best, move others to
trash…" per stack, and "Undo last trash". It shows and asks; the window confirms and acts
through the backend. Nothing is deleted: files go to the system trash, and come back."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from photo_organizer.app.types import ReviewGroup

THUMB = 120
BEST_COLOUR = "#10b981"
GROUP_NAMES = {"burst": "Burst", "raw+jpeg": "RAW + JPEG pair", "exact": "Exact duplicates", "near": "Near-identical shots"}


class ReviewPage(QWidget):
    keepBestRequested = Signal(object)  # ReviewGroup
    undoRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.heading = QLabel()
        font = self.heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.heading.setFont(font)
        self.note = QLabel("Keep the best shot of each group; the others go to the system trash only after you confirm.")
        self.note.setEnabled(False)
        self.note.setWordWrap(True)  # never widens the window
        self.undo_button = QPushButton("Undo last trash")
        self.undo_button.clicked.connect(self.undoRequested.emit)
        top = QHBoxLayout()
        top.addWidget(self.heading)
        top.addSpacing(10)
        top.addWidget(self.note, 1)
        top.addWidget(self.undo_button)
        self._rows = QVBoxLayout()
        self._rows.setAlignment(Qt.AlignmentFlag.AlignTop)
        holder = QWidget()
        holder.setLayout(self._rows)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(holder)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 4)
        layout.addLayout(top)
        layout.addWidget(scroll, 1)
        self._thumbs: dict[int, list[QLabel]] = {}
        self.keep_buttons: dict[str, QPushButton] = {}  # ReviewGroup.key -> its button

    def set_groups(self, groups: list[ReviewGroup], can_undo: bool) -> None:
        while self._rows.count():
            widget = self._rows.takeAt(0).widget()
            if widget is not None:
                widget.hide()  # at once: deleteLater waits for the event loop
                widget.deleteLater()
        self._thumbs.clear()
        self.keep_buttons.clear()
        count = f"{len(groups):,} group{'s' if len(groups) != 1 else ''}"
        self.heading.setText(f"{count} to review" if groups else "Nothing to review")
        for group in groups:
            self._rows.addWidget(self._group_row(group))
        self.undo_button.setEnabled(can_undo)

    def thumbnail_ids(self) -> list[int]:
        return list(self._thumbs)

    def set_thumbnail(self, photo_id: int, pixmap: QPixmap) -> None:
        scaled = pixmap.scaled(THUMB, THUMB, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
        for label in self._thumbs.get(photo_id, []):
            label.setPixmap(scaled)

    def _group_row(self, group: ReviewGroup) -> QWidget:
        row = QFrame()
        row.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(row)
        what = GROUP_NAMES.get(group.kind, "Group")
        title = QLabel(f"<b>{what} of {len(group.photo_ids)} photos</b> · best: {group.why or 'chosen'}")
        keep = QPushButton("Keep best, move others to trash…")
        keep.setEnabled(group.best_id is not None and group.kind != "raw+jpeg")
        if group.kind == "raw+jpeg":
            keep.setToolTip("A RAW + JPEG pair is one shot: both files stay")
        keep.clicked.connect(lambda _=False, chosen=group: self.keepBestRequested.emit(chosen))
        self.keep_buttons[group.key] = keep
        header = QHBoxLayout()
        header.addWidget(title, 1)
        header.addWidget(keep)
        layout.addLayout(header)
        strip = QHBoxLayout()
        strip.setAlignment(Qt.AlignmentFlag.AlignLeft)
        for photo_id in group.photo_ids:
            strip.addWidget(self._tile(photo_id, photo_id == group.best_id, group.kind == "raw+jpeg"))
        layout.addLayout(strip)
        return row

    def _tile(self, photo_id: int, best: bool, same_shot: bool) -> QWidget:
        tile = QWidget()
        layout = QVBoxLayout(tile)
        layout.setContentsMargins(2, 2, 2, 2)
        picture = QLabel()
        picture.setFixedSize(THUMB + 8, THUMB + 8)
        picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        border = f"3px solid {BEST_COLOUR}" if best else "1px solid palette(mid)"
        picture.setStyleSheet(f"border: {border}; border-radius: 6px;")
        self._thumbs.setdefault(photo_id, []).append(picture)
        caption = QLabel("★ Best shot" if best else "its twin, kept" if same_shot else "to trash")
        caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        if best:
            caption.setStyleSheet(f"color: {BEST_COLOUR}; font-weight: bold;")
        else:
            caption.setEnabled(False)
        layout.addWidget(picture)
        layout.addWidget(caption)
        return tile
