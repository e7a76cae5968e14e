"""Search and like/dislike feedback in the main window."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from photo_organizer.app.types import GridContents, SearchRequest
from photo_organizer.ui.photo_model import Roles
from photo_organizer.ui.sort_box import SEARCH


class WindowFeedback:
    """Mixin of ``MainWindow``: runs searches, shows results, marks photos and keeps the feedback controls in step."""

    # ---- search and feedback ----------------------------------------------------------------

    def run_search(self, query: SearchRequest) -> None:
        if not self.backend.has_folders():
            self.statusBar().showMessage("Add a photo folder first.", 5000)
            return
        if self._source.kind in ("folder", "album", "keyword", "favourites", "person", "place", "event"):
            query = query.within(self._source)
        self.sort_box.set_mode(SEARCH, reset=True)  # a new search starts on "Best match"
        self.search.search(replace(query, sort=self.sort_box.current_sort(), filters=self.curation_filter))
        self.sidebar.clear_selection_silently()

    def find_similar(self) -> None:
        photo_id = self._current_photo_id()
        if photo_id is not None:
            path = self.model.data(self.model.index(self.model.row_of(photo_id)), Roles.Path) or ""
            self.search_bar.field.blockSignals(True)
            self.search_bar.field.clear()  # "find similar" starts a new search from this photo
            self.search_bar.field.blockSignals(False)
            self.search_bar.set_example(path, photo_id)
            self.search_bar.submit()

    def clear_search(self) -> None:
        if self.search.active:
            self.show_source(self._source)
        else:
            self.leave_stack()

    def focus_search(self) -> None:
        self.search_bar.field.setFocus()
        self.search_bar.field.selectAll()

    def _on_search_results(self, contents: GridContents) -> None:
        self.stack.setCurrentWidget(self.grid_page)
        self.grid_stack.setCurrentWidget(self.grid_area)
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
        if self.mark_in_taught_album(label):
            return
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
        self._try(self._refresh_counts)  # "Liked in searches" counts marks from every search

    def _on_feedback_clicked(self, photo_id: int, label: int) -> None:
        self.mark(photo_id, 0 if label == self.model.label_of(photo_id) else label)

    def reset_feedback(self) -> None:
        """Forget this search's likes and dislikes, after asking; favourites are never touched."""
        if not self.search.active:
            return
        answer = QMessageBox.question(
            self,
            "Reset feedback",
            "Forget the likes and dislikes of this search and show its first results again?\n\n"
            "Your favourites, ratings and keywords stay as they are.",
            QMessageBox.StandardButton.Reset | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer == QMessageBox.StandardButton.Reset:
            self.search.reset_feedback()

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
        self.sort_box.setVisible(self._source.kind != "duplicates" or active)
        self.grid.photo_delegate.feedback_enabled = active
        self.reset_action.setEnabled(active)  # like/dislike stay on: outside a search they explain
        self.refine_action.setEnabled(active and bool(labels))
        if active:
            self._update_title()
        self._update_organize_bar()
