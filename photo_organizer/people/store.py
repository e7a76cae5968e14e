"""Reading and writing the people tables: all of the feature's SQL.

``face_scans``: one row per photo the faces pass has read, with the photo's fingerprint at that
time (a changed file is scanned again), the detector, the number of faces found (0 too, so a
photo without faces is not re-scanned) and the reason when the photo could not be decoded.
``faces``: one row per face: photo, box in the upright photo normalised to 0..1
(``box_left, box_top, box_right, box_bottom``), the 128-d dlib descriptor (float32 blob), the
detector, and its person with ``source``: ``auto`` (placed by clustering) or ``confirmed``
(placed by the user, e.g. by merging two people; re-clustering keeps it).
``people``: id and the user's name (NULL until named). Ids of people and faces are never reused
(AUTOINCREMENT), so an id in a script cannot come to mean someone else.
``person_rejections``: "not this person": the face never joins that person again.

Rows cascade with their photo, so ``Library.delete_photos`` needs no change.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import sqlite_utils

from photo_organizer.errors import LibraryError
from photo_organizer.storage import OK, SQL_VARIABLES_PER_QUERY, Library, iter_chunks, path_from_db

SOURCE_AUTO = "auto"
SOURCE_CONFIRMED = "confirmed"
DESCRIPTOR_DTYPE = np.float32
WATERMARK_SETTING = "people.last_face_id"  # faces up to this id were seen by the grouping step
CLUSTERED_SETTING = "people.clustered_at"  # time of the last full clustering


def people_migration(db: sqlite_utils.Database) -> None:
    """Tables of the people feature (faces, people, rejections, and which photos were scanned)."""
    db.execute(
        "CREATE TABLE face_scans (photo_id INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE, "
        "fingerprint TEXT, detector TEXT, faces INTEGER NOT NULL, error TEXT, scanned_at REAL)"
    )
    db.execute("CREATE TABLE people (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT, created_at REAL, updated_at REAL)")
    db.execute(
        "CREATE TABLE faces (id INTEGER PRIMARY KEY AUTOINCREMENT, "
        "photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE, "
        "box_left REAL, box_top REAL, box_right REAL, box_bottom REAL, descriptor BLOB NOT NULL, "
        "detector TEXT NOT NULL, person_id INTEGER REFERENCES people(id) ON DELETE SET NULL, "
        "source TEXT, created_at REAL)"
    )
    db.execute("CREATE INDEX faces_photo ON faces (photo_id)")
    db.execute("CREATE INDEX faces_person ON faces (person_id)")
    db.execute(
        "CREATE TABLE person_rejections (person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE, "
        "face_id INTEGER NOT NULL REFERENCES faces(id) ON DELETE CASCADE, PRIMARY KEY (person_id, face_id))"
    )


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

_PENDING_SQL = (
    "FROM photos p LEFT JOIN face_scans s ON s.photo_id = p.id WHERE p.state = ? "
    "AND (s.photo_id IS NULL OR s.fingerprint IS NOT p.fingerprint)"
)


def pending_photo_count(library: Library) -> int:
    return int(library.query(f"SELECT COUNT(*) AS n {_PENDING_SQL}", [OK])[0]["n"])


def pending_photo_ids(library: Library) -> list[int]:
    return [row["id"] for row in library.query(f"SELECT p.id {_PENDING_SQL} ORDER BY p.id", [OK])]


def save_scans(library: Library, scans: Sequence[PhotoScan], detector: str) -> None:
    """One transaction: a re-scanned photo's old faces go (with their rejections), new ones come."""
    now = time.time()
    ids = [scan.photo_id for scan in scans]
    fingerprints = {}
    for chunk in iter_chunks(ids, SQL_VARIABLES_PER_QUERY):
        marks = ",".join("?" * len(chunk))
        for row in library.query(f"SELECT id, fingerprint FROM photos WHERE id IN ({marks})", list(chunk)):
            fingerprints[row["id"]] = row["fingerprint"]
    with library.db.conn:
        for scan in scans:
            if scan.photo_id not in fingerprints:
                continue  # deleted from the library meanwhile
            library.db.execute("DELETE FROM faces WHERE photo_id = ?", [scan.photo_id])
            library.db.execute(
                "INSERT OR REPLACE INTO face_scans (photo_id, fingerprint, detector, faces, error, scanned_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [scan.photo_id, fingerprints[scan.photo_id], detector, len(scan.faces), scan.error, now],
            )
            for face in scan.faces:
                library.db.execute(
                    "INSERT INTO faces (photo_id, box_left, box_top, box_right, box_bottom, descriptor, detector, "
                    "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [scan.photo_id, *face.box, np.asarray(face.descriptor, DESCRIPTOR_DTYPE).tobytes(), detector, now],
                )


