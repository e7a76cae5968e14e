"""The thumbnail grid: a ``QListView`` laid out as a wrapping grid of uniform cells.

List mode with left-to-right flow and wrapping (rather than icon mode's free layout) keeps
layout O(1) per item with uniform sizes, which is what lets 100,000 photos scroll smoothly:
only visible cells are painted, so only visible thumbnails are requested. After scrolling
stops, requests for cells that left the screen are dropped and, once the loader is idle,
the next screenful is fetched ahead.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPoint, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QResizeEvent
from PySide6.QtWidgets import QAbstractItemView, QListView, QWidget

from photo_organizer.ui.delegate import PhotoDelegate
from photo_organizer.ui.photo_model import PhotoListModel
from photo_organizer.ui.thumbnail_loader import ThumbnailLoader


class PhotoGrid(QListView):
    activatedRow = Signal(int)  # Enter or double-click on a photo

    def __init__(self, model: PhotoListModel, loader: ThumbnailLoader, side: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._loader = loader
        self.setModel(model)
        self.photo_delegate = PhotoDelegate(side, self)
        self.setItemDelegate(self.photo_delegate)
        self.setViewMode(QListView.ViewMode.ListMode)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(True)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setUniformItemSizes(True)
        self.setLayoutMode(QListView.LayoutMode.SinglePass)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        # Always shown: the row width Qt lays out then equals the viewport's, whatever the count.
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.setMouseTracking(True)
        self.viewport().setAttribute(Qt.WidgetAttribute.WA_Hover)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.setDragEnabled(True)  # photos dragged onto a sidebar album are added to it
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setDefaultDropAction(Qt.DropAction.CopyAction)
        self.set_side(side)
        self._settle_timer = QTimer(self)
        self._settle_timer.setSingleShot(True)
        self._settle_timer.setInterval(80)
        self._settle_timer.timeout.connect(self._on_scroll_settled)
        self._prefetched_from: int | None = None
        self.verticalScrollBar().valueChanged.connect(lambda _: self._settle_timer.start())
        loader.idle.connect(self._prefetch_next_page)
        self.doubleClicked.connect(lambda index: self.activatedRow.emit(index.row()))

    def set_side(self, side: int) -> None:
        self.photo_delegate.set_side(side)
        self._fit_columns()
        self.verticalScrollBar().setSingleStep(max(16, side // 3))
        self._loader.set_side(side)
        self.scheduleDelayedItemsLayout()
        self.viewport().update()

    def _fit_columns(self) -> None:
        """Widen cells so the columns fill the width (no ragged gap on the right). A timeline
        (day header rows) is laid out by size hints; other views by a uniform grid."""
        cell = self.photo_delegate.layout.cell_size
        usable = self.viewport().width() - 1  # Qt wraps a row once it would reach the last pixel
        columns = max(1, usable // cell.width())
        wanted = QSize(max(cell.width(), usable // columns), cell.height())
        sections = self._has_sections()
        if (self.photo_delegate.cell_width, self.photo_delegate.row_width) != (wanted.width(), usable):
            self.photo_delegate.set_widths(wanted.width(), usable)
            if sections:
                self.scheduleDelayedItemsLayout()
        if self.uniformItemSizes() == sections:
            self.setUniformItemSizes(not sections)
        target = QSize() if sections else wanted
        if self.gridSize() != target:
            self.setGridSize(target)

    def _has_sections(self) -> bool:
        model = self.model()
        return bool(getattr(model, "has_sections", None) and model.has_sections())

    def reset(self) -> None:
        super().reset()
        if hasattr(self, "photo_delegate"):  # setModel() resets before the delegate exists
            model = self.model()
            self.photo_delegate.header_rows = model.header_rows() if self._has_sections() else frozenset()
            self._fit_columns()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_columns()

    # ---- what is on screen ------------------------------------------------------------------

    def visible_rows(self) -> range:
        count = self.model().rowCount()
        if count and self._has_sections():
            return self._visible_rows_by_position(count)
        cell = self.gridSize()
        if count == 0 or cell.width() <= 0 or cell.height() <= 0:
            return range(0)
        first = self.indexAt(QPoint(cell.width() // 2, 1))
        if not first.isValid():  # the top pixel row falls in the spacing between cells
            first = self.indexAt(QPoint(cell.width() // 2, cell.height() // 2))
        if not first.isValid():
            return range(0)
        top = self.visualRect(first).top()  # <= 0 when the first row is partly scrolled away
        columns = max(1, (self.viewport().width() - 1) // cell.width())  # as Qt wraps rows
        rows = math.ceil((self.viewport().height() - top) / cell.height())
        return range(first.row(), min(count, first.row() + columns * rows))

    def _visible_rows_by_position(self, count: int) -> range:
        """Visible rows of a timeline: the first row at the top-left, to the end of the line
        at the bottom-left (rows have different heights, so no arithmetic)."""
        height = self.viewport().height()
        first = next((i for y in (1, 8, 20) if (i := self.indexAt(QPoint(4, y))).isValid()), None)
        if first is None:
            return range(0)
        last = self.indexAt(QPoint(4, height - 1))
        if not last.isValid():  # the rows end above the bottom edge
            return range(first.row(), count)
        stop, model = last.row(), self.model()
        while stop < count and self.visualRect(model.index(stop, 0)).top() < height:  # the rest of that line
            stop += 1
        return range(first.row(), stop)

    def visible_photo_ids(self) -> list[int]:
        model = self.model()
        return [pid for row in self.visible_rows() if (pid := model.photo_id(row)) >= 0]

    def visible_thumbnails_known(self) -> bool:
        """Every visible cell has its thumbnail, or is known to have none."""
        return all(self._loader.is_known(photo_id) for photo_id in self.visible_photo_ids())

    def _on_scroll_settled(self) -> None:
        self._loader.retain_only(self.visible_photo_ids())
        self._prefetched_from = None

    def _prefetch_next_page(self) -> None:
        """Once the screen is loaded, fetch the next screenful so scrolling on finds it ready."""
        rows = self.visible_rows()
        if not rows or self._prefetched_from == rows.start:
            return
        self._prefetched_from = rows.start
        model = self.model()
        ahead = range(rows.stop, min(model.rowCount(), rows.stop + len(rows)))
        for row in reversed(ahead):  # requests are served newest first: nearest row last
            if (photo_id := model.photo_id(row)) >= 0:
                self._loader.pixmap(photo_id)

    # ---- selection and keys -----------------------------------------------------------------

    def selected_rows(self) -> list[int]:
        return sorted(index.row() for index in self.selectionModel().selectedIndexes())

    def selected_photo_ids(self) -> list[int]:
        model = self.model()
        return [pid for row in self.selected_rows() if (pid := model.photo_id(row)) >= 0]  # never a day header

    def select_row(self, row: int) -> None:
        model = self.model()
        if getattr(model, "has_sections", None) and model.has_sections() and model.is_header(row):
            row += 1  # a day header: its first photo
        index = model.index(row, 0)
        self.setCurrentIndex(index)
        self.scrollTo(index)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.activatedRow.emit(self.currentIndex().row())
            return
        super().keyPressEvent(event)
