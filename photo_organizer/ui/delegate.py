"""Paints one grid cell: thumbnail, score, liked/disliked badges, hover buttons, and the
curation (favourite heart, stars, label; see ``curation_badges``).

The cell geometry lives in ``CellLayout`` so painting and hit-testing agree. Clicking a hover
button emits ``feedbackClicked(photo_id, label)`` (+1 like, -1 dislike, 0 clear); the window
sends it to the search core. The hover heart emits ``favouriteClicked(photo_id)``. Nothing here
decides an order.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QEvent, QModelIndex, QPersistentModelIndex, QPoint, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QMouseEvent, QPainter, QPainterPath, QPalette, QPen, QPixmap
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from photo_organizer.ui import icons
from photo_organizer.ui.curation_badges import heart_rect, paint_curation
from photo_organizer.ui.photo_model import Roles

PADDING = 6
HEADER_HEIGHT = 34  # a day header row of the timeline
LIKED_COLOUR = QColor("#16a34a")
DISLIKED_COLOUR = QColor("#dc2626")
NEW_COLOUR = QColor("#f59e0b")  # the taught-album icon's amber
BUTTON_BACKGROUND = QColor(20, 20, 20, 190)
RELEVANCE_BAR_WIDTH = 22
SELECTION_TINT_ALPHA = 60
SELECTION_OUTLINE = 2.5
FEEDBACK_BUTTONS = ((1, "like", LIKED_COLOUR), (-1, "dislike", DISLIKED_COLOUR), (0, "clear", QColor("#52525b")))


@dataclass(frozen=True)
class CellLayout:
    """Where everything sits inside one cell of a given thumbnail side."""

    side: int

    @property
    def cell_size(self) -> QSize:
        return QSize(self.side + 2 * PADDING, self.side + 2 * PADDING)

    def image_rect(self, cell: QRect) -> QRect:
        """The thumbnail's square, centred in the cell (cells widen to fill the row)."""
        return QRect(cell.x() + (cell.width() - self.side) // 2, cell.y() + PADDING, self.side, self.side)

    def fitted_rect(self, cell: QRect, picture: QSize) -> QRect:
        """Where a picture of this size is drawn: fitted in the square, never upscaled, centred."""
        box = self.image_rect(cell)
        size = picture
        if picture.width() > box.width() or picture.height() > box.height():
            size = picture.scaled(box.size(), Qt.AspectRatioMode.KeepAspectRatio)
        return QRect(box.x() + (box.width() - size.width()) // 2, box.y() + (box.height() - size.height()) // 2, size.width(), size.height())

    def overlay_rect(self, cell: QRect, picture: QSize | None) -> QRect:
        """Where score, badge and buttons go: on the picture, or on the whole square while it
        loads or when the picture is too small for them (a panorama)."""
        if picture is None or picture.isEmpty():
            return self.image_rect(cell)
        rect = self.fitted_rect(cell, picture)
        if rect.height() < self.button_side() + 8 or rect.width() < 3 * self.button_side() + 16:
            return self.image_rect(cell)
        return rect

    def button_side(self) -> int:
        return max(20, min(30, self.side // 6))

    def button_rects(self, picture: QRect) -> list[tuple[int, QRect]]:
        """(label, rect) of the like / dislike / clear buttons along the picture's bottom edge."""
        side = self.button_side()
        gap = 4
        y = picture.bottom() - side - 4
        x = picture.right() - 4 - len(FEEDBACK_BUTTONS) * side - (len(FEEDBACK_BUTTONS) - 1) * gap
        return [(label, QRect(x + i * (side + gap), y, side, side)) for i, (label, _, _) in enumerate(FEEDBACK_BUTTONS)]

    def stack_badge_rect(self, picture: QRect) -> QRect:
        """The stack's count, bottom left: a click there opens the stack."""
        side = self.button_side()
        return QRect(picture.left() + 4, picture.bottom() - side - 4, int(side * 1.6), side)

    def badge_rect(self, picture: QRect) -> QRect:
        side = self.button_side()
        return QRect(picture.right() - side - 4, picture.top() + 4, side, side)


class PhotoDelegate(QStyledItemDelegate):
    feedbackClicked = Signal(int, int)  # photo id, label (+1 / -1 / 0)
    favouriteClicked = Signal(int)  # photo id: the hover heart was clicked
    stackClicked = Signal(int)  # photo id of the stack's tile

    def __init__(self, side: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.layout = CellLayout(side)
        self.cell_width = self.layout.cell_size.width()  # the grid widens cells to fill a row
        self.feedback_enabled = True  # hover buttons only make sense on search results
        self.row_width = self.cell_width  # a day header spans the row; the grid sets it
        self.header_rows: frozenset[int] = frozenset()  # rows of day headers; the grid sets them
        self._header_size = QSize(self.row_width, HEADER_HEIGHT)
        self._cell_size = QSize(self.cell_width, self.layout.cell_size.height())

    def set_widths(self, cell_width: int, row_width: int) -> None:
        self.cell_width, self.row_width = cell_width, row_width
        self._header_size = QSize(row_width, HEADER_HEIGHT)
        self._cell_size = QSize(cell_width, self.layout.cell_size.height())

    def set_side(self, side: int) -> None:
        self.layout = CellLayout(side)
        self.set_widths(self.layout.cell_size.width(), self.row_width)

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        # Called once per row each time a timeline is laid out: a set lookup, no model call.
        return self._header_size if index.row() in self.header_rows else self._cell_size

    # ---- painting ---------------------------------------------------------------------------

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:
        header = index.data(Roles.Header)
        if header is not None:
            paint_day_header(painter, option.rect, header, option.palette)
            return
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        cell = option.rect
        palette = option.palette
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        label = index.data(Roles.Feedback) or 0
        curation = index.data(Roles.Curation)
        faded = label < 0 or bool(curation is not None and curation.rejected)

        image_rect = self.layout.image_rect(cell)
        frame = QRectF(image_rect).adjusted(-PADDING + 1, -PADDING + 1, PADDING - 1, PADDING - 1)
        if selected:  # a light tint around the photo and an outline; the photo stays as it is
            highlight = QColor(palette.color(QPalette.ColorRole.Highlight))
            tint = QColor(highlight)
            tint.setAlpha(SELECTION_TINT_ALPHA)
            painter.setPen(QPen(highlight, SELECTION_OUTLINE))
            painter.setBrush(tint)
            painter.drawRoundedRect(frame.adjusted(1, 1, -1, -1), 8, 8)

        pixmap = index.data(Roles.Thumbnail)
        picture_size = _logical_size(pixmap)
        if picture_size is not None:
            if faded:
                painter.setOpacity(0.4)  # disliked and rejected photos fade back
            painter.drawPixmap(self.layout.fitted_rect(cell, picture_size), pixmap)
            painter.setOpacity(1.0)
        else:
            self._paint_placeholder(painter, image_rect, palette)
        picture = self.layout.overlay_rect(cell, picture_size)

        self._paint_relevance(painter, index.data(Roles.Relevance), picture)
        if index.data(Roles.Offline):
            _paint_offline(painter, picture)
        if label:
            self._paint_badge(painter, label, self.layout.badge_rect(picture))
        elif index.data(Roles.Predicted) == 1:
            self._paint_predicted(painter, picture)
        if index.data(Roles.StackSize):
            self._paint_stack_badge(painter, int(index.data(Roles.StackSize)), self.layout.stack_badge_rect(picture))
        if index.data(Roles.IsNew):
            self._paint_tag(painter, picture, "NEW", NEW_COLOUR)
        elif index.data(Roles.IsBest):
            self._paint_tag(painter, picture, "BEST SHOT", LIKED_COLOUR)
        if hovered and self.feedback_enabled:
            self._paint_buttons(painter, label, picture)
        paint_curation(painter, curation, picture, self.layout.button_side(), hovered)
        if option.state & QStyle.StateFlag.State_HasFocus:
            pen_colour = QColor(palette.color(QPalette.ColorRole.Highlight)).lighter(140)
            painter.setPen(pen_colour)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(frame.adjusted(0.5, 0.5, -0.5, -0.5), 8, 8)
        painter.restore()

    @staticmethod
    def _paint_placeholder(painter: QPainter, rect: QRect, palette: QPalette) -> None:
        """A quiet tile while the thumbnail loads: an opaque fill, the cheapest thing to paint
        (a fast fling repaints dozens of these per frame)."""
        base, mid = palette.color(QPalette.ColorRole.Base), palette.color(QPalette.ColorRole.Mid)
        tile = QColor(
            (base.red() * 3 + mid.red()) // 4, (base.green() * 3 + mid.green()) // 4, (base.blue() * 3 + mid.blue()) // 4
        )
        painter.fillRect(rect.adjusted(8, 20, -8, -20), tile)

    @staticmethod
    def _paint_relevance(painter: QPainter, relevance: float | None, picture: QRect) -> None:
        """A small bar and a percentage a person reads (search results only)."""
        if relevance is None:
            return
        text = f"{relevance:.0%}"
        font = QFont(painter.font())
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
        painter.setFont(font)
        metrics = painter.fontMetrics()
        height = metrics.height() + 2
        track_width = RELEVANCE_BAR_WIDTH
        width = track_width + metrics.horizontalAdvance(text) + 16
        pill = QRectF(picture.left() + 4, picture.top() + 4, width, height)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0, 160))
        painter.drawRoundedRect(pill, height / 2, height / 2)
        track = QRectF(pill.left() + 6, pill.center().y() - 2, track_width, 4)
        painter.setBrush(QColor(255, 255, 255, 70))
        painter.drawRoundedRect(track, 2, 2)
        painter.setBrush(QColor("#ffffff"))
        painter.drawRoundedRect(QRectF(track.left(), track.top(), max(2.0, track_width * relevance), 4), 2, 2)
        painter.setPen(QColor("#ffffff"))
        painter.drawText(pill.adjusted(track_width + 10, 0, -6, 0), Qt.AlignmentFlag.AlignCenter, text)

    @staticmethod
    def _paint_badge(painter: QPainter, label: int, rect: QRect) -> None:
        colour = LIKED_COLOUR if label > 0 else DISLIKED_COLOUR
        painter.setPen(QColor("#ffffff"))
        painter.setBrush(colour)
        painter.drawEllipse(QRectF(rect).adjusted(0.5, 0.5, -0.5, -0.5))
        inset = rect.width() // 5
        painter.drawPixmap(rect.adjusted(inset, inset, -inset, -inset), icons.pixmap("like" if label > 0 else "dislike", 64))

    @staticmethod
    def _paint_predicted(painter: QPainter, picture: QRect) -> None:
        """A green bar along the picture's bottom edge: the predictor expects a like."""
        bar = QRectF(picture.left() + 6, picture.bottom() - 5, picture.width() - 12, 3)
        colour = QColor(LIKED_COLOUR)
        colour.setAlpha(200)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawRoundedRect(bar, 1.5, 1.5)

    @staticmethod
    def _paint_stack_badge(painter: QPainter, count: int, rect: QRect) -> None:
        """Two offset cards and the count: this tile stands for a stack of ``count`` photos."""
        painter.setPen(QColor("#ffffff"))
        painter.setBrush(QColor(0, 0, 0, 110))
        painter.drawRoundedRect(QRectF(rect).translated(3, -3), 5, 5)
        painter.setBrush(QColor(0, 0, 0, 190))
        painter.drawRoundedRect(QRectF(rect), 5, 5)
        font = QFont(painter.font())
        font.setBold(True)
        painter.setFont(font)
        painter.drawText(QRectF(rect), Qt.AlignmentFlag.AlignCenter, str(count))

    @staticmethod
    def _paint_tag(painter: QPainter, picture: QRect, text: str, colour: QColor) -> None:
        """A pill at the top left: a taught album's newcomer (NEW), a stack's best shot."""
        font = QFont(painter.font())
        font.setBold(True)
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
        painter.setFont(font)
        metrics = painter.fontMetrics()
        pill = QRectF(picture.left() + 4, picture.top() + 4, metrics.horizontalAdvance(text) + 12, metrics.height() + 2)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawRoundedRect(pill, pill.height() / 2, pill.height() / 2)
        painter.setPen(QColor("#ffffff"))
        painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, text)

    def _paint_buttons(self, painter: QPainter, label: int, picture: QRect) -> None:
        for (button_label, rect), (_, name, colour) in zip(self.layout.button_rects(picture), FEEDBACK_BUTTONS):
            active = button_label == label and button_label != 0
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colour if active else BUTTON_BACKGROUND)
            path = QPainterPath()
            path.addEllipse(QRectF(rect))
            painter.drawPath(path)
            inset = rect.width() // 5
            painter.drawPixmap(rect.adjusted(inset, inset, -inset, -inset), icons.pixmap(name, 64))

    # ---- interaction ------------------------------------------------------------------------

    def on_heart(self, cell: QRect, picture: QSize | None, pos: QPoint) -> bool:
        return heart_rect(self.layout.overlay_rect(cell, picture), self.layout.button_side()).contains(pos)

    def button_at(self, cell: QRect, picture: QSize | None, pos: QPoint) -> int | None:
        for label, rect in self.layout.button_rects(self.layout.overlay_rect(cell, picture)):
            if rect.contains(pos):
                return label
        return None

    def editorEvent(self, event: QEvent, model, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> bool:  # noqa: ANN001
        clicks = (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease, QEvent.Type.MouseButtonDblClick)
        if index.data(Roles.Header) is not None:
            return False  # a day header has no heart, marks or badge to click
        if event.type() in clicks and index.data(Roles.StackSize) and self._on_stack_badge(event, option, index):
            if event.type() == QEvent.Type.MouseButtonRelease:
                self.stackClicked.emit(int(index.data(Roles.PhotoId)))
            return True  # the click opens the stack
        if event.type() not in clicks:
            return super().editorEvent(event, model, option, index)
        assert isinstance(event, QMouseEvent)
        if self.on_heart(option.rect, _logical_size(index.data(Roles.Thumbnail)), event.position().toPoint()):
            if event.button() == Qt.MouseButton.LeftButton and event.type() == QEvent.Type.MouseButtonRelease:
                self.favouriteClicked.emit(int(index.data(Roles.PhotoId)))
            return True
        if not self.feedback_enabled:
            return super().editorEvent(event, model, option, index)
        label = self.button_at(option.rect, _logical_size(index.data(Roles.Thumbnail)), event.position().toPoint())
        if label is None or event.button() != Qt.MouseButton.LeftButton:
            return super().editorEvent(event, model, option, index)
        if event.type() == QEvent.Type.MouseButtonRelease:
            self.feedbackClicked.emit(int(index.data(Roles.PhotoId)), label)
        return True  # the click belongs to the button, not to the selection


    def _on_stack_badge(self, event: QEvent, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> bool:
        assert isinstance(event, QMouseEvent)
        picture = self.layout.overlay_rect(option.rect, _logical_size(index.data(Roles.Thumbnail)))
        return event.button() == Qt.MouseButton.LeftButton and self.layout.stack_badge_rect(picture).contains(event.position().toPoint())


def paint_day_header(painter: QPainter, rect: QRect, text: str, palette: QPalette) -> None:
    """A day's title on the left of its row ("Saturday 14 July 2019 · Lyon"), bold."""
    painter.save()
    font = QFont(painter.font())
    font.setBold(True)
    font.setPointSizeF(font.pointSizeF() * 1.05)
    painter.setFont(font)
    painter.setPen(palette.color(QPalette.ColorRole.Text))
    painter.drawText(rect.adjusted(PADDING + 4, 0, -PADDING, 0), int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), text)
    painter.restore()


def _logical_size(pixmap: QPixmap | None) -> QSize | None:
    """The pixmap's size in device-independent pixels; None when there is no picture."""
    if pixmap is None or pixmap.isNull():
        return None
    return pixmap.deviceIndependentSize().toSize()


def _paint_offline(painter: QPainter, picture: QRect) -> None:
    """An "offline" pill in the picture's bottom-left corner: the file's folder is not reachable."""
    text = "offline"
    font = QFont(painter.font())
    font.setPointSizeF(max(7.0, font.pointSizeF() * 0.8))
    painter.setFont(font)
    metrics = painter.fontMetrics()
    height = metrics.height() + 2
    pill = QRectF(picture.left() + 4, picture.bottom() - height - 4, metrics.horizontalAdvance(text) + 12, height)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(70, 70, 70, 200))
    painter.drawRoundedRect(pill, height / 2, height / 2)
    painter.setPen(QColor("#ffd27f"))
    painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, text)
