"""Icons drawn for this app (``resources/icons/*.svg``), rendered at the size asked."""

from __future__ import annotations

from functools import lru_cache

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QIcon, QImage, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

from photo_organizer.resources import resource_path


@lru_cache(maxsize=64)
def icon(name: str) -> QIcon:
    """One icon (cached: the sidebar asks for the same few hundreds of times; GUI thread only)."""
    return QIcon(str(resource_path(f"icons/{name}.svg")))


def app_icon() -> QIcon:
    result = QIcon(str(resource_path("icon.svg")))
    result.addFile(str(resource_path("icon.png")))
    return result


@lru_cache(maxsize=64)
def pixmap(name: str, side: int) -> QPixmap:
    """A square pixmap of one icon (cached; GUI thread only)."""
    renderer = QSvgRenderer(str(resource_path(f"icons/{name}.svg")))
    image = QImage(side, side, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, side, side))
    painter.end()
    return QPixmap.fromImage(image)
