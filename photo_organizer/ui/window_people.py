"""People in the window: the sidebar's People section, naming and merging people, and "Not
this person" on photos while a person is shown. Face crops are decoded off the GUI thread by a
``ThumbnailLoader`` over the face crop reader, which also caches them."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QInputDialog, QMessageBox, QToolButton

from photo_organizer.app.types import ALL_PHOTOS
from photo_organizer.errors import PhotoOrganizerError
from photo_organizer.ui import icons
from photo_organizer.ui.sidebar import ICON_SIDE
from photo_organizer.ui.sidebar_people import PERSON
from photo_organizer.ui.thumbnail_loader import ThumbnailLoader

FACE_CACHE_BYTES = 8 * 1024 * 1024


class WindowPeople:
    """Mixin of ``MainWindow``: people edits, then the sidebar (and the grid) refreshed."""

    def _build_people(self) -> None:
        self.face_loader = ThumbnailLoader(
            self.backend.open_face_crop_reader, side=ICON_SIDE * 2, workers=1, cache_bytes=FACE_CACHE_BYTES, parent=self
        )
        self.face_loader.ready.connect(self._on_face_ready)
        self.sidebar.people.renameRequested.connect(self.rename_person)
        self.sidebar.people.mergeRequested.connect(self.merge_people)
        # The person filter chip: searches made while a person is shown find only their photos.
        self.person_chip = QToolButton()
        self.person_chip.setIcon(icons.icon("person"))
        self.person_chip.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.person_chip.setAutoRaise(False)
        self.person_chip.setToolTip("Searches find only photos of this person; click to search everyone")
        self.person_chip.clicked.connect(self.remove_person_filter)
        self.person_chip.hide()
        self.search_bar.layout().insertWidget(0, self.person_chip)
        self.search.results.connect(lambda _contents: self._update_person_chip())
        # queued: after the window has switched to the selected source
        self.sidebar.sourceSelected.connect(lambda _source: self._update_person_chip(), Qt.ConnectionType.QueuedConnection)

    def _update_person_chip(self) -> None:
        query = self.search.query if self.search.active else None
        scope = query.scope if query is not None else self._source
        is_person = scope is not None and scope.kind == PERSON
        self.person_chip.setVisible(is_person)
        if is_person:
            self.person_chip.setText(f"{scope.title}  ✕")

    def remove_person_filter(self) -> None:
        """Search everyone again (the same query), or show all photos when not searching."""
        query = self.search.query if self.search.active else None
        self._source = ALL_PHOTOS
        if query is not None:
            self.run_search(replace(query, scope=None))
        else:
            self.show_source(ALL_PHOTOS)
        self._update_person_chip()

    def refresh_people(self) -> None:
        """The People section from the library; crops already loaded are shown at once."""
        try:
            people, unsorted = self.backend.people(), self.backend.unsorted_face_count()
        except PhotoOrganizerError as error:
            self.show_error("People cannot be read", str(error))
            return
        self.sidebar.set_people(people, unsorted)
        for face_id in self.sidebar.people.face_ids():
            self._on_face_ready(face_id)

    def _on_face_ready(self, face_id: int) -> None:
        pixmap = self.face_loader.pixmap(face_id)  # asks the workers when not loaded yet
        if pixmap is not None:
            self.sidebar.people.set_face(face_id, pixmap)

    def rename_person(self, person_id: int) -> None:
        person = self.sidebar.people.person(person_id)
        current = person.name if person is not None and person.named else ""
        name, ok = QInputDialog.getText(self, "Name this person", "Name:", text=current)
        if ok:
            self._try(lambda: self.backend.rename_person(person_id, name))
            self._after_people_edit()

    def merge_people(self, person_ids: list[int]) -> None:
        names = ", ".join(self.sidebar.people.person_name(p) for p in person_ids)
        answer = QMessageBox.question(self, "Merge people", f"These are the same person?\n{names}")
        if answer == QMessageBox.StandardButton.Yes:
            self._try(lambda: self.backend.merge_people(person_ids))
            self._after_people_edit()

    def not_this_person(self) -> None:
        """The selected photos' faces of the shown person leave that person for good."""
        if self._source.kind != PERSON or self._source.key is None:
            return
        person_id = int(self._source.key)
        removed = self._try(lambda: self.backend.reject_person_in_photos(person_id, self.grid.selected_photo_ids()))
        if removed:
            self.statusBar().showMessage(
                f"{removed} face(s) taken out of {self._source.title}; they will not be put back.", 8000
            )
        self._after_people_edit()

    def _after_people_edit(self) -> None:
        self.refresh_sidebar()
        if self._source.kind == PERSON and not self.search.active:
            source = self.sidebar.people.source(int(self._source.key or 0))
            # the entry carries the new name; a person merged away leaves all photos shown
            self.show_source(source or ALL_PHOTOS, keep_position=source is not None)
        self._update_person_chip()
