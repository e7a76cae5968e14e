"""The viewer's picture: fitted to the window (never blown up past its real size), at actual
size, or zoomed with the wheel and + / -, scrolled when larger than the window.

Zoom is measured against the photo's own pixels (``source_size``), whatever the pixmap shown:
the cached thumbnail while the preview loads and the preview afterwards take the same place
on screen, so nothing jumps when the sharper picture arrives.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QPixmap, QResizeEvent, QWheelEvent
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QSizePolicy, QWidget

MIN_ZOOM = 0.05
MAX_ZOOM = 8.0
MAX_SHOWN_SIDE = 16384  # past this a scaled pixmap costs more memory than it is worth
ZOOM_STEP = 1.25


class ImageView(QScrollArea):
    zoomChanged = Signal(str)  # "Fit (43%)", "100%"...

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setMinimumSize(320, 240)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.picture = QLabel()
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setWordWrap(True)
        self.picture.setMargin(24)
        self.setWidget(self.picture)
        self.setWidgetResizable(False)
        self._pixmap: QPixmap | None = None
        self._source_size = QSize()
        self._fit = True
        self._zoom = 1.0

    # ---- what is shown ------------------------------------------------------------------------

    def set_image(self, pixmap: QPixmap | None, source_size: QSize | None = None) -> None:
        """Show ``pixmap`` standing for a photo of ``source_size`` pixels (its own size when
        not given). The zoom mode (fit or a zoom factor) is kept from photo to photo."""
        self._pixmap = pixmap if pixmap is not None and not pixmap.isNull() else None
        if self._pixmap is not None:
            valid = source_size is not None and source_size.isValid() and not source_size.isEmpty()
            self._source_size = QSize(source_size) if valid else self._pixmap.size()
        self._render()

    def set_note(self, text: str) -> None:
        """A sentence instead of a picture (loading, missing file, unreadable file)."""
        self._pixmap = None
        self.picture.setPixmap(QPixmap())
        self.picture.setMargin(24)
        self.picture.setText(text)
        self.picture.resize(self.viewport().size())
        self.zoomChanged.emit("")

    def has_picture(self) -> bool:
        return self._pixmap is not None

    def shown_size(self) -> QSize:
        """The size the picture takes on screen (device-independent pixels)."""
        if self._pixmap is None:
            return QSize()
        return self._source_size * self.scale()

    # ---- zoom ---------------------------------------------------------------------------------

    def scale(self) -> float:
        """On-screen pixels per photo pixel."""
        if not self._fit:
            return self._zoom
        return min(1.0, self._fit_scale())  # a small image keeps its real size

    def fit(self) -> None:
        self._fit = True
        self._render()

    def actual_size(self) -> None:
        self._fit, self._zoom = False, 1.0
        self._render()

    def zoom_by(self, factor: float) -> None:
        if self._pixmap is None:
            return
        largest = MAX_SHOWN_SIDE / max(1, self._source_size.width(), self._source_size.height())
        self._zoom = max(MIN_ZOOM, min(MAX_ZOOM, largest, self.scale() * factor))
        self._fit = False
        self._render()

    def zoom_text(self) -> str:
        if self._pixmap is None:
            return ""
        percent = f"{self.scale():.0%}"
        return f"Fit ({percent})" if self._fit else percent

    def _fit_scale(self) -> float:
        width, height = self._source_size.width(), self._source_size.height()
        if width <= 0 or height <= 0:
            return 1.0
        room = self.viewport().size()
        return min(room.width() / width, room.height() / height)

    def _render(self) -> None:
        if self._pixmap is None:
            return
        size = self.shown_size()
        if size.isEmpty():
            return
        self.picture.setText("")
        self.picture.setMargin(0)
        self.picture.setPixmap(
            self._pixmap.scaled(size, Qt.AspectRatioMode.IgnoreAspectRatio, Qt.TransformationMode.SmoothTransformation)
        )
        self.picture.resize(size.expandedTo(self.viewport().size()))
        self.zoomChanged.emit(self.zoom_text())

    # ---- events -------------------------------------------------------------------------------

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120
        if steps and self._pixmap is not None:
            self.zoom_by(ZOOM_STEP**steps)
            event.accept()
        else:
            super().wheelEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._pixmap is None:
            self.picture.resize(self.viewport().size())
        elif self._fit:
            self._render()
        else:
            self.picture.resize(self.shown_size().expandedTo(self.viewport().size()))