def scan_counts(library: Library) -> dict[str, int]:
    """Photos scanned, faces found, and photos that could not be decoded (live photos only)."""
    row = library.query(
        "SELECT COUNT(*) AS scanned, COALESCE(SUM(s.faces), 0) AS faces, COUNT(s.error) AS failed "
        "FROM face_scans s JOIN photos p ON p.id = s.photo_id WHERE p.state = ?",
        [OK],
    )[0]
    return {name: int(row[name]) for name in ("scanned", "faces", "failed")}


# ---- faces -----------------------------------------------------------------------------------

_LIVE_FACES = "FROM faces f JOIN photos p ON p.id = f.photo_id WHERE p.state = ?"


def face_table(library: Library, after_id: int = 0, unsorted_only: bool = False) -> FaceTable:
    """Live faces with id > ``after_id`` (optionally only those in no person)."""
    sql = f"SELECT f.id, f.person_id, f.source, f.descriptor {_LIVE_FACES} AND f.id > ?"
    if unsorted_only:
        sql += " AND f.person_id IS NULL"
    rows = library.query(sql + " ORDER BY f.id", [OK, after_id])
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


def _face_record(row: Mapping) -> FaceRecord:
    return FaceRecord(
        id=int(row["id"]),
        photo_id=int(row["photo_id"]),
        path=path_from_db(row["path"]),
        box=(row["box_left"], row["box_top"], row["box_right"], row["box_bottom"]),
        person_id=row["person_id"],
        source=row["source"],
    )


_FACE_COLUMNS = "f.id, f.photo_id, p.path, f.box_left, f.box_top, f.box_right, f.box_bottom, f.person_id, f.source"


def get_face(library: Library, face_id: int) -> FaceRecord:
    rows = library.query(f"SELECT {_FACE_COLUMNS} FROM faces f JOIN photos p ON p.id = f.photo_id WHERE f.id = ?", [face_id])
    if not rows:
        raise LibraryError(f"There is no face with id {face_id}. See `photo-organizer people show ID`.")
    return _face_record(rows[0])


def faces_of_person(library: Library, person_id: int) -> list[FaceRecord]:
    rows = library.query(f"SELECT {_FACE_COLUMNS} {_LIVE_FACES} AND f.person_id = ? ORDER BY f.photo_id, f.id", [OK, person_id])
    return [_face_record(row) for row in rows]


def faces_of_photo(library: Library, photo_id: int) -> list[FaceRecord]:
    rows = library.query(f"SELECT {_FACE_COLUMNS} FROM faces f JOIN photos p ON p.id = f.photo_id WHERE f.photo_id = ? ORDER BY f.id", [photo_id])
    return [_face_record(row) for row in rows]


def unsorted_face_count(library: Library) -> int:
    return int(library.query(f"SELECT COUNT(*) AS n {_LIVE_FACES} AND f.person_id IS NULL", [OK])[0]["n"])


def max_face_id(library: Library) -> int:
    return int(library.query("SELECT COALESCE(MAX(id), 0) AS n FROM faces")[0]["n"])


# ---- people ----------------------------------------------------------------------------------


def list_people(library: Library) -> list[Person]:
    """People with at least one face in a live photo, or a name; most faces first."""
    counts = {
        row["person_id"]: row
        for row in library.query(
            # SQLite fills the bare f.id from the row where MAX() found its value: the largest face
            f"SELECT f.person_id, COUNT(*) AS faces, GROUP_CONCAT(DISTINCT f.photo_id) AS photos, f.id AS cover, "
            f"MAX((f.box_right - f.box_left) * (f.box_bottom - f.box_top)) AS area {_LIVE_FACES} "
            "AND f.person_id IS NOT NULL GROUP BY f.person_id",
            [OK],
        )
    }
    people = []
    for row in library.query("SELECT id, name FROM people ORDER BY id"):
        found = counts.get(row["id"])
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
    rows = library.query("SELECT id, name FROM people WHERE id = ?", [person_id])
    if not rows:
        raise LibraryError(f"There is no person with id {person_id}. See `photo-organizer people`.")
    return Person(rows[0]["id"], rows[0]["name"], 0, [])


def require_person(library: Library, person_id: int) -> None:
    if not library.query("SELECT 1 FROM people WHERE id = ?", [person_id]):
        raise LibraryError(f"There is no person with id {person_id}. See `photo-organizer people`.")


def named_people(library: Library) -> set[int]:
    return {row["id"] for row in library.query("SELECT id FROM people WHERE name IS NOT NULL")}


