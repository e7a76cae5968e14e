"""The search bar: text, an example image (picked or dropped), and the feedback controls.

It only reports intentions (signals); ranking happens in the search core.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QCheckBox, QFileDialog, QHBoxLayout, QLabel, QLineEdit, QPushButton, QToolButton, QWidget

from photo_organizer.ui import icons

IMAGE_FILTER = "Images (*.jpg *.jpeg *.png *.webp *.heic *.heif *.tif *.tiff *.bmp *.gif)"


def dropped_image_path(event: QDragEnterEvent | QDropEvent) -> str | None:
    for url in event.mimeData().urls():
        if url.isLocalFile() and Path(url.toLocalFile()).is_file():
            return url.toLocalFile()
    return None


class SearchBar(QWidget):
    textSearch = Signal(str)
    imageSearch = Signal(str)  # path of an example image
    cleared = Signal()
    refineRequested = Signal()
    resetRequested = Signal()
    autoRefineToggled = Signal(bool)
    leaveDown = Signal()  # Down arrow in the search field: go to the results

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.field = QLineEdit()
        self.field.setAcceptDrops(False)  # a dropped photo goes to the window: search by example
        self.field.setPlaceholderText("Search photos: describe them (\u201cdog in the snow\u201d), or drop a photo here")
        self.field.setClearButtonEnabled(True)
        self.field.addAction(icons.icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.field.setMinimumWidth(320)
        self.field.returnPressed.connect(self._submit)
        self.field.installEventFilter(self)
        self.field.textChanged.connect(self._on_text_changed)

        self.example_button = QToolButton()
        self.example_button.setIcon(icons.icon("image"))
        self.example_button.setToolTip("Search by an example photo from a file (or drop one on the search bar)")
        self.example_button.clicked.connect(self._pick_image)

        self.refine_button = QPushButton("Refine")
        self.refine_button.setToolTip("Re-rank by your likes and dislikes (R)")
        self.refine_button.clicked.connect(self.refineRequested.emit)
        self.auto_refine = QCheckBox("Auto")
        self.auto_refine.setToolTip("Refine after every like or dislike")
        self.auto_refine.toggled.connect(self.autoRefineToggled.emit)
        self.round_label = QLabel()
        self.round_label.setToolTip("Feedback rounds so far, and your likes and dislikes")
        self.reset_button = QPushButton("Reset feedback")
        self.reset_button.setToolTip("Forget the likes and dislikes of this search")
        self.reset_button.clicked.connect(self.resetRequested.emit)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(self.field, 1)
        layout.addWidget(self.example_button)
        layout.addSpacing(12)
        layout.addWidget(self.round_label)
        layout.addWidget(self.refine_button)
        layout.addWidget(self.auto_refine)
        layout.addWidget(self.reset_button)
        self._example: tuple[str, str] | None = None  # (path, text shown for it)
        self.set_feedback_state(None, 0, 0)

    def set_feedback_state(self, search_round: int | None, liked: int, disliked: int) -> None:
        """Show the feedback controls while a search is on screen (round None: no search)."""
        in_search = search_round is not None
        for widget in (self.refine_button, self.auto_refine, self.round_label, self.reset_button):
            widget.setVisible(in_search)
        if in_search:
            self.round_label.setText(f"Round {search_round} · {liked} liked · {disliked} disliked")
            self.refine_button.setEnabled(liked + disliked > 0)
            self.reset_button.setEnabled(liked + disliked > 0 or search_round > 0)

    def set_example(self, path: str) -> None:
        """Show which example photo the results are similar to."""
        self._example = (path, f"similar to {Path(path).name}")
        self.field.blockSignals(True)
        self.field.setText(self._example[1])
        self.field.blockSignals(False)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.field and event.type() == QEvent.Type.KeyPress and event.key() == Qt.Key.Key_Down:
            self.leaveDown.emit()
            return True
        return super().eventFilter(watched, event)

    def _submit(self) -> None:
        text = self.field.text().strip()
        if self._example is not None and text == self._example[1]:
            self.imageSearch.emit(self._example[0])
        elif text:
            self.textSearch.emit(text)
        else:
            self.cleared.emit()

    def _on_text_changed(self, text: str) -> None:
        if not text:
            self.cleared.emit()

    def _pick_image(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Search by example photo", "", IMAGE_FILTER)
        if path:
            self.set_example(path)
            self.imageSearch.emit(path)
