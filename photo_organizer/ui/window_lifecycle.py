"""The window's life: restoring its layout, quitting (asks while indexing runs), stopping
background work, and photos dropped on it (a search by that example)."""

from __future__ import annotations

from PySide6.QtCore import QByteArray
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QMessageBox

from photo_organizer.ui.job_names import INDEXING
from photo_organizer.ui.search_bar import dropped_image_path


class WindowLifecycle:
    """Mixin of ``MainWindow`` (uses its ui_settings, splitter, jobs, loaders and search)."""

    def _restore_state(self) -> None:
        geometry, state, splitter = self.ui_settings.window_state()
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        if isinstance(state, QByteArray):
            self.restoreState(state)
        if isinstance(splitter, QByteArray):
            self.splitter.restoreState(splitter)

    def request_quit(self) -> None:
        """File ▸ Quit: asks first while indexing runs."""
        if self._may_quit():
            self._quit_confirmed = True
            self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        # The user closing the window asks too; closing from code (tests, shutdown) does not.
        if event.spontaneous() and not self._quit_confirmed and not self._may_quit():
            event.ignore()
            return
        self.ui_settings.save_window_state(self.saveGeometry(), self.saveState(), self.splitter.saveState())
        self.ui_settings.sync()
        self.shutdown()
        super().closeEvent(event)

    def _may_quit(self) -> bool:
        if not self.jobs.is_queued_or_running(INDEXING):
            return True
        answer = QMessageBox.question(
            self, "Quit Photo Organizer", "Indexing is running. Stop it and quit? The work done so far is kept."
        )
        return answer == QMessageBox.StandardButton.Yes

    def shutdown(self) -> None:
        """Stop background work: jobs are cancelled at their next step (their work is kept)."""
        self.stop_watching_folders()
        self.jobs.cancel()
        self.jobs.wait(15000)
        self.loader.shutdown()
        self.face_loader.shutdown()
        self.search.shutdown()

    def is_settled(self) -> bool:
        """Nothing on screen is still loading (used by the screenshot mode)."""
        return self.loader.is_idle() and self.face_loader.is_idle() and not self.search.is_busy()

    # ---- drops: search by an example photo ------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if dropped_image_path(event):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        path = dropped_image_path(event)
        if path:
            event.acceptProposedAction()
            self.search_bar.set_example(path)
            self.search_bar.submit()  # with the text already typed, if any