def rejections(library: Library) -> dict[int, set[int]]:
    """Person id -> the faces the user said are not that person."""
    found: dict[int, set[int]] = {}
    for row in library.query("SELECT person_id, face_id FROM person_rejections"):
        found.setdefault(row["person_id"], set()).add(row["face_id"])
    return found


def rename_person(library: Library, person_id: int, name: str | None) -> None:
    require_person(library, person_id)
    with library.db.conn:
        library.db.execute("UPDATE people SET name = ?, updated_at = ? WHERE id = ?", [name or None, time.time(), person_id])


def merge_people(library: Library, target_id: int, other_ids: Iterable[int]) -> None:
    """The others' faces become confirmed faces of ``target_id`` (re-clustering keeps them there);
    the others are deleted, their rejections carry over; the target keeps its name, else takes
    the first other name."""
    others = [int(i) for i in other_ids if int(i) != target_id]
    for person_id in [target_id, *others]:
        require_person(library, person_id)
    now = time.time()
    with library.db.conn:
        for other in others:
            library.db.execute(
                "UPDATE faces SET person_id = ?, source = ? WHERE person_id = ?", [target_id, SOURCE_CONFIRMED, other]
            )
            library.db.execute(
                "INSERT OR IGNORE INTO person_rejections (person_id, face_id) "
                "SELECT ?, face_id FROM person_rejections WHERE person_id = ?",
                [target_id, other],
            )
            library.db.execute(
                "UPDATE people SET name = (SELECT name FROM people WHERE id = ?) WHERE id = ? AND name IS NULL",
                [other, target_id],
            )
            library.db.execute("DELETE FROM people WHERE id = ?", [other])
        library.db.execute("UPDATE people SET updated_at = ? WHERE id = ?", [now, target_id])


def reject_face(library: Library, person_id: int, face_id: int) -> None:
    """"Not this person": the face leaves the person (unsorted) and never comes back to it."""
    require_person(library, person_id)
    get_face(library, face_id)
    with library.db.conn:
        library.db.execute(
            "INSERT OR IGNORE INTO person_rejections (person_id, face_id) VALUES (?, ?)", [person_id, face_id]
        )
        library.db.execute(
            "UPDATE faces SET person_id = NULL, source = NULL WHERE id = ? AND person_id = ?", [face_id, person_id]
        )
        library.db.execute("UPDATE people SET updated_at = ? WHERE id = ?", [time.time(), person_id])


def confirm_face(library: Library, person_id: int, face_id: int) -> None:
    """"This is that person": the face moves to the person for good (re-clustering keeps it)."""
    require_person(library, person_id)
    get_face(library, face_id)
    with library.db.conn:
        library.db.execute("DELETE FROM person_rejections WHERE person_id = ? AND face_id = ?", [person_id, face_id])
        library.db.execute(
            "UPDATE faces SET person_id = ?, source = ? WHERE id = ?", [person_id, SOURCE_CONFIRMED, face_id]
        )


def write_grouping(
    library: Library,
    assignment: Mapping[int, int | None],
    new_people: Sequence[Sequence[int]],
    dropped_people: Sequence[int] = (),
) -> list[int]:
    """One transaction: faces move to their (auto) person or to unsorted, new people are made
    from groups of face ids, people who lost every face and were never touched go. Confirmed
    faces are never moved here. Returns the new people's ids."""
    now = time.time()
    created = []
    with library.db.conn:
        for face_id, person_id in assignment.items():
            library.db.execute(
                "UPDATE faces SET person_id = ?, source = ? WHERE id = ? AND source IS NOT ?",
                [person_id, SOURCE_AUTO if person_id else None, int(face_id), SOURCE_CONFIRMED],
            )
        for faces in new_people:
            cursor = library.db.execute("INSERT INTO people (created_at, updated_at) VALUES (?, ?)", [now, now])
            person_id = int(cursor.lastrowid)
            created.append(person_id)
            for chunk in iter_chunks([int(i) for i in faces], SQL_VARIABLES_PER_QUERY):
                marks = ",".join("?" * len(chunk))
                library.db.execute(
                    f"UPDATE faces SET person_id = ?, source = ? WHERE id IN ({marks}) AND source IS NOT ?",
                    [person_id, SOURCE_AUTO, *chunk, SOURCE_CONFIRMED],
                )
        for person_id in dropped_people:
            library.db.execute("DELETE FROM people WHERE id = ? AND name IS NULL", [int(person_id)])
    return created


def person_filter_sql(library: Library, person_id: int) -> tuple[str, list[int]]:
    """A WHERE clause on ``photos p`` (search filters): photos showing this person."""
    require_person(library, person_id)
    return "EXISTS (SELECT 1 FROM faces pf WHERE pf.photo_id = p.id AND pf.person_id = ?)", [person_id]
