"""The large preview: the photo, its metadata, arrows through the grid, open/show in folder.

The full image is decoded off the GUI thread (the cached thumbnail is shown meanwhile).
Like / dislike keys work here too and go to the same place as in the grid.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtCore import QProcess, QSize, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QImage, QKeySequence, QPixmap, QResizeEvent, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from photo_organizer.app.library_service import LibraryService
from photo_organizer.ui.photo_model import PhotoListModel, Roles
from photo_organizer.ui.workers import run_task

PREVIEW_SIDE = 2048


def pil_to_qimage(image) -> QImage:  # noqa: ANN001 - PIL.Image, imported lazily by the caller
    rgb = image.convert("RGB")
    data = rgb.tobytes("raw", "RGB")
    return QImage(data, rgb.width, rgb.height, 3 * rgb.width, QImage.Format.Format_RGB888).copy()


def show_in_folder(path: str) -> None:
    """Open the file manager on the photo's folder (selecting the file where the platform can)."""
    if sys.platform == "darwin":
        QProcess.startDetached("open", ["-R", path])
    elif sys.platform == "win32":
        QProcess.startDetached("explorer", [f"/select,{os.path.normpath(path)}"])
    else:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(path).parent)))


class _ScaledImage(QLabel):
    """A label that keeps its pixmap fitted to its size."""

    def __init__(self) -> None:
        super().__init__()
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumSize(320, 240)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._pixmap: QPixmap | None = None

    def set_image(self, pixmap: QPixmap | None, note: str = "") -> None:
        self._pixmap = pixmap
        if pixmap is None:
            self.setPixmap(QPixmap())
            self.setText(note)
        else:
            self._rescale()

    def _rescale(self) -> None:
        if self._pixmap is not None and not self._pixmap.isNull():
            self.setPixmap(self._pixmap.scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._rescale()


class ViewerDialog(QDialog):
    feedbackRequested = Signal(int, int)  # photo id, label
    rowChanged = Signal(int)

    def __init__(self, backend: LibraryService, model: PhotoListModel, row: int, feedback_enabled: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Photo")
        self.resize(1100, 760)
        self._backend = backend
        self._model = model
        self._row = row
        self._loading_for: int | None = None

        self.image = _ScaledImage()
        self.fields = {name: QLabel() for name in ("name", "date", "camera", "size", "score", "mark", "path")}
        for label in self.fields.values():
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setWordWrap(True)
        details = QFormLayout()
        for title, key in (("Name", "name"), ("Date", "date"), ("Camera", "camera"), ("Size", "size"),
                           ("Score", "score"), ("Mark", "mark"), ("Path", "path")):
            details.addRow(title, self.fields[key])
        side = QWidget()
        side.setLayout(details)
        side.setFixedWidth(280)

        self.previous_button = QPushButton("\u25C0 Previous")
        self.next_button = QPushButton("Next \u25B6")
        self.like_button = QPushButton("Like (L)")
        self.dislike_button = QPushButton("Dislike (D)")
        open_button = QPushButton("Open with system viewer")
        folder_button = QPushButton("Show in folder")
        close_button = QPushButton("Close")
        self.previous_button.clicked.connect(lambda: self.move(-1))
        self.next_button.clicked.connect(lambda: self.move(1))
        self.like_button.clicked.connect(lambda: self._mark(1))
        self.dislike_button.clicked.connect(lambda: self._mark(-1))
        open_button.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(self.current_path())))
        folder_button.clicked.connect(lambda: show_in_folder(self.current_path()))
        close_button.clicked.connect(self.accept)
        for button in (self.previous_button, self.next_button, self.like_button, self.dislike_button, open_button, folder_button, close_button):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # arrow keys stay with the dialog
        self.like_button.setVisible(feedback_enabled)
        self.dislike_button.setVisible(feedback_enabled)

        buttons = QHBoxLayout()
        for widget in (self.previous_button, self.next_button, self.like_button, self.dislike_button):
            buttons.addWidget(widget)
        buttons.addStretch(1)
        for widget in (open_button, folder_button, close_button):
            buttons.addWidget(widget)
        top = QHBoxLayout()
        top.addWidget(self.image, 1)
        top.addWidget(side)
        layout = QVBoxLayout(self)
        layout.addLayout(top, 1)
        layout.addLayout(buttons)

        for key, step in ((Qt.Key.Key_Left, -1), (Qt.Key.Key_Right, 1), (Qt.Key.Key_PageUp, -1), (Qt.Key.Key_PageDown, 1)):
            QShortcut(QKeySequence(key), self, lambda s=step: self.move(s))
        if feedback_enabled:
            for key, label in ((Qt.Key.Key_L, 1), (Qt.Key.Key_D, -1), (Qt.Key.Key_U, 0)):
                QShortcut(QKeySequence(key), self, lambda v=label: self._mark(v))
        self._show_row()

    @property
    def row(self) -> int:
        return self._row

    def current_photo_id(self) -> int:
        return self._model.photo_id(self._row)

    def current_path(self) -> str:
        return self._model.data(self._model.index(self._row), Roles.Path) or ""

    def _next_photo_row(self, step: int) -> int | None:
        """The next row in this direction that shows a photo (over day headers), or None."""
        row = self._row + step
        while 0 <= row < self._model.rowCount() and self._model.is_header(row):
            row += step
        return row if 0 <= row < self._model.rowCount() else None

    def move(self, step: int) -> None:
        row = self._next_photo_row(step)
        if row is not None:
            self._row = row
            self._show_row()
            self.rowChanged.emit(row)

    def refresh_marks(self) -> None:
        self._show_details()

    def _mark(self, label: int) -> None:
        photo_id = self.current_photo_id()
        current = self._model.label_of(photo_id)
        self.feedbackRequested.emit(photo_id, 0 if label == current else label)
        self._show_details()

    def _show_row(self) -> None:
        self.previous_button.setEnabled(self._next_photo_row(-1) is not None)
        self.next_button.setEnabled(self._next_photo_row(1) is not None)
        self._show_details()
        index = self._model.index(self._row)
        thumbnail = index.data(Roles.Thumbnail)
        self.image.set_image(thumbnail, "Loading…")
        self._load_full(self.current_photo_id(), self.current_path())

    def _show_details(self) -> None:
        photo_id = self.current_photo_id()
        details = self._backend.photo_details(photo_id)
        path = details["path"]
        self.setWindowTitle(f"{Path(path).name} — {self._row + 1:,} of {self._model.rowCount():,}")
        self.fields["name"].setText(Path(path).name)
        self.fields["date"].setText(details["taken_at"].replace("T", " ") if details["taken_at"] else "unknown")
        self.fields["camera"].setText(details["camera"] or "unknown")
        dims = f"{details['width']} × {details['height']} px" if details["width"] else "unknown"
        megabytes = f", {details['size'] / 1e6:.1f} MB" if details["size"] else ""
        self.fields["size"].setText(dims + megabytes)
        score = self._model.data(self._model.index(self._row), Roles.Score)
        self.fields["score"].setText(f"{score:.3f}" if score is not None else "—")
        label = self._model.label_of(photo_id)
        self.fields["mark"].setText({1: "liked", -1: "disliked"}.get(label, "—"))
        self.fields["path"].setText(path)

    def _load_full(self, photo_id: int, path: str) -> None:
        self._loading_for = photo_id
        backend = self._backend

        def load() -> QImage:
            return pil_to_qimage(backend.load_preview(path, PREVIEW_SIDE))

        def done(image: QImage) -> None:
            if self._loading_for == photo_id and self.isVisible():
                self.image.set_image(QPixmap.fromImage(image))

        def failed(message: str, _error: BaseException) -> None:
            if self._loading_for == photo_id and self.isVisible():
                self.image.set_image(None, f"This photo cannot be shown:\n{message}")

        run_task(load, done, failed)

    def sizeHint(self) -> QSize:
        return QSize(1100, 760)
