"""Acting on the photos of the grid: open, show in folder, context menu, thumbnail size, theme."""

from __future__ import annotations

from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QApplication, QMenu

from photo_organizer.ui.photo_model import Roles
from photo_organizer.ui.settings import MAX_THUMBNAIL, MIN_THUMBNAIL
from photo_organizer.ui.theme import apply_theme
from photo_organizer.ui.viewer import ViewerDialog, open_with_system_viewer, show_in_folder


class WindowPhotos:
    """Mixin of ``MainWindow``: what the grid's current or selected photos can do."""

    # ---- photos -----------------------------------------------------------------------------

    def _current_photo_id(self) -> int | None:
        index = self.grid.currentIndex()
        photo_id = self.model.photo_id(index.row()) if index.isValid() else -1
        return photo_id if photo_id >= 0 else None  # None on a day header too

    def _current_path(self) -> str | None:
        index = self.grid.currentIndex()
        return index.data(Roles.Path) if index.isValid() else None

    def open_current(self) -> None:
        index = self.grid.currentIndex()
        if index.isValid():
            self.open_viewer(index.row())

    def open_viewer(self, row: int) -> None:
        if self.model.is_header(row):
            return
        viewer = ViewerDialog(self.backend, self.model, row, self.search.active, self)
        viewer.feedbackRequested.connect(self.mark)
        viewer.curationRequested.connect(lambda photo_id, field, value: self.curate([photo_id], field, value))
        viewer.rowChanged.connect(self.grid.select_row)
        self._viewer = viewer
        try:
            viewer.exec()
        finally:
            self._viewer = None

    def open_external(self) -> None:
        path = self._current_path()
        if path:
            open_with_system_viewer(path, self)

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
        self._context_curation_menu(menu)
        menu.addAction(self.adjust_date_action)
        menu.addSeparator()
        self._add_to_album_menu(menu)
        if self._source.kind == "album" and not self.search.active:
            menu.addAction("Remove from this album", self.remove_from_album)
        if self._source.kind == "person" and not self.search.active:
            menu.addSeparator()
            menu.addAction(f"Not {self._source.title}", self.not_this_person)
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
        action = self.theme_actions.get(theme)
        if action is not None and not action.isChecked():
            action.setChecked(True)  # View ▸ Theme shows what the Settings dialog chose
