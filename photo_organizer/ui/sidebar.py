"""The sidebar: library views (favourites too), folders with counts, the keyword tree,
automatic albums with covers.

It shows entries and reports what the user picked or asked for (signals); the window does
the work through the backend. Album edits (rename, merge, hide, export) come from the
context menu; several albums can be selected to merge them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from PySide6.QtCore import QPoint, QSize, Qt, Signal
from PySide6.QtGui import QAction, QDragEnterEvent, QDragMoveEvent, QDropEvent, QFont, QIcon, QPalette, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QMenu, QTreeWidget, QTreeWidgetItem, QWidget

from photo_organizer.app.people import PersonInfo
from photo_organizer.app.types import ALL_PHOTOS, DUPLICATES, FAILED, FAVOURITES, LIKED, REVIEW, UNSORTED, Source
from photo_organizer.ui import icons
from photo_organizer.ui.photo_model import photo_ids_from_mime
from photo_organizer.ui.sidebar_keywords import fill_keywords
from photo_organizer.ui.sidebar_people import PERSON, PeopleSection
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
    kind: str = "auto"  # "taught": kept from a search (its own icon, no cover)
    new_count: int = 0  # taught: newcomers to confirm


@dataclass(frozen=True)
class FolderRow:
    root_id: int
    path: str
    photo_count: int
    offline: bool = False
    found_at: str | None = None  # where an offline folder's drive seems mounted now


class Sidebar(TimelineSections, QTreeWidget):
    sourceSelected = Signal(object)  # Source
    addFolderRequested = Signal()
    removeFolderRequested = Signal(str)
    relocateFolderRequested = Signal(str)
    rescanRequested = Signal()
    reclusterRequested = Signal()
    renameAlbumRequested = Signal(int)
    mergeAlbumsRequested = Signal(list)  # album ids
    hideAlbumRequested = Signal(int, bool)  # album id, hidden
    exportAlbumRequested = Signal(int)
    newAlbumRequested = Signal()
    photosDropped = Signal(int, list)  # album id, photo ids dragged from the grid

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
        self._keywords = self._section("Keywords")
        self._keywords.setHidden(True)
        self.people = PeopleSection(self, self._section("People"), SOURCE_ROLE, ICON_SIDE)
        self._albums = self._section("Albums")
        self._hidden = self._section("Hidden albums")
        self._hidden.setExpanded(False)
        self._add(self._library, ALL_PHOTOS.title, ALL_PHOTOS, icons.icon("photos"))
        self._favourites_item = self._add(self._library, FAVOURITES.title, FAVOURITES, icons.icon("heart"))
        self._favourites_item.setToolTip(0, "Photos you marked with the heart (F); kept until you take the heart off")
        self._liked_item = self._add(self._library, LIKED.title, LIKED, icons.icon("like"))
        self._liked_item.setToolTip(0, "Photos you liked while searching (the marks of your searches)")
        self._duplicates_item = self._add(self._library, DUPLICATES.title, DUPLICATES, icons.icon("duplicates"))
        self._review_item = self._add(self._library, REVIEW.title, REVIEW, icons.icon("review"))
        self._failed_item = self._add(self._library, FAILED.title, FAILED, icons.icon("image"))
        self._failed_item.setToolTip(0, "Files in your folders that could not be read, and why")
        self._failed_item.setHidden(True)
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(True)
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

    def set_favourites_count(self, count: int) -> None:
        self._favourites_item.setText(0, f"{FAVOURITES.title}  ({count:,})")

    def set_keywords(self, nodes: tuple) -> None:
        """The keyword tree (``curation.model.KeywordNode``s) with photo counts."""
        with self._keeping_selection():
            fill_keywords(self._keywords, nodes, lambda parent, text, source: self._add(parent, text, source, icons.icon("tag")))
            self._keywords.setHidden(not nodes)

    def set_duplicate_groups(self, groups: int) -> None:
        self._duplicates_item.setText(0, f"{DUPLICATES.title}  ({groups:,} groups)")

    def set_failed_count(self, count: int) -> None:
        """"Could not read (N)", shown only while some file could not be read."""
        self._failed_item.setText(0, f"{FAILED.title}  ({count:,})")
        self._failed_item.setHidden(count == 0)

    def album_choices(self) -> list[tuple[int, str]]:
        """(id, name) of every album, in sidebar order (visible ones first)."""
        return [(album_id, self.album_name(album_id)) for album_id in self._album_items]

    def set_folders(self, folders: list[FolderRow]) -> None:
        with self._keeping_selection():
            self._folders.takeChildren()
            for folder in folders:
                name = folder.path.rstrip("/").rsplit("/", 1)[-1] or folder.path
                source = Source("folder", folder.root_id, folder.path)
                item = self._add(self._folders, f"{name}  ({folder.photo_count:,})", source, icons.icon("folder"))
                item.setToolTip(0, f"{folder.path}\n{folder.photo_count:,} photos")
                if folder.offline:
                    _show_offline(item, folder)
            self._folders.setHidden(not folders)

    def set_albums(self, albums: list[AlbumEntry], unsorted: int | None) -> None:
        with self._keeping_selection():
            self._albums.takeChildren()
            self._hidden.takeChildren()
            self._album_items.clear()
            for album in albums:
                parent = self._hidden if album.hidden else self._albums
                source = Source("album", album.album_id, album.name)
                if album.kind == "taught":
                    item = self._add_taught(parent, album, source)
                else:
                    item = self._add(parent, f"{album.name}  ({album.size:,})", source, icons.icon("album"))
                    item.setData(0, COVER_ROLE, album.cover_photo_id)
                item.setSizeHint(0, QSize(0, ICON_SIDE + 6))
                self._album_items[album.album_id] = item
            if unsorted:
                item = self._add(self._albums, f"{UNSORTED.title}  ({unsorted:,})", UNSORTED, icons.icon("photos"))
                item.setToolTip(0, "Photos that belong to no album")
            self._albums.setHidden(not any(not a.hidden for a in albums) and not unsorted)
            self._hidden.setHidden(not any(a.hidden for a in albums))

    def _add_taught(self, parent: QTreeWidgetItem, album: AlbumEntry, source: Source) -> QTreeWidgetItem:
        """A taught album keeps its own icon (no cover), and says how many newcomers wait."""
        new = f"  · {album.new_count:,} new" if album.new_count else ""
        item = self._add(parent, f"{album.name}  ({album.size:,}){new}", source, icons.icon("taught"))
        item.setToolTip(0, f"{album.name}: taught by your search; new photos join it when indexed" + (
            f"\n{album.new_count:,} new photos to confirm" if album.new_count else ""))
        if album.new_count:
            font = QFont(item.font(0))
            font.setBold(True)
            item.setFont(0, font)
        return item

    def set_review_count(self, stacks: int) -> None:
        self._review_item.setText(0, f"{REVIEW.title}  ({stacks:,})" if stacks else REVIEW.title)

    def set_people(self, people: list[PersonInfo], unsorted_faces: int) -> None:
        with self._keeping_selection():
            self.people.set_people(people, unsorted_faces)

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
                if item is not self.currentItem() or not item.isSelected():
                    self.setCurrentItem(item)  # else: keep the other selected albums (to merge them)
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
        elif source is not None and source.kind == PERSON:
            self.people.fill_menu(menu, source, self.selected_sources())
        elif source is not None and source.kind == "folder":
            menu.addAction("Rescan folders", self.rescanRequested.emit)
            menu.addAction("Folder moved? Relocate…", lambda: self.relocateFolderRequested.emit(source.title))
            menu.addAction("Remove folder from library…", lambda: self.removeFolderRequested.emit(source.title))
        menu.addAction("Add folder…", self.addFolderRequested.emit)
        menu.addAction("New album…", self.newAlbumRequested.emit)
        menu.addAction("Recompute albums", self.reclusterRequested.emit)
        menu.exec(self.viewport().mapToGlobal(pos))

    def _album_menu(self, menu: QMenu, source: Source) -> None:
        album_id = int(source.key)
        menu.addAction("Rename…", lambda: self.renameAlbumRequested.emit(album_id))
        selected = self.selected_album_ids()
        if album_id not in selected:
            selected = [album_id]
        merge = QAction(f"Merge {len(selected)} albums…" if len(selected) > 1 else "Merge: select two or more albums (Ctrl+click)", menu)
        merge.setEnabled(len(selected) > 1)
        merge.triggered.connect(lambda: self.mergeAlbumsRequested.emit(selected))
        menu.addAction(merge)
        hidden = self._album_items[album_id].parent() is self._hidden
        menu.addAction("Show album" if hidden else "Hide album", lambda: self.hideAlbumRequested.emit(album_id, not hidden))
        menu.addAction("Export to folder…", lambda: self.exportAlbumRequested.emit(album_id))
        menu.addSeparator()

    def selected_album_ids(self) -> list[int]:
        """Selected albums, the current one (last clicked) first: its name is the one offered."""
        current = self.currentItem()
        first = current.data(0, SOURCE_ROLE) if current is not None and current.isSelected() else None
        ids = [int(s.key) for s in self.selected_sources() if s.kind == "album"]
        if first is not None and first.kind == "album":
            ids.remove(int(first.key))
            ids.insert(0, int(first.key))
        return ids

    # ---- dropping photos from the grid onto an album -----------------------------------------

    def _drop_album(self, event: QDropEvent | QDragMoveEvent) -> int | None:
        item = self.itemAt(event.position().toPoint())
        source = item.data(0, SOURCE_ROLE) if item is not None else None
        if source is None or source.kind != "album" or not photo_ids_from_mime(event.mimeData()):
            return None
        return int(source.key)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if photo_ids_from_mime(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()  # files go on to the window: search by example

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if self._drop_album(event) is not None:
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        album_id = self._drop_album(event)
        if album_id is None:
            event.ignore()
            return
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()
        self.photosDropped.emit(album_id, photo_ids_from_mime(event.mimeData()))

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


def _show_offline(item: QTreeWidgetItem, folder: FolderRow) -> None:
    """An offline folder stays listed, greyed, with what it means and what to do."""
    item.setText(0, f"{item.text(0)}  · offline")
    item.setForeground(0, item.treeWidget().palette().brush(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text))
    where = f"\nIts drive seems to be at {folder.found_at} now: right-click, Relocate." if folder.found_at else ""
    item.setToolTip(
        0,
        f"{folder.path}\nOffline: the folder cannot be reached (unplugged drive, unmounted share, renamed folder).\n"
        f"Its {folder.photo_count:,} photos stay in the library with their albums and marks.{where}",
    )


def _square(pixmap: QPixmap, side: int) -> QPixmap:
    """Centre-crop to a square of ``side`` pixels (album covers)."""
    scaled = pixmap.scaled(side, side, Qt.AspectRatioMode.KeepAspectRatioByExpanding, Qt.TransformationMode.SmoothTransformation)
    x = (scaled.width() - side) // 2
    y = (scaled.height() - side) // 2
    return scaled.copy(x, y, side, side)
