"""Taught albums, stacks and their review in the main window.

* "Save as album…" keeps the current search (after marks and refines) as a taught album.
* A taught album's view shows its newcomers first; "Confirm" (C or L) keeps them, "Not this
  album" (N or D) takes them out and teaches the album (a disliked example).
* A stack is one tile with a count; its badge or S opens it, where "Make this the best shot"
  changes the cover.
* The review screen keeps each stack's best shot and moves the others to the system trash
  after a confirmation that names the count; "Undo last trash" brings them back.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QHBoxLayout, QInputDialog, QMessageBox, QPushButton, QWidget

from photo_organizer.app.types import REVIEW, ReviewGroup, Source
from photo_organizer.ui.job_names import FINDING_DUPLICATES
from photo_organizer.ui.review_page import ReviewPage
from photo_organizer.ui.workers import JobRequest


class WindowOrganize:
    """Mixin of ``MainWindow``."""

    def _build_organize_widgets(self, header: QHBoxLayout) -> None:
        """Buttons in the grid's header for a taught album or a stack, and the review page."""
        self.confirm_button = QPushButton("Confirm")
        self.confirm_button.setToolTip("Keep the selected new photos in this album (C)")
        self.reject_button = QPushButton("Not this album")
        self.reject_button.setToolTip("Take the selected photos out; the album learns from it (N)")
        self.best_button = QPushButton("Make this the best shot")
        self.best_button.setToolTip("The selected photo becomes the stack's cover")
        self.organize_bar = QWidget()
        bar = QHBoxLayout(self.organize_bar)
        bar.setContentsMargins(0, 0, 0, 0)
        for button in (self.confirm_button, self.reject_button, self.best_button):
            button.setFocusPolicy(button.focusPolicy().NoFocus)
            bar.addWidget(button)
        header.insertWidget(3, self.organize_bar)
        self.organize_bar.hide()  # shown in a taught album or a stack
        self.confirm_button.clicked.connect(self.confirm_selection)
        self.reject_button.clicked.connect(self.reject_selection)
        self.best_button.clicked.connect(self.make_best_shot)
        self.review_page = ReviewPage()
        self.review_page.keepBestRequested.connect(self.keep_best)
        self.review_page.undoRequested.connect(self.undo_last_trash)
        self.grid.photo_delegate.stackClicked.connect(self.open_stack)

    def _update_organize_bar(self) -> None:
        taught = self._in_taught_album()
        in_stack = self._source.kind == "stack" and not self.search.active
        self.confirm_button.setVisible(taught)
        self.reject_button.setVisible(taught)
        self.best_button.setVisible(in_stack)
        self.organize_bar.setVisible(taught or in_stack)

    def _in_taught_album(self) -> bool:
        source = self._source
        return (
            source.kind == "album" and source.key is not None and not self.search.active
            and bool(self._try(lambda: self.backend.is_taught_album(int(source.key))))
        )

    def _selected_or_current(self) -> list[int]:
        return self.grid.selected_photo_ids() or ([pid] if (pid := self._current_photo_id()) is not None else [])

    # ---- taught albums ----------------------------------------------------------------------

    def save_search_as_album(self) -> None:
        if not self.search.active or self.search.query is None:
            self.statusBar().showMessage("Search first, mark what you like, then save it as an album.", 6000)
            return
        name, ok = QInputDialog.getText(self, "Save as album", "Album name:", text=self.search.query.text or "")
        if ok and name.strip():
            self.search.save_as_album(name.strip(), self._on_album_saved)

    def _on_album_saved(self, album_id: int) -> None:
        self.refresh_sidebar()
        self.statusBar().showMessage("Album saved: new photos that fit join it when they are indexed.", 8000)

    def confirm_selection(self) -> None:
        if self._in_taught_album():
            album_id = int(self._source.key)
            self._try(lambda: self.backend.confirm_in_album(album_id, self._selected_or_current()))
            self._after_album_edit()

    def reject_selection(self) -> None:
        """Not this album: out, and the album learns it (a disliked example)."""
        if self._in_taught_album():
            album_id = int(self._source.key)
            self._try(lambda: self.backend.remove_from_album(album_id, self._selected_or_current()))
            self._after_album_edit()

    def _after_album_edit(self) -> None:
        self.show_source(self._source, keep_position=True)
        self.refresh_sidebar()

    def mark_in_taught_album(self, label: int) -> bool:
        """Like / dislike in a taught album's view confirm / reject; False elsewhere."""
        if self.search.active or not self._in_taught_album():
            return False
        if label > 0:
            self.confirm_selection()
        elif label < 0:
            self.reject_selection()
        return True

    # ---- stacks -----------------------------------------------------------------------------

    def open_stack(self, photo_id: int) -> None:
        stack_id = self._try(lambda: self.backend.stack_of_photo(photo_id))
        if stack_id is not None:
            title = self._try(lambda: self.backend.stack_title(stack_id))
            self._stack_return = self._source
            self.show_source(Source("stack", stack_id, title or "Stack"))

    def find_similar_or_open_stack(self) -> None:
        """S: a stack's tile opens the stack; any other photo finds similar photos."""
        photo_id = self._current_photo_id()
        if photo_id is not None and not self.search.active and self.model.contents.stack_sizes.get(photo_id):
            self.open_stack(photo_id)
        else:
            self.find_similar()

    def make_best_shot(self) -> None:
        photo_id = self._current_photo_id()
        if self._source.kind != "stack" or photo_id is None:
            return
        stack_id = int(self._source.key)
        self._try(lambda: self.backend.make_best_shot(stack_id, photo_id))
        self.statusBar().showMessage("This photo is the stack's best shot and its cover now.", 6000)
        self.show_source(self._source)

    def leave_stack(self) -> None:
        if self._source.kind == "stack":
            self.show_source(getattr(self, "_stack_return", None) or Source("all", title="All photos"))

    # ---- review -----------------------------------------------------------------------------

    def show_review(self, look_for_duplicates: bool = True) -> None:
        """Stacks at once; duplicate groups join when the background job has found them."""
        groups = (self._try(self.backend.review_groups) or []) + getattr(self, "_review_duplicates", [])
        self.review_page.set_groups(groups, bool(self._try(self.backend.can_undo_trash)))
        self.sidebar.set_review_count(len(groups))
        self.stack.setCurrentWidget(self.review_page)
        self.sidebar.select_source(REVIEW)
        if look_for_duplicates and not self.jobs.is_queued_or_running(FINDING_DUPLICATES):
            generation = getattr(self, "_trash_generation", 0)
            done = lambda groups: self._on_review_duplicates(groups, generation)  # noqa: E731
            self.jobs.submit(JobRequest(FINDING_DUPLICATES, self.backend.duplicates_review_job(), done))
        for photo_id in self.review_page.thumbnail_ids():
            pixmap = self.loader.pixmap(photo_id)
            if pixmap is not None:
                self.review_page.set_thumbnail(photo_id, pixmap)

    def _on_review_duplicates(self, groups: list[ReviewGroup], generation: int) -> None:
        """Groups found before the last trash or undo are stale: look again."""
        stale = generation != getattr(self, "_trash_generation", 0)
        self._review_duplicates = [] if stale else groups
        if self.stack.currentWidget() is self.review_page:
            QTimer.singleShot(0, lambda: self.show_review(look_for_duplicates=stale))  # after the job ended

    def _on_review_thumbnail(self, photo_id: int) -> None:
        if self.stack.currentWidget() is self.review_page and photo_id in self.review_page.thumbnail_ids():
            pixmap = self.loader.pixmap(photo_id)
            if pixmap is not None:
                self.review_page.set_thumbnail(photo_id, pixmap)

    def keep_best(self, group: ReviewGroup) -> None:
        photos = self._try(lambda: self.backend.photos_to_trash(group))
        if not photos:
            return
        answer = QMessageBox.question(
            self,
            "Move to the trash",
            f"Keep the best shot and move {len(photos):,} other photos to the system trash?\n"
            "You can put them back with “Undo last trash”.",
        )
        if answer == QMessageBox.StandardButton.Yes:
            result = self._try(lambda: self.backend.keep_best_trash_others(group))
            if result:
                self.statusBar().showMessage(result, 10000)
            self._after_trash_change()

    def undo_last_trash(self) -> None:
        result = self._try(self.backend.undo_last_trash)
        if result:
            self.statusBar().showMessage(result, 10000)
        self._after_trash_change()

    def _after_trash_change(self) -> None:
        self._trash_generation = getattr(self, "_trash_generation", 0) + 1
        self._review_duplicates = []  # they are looked for again
        self.refresh_sidebar()
        if self.stack.currentWidget() is self.review_page:
            self.show_review()
