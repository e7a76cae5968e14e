"""The timeline in the main window: the scrubber and sticky day header beside and over the
grid, events, places and "On this day" in the sidebar, "Adjust date…" with undo, and the chip
that shows a search is limited to a place or an event."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QHBoxLayout, QMenu, QToolButton, QWidget

from photo_organizer.app.timeline import DateUndo, first_row_of_month
from photo_organizer.app.types import ALL_PHOTOS, GridContents, Source
from photo_organizer.errors import PhotoOrganizerError
from photo_organizer.ui.date_dialog import AdjustDateDialog
from photo_organizer.ui.delegate import HEADER_HEIGHT
from photo_organizer.ui.grid import PhotoGrid
from photo_organizer.ui.sidebar_timeline import EVENTS_SHOWN
from photo_organizer.ui.timeline_scrubber import StickyHeader, TimelineScrubber

BROWSE_TIMELINES = ("all", "folder")  # the views the scrubber moves through
FIRST_SCREEN_DAYS = 100  # days whose headers show their place in the first paint: more than a screen holds
FIRST_SCREEN_ROWS = 3000  # grid rows laid out for the first paint: more than a screen holds


class WindowTimeline:
    """Mixin of ``MainWindow``."""

    # ---- construction (called by the window's builders) --------------------------------------

    def _timeline_area(self) -> QWidget:
        """The grid with the scrubber on its right and the sticky day header over its top."""
        self.scrubber = TimelineScrubber()
        self.scrubber.hide()
        self.sticky_header = StickyHeader(self.grid)
        self._header_placer = _FollowViewport(self.grid, self.sticky_header, self)
        self._after_first_paint = _AfterFirstPaint(self.grid.viewport(), self)
        area = QWidget()
        row = QHBoxLayout(area)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.grid, 1)
        row.addWidget(self.scrubber)
        self.scrubber.monthChosen.connect(self.jump_to_month)
        self.grid.verticalScrollBar().valueChanged.connect(lambda _: self._follow_scroll())
        return area

    def _build_timeline_actions(self, photo_menu: QMenu) -> None:
        self._date_undos: list[DateUndo] = []
        self.adjust_date_action = self._action("Adjust &date…", self.adjust_date, "Ctrl+Shift+D", grid_only=True)
        self.undo_date_action = self._action("&Undo date change", self.undo_date, QKeySequence.StandardKey.Undo)
        self.undo_date_action.setEnabled(False)
        photo_menu.addSeparator()
        photo_menu.addAction(self.adjust_date_action)
        photo_menu.addAction(self.undo_date_action)
        self.scope_chip = QToolButton()
        self.scope_chip.setToolTip("The search is limited to this; click to search everywhere")
        self.scope_chip.clicked.connect(self.drop_search_scope)
        self.scope_chip.hide()
        self.search_bar.layout().insertWidget(1, self.scope_chip)

    # ---- refreshing ---------------------------------------------------------------------------

    def _refresh_timeline(self) -> None:
        """Sidebar entries and scrubber months (called with the rest of the sidebar). The Places
        tree sits below the events, out of sight at launch: it is filled after the first paint."""
        self.sidebar.set_on_this_day(self.backend.on_this_day_count())
        self.sidebar.set_events(self.backend.events(EVENTS_SHOWN))
        self.scrubber.set_months(self.backend.months())
        self._after_first_paint.run(self._refresh_places)

    def _refresh_places(self) -> None:
        try:
            self.sidebar.set_places(self.backend.places())
        except PhotoOrganizerError as error:
            self.show_error("The library cannot be read", str(error))

    def _contents_of(self, source: Source, sort: str | None = None) -> GridContents:
        """What the grid shows for ``source`` in the browse order ``sort``. At launch, a timeline's
        headers name the place of the first screen's days only; the other days get theirs right
        after the first paint."""
        if self._after_first_paint.painted or source.kind not in BROWSE_TIMELINES:
            return self.backend.contents(source, sort)
        contents = self.backend.contents(source, sort, placed_days=FIRST_SCREEN_DAYS)
        if contents.day_places_pending:
            self._after_first_paint.run(lambda: self._add_day_places(source, contents))
        return contents

    def _add_day_places(self, source: Source, contents: GridContents) -> None:
        if self.model.contents is not contents:
            return  # another view is shown by now: it was read whole
        complete = self._try(lambda: self.backend.with_day_places(source, contents))
        if complete is not None:
            self.model.set_section_titles(complete)
            self._follow_scroll()

    def _first_rows_of(self, contents: GridContents) -> int | None:
        """At launch, the grid lays out a timeline's first days only (a Python call per row: 0.3 s
        for 100,000); the other rows follow right after the first paint, below the screen."""
        if self._after_first_paint.painted or not contents.sections:
            return None
        self._after_first_paint.run(self.model.show_all_rows)
        return FIRST_SCREEN_ROWS

    def _before_contents(self, contents: GridContents) -> None:
        """The scrubber appears (or goes) before the grid lays out the new rows: the grid's
        width changes once, not after a layout of every row."""
        browsing = not self.search.active and contents.search_round is None
        self.scrubber.setVisible(browsing and bool(contents.sections) and self._source.kind in BROWSE_TIMELINES)

    def _on_contents_shown(self) -> None:
        chip = self._scope_chip_text()
        self.scope_chip.setVisible(chip is not None)
        self.scope_chip.setText(chip or "")
        QTimer.singleShot(0, self._follow_scroll)  # once the grid is laid out at its final width

    def _follow_scroll(self) -> None:
        """The sticky header shows the day at the top; the scrubber follows its month."""
        rows = self.grid.visible_rows() if self.model.has_sections() else range(0)
        section = self.model.section(rows.start) if rows else None
        self.sticky_header.setVisible(section is not None)
        if section is not None:
            self.sticky_header.setText(section[2])
            self.sticky_header.raise_()
            self.scrubber.follow(section[1][:7] or None)

    # ---- the scrubber ---------------------------------------------------------------------------

    def jump_to_month(self, month: str) -> None:
        """Put the newest photos of ``month`` ("YYYY-MM") at the top of the grid."""
        self.model.show_all_rows()  # a jump in the first moment after launch
        index = first_row_of_month(self.model.contents, month)
        if index is None:
            return
        row = self.model.row_of_index(index)
        header = row - 1 if row > 0 and self.model.is_header(row - 1) else row
        self.grid.scrollTo(self.model.index(header), PhotoGrid.ScrollHint.PositionAtTop)
        self.grid.selectionModel().setCurrentIndex(self.model.index(row), self.grid.selectionModel().SelectionFlag.NoUpdate)

    # ---- date corrections ---------------------------------------------------------------------

    def adjust_date(self) -> None:
        photo_ids = self.grid.selected_photo_ids() or ([pid] if (pid := self._current_photo_id()) is not None else [])
        if not photo_ids:
            self.statusBar().showMessage("Select the photos whose date to change.", 5000)
            return
        dialog = AdjustDateDialog(len(photo_ids), self)
        if dialog.exec() != AdjustDateDialog.DialogCode.Accepted:
            return
        undo = self._try(lambda: self.backend.adjust_dates(photo_ids, dialog.shift_seconds(), dialog.set_date()))
        if undo is not None:
            self._date_undos.append(undo)
            self.undo_date_action.setEnabled(True)
            self.statusBar().showMessage(f"{undo.description[0].upper()}{undo.description[1:]}. Undo: Ctrl+Z", 10000)
            self._after_dates_changed(list(undo.photo_ids))

    def undo_date(self) -> None:
        if not self._date_undos:
            return
        undo = self._date_undos.pop()
        self.undo_date_action.setEnabled(bool(self._date_undos))
        self._try(lambda: self.backend.undo_dates(undo))
        self.statusBar().showMessage(f"Undone: {undo.description}.", 8000)
        self._after_dates_changed(list(undo.photo_ids))

    def _after_dates_changed(self, photo_ids: list[int]) -> None:
        """The photos moved in the timeline: show them where they are now, selected."""
        if not self.search.active:
            self.show_source(self._source)
        self.refresh_sidebar()
        selection = self.grid.selectionModel()
        rows = [row for pid in photo_ids if (row := self.model.row_of(pid)) is not None]
        for row in rows:
            selection.select(self.model.index(row), selection.SelectionFlag.Select)
        if rows:
            self.grid.scrollTo(self.model.index(min(rows)), PhotoGrid.ScrollHint.PositionAtCenter)

    # ---- the search scope chip ----------------------------------------------------------------

    def _scope_chip_text(self) -> str | None:
        query = self.search.query if self.search.active else None
        scope = query.scope if query is not None else None
        if scope is None or scope.kind not in ("place", "event"):
            return None
        return f"{'📍' if scope.kind == 'place' else '📅'} {scope.title}  ✕"

    def drop_search_scope(self) -> None:
        """Search everywhere again (the chip's ✕)."""
        query = self.search.query
        if query is None:
            return
        self._source = ALL_PHOTOS
        self.scope_chip.hide()
        self.search.search(replace(query, scope=None))


class _FollowViewport(QObject):
    """Keeps the sticky header over the top of the grid's viewport as the grid resizes."""

    def __init__(self, grid: PhotoGrid, header: StickyHeader, parent: QObject) -> None:
        super().__init__(parent)
        self._grid, self._header = grid, header
        grid.viewport().installEventFilter(self)  # the viewport has its new size when it hears it

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.Resize, QEvent.Type.Show):
            viewport = self._grid.viewport().geometry()
            self._header.setGeometry(viewport.x(), viewport.y(), viewport.width(), HEADER_HEIGHT)
        return False


class _AfterFirstPaint(QObject):
    """Holds work the first screen does not need (what is out of sight) until the grid has
    painted once; after that, work runs at once."""

    def __init__(self, viewport: QWidget, parent: QObject) -> None:
        super().__init__(parent)
        self._viewport = viewport
        self._pending: dict[Callable[[], None], None] = {}  # in order, each once
        self.painted = False
        viewport.installEventFilter(self)

    def run(self, work: Callable[[], None]) -> None:
        if self.painted:
            work()
        else:
            self._pending[work] = None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and not self.painted:
            self.painted = True
            self._viewport.removeEventFilter(self)
            for work in self._pending:  # once this paint is on screen, one event-loop turn each
                QTimer.singleShot(0, lambda work=work: self._run(work))
        return False

    def _run(self, work: Callable[[], None]) -> None:
        del self._pending[work]
        work()

    def is_done(self) -> bool:
        """The grid has painted and the work held back has run."""
        return self.painted and not self._pending
