"""What a grid tile shows of the user's curation: the favourite heart, stars, colour label and
reject mark, painted along the picture's bottom-left edge (feedback buttons sit bottom-right)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter

from photo_organizer.app.types import STAR
from photo_organizer.ui import icons

LABEL_COLOURS = {
    "red": QColor("#ef4444"),
    "yellow": QColor("#eab308"),
    "green": QColor("#22c55e"),
    "blue": QColor("#3b82f6"),
    "purple": QColor("#a855f7"),
}
STAR_COLOUR = QColor("#facc15")
REJECT_COLOUR = QColor("#dc2626")
PILL_BACKGROUND = QColor(0, 0, 0, 170)


def label_colour(label: str | None) -> QColor | None:
    return LABEL_COLOURS.get(label.lower()) if label else None


def heart_rect(picture: QRect, side: int) -> QRect:
    """The favourite heart (and its hover button): the picture's bottom-left corner."""
    return QRect(picture.left() + 4, picture.bottom() - side - 4, side, side)


def paint_curation(painter: QPainter, curation: Any, picture: QRect, side: int, hovered: bool) -> None:
    """Heart (always when a favourite, as a button on hover), then stars or the reject mark,
    then the colour label's dot."""
    heart = heart_rect(picture, side)
    favourite = bool(curation is not None and curation.favourite)
    if favourite or hovered:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(PILL_BACKGROUND)
        painter.drawEllipse(QRectF(heart))
        inset = side // 5
        painter.drawPixmap(heart.adjusted(inset, inset, -inset, -inset), icons.pixmap("heart" if favourite else "heart-outline", 64))
    if curation is None:
        return
    x = heart.right() + 5
    text, colour = "", STAR_COLOUR
    if curation.rejected:
        text, colour = "\u2715 rejected", REJECT_COLOUR
    elif curation.rating:
        text = STAR * curation.rating
    dot = label_colour(curation.label)
    if not text and dot is None:
        return
    font = QFont(painter.font())
    font.setPointSizeF(max(7.0, font.pointSizeF() * 0.9))
    painter.setFont(font)
    metrics = painter.fontMetrics()
    dot_side = metrics.height() - 6
    width = (metrics.horizontalAdvance(text) + 10 if text else 4) + (dot_side + 6 if dot is not None else 0)
    height = metrics.height() + 2
    pill = QRectF(x, heart.center().y() - height / 2, width, height)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(PILL_BACKGROUND)
    painter.drawRoundedRect(pill, height / 2, height / 2)
    if dot is not None:
        painter.setBrush(dot)
        painter.drawEllipse(QRectF(pill.left() + 5, pill.top() + 4, dot_side, dot_side))
    if text:
        painter.setPen(colour)
        text_rect = pill.adjusted(dot_side + 6 if dot is not None else 0, 0, 0, 0)
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignCenter, text)
