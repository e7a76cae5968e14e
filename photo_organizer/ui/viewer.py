"""The large preview: the photo, its metadata and curation, arrows through the grid,
open/show in folder.

The full image is decoded off the GUI thread (the cached thumbnail is shown meanwhile).
Like / dislike keys work here too and go to the same place as in the grid (outside a search
they say why they do nothing); curation keys (0-5, X, 6-9, F) and the curation panel ask the
window to edit the shown photo.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtCore import QProcess, QSize, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QImage, QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from photo_organizer.app.curation_service import LABEL_KEYS
from photo_organizer.app.library_service import LibraryService
from photo_organizer.app.types import byte_size_text
from photo_organizer.ui.curation_widgets import CurationPanel
from photo_organizer.ui.image_view import ZOOM_STEP, ImageView
from photo_organizer.ui.photo_model import PhotoListModel, Roles
from photo_organizer.ui.workers import run_task

PREVIEW_SIDE = 2048


def pil_to_qimage(image) -> QImage:  # noqa: ANN001 - PIL.Image, imported lazily by the caller
    rgb = image.convert("RGB")
    data = rgb.tobytes("raw", "RGB")
    return QImage(data, rgb.width, rgb.height, 3 * rgb.width, QImage.Format.Format_RGB888).copy()


def missing_file_text(path: str) -> str:
    return f"This photo is no longer at {path}.\nIts drive may be unplugged, or it was moved or deleted."


def date_text(taken_at: str | None, file_date: str | None) -> str:
    """The photo's own date; else the file's, said to be one."""
    if taken_at:
        return taken_at.replace("T", " ")
    if file_date:
        return f"{file_date.replace('T', ' ')} (file date: the photo has no date of its own)"
    return "unknown"


def open_with_system_viewer(path: str, parent: QWidget) -> bool:
    """Hand the photo to the system's viewer; say so when there is none to hand it to."""
    if not path:
        return False
    if not os.path.exists(path):
        QMessageBox.information(parent, "Photo not found", missing_file_text(path))
        return False
    if QDesktopServices.openUrl(QUrl.fromLocalFile(path)):
        return True
    QMessageBox.information(
        parent,
        "No viewer for this photo",
        f"This computer has no program set to open {Path(path).suffix or 'this kind of'} files.\n"
        "Choose one in your system settings, or use Show in folder.",
    )
    return False


def show_in_folder(path: str) -> None:
    """Open the file manager on the photo's folder (selecting the file where the platform can)."""
    if sys.platform == "darwin":
        QProcess.startDetached("open", ["-R", path])
    elif sys.platform == "win32":
        QProcess.startDetached("explorer", [f"/select,{os.path.normpath(path)}"])
    else:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(path).parent)))


