"""The sidebar's People section: one entry per person (face crop, name or "Unnamed person",
face count) and the unsorted faces. Rename by double-click or the context menu; select several
people to merge them. Crops come from the window's face crop loader."""

from __future__ import annotations

from PySide6.QtCore import QObject, QSize, Qt, Signal
from PySide6.QtGui import QAction, QIcon, QPixmap
from PySide6.QtWidgets import QMenu, QTreeWidget, QTreeWidgetItem

from photo_organizer.app.people import PersonInfo
from photo_organizer.app.types import UNSORTED_FACES, Source
from photo_organizer.ui import icons

PERSON = "person"
FACE_ROLE = Qt.ItemDataRole.UserRole + 3


class PeopleSection(QObject):
    renameRequested = Signal(int)  # person id
    mergeRequested = Signal(list)  # person ids, the first keeps its name

    def __init__(self, tree: QTreeWidget, section: QTreeWidgetItem, source_role: int, icon_side: int) -> None:
        super().__init__(tree)
        self._tree = tree
        self._section = section
        self._source_role = source_role
        self._icon_side = icon_side
        self._items: dict[int, QTreeWidgetItem] = {}
        self._people: dict[int, PersonInfo] = {}
        self._unsorted: QTreeWidgetItem | None = None
        section.setHidden(True)
        tree.itemDoubleClicked.connect(self._on_double_click)

    def set_people(self, people: list[PersonInfo], unsorted_faces: int) -> None:
        """Rebuild the entries (the caller keeps the selection)."""
        self._section.takeChildren()
        self._items.clear()
        self._people = {person.person_id: person for person in people}
        for person in people:
            source = Source(PERSON, person.person_id, person.name)
            item = QTreeWidgetItem(self._section, [f"{person.name}  ({person.face_count:,})"])
            item.setData(0, self._source_role, source)
            item.setData(0, FACE_ROLE, person.cover_face_id)
            item.setIcon(0, icons.icon("person"))
            item.setToolTip(0, f"{person.name}\n{person.face_count:,} faces in {person.photo_count:,} photos"
                               + ("" if person.named else "\nDouble-click to name"))
            item.setSizeHint(0, QSize(0, self._icon_side + 6))
            self._items[person.person_id] = item
        self._unsorted = None
        if unsorted_faces:
            self._unsorted = QTreeWidgetItem(self._section, [f"{UNSORTED_FACES.title}  ({unsorted_faces:,})"])
            self._unsorted.setData(0, self._source_role, UNSORTED_FACES)
            self._unsorted.setIcon(0, icons.icon("photos"))
            self._unsorted.setToolTip(0, "Photos with a face that belongs to no person yet")
        self._section.setHidden(not people and not unsorted_faces)

    def face_ids(self) -> list[int]:
        return [face for item in self._items.values() if (face := item.data(0, FACE_ROLE)) is not None]

    def set_face(self, face_id: int, pixmap: QPixmap) -> None:
        """Show a loaded face crop on the person it stands for."""
        side = self._icon_side * max(1, int(self._tree.devicePixelRatioF()))
        scaled = pixmap.scaled(side, side, Qt.AspectRatioMode.KeepAspectRatioByExpanding,
                               Qt.TransformationMode.SmoothTransformation)
        for item in self._items.values():
            if item.data(0, FACE_ROLE) == face_id:
                item.setIcon(0, QIcon(scaled))

    def person(self, person_id: int) -> PersonInfo | None:
        return self._people.get(person_id)

    def person_name(self, person_id: int) -> str:
        person = self._people.get(person_id)
        return person.name if person else str(person_id)

    def source(self, person_id: int) -> Source | None:
        item = self._items.get(person_id)
        return item.data(0, self._source_role) if item else None

    def fill_menu(self, menu: QMenu, source: Source, selected: list[Source]) -> None:
        person_id = int(source.key or 0)
        menu.addAction("Name…", lambda: self.renameRequested.emit(person_id))
        chosen = [int(s.key or 0) for s in selected if s.kind == PERSON]
        if person_id in chosen:  # the clicked person first: it keeps its name
            chosen.remove(person_id)
        chosen.insert(0, person_id)
        merge = QAction(f"Merge {len(chosen)} people", menu)
        merge.setEnabled(len(chosen) > 1)
        merge.triggered.connect(lambda: self.mergeRequested.emit(chosen))
        menu.addAction(merge)
        menu.addSeparator()

    def _on_double_click(self, item: QTreeWidgetItem, _column: int) -> None:
        source = item.data(0, self._source_role)
        if source is not None and source.kind == PERSON:
            self.renameRequested.emit(int(source.key))
