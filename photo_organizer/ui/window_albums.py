"""Album actions of the sidebar and the grid: new album, rename, merge, hide, export, add
photos by hand (menu or drag onto the sidebar) and remove them."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtWidgets import QFileDialog, QInputDialog, QMenu

from photo_organizer.app.types import Source
from photo_organizer.ui.dialogs import ask_text, pictures_folder


class WindowAlbums:
    """Mixin of ``MainWindow``: album edits, then the sidebar refreshed."""

    # ---- albums -----------------------------------------------------------------------------

    def rename_album(self, album_id: int) -> None:
        name, ok = ask_text(self, "Rename album", "Name:", self.sidebar.album_name(album_id))
        if ok and name.strip():
            self._try(lambda: self.backend.rename_album(album_id, name.strip()))
            self._refresh_after_album_edit(album_id)

    def merge_albums(self, album_ids: list[int]) -> None:
        """Merge the selected albums into one; the user picks which name it keeps."""
        if len(album_ids) < 2:
            return
        names = [self.sidebar.album_name(a) for a in album_ids]
        name, ok = QInputDialog.getItem(
            self, "Merge albums", f"Merge {len(album_ids)} albums into one.\nName of the merged album:", names, 0, False
        )
        if not ok:
            return
        target = album_ids[names.index(name)]
        merged = self._try(lambda: self.backend.merge_albums([target, *(a for a in album_ids if a != target)]))
        if merged is not None:
            self.statusBar().showMessage(f"Merged {len(album_ids)} albums into \u201c{merged.name}\u201d ({merged.size:,} photos).", 8000)
        self._refresh_after_album_edit(target)

    def new_album(self, photo_ids: list[int] | None = None) -> None:
        """A new album, empty or with these photos; the grid then shows it."""
        name, ok = ask_text(self, "New album", "Name of the new album:")
        if not ok or not name.strip():
            return
        album = self._try(lambda: self.backend.create_album(name.strip(), photo_ids))
        if album is not None:
            self.refresh_sidebar()
            self.show_source(Source("album", album.album_id, album.name))

    def add_to_album(self, album_id: int, photo_ids: list[int]) -> None:
        """Put photos into an album by hand (from the grid's menu, or dropped on the sidebar)."""
        if not photo_ids:
            return
        album = self._try(lambda: self.backend.add_to_album(album_id, photo_ids))
        if album is not None:
            self.statusBar().showMessage(f"Added {len(photo_ids):,} photos to \u201c{album.name}\u201d ({album.size:,} photos).", 8000)
        self._refresh_after_album_edit(album_id)

    def _add_to_album_menu(self, menu: QMenu) -> None:
        """The grid's "Add to album ▸" submenu, for the selected photos."""
        photo_ids = self.grid.selected_photo_ids()
        submenu = menu.addMenu("Add to album")
        for album_id, name in self.sidebar.album_choices():
            if not (self._source.kind == "album" and self._source.key == album_id):
                submenu.addAction(name, lambda a=album_id: self.add_to_album(a, photo_ids))
        submenu.addSeparator()
        submenu.addAction("New album…", lambda: self.new_album(photo_ids))

    def _refresh_after_album_edit(self, album_id: int) -> None:
        """The sidebar, and the grid when it shows that album (its header takes the new name)."""
        self.refresh_sidebar()
        if self._source.kind == "album" and self._source.key == album_id and not self.search.active:
            self.show_source(replace(self._source, title=self.sidebar.album_name(album_id)), keep_position=True)

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