class ViewerDialog(QDialog):
    feedbackRequested = Signal(int, int)  # photo id, label
    curationRequested = Signal(int, str, object)  # photo id, field, value (see WindowCuration.curate)
    rowChanged = Signal(int)

    def __init__(self, backend: LibraryService, model: PhotoListModel, row: int, feedback_enabled: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Photo")
        self.resize(1100, 760)
        self._backend = backend
        self._model = model
        self._row = row
        self._loading_for: int | None = None
        self._source_size: QSize | None = None  # the photo's own pixels, from the library

        self.image = ImageView()
        self.zoom_label = QLabel()
        self.image.zoomChanged.connect(self.zoom_label.setText)
        self.fields = {name: QLabel() for name in ("name", "date", "camera", "size", "score", "mark", "path")}
        for label in self.fields.values():
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setWordWrap(True)
        details = QFormLayout()
        for title, key in (("Name", "name"), ("Date", "date"), ("Camera", "camera"), ("Size", "size"),
                           ("Relevance", "score"), ("Mark", "mark"), ("Path", "path")):
            details.addRow(title, self.fields[key])
        self.curation_panel = CurationPanel(backend.curation.keyword_completions)
        self.curation_panel.edited.connect(lambda field, value: self.curationRequested.emit(self.current_photo_id(), field, value))
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addLayout(details)
        side_layout.addWidget(self.curation_panel)
        side_layout.addStretch(1)
        side.setFixedWidth(300)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setEnabled(False)  # the secondary-text colour

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
        open_button.clicked.connect(lambda: open_with_system_viewer(self.current_path(), self))
        folder_button.clicked.connect(lambda: show_in_folder(self.current_path()))
        close_button.clicked.connect(self.accept)
        for button in (self.previous_button, self.next_button, self.like_button, self.dislike_button, open_button, folder_button, close_button):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # arrow keys stay with the dialog
        self.like_button.setVisible(feedback_enabled)
        self.dislike_button.setVisible(feedback_enabled)

        buttons = QHBoxLayout()
        for widget in (self.previous_button, self.next_button, self.like_button, self.dislike_button):
            buttons.addWidget(widget)
        buttons.addWidget(self.note, 1)
        buttons.addWidget(self.zoom_label)
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
        self._add_zoom_keys()
        for key, label in ((Qt.Key.Key_L, 1), (Qt.Key.Key_D, -1), (Qt.Key.Key_U, 0)):
            QShortcut(QKeySequence(key), self, lambda v=label: self._mark(v) if feedback_enabled else self._explain_marks())
        self._curation_keys()
        self._show_row()

    def _add_zoom_keys(self) -> None:
        keys = (
            (("+", "=", QKeySequence.StandardKey.ZoomIn), lambda: self.image.zoom_by(ZOOM_STEP)),
            (("-", QKeySequence.StandardKey.ZoomOut), lambda: self.image.zoom_by(1 / ZOOM_STEP)),
            (("Ctrl+0",), self.image.fit),  # plain 0-5 are star ratings
            (("Ctrl+1",), self.image.actual_size),
            (("F11",), self.toggle_full_screen),
        )
        for sequences, slot in keys:
            for sequence in sequences:
                QShortcut(QKeySequence(sequence), self, slot)
        self.image.setToolTip("Wheel or + / -: zoom · Ctrl+0: fit · Ctrl+1: actual size · F11: full screen")

    def toggle_full_screen(self) -> None:
        if self.isFullScreen():
            self.showNormal()
        else:
            self.showFullScreen()

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

    def _curation_keys(self) -> None:
        def curate(field: str, value: object) -> None:
            self.curationRequested.emit(self.current_photo_id(), field, value)

        for stars in range(0, 6):
            QShortcut(QKeySequence(str(stars)), self, lambda s=stars: curate("rating", s))
        for key, label in LABEL_KEYS.items():
            QShortcut(QKeySequence(key), self, lambda lab=label: curate("label", lab))
        QShortcut(QKeySequence("X"), self, lambda: curate("reject", None))
        QShortcut(QKeySequence("F"), self, lambda: curate("favourite", None))

    def _explain_marks(self) -> None:
        self.note.setText(
            "Like and dislike (L / D / U) mark search results to refine a search: search first. "
            "To keep a photo, press F (favourite) or give it stars (1-5)."
        )

    def _show_row(self) -> None:
        self.previous_button.setEnabled(self._next_photo_row(-1) is not None)
        self.next_button.setEnabled(self._next_photo_row(1) is not None)
        self._show_details()
        index = self._model.index(self._row)
        thumbnail = index.data(Roles.Thumbnail)
        path = self.current_path()
        if path and not os.path.exists(path):
            self._loading_for = None
            self.image.set_note(missing_file_text(path))
            return
        if thumbnail is not None:
            self.image.set_image(thumbnail, self._source_size)
        else:
            self.image.set_note("Loading…")
        self._load_full(self.current_photo_id(), path)

    def _show_details(self) -> None:
        photo_id = self.current_photo_id()
        details = self._backend.photo_details(photo_id)
        path = details["path"]
        position = (self._model.photo_index(self._row) or 0) + 1  # day header rows are not counted
        self.setWindowTitle(f"{Path(path).name} — {position:,} of {len(self._model.contents):,}")
        self.fields["name"].setText(Path(path).name)
        self.fields["date"].setText(date_text(details["taken_at"], details["file_date"]))
        self.fields["camera"].setText(details["camera"] or "unknown")
        dims = f"{details['width']} × {details['height']} px" if details["width"] else "unknown"
        self._source_size = QSize(details["width"], details["height"]) if details["width"] and details["height"] else None
        size = f", {byte_size_text(details['size'])}" if details["size"] else ""
        self.fields["size"].setText(dims + size)
        relevance = self._model.data(self._model.index(self._row), Roles.Relevance)
        explained = f"{relevance:.0%} (a better match than {relevance:.0%} of the photos searched)" if relevance is not None else "—"
        self.fields["score"].setText(explained)
        label = self._model.label_of(photo_id)
        self.fields["mark"].setText({1: "liked", -1: "disliked"}.get(label, "—"))
        self.fields["path"].setText(path)
        self.curation_panel.show_curation(self._backend.curation.curations([photo_id])[photo_id])

    def _load_full(self, photo_id: int, path: str) -> None:
        self._loading_for = photo_id
        backend = self._backend

        def load() -> QImage:
            return pil_to_qimage(backend.load_preview(path, PREVIEW_SIDE))

        def done(image: QImage) -> None:
            if self._loading_for == photo_id and self.isVisible():
                self.image.set_image(QPixmap.fromImage(image), self._source_size)

        def failed(message: str, error: BaseException) -> None:
            if self._loading_for == photo_id and self.isVisible():
                gone = isinstance(error, FileNotFoundError) or not os.path.exists(path)
                self.image.set_note(missing_file_text(path) if gone else f"This photo cannot be shown:\n{message}")

        run_task(load, done, failed)

    def sizeHint(self) -> QSize:
        return QSize(1100, 760)
