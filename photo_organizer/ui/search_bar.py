"""The search bar: text, an example image (picked or dropped), and the feedback controls.

The example shows as a removable chip (thumbnail, name, ×) beside the text; a search then
uses both. It only reports intentions (signals); ranking happens in the search core.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QToolButton,
    QWidget,
)

from photo_organizer.app.types import SearchRequest
from photo_organizer.ui import icons

CHIP_THUMBNAIL = 22

IMAGE_FILTER = "Images (*.jpg *.jpeg *.png *.webp *.heic *.heif *.tif *.tiff *.bmp *.gif)"


def dropped_image_path(event: QDragEnterEvent | QDropEvent) -> str | None:
    for url in event.mimeData().urls():
        if url.isLocalFile() and Path(url.toLocalFile()).is_file():
            return url.toLocalFile()
    return None


class SearchBar(QWidget):
    textSearch = Signal(str)
    searchRequested = Signal(object)  # SearchRequest: the example, with the text if any
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

        self.chip = ExampleChip()
        self.chip.removed.connect(self._on_example_removed)
        self.chip.hide()

        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(self.chip)
        layout.addWidget(self.field, 1)
        layout.addWidget(self.example_button)
        layout.addSpacing(12)
        layout.addWidget(self.round_label)
        layout.addWidget(self.refine_button)
        layout.addWidget(self.auto_refine)
        layout.addWidget(self.reset_button)
        self._example: SearchRequest | None = None  # the example part of the next search
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

    def set_example(self, path: str, photo_id: int | None = None) -> None:
        """Search by this example from now on (with the text, if any): shown as a chip."""
        name = Path(path).name
        if photo_id is not None:
            self._example = SearchRequest(photo_id=photo_id, example_name=name)
        else:
            self._example = SearchRequest(image_path=path)
        self.chip.show_example(path, name)

    def clear_example(self) -> None:
        self._example = None
        self.chip.hide()

    @property
    def example(self) -> SearchRequest | None:
        return self._example

    def submit(self) -> None:
        """Search with what the bar holds now: text, example, or both."""
        self._submit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.field and event.type() == QEvent.Type.KeyPress and event.key() == Qt.Key.Key_Down:
            self.leaveDown.emit()
            return True
        return super().eventFilter(watched, event)

    def _submit(self) -> None:
        text = self.field.text().strip()
        if self._example is not None:
            self.searchRequested.emit(replace(self._example, text=text or None))
        elif text:
            self.textSearch.emit(text)
        else:
            self.cleared.emit()

    def _on_text_changed(self, text: str) -> None:
        if not text and self._example is None:
            self.cleared.emit()

    def _on_example_removed(self) -> None:
        """× on the chip: the search goes on with the text alone (or ends)."""
        self.clear_example()
        self._submit()

    def _pick_image(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Search by example photo", "", IMAGE_FILTER)
        if path:
            self.set_example(path)
            self._submit()


class ExampleChip(QFrame):
    """The example photo of the search: thumbnail, name, and × to remove it."""

    removed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setObjectName("exampleChip")
        self.setStyleSheet("#exampleChip { border: 1px solid palette(mid); border-radius: 12px; }")
        self.thumbnail = QLabel()
        self.thumbnail.setFixedSize(CHIP_THUMBNAIL, CHIP_THUMBNAIL)
        self.name = QLabel()
        self.remove_button = QToolButton()
        self.remove_button.setText("\u00d7")
        self.remove_button.setAutoRaise(True)
        self.remove_button.setToolTip("Remove the example: search by the text alone")
        self.remove_button.clicked.connect(self.removed.emit)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 1, 2, 1)
        layout.setSpacing(4)
        layout.addWidget(self.thumbnail)
        layout.addWidget(self.name)
        layout.addWidget(self.remove_button)

    def show_example(self, path: str, name: str) -> None:
        pixmap = QPixmap(path)
        if not pixmap.isNull():
            pixmap = pixmap.scaled(
                CHIP_THUMBNAIL, CHIP_THUMBNAIL, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
            )
        self.thumbnail.setPixmap(pixmap)
        self.name.setText(f"like {name}" if len(name) <= 28 else f"like {name[:25]}…")
        self.setToolTip(f"Results look like {path}")
        self.show()
