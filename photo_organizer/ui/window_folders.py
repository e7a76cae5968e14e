"""Folder flows: remove (to come back later) or forget for good, relocate a moved folder, and
clear the search history."""

from __future__ import annotations

from PySide6.QtWidgets import QFileDialog, QMessageBox

from photo_organizer.app.types import ALL_PHOTOS

REMOVE_TEXT = (
    "Remove {path} from the library?\n\n"
    "The files themselves are never touched. Its photos leave the library, but their albums, "
    "names and marks are kept: add the folder again and they come back as they were.\n\n"
    "“Forget for good” also deletes what the library knows of these photos: album places, "
    "marks, thumbnails and the searches that used them."
)


class WindowFolders:
    """Mixin of ``MainWindow``: what the Folders section's context menu and the Search menu do."""

    def remove_folder(self, path: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Question, "Remove folder", REMOVE_TEXT.format(path=path), parent=self)
        remove = box.addButton("Remove", QMessageBox.ButtonRole.AcceptRole)
        forget = box.addButton("Forget for good", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(remove)
        box.exec()
        if box.clickedButton() not in (remove, forget):
            return
        count = self._try(lambda: self.backend.remove_folder(path, forget=box.clickedButton() is forget))
        if count is not None:
            what = "forgotten for good" if box.clickedButton() is forget else "kept, to come back if you add it again"
            self.statusBar().showMessage(f"Removed {path}: {count:,} photos {what}.", 10000)
        self.show_source(ALL_PHOTOS)
        self.refresh_sidebar()
        if not self.backend.has_folders():
            self.stack.setCurrentWidget(self.welcome)

    def relocate_folder(self, path: str) -> None:
        """The folder moved (a drive mounted elsewhere): point the library at its new place."""
        suggestion = next((f.found_at for f in self.backend.folders() if f.path == path and f.found_at), None)
        new = QFileDialog.getExistingDirectory(self, f"Where is {path} now?", suggestion or path)
        if not new or new == path:
            return
        if self._try(lambda: self.backend.relocate_folder(path, new) or True):
            self.statusBar().showMessage(f"{path} is now {new}; checking it…", 10000)
            self.refresh_sidebar()
            self.start_indexing()

    def clear_search_history(self) -> None:
        answer = QMessageBox.question(
            self,
            "Clear search history",
            "Forget every saved search: the query texts, the example photos and the marks given in them?",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        self.clear_search()
        count = self._try(self.backend.clear_search_history)
        if count is not None:
            self.statusBar().showMessage(f"Search history cleared ({count:,} searches).", 8000)
        self.refresh_sidebar()
