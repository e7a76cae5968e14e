"""The main window: sidebar, search bar, thumbnail grid, status bar with background jobs.

The window wires widgets to the backend and to the background runners; it holds no
business logic of its own. Long work runs in ``JobRunner`` (indexing, features, albums,
calibration) or in the ``SearchController`` thread; quick reads and small edits use the GUI
thread's library connection.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QByteArray, QPoint, Qt, QTimer, QUrl
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QDesktopServices, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPushButton,
    QSlider,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from photo_organizer import __version__
from photo_organizer.errors import PhotoOrganizerError
from photo_organizer.ui import icons
from photo_organizer.app.library_service import LibraryService
from photo_organizer.app.types import ALL_PHOTOS, DUPLICATES, GridContents, SearchRequest, Source
from photo_organizer.ui.dialogs import MissingWeightsDialog, SettingsDialog, WelcomePanel
from photo_organizer.ui.grid import PhotoGrid
from photo_organizer.ui.job_status import JobStatus
from photo_organizer.ui.photo_model import PhotoListModel, Roles
from photo_organizer.ui.search_bar import SearchBar, dropped_image_path
from photo_organizer.ui.search_controller import SearchController
from photo_organizer.ui.settings import MAX_THUMBNAIL, MIN_THUMBNAIL, UiSettings
from photo_organizer.ui.sidebar import AlbumEntry, FolderRow, Sidebar
from photo_organizer.ui.theme import THEMES, apply_theme
from photo_organizer.ui.thumbnail_loader import ThumbnailLoader
from photo_organizer.ui.viewer import ViewerDialog, show_in_folder
from photo_organizer.ui.workers import JobRequest, JobRunner

log = logging.getLogger(__name__)

INDEXING = "Indexing"
ALBUMS = "Computing albums"
CALIBRATION = "Calibrating ITAE"
FINDING_DUPLICATES = "Finding duplicates"
LIVE_REFRESH_S = 2.0  # while indexing, the grid picks up new photos this often


class MainWindow(QMainWindow):
    def __init__(self, backend: LibraryService, ui_settings: UiSettings, scan_on_start: bool | None = None) -> None:
        super().__init__()
        self.backend = backend
        self.ui_settings = ui_settings
        self.setWindowTitle("Photo Organizer")
        self.setWindowIcon(icons.app_icon())
        self.setAcceptDrops(True)
        side = ui_settings.thumbnail_side

        self.loader = ThumbnailLoader(backend.open_thumbnail_reader, side=side, parent=self)
        self.model = PhotoListModel(self.loader, backend.photo_paths, self)
        self.jobs = JobRunner(backend.open_library, self)
        self.search = SearchController(backend, self)
        self.search.auto_refine = ui_settings.auto_refine
        self._source: Source = ALL_PHOTOS
        self._last_live_refresh = 0.0
        self._viewer: ViewerDialog | None = None

        self._build_widgets(side)
        self._build_actions()
        self._connect()
        self._restore_state()
        self.refresh_sidebar()
        if backend.has_folders():
            self.show_source(ALL_PHOTOS)
            self.grid.setFocus()  # keyboard navigation starts in the grid
        else:
            self.stack.setCurrentWidget(self.welcome)
        self._update_feedback_controls()
        self._show_missing_weights_notice()
        if scan_on_start if scan_on_start is not None else ui_settings.scan_on_start:
            QTimer.singleShot(0, self.start_indexing)

    # ---- construction -----------------------------------------------------------------------

    def _build_widgets(self, side: int) -> None:
        self.search_bar = SearchBar()
        self.search_bar.auto_refine.setChecked(self.ui_settings.auto_refine)
        self.sidebar = Sidebar()
        self.grid = PhotoGrid(self.model, self.loader, side)
        self.title = QLabel()
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.title.setFont(font)
        self.subtitle = QLabel()
        self.subtitle.setEnabled(False)  # the disabled colour: secondary text
        self.sort_box = QComboBox()
        self.sort_box.addItem("Best match", "relevance")
        self.sort_box.addItem("Newest first", "date")
        self.sort_box.setToolTip("Order of the results: by relevance, or by date among the relevant ones")
        self.sort_box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.size_slider = QSlider(Qt.Orientation.Horizontal)
        self.size_slider.setRange(MIN_THUMBNAIL, MAX_THUMBNAIL)
        self.size_slider.setSingleStep(8)
        self.size_slider.setPageStep(32)
        self.size_slider.setValue(side)
        self.size_slider.setFixedWidth(140)
        self.size_slider.setToolTip("Thumbnail size (Ctrl + / Ctrl -)")
        self.size_slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        header = QHBoxLayout()
        header.setContentsMargins(10, 8, 10, 4)
        header.addWidget(self.title)
        header.addSpacing(10)
        header.addWidget(self.subtitle, 1)
        header.addWidget(self.sort_box)
        header.addSpacing(10)
        header.addWidget(self.size_slider)
        grid_page = QWidget()
        grid_layout = QVBoxLayout(grid_page)
        grid_layout.setContentsMargins(0, 0, 0, 0)
        grid_layout.setSpacing(0)
        grid_layout.addLayout(header)
        grid_layout.addWidget(self.grid, 1)
        self.grid_page = grid_page
        self.welcome = WelcomePanel()
        self.stack = QStackedWidget()
        self.stack.addWidget(self.welcome)
        self.stack.addWidget(grid_page)
        self.splitter = QSplitter()
        self.splitter.addWidget(self.sidebar)
        self.splitter.addWidget(self.stack)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([250, 950])
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.search_bar)
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)
        self.job_status = JobStatus(self.jobs)
        self.weights_button = QPushButton()
        self.weights_button.setFlat(True)
        self.weights_button.hide()
        self.statusBar().addPermanentWidget(self.weights_button)
        self.statusBar().addPermanentWidget(self.job_status)
        self.resize(1280, 820)

    def _action(self, text: str, slot: Callable[[], Any], shortcut: QKeySequence | str | None = None, *, grid_only: bool = False) -> QAction:
        action = QAction(text, self)
        action.triggered.connect(lambda _checked=False: slot())
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if grid_only:
            # Plain-letter keys act on the grid only, so typing in the search bar stays typing.
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.grid.addAction(action)
        else:
            self.addAction(action)
        return action

    def _build_actions(self) -> None:
        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        file_menu.addAction(self._action("&Add folder…", self.add_folder, QKeySequence.StandardKey.Open))
        self.rescan_action = self._action("&Rescan folders", self.start_indexing, QKeySequence.StandardKey.Refresh)
        file_menu.addAction(self.rescan_action)
        file_menu.addSeparator()
        file_menu.addAction(self._action("Model &weights…", self.manage_weights))
        file_menu.addAction(self._action("&Settings…", self.open_settings, "Ctrl+,"))
        file_menu.addSeparator()
        file_menu.addAction(self._action("&Quit", self.close, QKeySequence.StandardKey.Quit))

        photo_menu = menu.addMenu("&Photo")
        self.like_action = self._action("&Like", lambda: self.mark_selection(1), "L", grid_only=True)
        self.dislike_action = self._action("&Dislike", lambda: self.mark_selection(-1), "D", grid_only=True)
        self.clear_mark_action = self._action("&Clear mark", lambda: self.mark_selection(0), "U", grid_only=True)
        self.open_action = self._action("&Open", self.open_current, None)
        self.open_action.setShortcuts([QKeySequence("Return"), QKeySequence("Enter")])
        self.open_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)  # the grid handles Enter itself
        self.external_action = self._action("Open with system &viewer", self.open_external, "Ctrl+Shift+O", grid_only=True)
        self.folder_action = self._action("Show in &folder", self.show_current_in_folder, "Ctrl+Shift+R", grid_only=True)
        self.similar_action = self._action("Find &similar photos", self.find_similar, "S", grid_only=True)
        for action in (self.like_action, self.dislike_action, self.clear_mark_action):
            photo_menu.addAction(action)
        photo_menu.addSeparator()
        for action in (self.open_action, self.external_action, self.folder_action, self.similar_action):
            photo_menu.addAction(action)

        search_menu = menu.addMenu("&Search")
        search_menu.addAction(self._action("&Find…", self.focus_search, QKeySequence.StandardKey.Find))
        self.refine_action = self._action("&Refine", self.search.refine, "R", grid_only=True)
        self.refine_action.triggered.connect(lambda: self.statusBar().showMessage("Refining…", 2000))
        self.auto_refine_action = QAction("&Automatic refine", self, checkable=True)
        self.auto_refine_action.setChecked(self.ui_settings.auto_refine)
        self.auto_refine_action.toggled.connect(self.set_auto_refine)
        self.reset_action = self._action("Reset &feedback", self.search.reset_feedback, "Ctrl+Shift+Backspace")
        self.clear_search_action = self._action("&Clear search", self.clear_search, "Escape")
        for action in (self.refine_action, self.auto_refine_action, self.reset_action, self.clear_search_action):
            search_menu.addAction(action)

        albums_menu = menu.addMenu("&Albums")
        self.recluster_action = self._action("&Recompute albums", self.start_recluster)
        self.calibrate_action = self._action("&Calibrate ITAE on my photos", self.start_calibration)
        albums_menu.addAction(self.recluster_action)
        albums_menu.addAction(self.calibrate_action)

        view_menu = menu.addMenu("&View")
        view_menu.addAction(self._action("&Bigger thumbnails", lambda: self.set_thumbnail_side(self.size_slider.value() + 32), QKeySequence.StandardKey.ZoomIn))
        view_menu.addAction(self._action("&Smaller thumbnails", lambda: self.set_thumbnail_side(self.size_slider.value() - 32), QKeySequence.StandardKey.ZoomOut))
        theme_menu = view_menu.addMenu("&Theme")
        group = QActionGroup(self)
        for theme in THEMES:
            action = QAction(theme.capitalize(), self, checkable=True)
            action.setChecked(theme == self.ui_settings.theme)
            action.triggered.connect(lambda _checked=False, t=theme: self.set_theme(t))
            group.addAction(action)
            theme_menu.addAction(action)

        help_menu = menu.addMenu("&Help")
        help_menu.addAction(self._action("&Keyboard shortcuts", self.show_shortcuts, QKeySequence.StandardKey.HelpContents))
        help_menu.addAction(self._action("&About Photo Organizer", self.show_about))

    def _connect(self) -> None:
        self.search_bar.textSearch.connect(lambda text: self.run_search(SearchRequest(text=text)))
        self.search_bar.imageSearch.connect(lambda path: self.run_search(SearchRequest(image_path=path)))
        self.search_bar.cleared.connect(self.clear_search)
        self.search_bar.refineRequested.connect(self.search.refine)
        self.search_bar.resetRequested.connect(self.search.reset_feedback)
        self.search_bar.autoRefineToggled.connect(self.auto_refine_action.setChecked)
        self.search_bar.leaveDown.connect(self.grid.setFocus)
        self.search.results.connect(self._on_search_results)
        self.search.marksChanged.connect(self._on_marks_saved)
        self.search.busyChanged.connect(self._on_search_busy)
        self.search.message.connect(lambda text: self.statusBar().showMessage(text))
        self.search.failed.connect(lambda message: self.show_error("Search failed", message))
        self.search.weightsMissing.connect(self._on_weights_missing)

        self.sidebar.sourceSelected.connect(self._on_source_selected)
        self.sidebar.addFolderRequested.connect(self.add_folder)
        self.sidebar.removeFolderRequested.connect(self.remove_folder)
        self.sidebar.rescanRequested.connect(self.start_indexing)
        self.sidebar.reclusterRequested.connect(self.start_recluster)
        self.sidebar.renameAlbumRequested.connect(self.rename_album)
        self.sidebar.mergeAlbumsRequested.connect(self.merge_albums)
        self.sidebar.hideAlbumRequested.connect(self.hide_album)
        self.sidebar.exportAlbumRequested.connect(self.export_album)
        self.welcome.addFolderRequested.connect(self.add_folder)

        self.grid.activatedRow.connect(self.open_viewer)
        self.grid.customContextMenuRequested.connect(self._grid_menu)
        self.grid.photo_delegate.feedbackClicked.connect(self._on_feedback_clicked)
        self.grid.selectionModel().selectionChanged.connect(lambda *_: self._update_selection_status())
        self.size_slider.valueChanged.connect(self.set_thumbnail_side)
        self.sort_box.currentIndexChanged.connect(lambda _: self.search.set_sort(self.sort_box.currentData()))
        self.loader.ready.connect(self._on_thumbnail_ready)

        self.jobs.progress.connect(self._on_job_progress)
        self.jobs.finished.connect(self._on_job_finished)
        self.jobs.failed.connect(lambda name, message: self.show_error(f"{name} failed", message))
        self.jobs.cancelled.connect(lambda name: self.statusBar().showMessage(f"{name} cancelled; the work done so far is kept.", 8000))
        self.weights_button.clicked.connect(self.manage_weights)

    # ---- state ------------------------------------------------------------------------------

    def _restore_state(self) -> None:
        geometry, state, splitter = self.ui_settings.window_state()
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        if isinstance(state, QByteArray):
            self.restoreState(state)
        if isinstance(splitter, QByteArray):
            self.splitter.restoreState(splitter)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.ui_settings.save_window_state(self.saveGeometry(), self.saveState(), self.splitter.saveState())
        self.ui_settings.sync()
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop background work: jobs are cancelled at their next step (their work is kept)."""
        self.jobs.cancel()
        self.jobs.wait(15000)
        self.loader.shutdown()
        self.search.shutdown()

    def is_settled(self) -> bool:
        """Nothing on screen is still loading (used by the screenshot mode)."""
        return self.loader.is_idle() and not self.search.is_busy()

    # ---- browsing ---------------------------------------------------------------------------

    def refresh_sidebar(self) -> None:
        try:
            folders = self.backend.folders()
            self.sidebar.set_folders([FolderRow(f.root_id, f.path, f.photo_count) for f in folders])
            self._refresh_counts()
            albums = [AlbumEntry(a.album_id, a.name, a.size, a.cover_photo_id, a.hidden) for a in self.backend.albums()]
            self.sidebar.set_albums(albums, self.backend.unsorted_count())
        except PhotoOrganizerError as error:
            self.show_error("The library cannot be read", str(error))
            return
        for photo_id in self.sidebar.cover_ids():
            pixmap = self.loader.pixmap(photo_id)
            if pixmap is not None:
                self.sidebar.set_cover(photo_id, pixmap)

    def _refresh_counts(self) -> None:
        summary = self.backend.library_summary()
        self.sidebar.set_library_counts(summary.photos, summary.liked)

    def show_source(self, source: Source, keep_position: bool = False) -> None:
        """Show a library view (leaves search mode)."""
        if self.search.active:
            self.search.clear()
            self.search_bar.field.blockSignals(True)
            self.search_bar.field.clear()
            self.search_bar.field.blockSignals(False)
        self._source = source
        if source.kind == "duplicates":
            self._show_duplicates()
            return
        try:
            contents = self.backend.contents(source)
        except PhotoOrganizerError as error:
            self.show_error("This view cannot be shown", str(error))
            return
        self._set_contents(contents, keep_position)
        self.stack.setCurrentWidget(self.grid_page)
        self.sidebar.select_source(source)
        self._update_feedback_controls()

    def _set_contents(self, contents: GridContents, keep_position: bool) -> None:
        top_id = selected = None
        if keep_position and self.model.rowCount():
            visible = self.grid.visible_rows()
            top_id = self.model.photo_id(visible.start) if visible else None
            selected = self.grid.selected_photo_ids()
        self.model.set_contents(contents)
        self._update_title()
        if top_id is not None:
            row = self.model.row_of(top_id)
            if row is not None:
                self.grid.scrollTo(self.model.index(row), PhotoGrid.ScrollHint.PositionAtTop)
            for photo_id in selected or []:
                row = self.model.row_of(photo_id)
                if row is not None:
                    self.grid.selectionModel().select(self.model.index(row), self.grid.selectionModel().SelectionFlag.Select)
        else:
            self.grid.scrollToTop()
            if self.model.rowCount():
                self.grid.selectionModel().setCurrentIndex(self.model.index(0), self.grid.selectionModel().SelectionFlag.NoUpdate)

    def _show_duplicates(self) -> None:
        """Duplicates take a moment to find: an empty grid now, the groups when the job ends."""
        self._set_contents(GridContents([], title=DUPLICATES.title), keep_position=False)
        self.subtitle.setText("looking for exact duplicates and near-identical shots…")
        self.stack.setCurrentWidget(self.grid_page)
        self.sidebar.select_source(DUPLICATES)
        self._update_feedback_controls()
        if not self.jobs.is_queued_or_running(FINDING_DUPLICATES):
            self.jobs.submit(JobRequest(FINDING_DUPLICATES, self.backend.duplicates_job()))

    def _on_duplicates_found(self, contents: GridContents) -> None:
        self.sidebar.set_duplicate_groups(contents.group_count or 0)
        if self._source == DUPLICATES and not self.search.active:
            self._set_contents(contents, keep_position=False)
            if not len(contents):
                self.subtitle.setText("no duplicates found; nothing is ever deleted automatically")

    def _update_title(self) -> None:
        contents = self.model.contents
        count = len(contents)
        if self.search.active and self.search.query is not None:
            self.title.setText(self.search.query.describe())
            rounds = f" · round {contents.search_round}" if contents.search_round else ""
            hidden = f" · {contents.hidden_count:,} less related hidden" if contents.hidden_count else ""
            self.subtitle.setText(f"{count:,} results{rounds}{hidden}")
        else:
            self.title.setText(contents.title or self._source.title)
            groups = f" in {contents.group_count:,} groups, for review (nothing is deleted)" if contents.group_count else ""
            self.subtitle.setText(f"{count:,} photos{groups}")

    def _on_source_selected(self, source: Source) -> None:
        self.show_source(source)

    def _refresh_view(self) -> None:
        """Pick up photos that arrived (indexing) without losing the place in the grid."""
        self.loader.forget_missing()
        if not self.search.active and self.stack.currentWidget() is self.grid_page and self._source != DUPLICATES:
            self.show_source(self._source, keep_position=True)
        self.refresh_sidebar()

    # ---- search and feedback ----------------------------------------------------------------

    def run_search(self, query: SearchRequest) -> None:
        if not self.backend.has_folders():
            self.statusBar().showMessage("Add a photo folder first.", 5000)
            return
        if self._source.kind in ("folder", "album"):
            query = query.within(self._source)
        self.search.search(replace(query, sort=self.sort_box.currentData()))
        self.sidebar.clear_selection_silently()

    def find_similar(self) -> None:
        photo_id = self._current_photo_id()
        if photo_id is not None:
            path = self.model.data(self.model.index(self.model.row_of(photo_id)), Roles.Path) or ""
            self.search_bar.set_example(path)
            self.run_search(SearchRequest(photo_id=photo_id, example_name=path.rsplit("/", 1)[-1]))

    def clear_search(self) -> None:
        if self.search.active:
            self.show_source(self._source)

    def focus_search(self) -> None:
        self.search_bar.field.setFocus()
        self.search_bar.field.selectAll()

    def _on_search_results(self, contents: GridContents) -> None:
        self.stack.setCurrentWidget(self.grid_page)
        self._set_contents(contents, keep_position=False)
        self._update_feedback_controls()
        self.statusBar().showMessage(f"{len(contents):,} results", 4000)

    def _on_search_busy(self, busy: bool) -> None:
        if busy:
            QApplication.setOverrideCursor(Qt.CursorShape.BusyCursor)
        else:
            QApplication.restoreOverrideCursor()
            self.statusBar().clearMessage()

    def mark_selection(self, label: int) -> None:
        photo_ids = self.grid.selected_photo_ids() or ([pid] if (pid := self._current_photo_id()) is not None else [])
        for photo_id in photo_ids:
            self.mark(photo_id, label)

    def mark(self, photo_id: int, label: int) -> None:
        if not self.search.active:
            self.statusBar().showMessage("Like and dislike rate search results: search first, or press S on a photo to find similar ones.", 6000)
            return
        self.model.set_label(photo_id, label)
        self.search.mark(photo_id, label)
        self._update_feedback_controls()
        if self._viewer is not None:
            self._viewer.refresh_marks()

    def _on_marks_saved(self) -> None:
        self._update_feedback_controls()
        self._try(self._refresh_counts)  # "Liked photos" counts marks from every search

    def _on_feedback_clicked(self, photo_id: int, label: int) -> None:
        self.mark(photo_id, 0 if label == self.model.label_of(photo_id) else label)

    def set_auto_refine(self, on: bool) -> None:
        self.search.auto_refine = on
        self.ui_settings.auto_refine = on
        if self.search_bar.auto_refine.isChecked() != on:
            self.search_bar.auto_refine.setChecked(on)

    def _update_feedback_controls(self) -> None:
        active = self.search.active
        labels = self.model.contents.labels if active else {}
        liked = sum(1 for v in labels.values() if v > 0)
        disliked = len(labels) - liked
        search_round = (self.model.contents.search_round or 0) if active else None
        self.search_bar.set_feedback_state(search_round, liked, disliked)
        self.sort_box.setVisible(active)
        self.grid.photo_delegate.feedback_enabled = active
        self.reset_action.setEnabled(active)  # like/dislike stay on: outside a search they explain
        self.refine_action.setEnabled(active and bool(labels))
        if active:
            self._update_title()

    # ---- photos -----------------------------------------------------------------------------

    def _current_photo_id(self) -> int | None:
        index = self.grid.currentIndex()
        return self.model.photo_id(index.row()) if index.isValid() else None

    def _current_path(self) -> str | None:
        index = self.grid.currentIndex()
        return index.data(Roles.Path) if index.isValid() else None

    def open_current(self) -> None:
        index = self.grid.currentIndex()
        if index.isValid():
            self.open_viewer(index.row())

    def open_viewer(self, row: int) -> None:
        viewer = ViewerDialog(self.backend, self.model, row, self.search.active, self)
        viewer.feedbackRequested.connect(self.mark)
        viewer.rowChanged.connect(self.grid.select_row)
        self._viewer = viewer
        try:
            viewer.exec()
        finally:
            self._viewer = None

    def open_external(self) -> None:
        path = self._current_path()
        if path:
            QDesktopServices.openUrl(QUrl.fromLocalFile(path))

    def show_current_in_folder(self) -> None:
        path = self._current_path()
        if path:
            show_in_folder(path)

    def _grid_menu(self, pos: QPoint) -> None:
        index = self.grid.indexAt(pos)
        if not index.isValid():
            return
        if not self.grid.selectionModel().isSelected(index):
            self.grid.setCurrentIndex(index)
        menu = QMenu(self)
        if self.search.active:
            for action in (self.like_action, self.dislike_action, self.clear_mark_action):
                menu.addAction(action)
            menu.addAction(self.refine_action)
            menu.addSeparator()
        for action in (self.open_action, self.external_action, self.folder_action, self.similar_action):
            menu.addAction(action)
        if self._source.kind == "album" and not self.search.active:
            menu.addSeparator()
            menu.addAction("Remove from this album", self.remove_from_album)
        menu.exec(self.grid.viewport().mapToGlobal(pos))

    def _update_selection_status(self) -> None:
        count = len(self.grid.selectionModel().selectedIndexes())
        if count > 1:
            self.statusBar().showMessage(f"{count:,} selected", 3000)

    def _on_thumbnail_ready(self, photo_id: int) -> None:
        if photo_id in self.sidebar.cover_ids():
            pixmap = self.loader.pixmap(photo_id)
            if pixmap is not None:
                self.sidebar.set_cover(photo_id, pixmap)

    def set_thumbnail_side(self, side: int) -> None:
        side = max(MIN_THUMBNAIL, min(MAX_THUMBNAIL, side))
        if self.size_slider.value() != side:
            self.size_slider.setValue(side)  # re-enters through valueChanged
            return
        self.ui_settings.thumbnail_side = side
        self.grid.set_side(side)

    def set_theme(self, theme: str) -> None:
        self.ui_settings.theme = theme
        apply_theme(QApplication.instance(), theme)

    # ---- folders and background jobs --------------------------------------------------------

    def add_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a photo folder", self.ui_settings.last_folder)
        if folder:
            self.add_folder_path(folder)

    def add_folder_path(self, folder: str) -> None:
        try:
            self.backend.add_folder(folder)
        except PhotoOrganizerError as error:
            self.show_error("This folder cannot be added", str(error))
            return
        self.ui_settings.last_folder = folder
        self.refresh_sidebar()
        self.show_source(ALL_PHOTOS)
        self.start_indexing()

    def remove_folder(self, path: str) -> None:
        answer = QMessageBox.question(self, "Remove folder", f"Forget {path} and its photos in the library?\nThe files themselves are not touched.")
        if answer == QMessageBox.StandardButton.Yes:
            self._try(lambda: self.backend.remove_folder(path))
            self.show_source(ALL_PHOTOS)
            self.refresh_sidebar()
            if not self.backend.has_folders():
                self.stack.setCurrentWidget(self.welcome)

    def start_indexing(self) -> None:
        if not self.backend.has_folders() or self.jobs.is_queued_or_running(INDEXING):
            return
        self.jobs.submit(JobRequest(INDEXING, self.backend.index_job()))

    def start_recluster(self) -> None:
        factory = self._job_or_explain(self.backend.recluster_job, "Automatic albums")
        if factory is not None and not self.jobs.is_queued_or_running(ALBUMS):
            self.jobs.submit(JobRequest(ALBUMS, factory))

    def start_calibration(self) -> None:
        factory = self._job_or_explain(self.backend.calibration_job, "ITAE calibration")
        if factory is not None and not self.jobs.is_queued_or_running(CALIBRATION):
            self.jobs.submit(JobRequest(CALIBRATION, factory))

    def _job_or_explain(self, make: Callable[[], Any], what: str) -> Any:
        missing = self.backend.missing_weights()
        if missing:
            self.show_missing_weights(missing[0])
            return None
        try:
            return make()
        except PhotoOrganizerError as error:
            self.show_error(f"{what} cannot start", str(error))
            return None

    def _on_job_progress(self, name: str, _progress: Any) -> None:
        if name == INDEXING and time.monotonic() - self._last_live_refresh > LIVE_REFRESH_S:
            self._last_live_refresh = time.monotonic()
            self._refresh_view()

    def _on_job_finished(self, name: str, result: Any) -> None:
        self._refresh_view()
        if name == INDEXING:
            self.statusBar().showMessage(self.backend.describe_index_report(result), 10000)
            self._show_missing_weights_notice()
        elif name == FINDING_DUPLICATES:
            self._on_duplicates_found(result)
        elif name == CALIBRATION:
            self.statusBar().showMessage(self.backend.describe_calibration(result), 15000)

    # ---- albums -----------------------------------------------------------------------------

    def rename_album(self, album_id: int) -> None:
        name, ok = QInputDialog.getText(self, "Rename album", "Name:", text=self.sidebar.album_name(album_id))
        if ok and name.strip():
            self._try(lambda: self.backend.rename_album(album_id, name.strip()))
            self.refresh_sidebar()

    def merge_albums(self, album_ids: list[int]) -> None:
        names = ", ".join(self.sidebar.album_name(a) for a in album_ids)
        answer = QMessageBox.question(self, "Merge albums", f"Merge these albums into one?\n{names}")
        if answer == QMessageBox.StandardButton.Yes:
            self._try(lambda: self.backend.merge_albums(album_ids))
            self.refresh_sidebar()

    def hide_album(self, album_id: int, hidden: bool) -> None:
        self._try(lambda: self.backend.hide_album(album_id, hidden))
        self.refresh_sidebar()

    def export_album(self, album_id: int) -> None:
        folder = QFileDialog.getExistingDirectory(self, f"Export “{self.sidebar.album_name(album_id)}” to", self.ui_settings.last_folder)
        if folder:
            result = self._try(lambda: self.backend.export_album(album_id, folder))
            if result is not None:
                self.statusBar().showMessage(result, 10000)

    def remove_from_album(self) -> None:
        if self._source.kind != "album" or self._source.key is None:
            return
        photo_ids = self.grid.selected_photo_ids()
        self._try(lambda: self.backend.remove_from_album(int(self._source.key), photo_ids))
        self.show_source(self._source, keep_position=True)
        self.refresh_sidebar()

    # ---- models and settings ----------------------------------------------------------------

    def _show_missing_weights_notice(self) -> None:
        try:
            missing = self.backend.missing_weights()
        except PhotoOrganizerError:
            missing = []
        self.weights_button.setVisible(bool(missing))
        if missing:
            self.weights_button.setText(f"\u26A0 {', '.join(missing)}: weights not installed…")
            self.weights_button.setToolTip("Search and automatic albums need model weights. Click to download or import them.")

    def manage_weights(self) -> None:
        missing = self.backend.missing_weights()
        self.show_missing_weights(missing[0] if missing else self.backend.active_model_name("clip"))

    def show_missing_weights(self, model_name: str) -> bool:
        dialog = MissingWeightsDialog(self.backend, self.backend.weights_info(model_name), self)
        accepted = dialog.exec() == MissingWeightsDialog.DialogCode.Accepted
        self._show_missing_weights_notice()
        if accepted:
            self.start_indexing()  # the models that just got weights catch up
        return accepted

    def _on_weights_missing(self, model_name: str) -> None:
        query = self.search.query
        self.search.clear()
        if self.show_missing_weights(model_name) and query is not None:
            self.search.search(query)

    def open_settings(self) -> None:
        dialog = SettingsDialog(self.backend, self.ui_settings, self)
        dialog.calibrateRequested.connect(self.start_calibration)
        if dialog.exec() != SettingsDialog.DialogCode.Accepted:
            return
        self._try(dialog.apply)
        apply_theme(QApplication.instance(), self.ui_settings.theme)
        self.set_thumbnail_side(self.ui_settings.thumbnail_side)
        self.set_auto_refine(self.ui_settings.auto_refine)
        self._show_missing_weights_notice()

    # ---- messages ---------------------------------------------------------------------------

    def _try(self, call: Callable[[], Any]) -> Any:
        try:
            return call()
        except PhotoOrganizerError as error:
            self.show_error("That did not work", str(error))
            return None

    def show_error(self, title: str, message: str) -> None:
        self.statusBar().showMessage(f"{title}: {message}", 15000)
        box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, self)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.open()  # not exec(): never block background work behind a modal loop

    def show_shortcuts(self) -> None:
        QMessageBox.information(
            self,
            "Keyboard shortcuts",
            "Arrow keys: move in the grid · Enter: open · S: find similar\n"
            "L: like · D: dislike · U: clear mark · R: refine\n"
            "Ctrl+F: search · Escape: leave the search\n"
            "Ctrl + / Ctrl -: thumbnail size · F5: rescan folders\n"
            "In the viewer: Left / Right: previous / next, L / D / U: mark",
        )

    def show_about(self) -> None:
        QMessageBox.about(
            self,
            "About Photo Organizer",
            f"<b>Photo Organizer {__version__}</b><br>Offline photo library: automatic albums "
            "(ITAE-DINOv2 + HDBSCAN) and CLIP search with like/dislike relevance feedback.<br>"
            "Your photos never leave this computer and are never modified.",
        )

    # ---- drops: search by an example photo ------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if dropped_image_path(event):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        path = dropped_image_path(event)
        if path:
            event.acceptProposedAction()
            self.search_bar.set_example(path)
            self.run_search(SearchRequest(image_path=path))
