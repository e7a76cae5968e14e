"""The sidebar: library views, folders with counts, automatic albums with covers.

It shows entries and reports what the user picked or asked for (signals); the window does
the work through the backend. Album edits (rename, merge, hide, export) come from the
context menu; several albums can be selected to merge them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from PySide6.QtCore import QPoint, QSize, Qt, Signal
from PySide6.QtGui import QAction, QFont, QIcon, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QMenu, QTreeWidget, QTreeWidgetItem, QWidget

from photo_organizer.app.types import ALL_PHOTOS, DUPLICATES, LIKED, UNSORTED, Source
from photo_organizer.ui import icons
from photo_organizer.ui.sidebar_timeline import TimelineSections

SOURCE_ROLE = Qt.ItemDataRole.UserRole + 1
COVER_ROLE = Qt.ItemDataRole.UserRole + 2
ICON_SIDE = 32


@dataclass(frozen=True)
class AlbumEntry:
    album_id: int
    name: str
    size: int
    cover_photo_id: int | None
    hidden: bool = False


@dataclass(frozen=True)
class FolderRow:
    root_id: int
    path: str
    photo_count: int


class Sidebar(TimelineSections, QTreeWidget):
    sourceSelected = Signal(object)  # Source
    addFolderRequested = Signal()
    removeFolderRequested = Signal(str)
    rescanRequested = Signal()
    reclusterRequested = Signal()
    renameAlbumRequested = Signal(int)
    mergeAlbumsRequested = Signal(list)  # album ids
    hideAlbumRequested = Signal(int, bool)  # album id, hidden
    exportAlbumRequested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHeaderHidden(True)
        self.setIconSize(QSize(ICON_SIDE, ICON_SIDE))
        self.setIndentation(10)
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(False)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._show_menu)
        self.itemSelectionChanged.connect(self._on_selection)
        self._library = self._section("Library")
        self._build_timeline_sections()
        self._folders = self._section("Folders")
        self._albums = self._section("Albums")
        self._hidden = self._section("Hidden albums")
        self._hidden.setExpanded(False)
        self._add(self._library, ALL_PHOTOS.title, ALL_PHOTOS, icons.icon("photos"))
        self._liked_item = self._add(self._library, LIKED.title, LIKED, icons.icon("heart"))
        self._duplicates_item = self._add(self._library, DUPLICATES.title, DUPLICATES, icons.icon("duplicates"))
        self._album_items: dict[int, QTreeWidgetItem] = {}
        self._silent = False

    # ---- building ---------------------------------------------------------------------------

    def _section(self, title: str) -> QTreeWidgetItem:
        item = QTreeWidgetItem(self, [title.upper()])
        font = QFont(item.font(0))
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 0.85)
        item.setFont(0, font)
        item.setFlags(Qt.ItemFlag.ItemIsEnabled)
        item.setExpanded(True)
        return item

    def _add(self, parent: QTreeWidgetItem, text: str, source: Source, icon: QIcon) -> QTreeWidgetItem:
        item = QTreeWidgetItem(parent, [text])
        item.setData(0, SOURCE_ROLE, source)
        item.setIcon(0, icon)
        item.setToolTip(0, source.title or text)
        return item

    def set_library_counts(self, total: int, liked: int) -> None:
        self._library.child(0).setText(0, f"{ALL_PHOTOS.title}  ({total:,})")
        self._liked_item.setText(0, f"{LIKED.title}  ({liked:,})")

    def set_duplicate_groups(self, groups: int) -> None:
        self._duplicates_item.setText(0, f"{DUPLICATES.title}  ({groups:,} groups)")

    def set_folders(self, folders: list[FolderRow]) -> None:
        with self._keeping_selection():
            self._folders.takeChildren()
            for folder in folders:
                name = folder.path.rstrip("/").rsplit("/", 1)[-1] or folder.path
                source = Source("folder", folder.root_id, folder.path)
                item = self._add(self._folders, f"{name}  ({folder.photo_count:,})", source, icons.icon("folder"))
                item.setToolTip(0, f"{folder.path}\n{folder.photo_count:,} photos")
            self._folders.setHidden(not folders)

    def set_albums(self, albums: list[AlbumEntry], unsorted: int | None) -> None:
        with self._keeping_selection():
            self._albums.takeChildren()
            self._hidden.takeChildren()
            self._album_items.clear()
            for album in albums:
                parent = self._hidden if album.hidden else self._albums
                source = Source("album", album.album_id, album.name)
                item = self._add(parent, f"{album.name}  ({album.size:,})", source, icons.icon("album"))
                item.setData(0, COVER_ROLE, album.cover_photo_id)
                item.setSizeHint(0, QSize(0, ICON_SIDE + 6))
                self._album_items[album.album_id] = item
            if unsorted:
                item = self._add(self._albums, f"{UNSORTED.title}  ({unsorted:,})", UNSORTED, icons.icon("photos"))
                item.setToolTip(0, "Photos that belong to no album")
            self._albums.setHidden(not any(not a.hidden for a in albums) and not unsorted)
            self._hidden.setHidden(not any(a.hidden for a in albums))

    def _cover_items(self) -> list[QTreeWidgetItem]:
        return [*self._album_items.values(), *self._event_items.values()]

    def cover_ids(self) -> list[int]:
        return [pid for item in self._cover_items() if (pid := item.data(0, COVER_ROLE)) is not None]

    def set_cover(self, photo_id: int, pixmap: QPixmap) -> None:
        """Show a loaded cover thumbnail on every album that uses it."""
        square = _square(pixmap, ICON_SIDE * max(1, int(self.devicePixelRatioF())))
        for item in self._cover_items():
            if item.data(0, COVER_ROLE) == photo_id:
                item.setIcon(0, QIcon(square))

    def album_name(self, album_id: int) -> str:
        item = self._album_items.get(album_id)
        source = item.data(0, SOURCE_ROLE) if item else None
        return source.title if source else str(album_id)

    def select_source(self, source: Source) -> None:
        for item in self._all_items():
            if item.data(0, SOURCE_ROLE) == source:
                self.setCurrentItem(item)
                return

    def clear_selection_silently(self) -> None:
        self._silent = True
        try:
            self.clearSelection()
        finally:
            self._silent = False

    # ---- interaction ------------------------------------------------------------------------

    def selected_sources(self) -> list[Source]:
        return [s for item in self.selectedItems() if (s := item.data(0, SOURCE_ROLE)) is not None]

    def _on_selection(self) -> None:
        if self._silent:
            return
        item = self.currentItem()
        source = item.data(0, SOURCE_ROLE) if item is not None and item.isSelected() else None
        if source is not None:
            if source.kind == "place":
                item.setExpanded(True)  # a country opens on its regions, a region on its cities
            self.sourceSelected.emit(source)

    def _show_menu(self, pos: QPoint) -> None:
        item = self.itemAt(pos)
        source = item.data(0, SOURCE_ROLE) if item is not None else None
        menu = QMenu(self)
        if source is not None and source.kind == "album":
            self._album_menu(menu, source)
        elif source is not None and source.kind == "folder":
            menu.addAction("Rescan folders", self.rescanRequested.emit)
            menu.addAction("Remove folder from library…", lambda: self.removeFolderRequested.emit(source.title))
        menu.addAction("Add folder…", self.addFolderRequested.emit)
        menu.addAction("Recompute albums", self.reclusterRequested.emit)
        menu.exec(self.viewport().mapToGlobal(pos))

    def _album_menu(self, menu: QMenu, source: Source) -> None:
        album_id = int(source.key)
        menu.addAction("Rename…", lambda: self.renameAlbumRequested.emit(album_id))
        selected = [int(s.key) for s in self.selected_sources() if s.kind == "album"]
        merge = QAction(f"Merge {len(selected)} albums", menu)
        merge.setEnabled(len(selected) > 1)
        merge.triggered.connect(lambda: self.mergeAlbumsRequested.emit(selected))
        menu.addAction(merge)
        hidden = self._album_items[album_id].parent() is self._hidden
        menu.addAction("Show album" if hidden else "Hide album", lambda: self.hideAlbumRequested.emit(album_id, not hidden))
        menu.addAction("Export to folder…", lambda: self.exportAlbumRequested.emit(album_id))
        menu.addSeparator()

    def _all_items(self) -> list[QTreeWidgetItem]:
        """Every entry, at any depth (places nest country → region → city)."""
        items: list[QTreeWidgetItem] = []
        pending = [self.topLevelItem(i) for i in range(self.topLevelItemCount())]
        while pending:
            children = [parent.child(j) for parent in pending for j in range(parent.childCount())]
            items.extend(children)
            pending = children
        return items

    @contextmanager
    def _keeping_selection(self) -> Iterator[None]:
        """Rebuild entries without losing the current one or emitting a selection."""
        item = self.currentItem()
        source = item.data(0, SOURCE_ROLE) if item is not None else None
        self._silent = True
        try:
            yield
            if source is not None:
                self.select_source(source)
        finally:
            self._silent = False


def _square(pixmap: QPixmap, side: int) -> QPixmap:
    """Centre-crop to a square of ``side`` pixels (album covers)."""
    scaled = pixmap.scaled(side, side, Qt.AspectRatioMode.KeepAspectRatioByExpanding, Qt.TransformationMode.SmoothTransformation)
    x = (scaled.width() - side) // 2
    y = (scaled.height() - side) // 2
    return scaled.copy(x, y, side, side)
