"""Library-wide flows of the window: another launch on the same library, photos arriving in
the folders while the window is open, and the files that could not be read."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer

from photo_organizer.app.folder_watch import ArrivalTracker, FolderWatcher
from photo_organizer.app.types import FAILED
from photo_organizer.ui.failed_files import FailedFilesPage
from photo_organizer.ui.job_names import INDEXING
from photo_organizer.ui.viewer import show_in_folder
from photo_organizer.ui.workers import JobRequest

WATCH_POLL_MS = 1000  # how often settled arrivals are looked for (ArrivalTracker.due)


class WindowLibrary:
    """Mixin of ``MainWindow``."""

    # ---- a second launch -------------------------------------------------------------------

    def bring_forward(self, folders: list[str]) -> None:
        """Another launch on this library asked for this window (and maybe to add folders)."""
        self.setWindowState((self.windowState() & ~Qt.WindowState.WindowMinimized) | Qt.WindowState.WindowActive)
        self.show()
        self.raise_()
        self.activateWindow()
        known = set(self.backend.folder_paths().values())
        for folder in folders:
            if folder not in known:
                self.add_folder_path(folder)

    # ---- photos arriving in the folders -----------------------------------------------------

    def _build_folder_watch(self) -> None:
        self._arrivals: ArrivalTracker | None = None
        self._folder_watcher: FolderWatcher | None = None
        self._watched: dict[int, str] = {}
        self._watch_timer = QTimer(self)
        self._watch_timer.setInterval(WATCH_POLL_MS)
        self._watch_timer.timeout.connect(self._on_watch_tick)

    def watch_folders(self) -> None:
        """Watch the library folders from now on (folders added later are watched too)."""
        self._watch_timer.start()
        self._on_watch_tick()

    def stop_watching_folders(self) -> None:
        self._watch_timer.stop()
        self._stop_watcher()

    def _stop_watcher(self) -> None:
        if self._folder_watcher is not None:
            self._folder_watcher.stop()
        self._folder_watcher = self._arrivals = None
        self._watched = {}

    def _on_watch_tick(self) -> None:
        folders = self._try(self.backend.folder_paths)
        if folders is not None and folders != self._watched:
            self._watch(folders)
        if self._arrivals is None or self.jobs.is_queued_or_running(INDEXING):
            return  # what arrives meanwhile stays noted for after this run
        root_ids = self._arrivals.due()
        if root_ids:
            self.statusBar().showMessage("New or changed photos in your folders: adding them…", 5000)
            self.jobs.submit(JobRequest(INDEXING, self.backend.index_job(root_ids), self._on_library_updated))

    def _watch(self, folders: dict[int, str]) -> None:
        self._stop_watcher()
        self._watched = folders
        if not folders:
            return
        arrivals = ArrivalTracker(folders, ignored=[self.backend.data_home()])
        try:
            self._folder_watcher = FolderWatcher(arrivals, folders.values())
        except OSError as error:  # e.g. the system's limit of watched folders is reached
            self.statusBar().showMessage(f"New photos are found at the next rescan only: {error}", 10000)
            return
        self._arrivals = arrivals

    # ---- files that could not be read -------------------------------------------------------

    def _build_failed_page(self) -> FailedFilesPage:
        page = FailedFilesPage()
        page.showInFolderRequested.connect(show_in_folder)
        page.retryRequested.connect(self.retry_failed_files)
        self.failed_page = page
        return page

    def _show_failed_files(self) -> None:
        self.failed_page.set_files(self._try(self.backend.failed_files) or [])
        self.stack.setCurrentWidget(self.failed_page)
        self.sidebar.select_source(FAILED)
        self._update_feedback_controls()

    def retry_failed_files(self, photo_ids: list[int]) -> None:
        """"Try again": the files go back to reading, and the library is brought up to date."""
        count = self._try(lambda: self.backend.retry_failed(photo_ids)) or 0
        self.statusBar().showMessage(f"Reading {count:,} files again…", 5000)
        self._show_failed_files()
        self.refresh_sidebar()
        self.start_indexing()
