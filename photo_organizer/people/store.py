"""The people of a library as objects: faces, people, names and corrections.

The rows live in ``photo_organizer.storage.people`` (``face_scans``, ``faces``, ``people``,
``person_rejections``; see the migration in ``storage.schema``). A face belongs to at most one
person, with ``source`` ``auto`` (placed by clustering) or ``confirmed`` (placed by the user, e.g.
by merging two people; re-clustering keeps it). "Not this person" is a rejection: the face never
joins that person again. Ids of people and faces are never reused, so an id in a script cannot
come to mean someone else.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from photo_organizer.errors import LibraryError
from photo_organizer.storage import Library, path_from_db
from photo_organizer.storage.people import SOURCE_AUTO, SOURCE_CONFIRMED

__all__ = ["SOURCE_AUTO", "SOURCE_CONFIRMED"]

DESCRIPTOR_DTYPE = np.float32
WATERMARK_SETTING = "people.last_face_id"  # faces up to this id were seen by the grouping step
CLUSTERED_SETTING = "people.clustered_at"  # time of the last full clustering


@dataclass(frozen=True)
class FoundFace:
    box: tuple[float, float, float, float]  # left, top, right, bottom in 0..1 of the upright photo
    descriptor: np.ndarray  # 128 float32


@dataclass(frozen=True)
class PhotoScan:
    photo_id: int
    faces: list[FoundFace]
    error: str | None = None  # the photo could not be decoded


@dataclass(frozen=True)
class Person:
    id: int
    name: str | None
    face_count: int
    photo_ids: list[int]
    cover_face_id: int | None = None  # the face shown for the person: its largest (of the photo)

    @property
    def display_name(self) -> str:
        return self.name or f"Person {self.id}"

    def as_json(self) -> dict:
        return {
            "id": self.id, "name": self.name, "faces": self.face_count, "photo_ids": self.photo_ids,
            "cover_face_id": self.cover_face_id,
        }


@dataclass(frozen=True)
class FaceRecord:
    id: int
    photo_id: int
    path: str
    box: tuple[float, float, float, float]
    person_id: int | None
    source: str | None

    def as_json(self) -> dict:
        return {
            "face_id": self.id, "photo_id": self.photo_id, "path": self.path,
            "box": list(self.box), "person_id": self.person_id, "source": self.source,
        }


@dataclass
class FaceTable:
    """Faces of live photos as arrays, in ascending face id."""

    ids: np.ndarray  # int64
    person_ids: np.ndarray  # int64, 0 where unsorted
    confirmed: np.ndarray  # bool
    descriptors: np.ndarray  # (n, 128) float32

    def __len__(self) -> int:
        return len(self.ids)


# ---- the faces pass ---------------------------------------------------------------------------


def pending_photo_count(library: Library) -> int:
    return library.face_scan_pending_count()


def pending_photo_ids(library: Library) -> list[int]:
    return library.face_scan_pending_ids()


def save_scans(library: Library, scans: Sequence[PhotoScan], detector: str) -> None:
    """One transaction: a re-scanned photo's old faces go (with their rejections), new ones come."""
    library.save_face_scans(
        [
            (scan.photo_id, scan.error,
             [(face.box, np.asarray(face.descriptor, DESCRIPTOR_DTYPE).tobytes()) for face in scan.faces])
            for scan in scans
        ],
        detector,
    )


def scan_counts(library: Library) -> dict[str, int]:
    """Photos scanned, faces found, and photos that could not be decoded (live photos only)."""
    return library.face_scan_counts()


# ---- faces -----------------------------------------------------------------------------------


def face_table(library: Library, after_id: int = 0, unsorted_only: bool = False) -> FaceTable:
    """Live faces with id > ``after_id`` (optionally only those in no person)."""
    rows = library.face_descriptor_rows(after_id, unsorted_only)
    descriptors = (
        np.frombuffer(b"".join(r["descriptor"] for r in rows), dtype=DESCRIPTOR_DTYPE).reshape(len(rows), -1)
        if rows
        else np.zeros((0, 128), dtype=DESCRIPTOR_DTYPE)
    )
    return FaceTable(
        ids=np.array([r["id"] for r in rows], dtype=np.int64),
        person_ids=np.array([r["person_id"] or 0 for r in rows], dtype=np.int64),
        confirmed=np.array([r["source"] == SOURCE_CONFIRMED for r in rows], dtype=bool),
        descriptors=descriptors,
    )


