"""Folders, background jobs (the index pipeline, albums, calibration), weights and settings."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QFileDialog

from photo_organizer.app.types import ALL_PHOTOS
from photo_organizer.errors import PhotoOrganizerError
from photo_organizer.ui.dialogs import MissingWeightsDialog, SettingsDialog
from photo_organizer.ui.job_names import ALBUMS, CALIBRATION, INDEXING, LIVE_REFRESH_S
from photo_organizer.ui.workers import JobRequest


class WindowJobs:
    """Mixin of ``MainWindow``: starts background jobs; each says what it found when it ends
    (the window refreshes after every job)."""

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

    def start_indexing(self) -> None:
        if not self.backend.has_folders() or self.jobs.is_queued_or_running(INDEXING):
            return
        self.jobs.submit(JobRequest(INDEXING, self.backend.index_job(), self._on_library_updated))

    def start_recluster(self) -> None:
        factory = self._job_or_explain(self.backend.recluster_job, "Automatic albums")
        if factory is not None and not self.jobs.is_queued_or_running(ALBUMS):
            self.jobs.submit(JobRequest(ALBUMS, factory, self._on_albums_recomputed))
            self.statusBar().showMessage("Recomputing albums in the background…", 5000)

    def start_calibration(self) -> None:
        factory = self._job_or_explain(self.backend.calibration_job, "ITAE calibration")
        if factory is not None and not self.jobs.is_queued_or_running(CALIBRATION):
            self.jobs.submit(JobRequest(CALIBRATION, factory, self._on_calibrated))

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

    def _on_library_updated(self, report: Any) -> None:
        self.statusBar().showMessage(self.backend.describe_index_report(report), 10000)
        self._show_missing_weights_notice()

    def _on_albums_recomputed(self, report: Any) -> None:
        self.statusBar().showMessage(self.backend.describe_recluster_report(report), 15000)

    def _on_calibrated(self, calibration: Any) -> None:
        self.statusBar().showMessage(self.backend.describe_calibration(calibration), 15000)

    # ---- models and settings ----------------------------------------------------------------

    def _show_missing_weights_notice(self) -> None:
        try:
            missing = self.backend.missing_weights()
        except PhotoOrganizerError:
            missing = []
        self.weights_button.setVisible(bool(missing))
        self.weights_banner.set_missing([self.backend.weights_info(name) for name in missing])
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
        self.set_theme(self.ui_settings.theme)
        self.set_thumbnail_side(self.ui_settings.thumbnail_side)
        self.set_auto_refine(self.ui_settings.auto_refine)
        self._show_missing_weights_notice()
