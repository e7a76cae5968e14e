"""Album actions of the sidebar and the grid: rename, merge, hide, export, remove photos."""

from __future__ import annotations

from PySide6.QtWidgets import QFileDialog, QMessageBox

from photo_organizer.ui.dialogs import ask_text, pictures_folder


class WindowAlbums:
    """Mixin of ``MainWindow``: album edits, then the sidebar refreshed."""

    # ---- albums -----------------------------------------------------------------------------

    def rename_album(self, album_id: int) -> None:
        name, ok = ask_text(self, "Rename album", "Name:", self.sidebar.album_name(album_id))
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
        folder = QFileDialog.getExistingDirectory(self, f"Export “{self.sidebar.album_name(album_id)}” to", pictures_folder())
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
