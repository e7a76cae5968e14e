"""What the window does with people: list them, show a person's photos, name, merge, correct,
and the face crops of the sidebar. Qt-free; mixed into ``LibraryService``."""

from __future__ import annotations

from dataclasses import dataclass

from photo_organizer.app import listing
from photo_organizer.app.types import GridContents
from photo_organizer.context import AppContext

UNNAMED = "Unnamed person"


@dataclass(frozen=True)
class PersonInfo:
    person_id: int
    name: str  # the user's name, or "Unnamed person"
    named: bool
    face_count: int
    photo_count: int
    cover_face_id: int | None


class FaceCropReader:
    """Face crops as JPEG bytes, read by a worker thread (its own connection). Same shape as
    the thumbnail reader, so the window loads crops with the thumbnail loader."""

    def __init__(self, ctx: AppContext) -> None:
        self._library = ctx.new_library_connection()

    def read(self, face_id: int) -> bytes | None:
        from photo_organizer.errors import PhotoOrganizerError
        from photo_organizer.people.crops import face_crop_jpeg

        try:
            return face_crop_jpeg(self._library, face_id)
        except (OSError, PhotoOrganizerError):  # the photo is gone or unreadable: no crop
            return None

    def close(self) -> None:
        self._library.close()


class PeopleActions:
    """Mixin of ``LibraryService`` (which provides ``ctx``)."""

    ctx: AppContext

    def people(self) -> list[PersonInfo]:
        from photo_organizer.people import store

        return [
            PersonInfo(p.id, p.name or UNNAMED, bool(p.name), p.face_count, len(p.photo_ids), p.cover_face_id)
            for p in store.list_people(self.ctx.library)
        ]

    def unsorted_face_count(self) -> int:
        return self.ctx.library.unsorted_face_count()

    def person_contents(self, person_id: int, title: str) -> GridContents:
        return listing.photos_in_order(self.ctx.library, self.ctx.library.person_photo_ids(person_id), title)

    def unsorted_faces_contents(self, title: str) -> GridContents:
        return listing.photos_in_order(self.ctx.library, self.ctx.library.unsorted_face_photo_ids(), title)

    def rename_person(self, person_id: int, name: str) -> None:
        from photo_organizer.people import store

        store.rename_person(self.ctx.library, person_id, name.strip() or None)

    def merge_people(self, person_ids: list[int]) -> None:
        """Merge into the first person (whose name is kept)."""
        from photo_organizer.people import store

        store.merge_people(self.ctx.library, person_ids[0], person_ids[1:])

    def reject_person_in_photos(self, person_id: int, photo_ids: list[int]) -> int:
        """"Not this person" on photos: each photo's faces of that person leave it for good.
        Returns how many faces were taken out."""
        from photo_organizer.people import store

        chosen = set(photo_ids)
        faces = [face for face in store.faces_of_person(self.ctx.library, person_id) if face.photo_id in chosen]
        with self.ctx.library.transaction():
            for face in faces:
                store.reject_face(self.ctx.library, person_id, face.id)
        return len(faces)

    def open_face_crop_reader(self) -> FaceCropReader:
        return FaceCropReader(self.ctx)
