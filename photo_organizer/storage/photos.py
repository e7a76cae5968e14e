"""The ``photos`` table: one row per file, its metadata and its state."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from photo_organizer.errors import LibraryError
from photo_organizer.storage.curation import curation_filter_clauses
from photo_organizer.storage.database import (
    ERROR,
    OK,
    ONLINE,
    PENDING,
    PHOTO_DATE_SQL,
    REMOVED,
    SQL_VARIABLES_PER_QUERY,
    Database,
    iter_chunks,
    marks,
    path_from_db,
    path_to_db,
)
from photo_organizer.storage.timeline import EVENT_CLAUSE, place_clause

# Rows keyed by a photo, deleted with it.
PHOTO_KEYED_TABLES = (  # faces and face scans go by ON DELETE CASCADE
    "embeddings", "album_members", "album_exclusions", "feedback", "curation", "photo_keywords", "xmp_reads",
    "stack_members", "stack_seen", "shot_quality", "taught_examples",
)

# Newest first by the photo's date; ties (same second) by id.
_NEWEST_FIRST = f"{PHOTO_DATE_SQL} DESC, p.id DESC"


@dataclass(frozen=True)
class PhotoRecord:
    id: int
    path: str
    root_id: int | None
    size: int | None
    mtime: float | None
    fingerprint: str | None
    width: int | None
    height: int | None
    taken_at: str | None
    orientation: int | None
    camera: str | None
    gps_lat: float | None
    gps_lon: float | None
    state: str
    error: str | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> "PhotoRecord":
        return cls(**{name: row.get(name) for name in cls.__dataclass_fields__})


class PhotosStore(Database):
    # ---- reading ---------------------------------------------------------------------------

    def photo(self, photo_id: int) -> PhotoRecord:
        rows = self.query("SELECT * FROM photos WHERE id = ?", [photo_id])
        if not rows:
            raise LibraryError(f"There is no photo with id {photo_id} in the library.")
        return PhotoRecord.from_row(rows[0])

    def photos(self, ids: Iterable[int]) -> list[PhotoRecord]:
        wanted = list(ids)
        by_id: dict[int, PhotoRecord] = {}
        for chunk in iter_chunks(wanted):
            for row in self.query(f"SELECT * FROM photos WHERE id IN ({marks(chunk)})", chunk):
                by_id[row["id"]] = PhotoRecord.from_row(row)
        return [by_id[i] for i in wanted if i in by_id]

    def photo_by_path(self, path: Any) -> PhotoRecord | None:
        rows = self.query("SELECT * FROM photos WHERE path = ?", [path_to_db(str(path))])
        return PhotoRecord.from_row(rows[0]) if rows else None

    def fingerprint_of(self, photo_id: int) -> str | None:
        """The photo's content fingerprint; None for an unknown photo or unread content."""
        row = self.execute("SELECT fingerprint FROM photos WHERE id = ?", [photo_id]).fetchone()
        return row[0] if row else None

    def photo_exists(self, photo_id: int) -> bool:
        return bool(self.query("SELECT 1 FROM photos WHERE id = ?", [photo_id]))

    def has_live_photos(self) -> bool:
        return bool(self.query("SELECT 1 FROM photos WHERE state = ? LIMIT 1", [OK]))

    def photo_ids(self, state: str = OK) -> list[int]:
        return [r["id"] for r in self.query("SELECT id FROM photos WHERE state = ? ORDER BY id", [state])]

    def live_photo_paths(self) -> list[tuple[int, str]]:
        """(id, path) of every live photo, by id."""
        rows = self.query("SELECT id, path FROM photos WHERE state = ? ORDER BY id", [OK])
        return [(int(r["id"]), path_from_db(r["path"])) for r in rows]

    def count_by_state(self) -> dict[str, int]:
        rows = self.query("SELECT state, COUNT(*) AS n FROM photos GROUP BY state")
        return {r["state"]: r["n"] for r in rows}

    def failed_photos(self) -> list[dict[str, Any]]:
        return self.query("SELECT id, path, error FROM photos WHERE state = ? ORDER BY path", [ERROR])

    def retry_failed_photos(self, photo_ids: Sequence[int] | None = None) -> int:
        """Files that could not be read go back to pending (all, or these); the next index reads
        them again. Returns how many."""
        now = time.time()
        if photo_ids is None:
            with self.transaction():
                return self.execute(
                    "UPDATE photos SET state = ?, error = NULL, updated_at = ? WHERE state = ?", [PENDING, now, ERROR]
                ).rowcount
        count = 0
        with self.transaction():
            for chunk in iter_chunks(list(photo_ids), SQL_VARIABLES_PER_QUERY - 3):
                count += self.execute(
                    f"UPDATE photos SET state = ?, error = NULL, updated_at = ? WHERE state = ? AND id IN ({marks(chunk)})",
                    [PENDING, now, ERROR, *chunk],
                ).rowcount
        return count

    def photos_newest_first(self, root_id: int | None = None) -> list[int]:
        """Live photo ids, newest first by the photo date; only one root's when given."""
        if root_id is None:
            rows = self.execute(f"SELECT p.id FROM photos p WHERE p.state = ? ORDER BY {_NEWEST_FIRST}", [OK])
        else:
            rows = self.execute(
                f"SELECT p.id FROM photos p WHERE p.state = ? AND p.root_id = ? ORDER BY {_NEWEST_FIRST}",
                [OK, root_id],
            )
        return [r[0] for r in rows.fetchall()]

    def order_keys(self, photo_ids: Sequence[int]) -> dict[int, tuple[str, str, int]]:
        """(photo date, path, file size) of each photo, by id: what browse views sort by."""
        keys: dict[int, tuple[str, str, int]] = {}
        for chunk in iter_chunks(list(photo_ids)):
            sql = f"SELECT p.id, {PHOTO_DATE_SQL} AS date, p.path, p.size FROM photos p WHERE p.id IN ({marks(chunk)})"
            for row in self.execute(sql, chunk):
                keys[row[0]] = (row[1] or "", path_from_db(row[2]), row[3] or 0)
        return keys

    def live_among(self, photo_ids: Sequence[int]) -> set[int]:
        """Those of ``photo_ids`` that are live photos."""
        live: set[int] = set()
        for chunk in iter_chunks(list(photo_ids)):
            rows = self.execute(f"SELECT id FROM photos WHERE state = ? AND id IN ({marks(chunk)})", [OK, *chunk])
            live.update(r[0] for r in rows.fetchall())
        return live

    def paths_of(self, photo_ids: Sequence[int]) -> dict[int, str]:
        paths: dict[int, str] = {}
        for chunk in iter_chunks(list(photo_ids)):
            for row in self.execute(f"SELECT id, path FROM photos WHERE id IN ({marks(chunk)})", chunk):
                paths[row[0]] = path_from_db(row[1])
        return paths

    def paths_and_dates(self, photo_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """Path and photo date of each photo, by id."""
        found: dict[int, dict[str, Any]] = {}
        for chunk in iter_chunks(list(photo_ids)):
            sql = f"SELECT p.id, p.path, {PHOTO_DATE_SQL} AS date FROM photos p WHERE p.id IN ({marks(chunk)})"
            for row in self.query(sql, chunk):
                found[row["id"]] = {"path": path_from_db(row["path"]), "date": row["date"]}
        return found

    def filtered_photo_ids(
        self,
        folder: str | None = None,
        date_from: str | None = None,
        date_before: str | None = None,
        album_id: int | None = None,
        min_rating: int | None = None,
        keyword: str | None = None,
        label: str | None = None,
        favourites: bool | None = None,
        person_id: int | None = None,
        place: str | None = None,
        event_id: int | None = None,
    ) -> list[int]:
        """Live photo ids by id: under a folder (any depth), with a photo date in
        [date_from, date_before), in an album, showing a person, with the curation asked for (see
        ``curation_filter_clauses``), taken in a place (country, region or city name in any case,
        or a country code), in an event; each condition only when given. A place no photo was
        taken in raises LibraryError."""
        clauses: list[str] = ["p.state = ?"]
        params: list[Any] = [OK]
        if folder is not None:
            prefix = path_to_db(folder).rstrip("/") + "/"
            clauses.append("substr(p.path, 1, ?) = ?")
            params += [len(prefix), prefix]
        if date_from is not None:
            clauses.append(f"{PHOTO_DATE_SQL} >= ?")
            params.append(date_from)
        if date_before is not None:
            clauses.append(f"{PHOTO_DATE_SQL} < ?")
            params.append(date_before)
        if album_id is not None:
            clauses.append("EXISTS (SELECT 1 FROM album_members m WHERE m.photo_id = p.id AND m.album_id = ?)")
            params.append(album_id)
        curation_clauses, curation_params = curation_filter_clauses(min_rating, keyword, label, favourites)
        clauses += curation_clauses
        params += curation_params
        if person_id is not None:
            clauses.append("EXISTS (SELECT 1 FROM faces f WHERE f.photo_id = p.id AND f.person_id = ?)")
            params.append(person_id)
        if place is not None:
            found = place_clause(self, place)
            if found is None:
                raise LibraryError(f"No photo was taken in a place called {place!r}. See `photo-organizer places`.")
            clauses.append(found[0])
            params += found[1]
        if event_id is not None:
            clauses.append(EVENT_CLAUSE)
            params.append(event_id)
        rows = self.query(f"SELECT p.id FROM photos p WHERE {' AND '.join(clauses)} ORDER BY p.id", params)
        return [row["id"] for row in rows]

    def fingerprints_in_use(self) -> list[str]:
        return [r["fingerprint"] for r in self.query("SELECT fingerprint FROM photos WHERE fingerprint IS NOT NULL")]

    def live_fingerprints(self) -> list[tuple[int, str | None]]:
        """(id, fingerprint) of the live photos."""
        return [(int(r["id"]), r["fingerprint"]) for r in self.query("SELECT id, fingerprint FROM photos WHERE state = ?", [OK])]

    def reachable_photo_fingerprints(self) -> list[dict[str, Any]]:
        """id, path, fingerprint of the live photos whose folder is online."""
        return self.query(
            "SELECT p.id, p.path, p.fingerprint FROM photos p JOIN roots r ON r.id = p.root_id "
            "WHERE p.state = ? AND p.fingerprint IS NOT NULL AND r.offline_since IS NULL",
            [OK],
        )

    def exact_duplicate_id_groups(self) -> list[str]:
        """For each fingerprint shared by several live photos: their ids, comma-separated."""
        rows = self.query(
            "SELECT fingerprint, GROUP_CONCAT(id) AS ids FROM photos WHERE state = ? AND fingerprint IS NOT NULL "
            "GROUP BY fingerprint HAVING COUNT(*) > 1 ORDER BY MIN(id)",
            [OK],
        )
        return [r["ids"] for r in rows]

    def pending_photos(self) -> list[dict[str, Any]]:
        """id, path, fingerprint of the photos whose metadata and thumbnail are still to make."""
        return self.query(f"SELECT id, path, fingerprint FROM photos WHERE state = ? AND {ONLINE} ORDER BY id", [PENDING])

    # ---- the scanner's writes (the caller holds the transaction of a batch) -------------------

    def known_photos_of_root(self, root_id: int) -> list[tuple[int, str, int, float, str, bool, str | None, float | None]]:
        """(id, path, size, mtime, state, has metadata, fingerprint, updated_at) per photo: plain
        tuples, as every re-index reads them all (dict rows took 0.4 s of a 100,000-photo no-op
        re-index)."""
        return self.execute(
            "SELECT id, path, size, mtime, state, width IS NOT NULL, fingerprint, updated_at FROM photos WHERE root_id = ?",
            [root_id],
        ).fetchall()

    def set_photo_state(self, photo_id: int, state: str, error: str | None = None) -> None:
        if error is None:
            self.execute("UPDATE photos SET state = ?, updated_at = ? WHERE id = ?", [state, time.time(), photo_id])
        else:
            self.execute(
                "UPDATE photos SET state = ?, error = ?, updated_at = ? WHERE id = ?",
                [state, error, time.time(), photo_id],
            )

    def record_move(self, photo_id: int, path: str, root_id: int, size: int, mtime: float) -> None:
        """The photo's content is now at ``path``; it keeps its metadata, marks and albums."""
        self.execute(
            "UPDATE photos SET path = ?, root_id = ?, size = ?, mtime = ?, "
            "state = CASE WHEN width IS NULL THEN ? ELSE ? END, updated_at = ? WHERE id = ?",
            [path_to_db(path), root_id, size, mtime, PENDING, OK, time.time(), photo_id],
        )

    def add_photo(self, root_id: int, path: str, size: int, mtime: float, fingerprint: str | None) -> int:
        now = time.time()
        cursor = self.execute(
            "INSERT INTO photos (root_id, path, size, mtime, fingerprint, state, added_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [root_id, path_to_db(path), size, mtime, fingerprint, PENDING, now, now],
        )
        return int(cursor.lastrowid)

    def record_new_content(self, photo_id: int, size: int, mtime: float, fingerprint: str | None, changed: bool) -> None:
        """New content at a known path: metadata (and, if ``changed``, embeddings) to redo."""
        if changed:
            self.execute("DELETE FROM embeddings WHERE photo_id = ?", [photo_id])
        self.execute(
            "UPDATE photos SET size = ?, mtime = ?, fingerprint = ?, state = ?, error = NULL, updated_at = ? WHERE id = ?",
            [size, mtime, fingerprint, PENDING, time.time(), photo_id],
        )

    def photos_with_fingerprint(self, fingerprint: str) -> list[dict[str, Any]]:
        """id and path of photos holding this content, removed ones first."""
        return self.query(
            "SELECT id, path FROM photos WHERE fingerprint = ? AND state IN (?, ?, ?, ?) ORDER BY state = ? DESC",
            [fingerprint, OK, PENDING, ERROR, REMOVED, REMOVED],
        )

    def mark_removed(self, photo_ids: Sequence[int]) -> None:
        now = time.time()
        for chunk in iter_chunks(list(photo_ids)):
            self.execute(
                f"UPDATE photos SET state = ?, updated_at = ? WHERE id IN ({marks(chunk)}) AND root_id IS NOT NULL",
                [REMOVED, now, *chunk],
            )

    def store_metadata(self, photo_id: int, meta: Any, now: float) -> None:
        """Metadata read from the file (``imaging.PhotoMetadata``); the photo becomes OK (its
        capture time is then computed by ``TimelineStore.save_capture``)."""
        self.execute(
            "UPDATE photos SET width = ?, height = ?, taken_at = ?, orientation = ?, camera = ?, "
            "gps_lat = ?, gps_lon = ?, state = ?, error = NULL, updated_at = ? WHERE id = ?",
            [meta.width, meta.height, meta.taken_at, meta.orientation, meta.camera,
             meta.gps_lat, meta.gps_lon, OK, now, photo_id],
        )

    def delete_photos(self, photo_ids: Sequence[int]) -> None:
        """Remove photo rows and everything keyed by them, in one transaction."""
        with self.transaction():
            for chunk in iter_chunks(list(photo_ids)):
                for table in PHOTO_KEYED_TABLES:
                    self.execute(f"DELETE FROM {table} WHERE photo_id IN ({marks(chunk)})", chunk)
                self.execute(f"DELETE FROM photos WHERE id IN ({marks(chunk)})", chunk)
