"""The main window: sidebar, search bar, thumbnail grid, status bar with background jobs.

The window wires widgets to the library service and to the background runners; it holds no
business logic of its own. Its flows live in mixins, one module each: menus (window_menus),
search and feedback (window_feedback), photo actions (window_photos), folders, jobs, weights
and settings (window_jobs), album actions (window_albums), start, quit and drops
(window_lifecycle), and one module per feature (curation, people, timeline...). Long work runs in ``JobRunner``
(the index pipeline, albums, calibration) or in the ``SearchController`` thread; quick reads
and small edits use the GUI thread's library connection.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSlider,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from photo_organizer.app.library_service import LibraryService
from photo_organizer.app.types import ALL_PHOTOS, DUPLICATES, FAILED, REVIEW, GridContents, SearchRequest, Source
from photo_organizer.errors import PhotoOrganizerError
from photo_organizer.ui import icons
from photo_organizer.ui.dialogs import WelcomePanel
from photo_organizer.ui.duplicates_view import DuplicatesView
from photo_organizer.ui.grid import PhotoGrid
from photo_organizer.ui.job_status import JobStatus
from photo_organizer.ui.photo_model import PhotoListModel
from photo_organizer.ui.search_bar import SearchBar
from photo_organizer.ui.search_controller import SearchController
from photo_organizer.ui.settings import MAX_THUMBNAIL, MIN_THUMBNAIL, UiSettings
from photo_organizer.ui.sidebar import AlbumEntry, FolderRow, Sidebar
from photo_organizer.ui.sort_box import BROWSE, SortBox
from photo_organizer.ui.thumbnail_loader import ThumbnailLoader
from photo_organizer.ui.viewer import ViewerDialog
from photo_organizer.ui.weights_banner import WeightsBanner
from photo_organizer.ui.window_albums import WindowAlbums
from photo_organizer.ui.window_curation import WindowCuration
from photo_organizer.ui.window_duplicates import WindowDuplicates
from photo_organizer.ui.window_feedback import WindowFeedback
from photo_organizer.ui.window_folders import WindowFolders
from photo_organizer.ui.window_jobs import WindowJobs
from photo_organizer.ui.window_library import WindowLibrary
from photo_organizer.ui.window_lifecycle import WindowLifecycle
from photo_organizer.ui.window_menus import WindowMenus
from photo_organizer.ui.window_organize import WindowOrganize
from photo_organizer.ui.window_people import WindowPeople
from photo_organizer.ui.window_photos import WindowPhotos
from photo_organizer.ui.window_timeline import WindowTimeline
from photo_organizer.ui.workers import JobRunner

log = logging.getLogger(__name__)


class MainWindow(
    WindowMenus, WindowFeedback, WindowPhotos, WindowJobs, WindowAlbums, WindowCuration, WindowOrganize, WindowDuplicates,
    WindowPeople, WindowFolders, WindowLibrary, WindowTimeline, WindowLifecycle, QMainWindow,
):
    def __init__(self, backend: LibraryService, ui_settings: UiSettings, scan_on_start: bool | None = None) -> None:
        super().__init__()
        self.backend = backend
        self.ui_settings = ui_settings
        self.setWindowTitle("Photo Organizer")
        self.setWindowIcon(icons.app_icon())
        self.setAcceptDrops(True)
        side = ui_settings.thumbnail_side

        self.loader = ThumbnailLoader(backend.open_thumbnail_reader, side=side, parent=self)
        self.model = PhotoListModel(
            self.loader, backend.photo_paths, self, curations=backend.curation.curations, offline=backend.offline_photo_ids
        )
        self.jobs = JobRunner(backend.open_library, self)
        self.search = SearchController(backend, self)
        self.search.auto_refine = ui_settings.auto_refine
        self._source: Source = ALL_PHOTOS
        self._last_live_refresh = 0.0
        self._viewer: ViewerDialog | None = None
        self._quit_confirmed = False

        self._build_widgets(side)
        self._build_people()
        self._build_folder_watch()
        self._build_actions()
        self._build_curation()
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
        self.hidden_link = QLabel()  # "84 less related hidden": a click shows them
        self.hidden_link.setToolTip("Results that match less well are hidden. Click to show them after the others.")
        self.hidden_link.linkActivated.connect(lambda _: self.search.show_hidden())
        self.sort_box = SortBox()
        self.size_slider = QSlider(Qt.Orientation.Horizontal)
        self.size_slider.setRange(MIN_THUMBNAIL, MAX_THUMBNAIL)
        self.size_slider.setSingleStep(8)
        self.size_slider.setPageStep(32)
        self.size_slider.setValue(side)
        self.size_slider.setFixedWidth(140)
        self.size_slider.setToolTip("Thumbnail size (Ctrl + / Ctrl -)")
        self.size_slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        header = QHBoxLayout()
        self.header_layout = header
        header.setContentsMargins(10, 8, 10, 4)
        header.addWidget(self.title)
        header.addSpacing(10)
        header.addWidget(self.subtitle)
        header.addWidget(self.hidden_link)
        header.addStretch(1)
        header.addWidget(self.sort_box)
        header.addSpacing(10)
        header.addWidget(self.size_slider)
        grid_page = QWidget()
        grid_layout = QVBoxLayout(grid_page)
        grid_layout.setContentsMargins(0, 0, 0, 0)
        grid_layout.setSpacing(0)
        grid_layout.addLayout(header)
        self.duplicates_view = DuplicatesView(self.loader)
        self.grid_stack = QStackedWidget()  # the grid (with the timeline's scrubber), or the duplicates grouped
        self.grid_area = self._timeline_area()
        self.grid_stack.addWidget(self.grid_area)
        self.grid_stack.addWidget(self.duplicates_view)
        grid_layout.addWidget(self.grid_stack, 1)
        self.grid_page = grid_page
        self.welcome = WelcomePanel()
        self.stack = QStackedWidget()
        self.stack.addWidget(self.welcome)
        self.stack.addWidget(grid_page)
        self._build_organize_widgets(header)
        self.stack.addWidget(self.review_page)
        self.stack.addWidget(self._build_failed_page())
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
        self.weights_banner = WeightsBanner()
        banner_row = QHBoxLayout()
        banner_row.setContentsMargins(10, 0, 10, 6)
        banner_row.addWidget(self.weights_banner)
        layout.addLayout(banner_row)
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)
        self.job_status = JobStatus(self.jobs)
        self.weights_button = QPushButton()
        self.weights_button.setFlat(True)
        self.weights_button.hide()
        self.statusBar().addPermanentWidget(self.weights_button)
        self.statusBar().addPermanentWidget(self.job_status)
        self.resize(1280, 820)

    def _connect(self) -> None:
        self.search_bar.textSearch.connect(lambda text: self.run_search(SearchRequest(text=text)))
        self.search_bar.searchRequested.connect(self.run_search)
        self.search_bar.cleared.connect(self.clear_search)
        self.search_bar.refineRequested.connect(self.search.refine)
        self.search_bar.resetRequested.connect(self.reset_feedback)
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
        self.sidebar.relocateFolderRequested.connect(self.relocate_folder)
        self.sidebar.rescanRequested.connect(self.start_indexing)
        self.sidebar.reclusterRequested.connect(self.start_recluster)
        self.sidebar.renameAlbumRequested.connect(self.rename_album)
        self.sidebar.mergeAlbumsRequested.connect(self.merge_albums)
        self.sidebar.hideAlbumRequested.connect(self.hide_album)
        self.sidebar.exportAlbumRequested.connect(self.export_album)
        self.sidebar.newAlbumRequested.connect(self.new_album)
        self.sidebar.photosDropped.connect(self.add_to_album)
        self.welcome.addFolderRequested.connect(self.add_folder)

        self.grid.activatedRow.connect(self.open_viewer)
        self.duplicates_view.photoActivated.connect(lambda photo_id: self.open_viewer(self.model.row_of(photo_id) or 0))
        self.grid.customContextMenuRequested.connect(self._grid_menu)
        self.grid.photo_delegate.feedbackClicked.connect(self._on_feedback_clicked)
        self.grid.photo_delegate.favouriteClicked.connect(lambda photo_id: self.curate([photo_id], "favourite", None))
        self.grid.selectionModel().selectionChanged.connect(lambda *_: self._update_selection_status())
        self.size_slider.valueChanged.connect(self.set_thumbnail_side)
        self.sort_box.sortChosen.connect(self._on_sort_chosen)
        self.loader.ready.connect(self._on_thumbnail_ready)
        self.loader.ready.connect(self._on_review_thumbnail)

        self.jobs.progress.connect(self._on_job_progress)
        self.jobs.finished.connect(lambda _name, _result: self._refresh_view())
        self.jobs.failed.connect(lambda name, message: self.show_error(f"{name} failed", message))
        self.jobs.cancelled.connect(lambda name: self.statusBar().showMessage(f"{name} cancelled; the work done so far is kept.", 8000))
        self.weights_button.clicked.connect(self.manage_weights)
        self.weights_banner.getRequested.connect(self.show_missing_weights)

    # ---- browsing ---------------------------------------------------------------------------

    def refresh_sidebar(self) -> None:
        try:
            folders = self.backend.folders()
            self.sidebar.set_folders([FolderRow(f.root_id, f.path, f.photo_count, f.offline, f.found_at) for f in folders])
            self._refresh_counts()
            albums = [
                AlbumEntry(a.album_id, a.name, a.size, a.cover_photo_id, a.hidden, a.kind, a.new_count)
                for a in self.backend.albums()
            ]
            self.sidebar.set_albums(albums, self.backend.unsorted_count())
            self._refresh_curation_sidebar()
            self.sidebar.set_review_count(self.backend.stack_count())
            self.refresh_people()
            self.sidebar.set_failed_count(self.backend.failed_count())
            self._refresh_timeline()
        except PhotoOrganizerError as error:
            self.show_error("The library cannot be read", str(error))
            return
        self._after_first_paint.run(self._load_sidebar_covers)  # the grid's thumbnails come first

    def _load_sidebar_covers(self) -> None:
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
            self.search_bar.clear_example()
        self._source = source
        if source.kind == "duplicates":
            self._show_duplicates()
            return
        if source.kind == FAILED.kind:
            self._show_failed_files()
            return
        if source == REVIEW:
            self.show_review()
            return
        self.grid_stack.setCurrentWidget(self.grid_area)
        try:
            self.sort_box.set_mode(BROWSE)
            contents = self.backend.curation.filtered(self._contents_of(source, self.sort_box.browse_sort), self.curation_filter)
        except PhotoOrganizerError as error:
            self.show_error("This view cannot be shown", str(error))
            return
        self._set_contents(contents, keep_position)
        self.stack.setCurrentWidget(self.grid_page)
        self.sidebar.select_source(source)
        self._update_feedback_controls()
        self._update_organize_bar()

    def _set_contents(self, contents: GridContents, keep_position: bool) -> None:
        top_id = selected = None
        if keep_position and self.model.rowCount():
            visible = self.grid.visible_photo_ids()
            top_id = visible[0] if visible else None
            selected = self.grid.selected_photo_ids()
        self._before_contents(contents)
        self.model.set_contents(contents, self._first_rows_of(contents))
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
            if len(self.model.contents):  # the first photo (after its day header in a timeline)
                first = self.model.index(self.model.row_of_index(0))
                self.grid.selectionModel().setCurrentIndex(first, self.grid.selectionModel().SelectionFlag.NoUpdate)
        self._on_contents_shown()

    def _update_title(self) -> None:
        contents = self.model.contents
        count = len(contents)
        if self.search.active and self.search.query is not None:
            self.title.setText(self.search.query.describe())
            rounds = f" · round {contents.search_round}" if contents.search_round else ""
            shown_too = " · less related ones shown last" if contents.showing_hidden else ""
            self.subtitle.setText(f"{count:,} results{rounds}{shown_too}")
            hidden = contents.hidden_count and not contents.showing_hidden
            self.hidden_link.setText(f'&nbsp;·&nbsp;<a href="show">{contents.hidden_count:,} less related hidden</a>' if hidden else "")
        else:
            self.hidden_link.setText("")
            self.title.setText(contents.title or self._source.title)
            groups = f" in {contents.group_count:,} groups, for review (nothing is deleted)" if contents.group_count else ""
            shown = f" · {self.curation_filter.describe()}" if self.curation_filter.active else ""
            new = f" · {len(contents.new_ids):,} new photos joined" if contents.new_ids else ""
            self.subtitle.setText(f"{count:,} photos{groups}{new}{shown}")

    def _on_sort_chosen(self, sort: str) -> None:
        if self.search.active:
            self.search.set_sort(sort)
        else:
            self.show_source(self._source)

    def _on_source_selected(self, source: Source) -> None:
        if source == self._source and not self.search.active and self.model.contents.title:
            return  # show_source marking its own entry: the grid already shows it
        self.show_source(source)

    def _refresh_view(self) -> None:
        """Pick up photos that arrived (indexing) without losing the place in the grid."""
        self.loader.forget_missing()
        if not self.search.active and self.stack.currentWidget() is self.grid_page and self._source != DUPLICATES:
            self.show_source(self._source, keep_position=True)
        elif self.stack.currentWidget() is self.review_page:
            self.show_review(look_for_duplicates=False)  # a finished job brought us here
        elif self.stack.currentWidget() is self.failed_page:
            self.failed_page.set_files(self._try(self.backend.failed_files) or [])
        self.refresh_sidebar()

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