def _face_record(row: Mapping[str, Any]) -> FaceRecord:
    return FaceRecord(
        id=int(row["id"]),
        photo_id=int(row["photo_id"]),
        path=path_from_db(row["path"]),
        box=(row["box_left"], row["box_top"], row["box_right"], row["box_bottom"]),
        person_id=row["person_id"],
        source=row["source"],
    )


def get_face(library: Library, face_id: int) -> FaceRecord:
    row = library.face_row(face_id)
    if row is None:
        raise LibraryError(f"There is no face with id {face_id}. See `photo-organizer people show ID`.")
    return _face_record(row)


def faces_of_person(library: Library, person_id: int) -> list[FaceRecord]:
    return [_face_record(row) for row in library.face_rows_of_person(person_id)]


def faces_of_photo(library: Library, photo_id: int) -> list[FaceRecord]:
    return [_face_record(row) for row in library.face_rows_of_photo(photo_id)]


def unsorted_face_count(library: Library) -> int:
    return library.unsorted_face_count()


def max_face_id(library: Library) -> int:
    return library.max_face_id()


# ---- people ----------------------------------------------------------------------------------


def list_people(library: Library) -> list[Person]:
    """People with at least one face in a live photo, or a name; most faces first."""
    summaries = library.person_face_summaries()
    people = []
    for row in library.person_rows():
        found = summaries.get(row["id"])
        if found is None and row["name"] is None:
            continue
        photo_ids = sorted(int(p) for p in found["photos"].split(",")) if found else []
        people.append(Person(row["id"], row["name"], int(found["faces"]) if found else 0, photo_ids,
                             found["cover"] if found else None))
    return sorted(people, key=lambda person: (-person.face_count, person.id))


def get_person(library: Library, person_id: int) -> Person:
    for person in list_people(library):
        if person.id == person_id:
            return person
    require_person(library, person_id)
    return Person(person_id, None, 0, [])


def require_person(library: Library, person_id: int) -> None:
    if not library.person_exists(person_id):
        raise LibraryError(f"There is no person with id {person_id}. See `photo-organizer people`.")


def named_people(library: Library) -> set[int]:
    return library.named_people()


def rejections(library: Library) -> dict[int, set[int]]:
    """Person id -> the faces the user said are not that person."""
    return library.person_rejections()


def rename_person(library: Library, person_id: int, name: str | None) -> None:
    require_person(library, person_id)
    library.set_person_name(person_id, name)


def merge_people(library: Library, target_id: int, other_ids: Iterable[int]) -> None:
    """The others' faces become confirmed faces of ``target_id`` (re-clustering keeps them there);
    the others are deleted, their rejections carry over; the target keeps its name, else takes
    the first other name."""
    others = [int(i) for i in other_ids if int(i) != target_id]
    for person_id in [target_id, *others]:
        require_person(library, person_id)
    library.merge_people_rows(target_id, others)


def reject_face(library: Library, person_id: int, face_id: int) -> None:
    """"Not this person": the face leaves the person (unsorted) and never comes back to it."""
    require_person(library, person_id)
    get_face(library, face_id)
    library.reject_person_face(person_id, face_id)


def confirm_face(library: Library, person_id: int, face_id: int) -> None:
    """"This is that person": the face moves to the person for good (re-clustering keeps it)."""
    require_person(library, person_id)
    get_face(library, face_id)
    library.confirm_person_face(person_id, face_id)


def write_grouping(
    library: Library,
    assignment: Mapping[int, int | None],
    new_people: Sequence[Sequence[int]],
    dropped_people: Sequence[int] = (),
) -> list[int]:
    """Faces move to their (auto) person or to unsorted, new people are made from groups of face
    ids, people who lost every face and were never named go. Returns the new people's ids."""
    return library.write_people_grouping(assignment, new_people, dropped_people)
