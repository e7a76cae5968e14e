"""The people tables (``face_scans``, ``faces``, ``people``, ``person_rejections``); their meaning
is described in ``photo_organizer.people.store``, which turns these rows into objects.

Rows cascade with their photo (foreign keys are on), so deleting photos needs nothing here.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from photo_organizer.storage.database import OK, Database, iter_chunks, marks

SOURCE_AUTO = "auto"  # placed by clustering
SOURCE_CONFIRMED = "confirmed"  # placed by the user; re-clustering keeps it

_PENDING_SCAN = (
    "FROM photos p LEFT JOIN face_scans s ON s.photo_id = p.id WHERE p.state = ? "
    "AND (s.photo_id IS NULL OR s.fingerprint IS NOT p.fingerprint)"
)
_LIVE_FACES = "FROM faces f JOIN photos p ON p.id = f.photo_id WHERE p.state = ?"
_FACE_COLUMNS = "f.id, f.photo_id, p.path, f.box_left, f.box_top, f.box_right, f.box_bottom, f.person_id, f.source"

# (photo id, error or None, [(box, descriptor bytes), ...]) as the faces pass found it
ScanRow = tuple[int, str | None, Sequence[tuple[Sequence[float], bytes]]]


class PeopleStore(Database):
    # ---- the faces pass ----------------------------------------------------------------------

    def face_scan_pending_count(self) -> int:
        """Live photos the faces pass has not read (or read before their file changed)."""
        return int(self.query(f"SELECT COUNT(*) AS n {_PENDING_SCAN}", [OK])[0]["n"])

    def face_scan_pending_ids(self) -> list[int]:
        return [int(row["id"]) for row in self.query(f"SELECT p.id {_PENDING_SCAN} ORDER BY p.id", [OK])]

    def save_face_scans(self, scans: Sequence[ScanRow], detector: str) -> None:
        """One transaction: a re-scanned photo's old faces go (with their rejections), new ones
        come; a photo deleted from the library meanwhile is skipped."""
        now = time.time()
        fingerprints: dict[int, str | None] = {}
        for chunk in iter_chunks([scan[0] for scan in scans]):
            for row in self.query(f"SELECT id, fingerprint FROM photos WHERE id IN ({marks(chunk)})", list(chunk)):
                fingerprints[row["id"]] = row["fingerprint"]
        with self.transaction():
            for photo_id, error, faces in scans:
                if photo_id not in fingerprints:
                    continue
                self.execute("DELETE FROM faces WHERE photo_id = ?", [photo_id])
                self.execute(
                    "INSERT OR REPLACE INTO face_scans (photo_id, fingerprint, detector, faces, error, scanned_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    [photo_id, fingerprints[photo_id], detector, len(faces), error, now],
                )
                for box, descriptor in faces:
                    self.execute(
                        "INSERT INTO faces (photo_id, box_left, box_top, box_right, box_bottom, descriptor, "
                        "detector, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        [photo_id, *box, descriptor, detector, now],
                    )

    def face_scan_counts(self) -> dict[str, int]:
        """Photos scanned, faces found, and photos that could not be decoded (live photos only)."""
        row = self.query(
            "SELECT COUNT(*) AS scanned, COALESCE(SUM(s.faces), 0) AS faces, COUNT(s.error) AS failed "
            "FROM face_scans s JOIN photos p ON p.id = s.photo_id WHERE p.state = ?",
            [OK],
        )[0]
        return {name: int(row[name]) for name in ("scanned", "faces", "failed")}

    # ---- faces -------------------------------------------------------------------------------

    def face_descriptor_rows(self, after_id: int = 0, unsorted_only: bool = False) -> list[dict[str, Any]]:
        """id, person_id, source, descriptor of live faces with id > ``after_id``, by id."""
        sql = f"SELECT f.id, f.person_id, f.source, f.descriptor {_LIVE_FACES} AND f.id > ?"
        if unsorted_only:
            sql += " AND f.person_id IS NULL"
        return self.query(sql + " ORDER BY f.id", [OK, after_id])

    def face_row(self, face_id: int) -> dict[str, Any] | None:
        rows = self.query(f"SELECT {_FACE_COLUMNS} FROM faces f JOIN photos p ON p.id = f.photo_id WHERE f.id = ?", [face_id])
        return rows[0] if rows else None

    def face_rows_of_person(self, person_id: int) -> list[dict[str, Any]]:
        return self.query(
            f"SELECT {_FACE_COLUMNS} {_LIVE_FACES} AND f.person_id = ? ORDER BY f.photo_id, f.id", [OK, person_id]
        )

    def face_rows_of_photo(self, photo_id: int) -> list[dict[str, Any]]:
        return self.query(
            f"SELECT {_FACE_COLUMNS} FROM faces f JOIN photos p ON p.id = f.photo_id WHERE f.photo_id = ? ORDER BY f.id",
            [photo_id],
        )

    def unsorted_face_count(self) -> int:
        return int(self.query(f"SELECT COUNT(*) AS n {_LIVE_FACES} AND f.person_id IS NULL", [OK])[0]["n"])

    def unsorted_face_photo_ids(self) -> list[int]:
        """Live photos with a face in no person, by id."""
        rows = self.query(f"SELECT DISTINCT f.photo_id {_LIVE_FACES} AND f.person_id IS NULL ORDER BY f.photo_id", [OK])
        return [int(row["photo_id"]) for row in rows]

    def max_face_id(self) -> int:
        return int(self.query("SELECT COALESCE(MAX(id), 0) AS n FROM faces")[0]["n"])

    # ---- people ------------------------------------------------------------------------------

    def person_rows(self) -> list[dict[str, Any]]:
        """id and name of every person, by id."""
        return self.query("SELECT id, name FROM people ORDER BY id")

    def person_face_summaries(self) -> dict[int, dict[str, Any]]:
        """person id -> faces (count), photos (comma-separated ids), cover (its largest face)."""
        rows = self.query(
            # SQLite fills the bare f.id from the row where MAX() found its value: the largest face
            "SELECT f.person_id, COUNT(*) AS faces, GROUP_CONCAT(DISTINCT f.photo_id) AS photos, f.id AS cover, "
            f"MAX((f.box_right - f.box_left) * (f.box_bottom - f.box_top)) AS area {_LIVE_FACES} "
            "AND f.person_id IS NOT NULL GROUP BY f.person_id",
            [OK],
        )
        return {int(row["person_id"]): row for row in rows}

    def person_exists(self, person_id: int) -> bool:
        return bool(self.query("SELECT 1 FROM people WHERE id = ?", [person_id]))

    def named_people(self) -> set[int]:
        return {int(row["id"]) for row in self.query("SELECT id FROM people WHERE name IS NOT NULL")}

    def person_rejections(self) -> dict[int, set[int]]:
        """Person id -> the faces the user said are not that person."""
        found: dict[int, set[int]] = {}
        for row in self.query("SELECT person_id, face_id FROM person_rejections"):
            found.setdefault(int(row["person_id"]), set()).add(int(row["face_id"]))
        return found

    def person_photo_ids(self, person_id: int) -> list[int]:
        """Live photos showing this person, by id."""
        return self.filtered_photo_ids(person_id=person_id)  # type: ignore[attr-defined]

    # ---- writing (each method is one transaction, or joins the caller's) ---------------------

    def set_person_name(self, person_id: int, name: str | None) -> None:
        with self.transaction():
            self.execute("UPDATE people SET name = ?, updated_at = ? WHERE id = ?", [name or None, time.time(), person_id])

    def merge_people_rows(self, target_id: int, others: Iterable[int]) -> None:
        """The others' faces become confirmed faces of ``target_id``; the others are deleted,
        their rejections carry over; the target keeps its name, else takes the first other's."""
        with self.transaction():
            for other in others:
                self.execute(
                    "UPDATE faces SET person_id = ?, source = ? WHERE person_id = ?", [target_id, SOURCE_CONFIRMED, other]
                )
                self.execute(
                    "INSERT OR IGNORE INTO person_rejections (person_id, face_id) "
                    "SELECT ?, face_id FROM person_rejections WHERE person_id = ?",
                    [target_id, other],
                )
                self.execute(
                    "UPDATE people SET name = (SELECT name FROM people WHERE id = ?) WHERE id = ? AND name IS NULL",
                    [other, target_id],
                )
                self.execute("DELETE FROM people WHERE id = ?", [other])
            self.execute("UPDATE people SET updated_at = ? WHERE id = ?", [time.time(), target_id])

    def reject_person_face(self, person_id: int, face_id: int) -> None:
        """The face leaves the person (unsorted) and is recorded as not that person."""
        with self.transaction():
            self.execute("INSERT OR IGNORE INTO person_rejections (person_id, face_id) VALUES (?, ?)", [person_id, face_id])
            self.execute(
                "UPDATE faces SET person_id = NULL, source = NULL WHERE id = ? AND person_id = ?", [face_id, person_id]
            )
            self.execute("UPDATE people SET updated_at = ? WHERE id = ?", [time.time(), person_id])

    def confirm_person_face(self, person_id: int, face_id: int) -> None:
        with self.transaction():
            self.execute("DELETE FROM person_rejections WHERE person_id = ? AND face_id = ?", [person_id, face_id])
            self.execute("UPDATE faces SET person_id = ?, source = ? WHERE id = ?", [person_id, SOURCE_CONFIRMED, face_id])

    def write_people_grouping(
        self,
        assignment: Mapping[int, int | None],
        new_people: Sequence[Sequence[int]],
        dropped_people: Sequence[int] = (),
    ) -> list[int]:
        """One transaction: faces move to their (auto) person or to unsorted, new people are
        made from groups of face ids, unnamed dropped people go. Confirmed faces never move
        here. Returns the new people's ids."""
        now = time.time()
        created = []
        with self.transaction():
            for face_id, person_id in assignment.items():
                self.execute(
                    "UPDATE faces SET person_id = ?, source = ? WHERE id = ? AND source IS NOT ?",
                    [person_id, SOURCE_AUTO if person_id else None, int(face_id), SOURCE_CONFIRMED],
                )
            for faces in new_people:
                cursor = self.execute("INSERT INTO people (created_at, updated_at) VALUES (?, ?)", [now, now])
                person_id = int(cursor.lastrowid or 0)
                created.append(person_id)
                for chunk in iter_chunks([int(i) for i in faces]):
                    self.execute(
                        f"UPDATE faces SET person_id = ?, source = ? WHERE id IN ({marks(chunk)}) AND source IS NOT ?",
                        [person_id, SOURCE_AUTO, *chunk, SOURCE_CONFIRMED],
                    )
            for person_id in dropped_people:
                self.execute("DELETE FROM people WHERE id = ? AND name IS NULL", [int(person_id)])
        return created
