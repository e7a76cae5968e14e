"""The timeline, events and places tables; their meaning is described in ``photo_organizer.timeline``.

Schema (``schema._v6_timeline``):
* ``photos`` gains the photo's own capture details (``taken_offset``, ``taken_subsec_ms``,
  ``date_note`` = why its EXIF date was refused), the effective capture time the library uses
  (``capture_local``: local ISO time; ``capture_sort``: UTC when known else local; both indexed;
  ``date_source``: exif / exif+offset / file / user) and ``metadata_version`` (rows below
  ``METADATA_VERSION`` get their metadata re-read from the header, without thumbnails);
* ``date_corrections``: the user's correction per photo (a shift in seconds and/or a date set
  on an undated photo); the photo file is never written, and deleting the row undoes it;
* ``photo_places``: the reverse-geocoded place of each photo with a GPS fix, with the
  coordinates it was computed from (a changed position is geocoded again);
* ``timeline_months``: live photos per capture month, kept up to date by triggers;
* ``events`` / ``event_members``: consecutive photos grouped by time and place (ids are never
  reused: AUTOINCREMENT), recomputed by ``timeline.jobs``.
Triggers delete a photo's rows in these tables with the photo.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from photo_organizer.storage.database import OK, PHOTO_DATE_SQL, Database, iter_chunks, marks
from photo_organizer.timeline.capture import Capture, effective_capture

# Bump when the metadata read from photos gains a field: older rows are re-read (header only).
METADATA_VERSION = 2


def place_clause(database: Database, name: str) -> tuple[str, list[Any]] | None:
    """A ``photos p`` clause: the photo's country, region or city is ``name`` in any case (Unicode
    case folding, which SQLite's lower() lacks: "île-de-france"), or its country code. None when
    no photo has such a place."""
    wanted = name.strip().casefold()
    names = database.query(
        "SELECT DISTINCT country_code, country, region, city FROM photo_places WHERE country IS NOT NULL"
    )
    matches = sorted({
        (column, row[column]) for row in names for column in ("country_code", "country", "region", "city")
        if row[column] and row[column].casefold() == wanted
    })
    if not matches:
        return None
    ors = " OR ".join(f"pl.{column} = ?" for column, _ in matches)
    return (
        f"EXISTS (SELECT 1 FROM photo_places pl WHERE pl.photo_id = p.id AND ({ors}))",
        [value for _, value in matches],
    )


EVENT_CLAUSE = "EXISTS (SELECT 1 FROM event_members em WHERE em.photo_id = p.id AND em.event_id = ?)"


@dataclass(frozen=True)
class EventRow:
    id: int
    title: str
    start_local: str
    end_local: str
    place: str | None
    label: str | None
    cover_photo_id: int | None
    photo_count: int


_EVENT_COLUMNS = ("start_local", "end_local", "start_sort", "end_sort", "place", "label", "title",
                  "cover_photo_id", "photo_count")

# Live photos with a position that have no place, or one computed from other coordinates.
_TO_GEOCODE = (
    "FROM photos p LEFT JOIN photo_places pl ON pl.photo_id = p.id "
    "WHERE p.state = ? AND p.gps_lat IS NOT NULL AND p.gps_lon IS NOT NULL "
    "AND (pl.photo_id IS NULL OR pl.lat != p.gps_lat OR pl.lon != p.gps_lon)"
)
_STALE_METADATA = "FROM photos WHERE state = ? AND COALESCE(metadata_version, 0) < ?"


def _live_dated(root_id: int | None) -> tuple[str, list[Any]]:
    """``photos p`` clause: live photos with a capture time, of one folder when given."""
    if root_id is None:
        return "p.state = ? AND p.capture_local IS NOT NULL", [OK]
    return "p.state = ? AND p.capture_local IS NOT NULL AND p.root_id = ?", [OK, root_id]


class TimelineStore(Database):
    # ---- capture times (the caller holds the transaction of a batch) ------------------------

    def save_capture(self, photo_id: int, offset: str | None, subsec_ms: int | None, note: str | None) -> None:
        """After the photo's metadata was (re)read: its capture details and effective time."""
        with self.transaction():
            self.execute(
                "UPDATE photos SET taken_offset = ?, taken_subsec_ms = ?, date_note = ?, metadata_version = ? WHERE id = ?",
                [offset, subsec_ms, note, METADATA_VERSION, photo_id],
            )
            self.refresh_captures([photo_id])

    def refresh_captures(self, photo_ids: Sequence[int]) -> None:
        """Recompute the effective capture time of these photos (after a read or a correction)."""
        with self.transaction():
            for chunk in iter_chunks(list(photo_ids)):
                rows = self.query(
                    "SELECT p.id, p.taken_at, p.taken_offset, p.mtime, c.shift_seconds, c.set_local FROM photos p "
                    f"LEFT JOIN date_corrections c ON c.photo_id = p.id WHERE p.id IN ({marks(chunk)})",
                    chunk,
                )
                for row in rows:
                    capture = effective_capture(
                        row["taken_at"], row["taken_offset"], row["mtime"], row["shift_seconds"] or 0, row["set_local"]
                    )
                    self._write_capture(row["id"], capture)

    def _write_capture(self, photo_id: int, capture: Capture | None) -> None:
        self.execute(
            "UPDATE photos SET capture_local = ?, capture_sort = ?, date_source = ? WHERE id = ?",
            [capture.local if capture else None, capture.sort if capture else None,
             capture.source if capture else None, photo_id],
        )

    def stale_metadata(self, limit: int) -> list[dict[str, Any]]:
        """Live photos whose metadata was read by an older version (id, path), ``limit`` at most."""
        return self.query(f"SELECT id, path {_STALE_METADATA} ORDER BY id LIMIT ?", [OK, METADATA_VERSION, limit])

    def count_stale_metadata(self) -> int:
        return int(self.query(f"SELECT COUNT(*) AS n {_STALE_METADATA}", [OK, METADATA_VERSION])[0]["n"])

    def mark_metadata_unreadable(self, photo_id: int) -> None:
        """A photo whose header cannot be re-read keeps what it had (the indexer reports read errors)."""
        with self.transaction():
            self.execute("UPDATE photos SET metadata_version = ? WHERE id = ?", [METADATA_VERSION, photo_id])
            self.refresh_captures([photo_id])

    def capture_details(self, photo_ids: Sequence[int]) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for chunk in iter_chunks(list(photo_ids)):
            rows += self.query(
                "SELECT p.id, p.taken_at, p.taken_offset, p.taken_subsec_ms, p.date_note, p.date_source, "
                "p.capture_local, p.capture_sort, c.shift_seconds, c.set_local FROM photos p "
                f"LEFT JOIN date_corrections c ON c.photo_id = p.id WHERE p.id IN ({marks(chunk)}) ORDER BY p.id",
                chunk,
            )
        return rows

    # ---- date corrections ------------------------------------------------------------------

    def existing_photo_ids(self, photo_ids: Sequence[int]) -> set[int]:
        found: set[int] = set()
        for chunk in iter_chunks(list(photo_ids)):
            found |= {r["id"] for r in self.query(f"SELECT id FROM photos WHERE id IN ({marks(chunk)})", chunk)}
        return found

    def add_shift(self, photo_ids: Sequence[int], seconds: int) -> None:
        """Shift the capture time of these photos (shifts add up)."""
        self._correct(photo_ids, seconds,
                      "INSERT INTO date_corrections (photo_id, shift_seconds, updated_at) VALUES (?, ?, ?) "
                      "ON CONFLICT(photo_id) DO UPDATE SET shift_seconds = shift_seconds + excluded.shift_seconds, "
                      "updated_at = excluded.updated_at")

    def set_local_date(self, photo_ids: Sequence[int], local: str) -> None:
        """Set the date of these photos (a set date replaces any earlier shift)."""
        self._correct(photo_ids, local,
                      "INSERT INTO date_corrections (photo_id, shift_seconds, set_local, updated_at) VALUES (?, 0, ?, ?) "
                      "ON CONFLICT(photo_id) DO UPDATE SET shift_seconds = 0, set_local = excluded.set_local, "
                      "updated_at = excluded.updated_at")

    def _correct(self, photo_ids: Sequence[int], value: Any, upsert: str) -> None:
        now = time.time()
        with self.transaction() as conn:
            conn.executemany(upsert, [(photo_id, value, now) for photo_id in photo_ids])
            self.refresh_captures(photo_ids)

    def undo_corrections(self, photo_ids: Sequence[int]) -> None:
        with self.transaction():
            for chunk in iter_chunks(list(photo_ids)):
                self.execute(f"DELETE FROM date_corrections WHERE photo_id IN ({marks(chunk)})", chunk)
            self.refresh_captures(photo_ids)

    def date_corrections(self, photo_ids: Sequence[int]) -> dict[int, tuple[int, str | None]]:
        """photo id -> (shift seconds, set date) of the photos that have a correction."""
        found: dict[int, tuple[int, str | None]] = {}
        for chunk in iter_chunks(list(photo_ids)):
            for row in self.query(
                f"SELECT photo_id, shift_seconds, set_local FROM date_corrections WHERE photo_id IN ({marks(chunk)})",
                chunk,
            ):
                found[int(row["photo_id"])] = (int(row["shift_seconds"]), row["set_local"])
        return found

    def restore_date_corrections(self, photo_ids: Sequence[int], saved: dict[int, tuple[int, str | None]]) -> None:
        """Put these photos' corrections back as ``date_corrections`` returned them (an undo)."""
        now = time.time()
        with self.transaction() as conn:
            for chunk in iter_chunks(list(photo_ids)):
                self.execute(f"DELETE FROM date_corrections WHERE photo_id IN ({marks(chunk)})", chunk)
            conn.executemany(
                "INSERT INTO date_corrections (photo_id, shift_seconds, set_local, updated_at) VALUES (?, ?, ?, ?)",
                [(pid, shift, local, now) for pid, (shift, local) in saved.items()],
            )
            self.refresh_captures(photo_ids)

    # ---- timeline --------------------------------------------------------------------------

    def month_counts(self) -> list[dict[str, Any]]:
        """[{"month": "YYYY-MM", "count": n}] oldest first (kept by triggers)."""
        return self.query("SELECT month, count FROM timeline_months WHERE count > 0 ORDER BY month")

    def day_counts(self, month: str) -> list[dict[str, Any]]:
        """[{"day": "YYYY-MM-DD", "count": n}] of one month ("YYYY-MM")."""
        return self.query(
            "SELECT substr(capture_local, 1, 10) AS day, COUNT(*) AS count FROM photos "
            "WHERE state = ? AND capture_local >= ? AND capture_local < ? GROUP BY day ORDER BY day",
            [OK, month, month + "~"],
        )

    def undated_count(self) -> int:
        return int(self.query("SELECT COUNT(*) AS n FROM photos WHERE state = ? AND capture_local IS NULL", [OK])[0]["n"])

    def photos_on_day(self, month_day: str, before_year: int) -> list[dict[str, Any]]:
        """Live photos taken on this month-day ("MM-DD") in years before ``before_year``."""
        return self.query(
            "SELECT id, path, capture_local, date_source, date_note FROM photos WHERE state = ? "
            "AND substr(capture_local, 6, 5) = ? AND capture_local < ? ORDER BY capture_local",
            [OK, month_day, f"{before_year:04d}"],
        )

    def timed_photos(self) -> list[dict[str, Any]]:
        """Every live photo with a capture time, in capture order, with its position if any."""
        return self.query(
            "SELECT p.id, p.capture_sort, p.capture_local, p.gps_lat, p.gps_lon, pl.city, pl.region, pl.country "
            "FROM photos p LEFT JOIN photo_places pl ON pl.photo_id = p.id "
            "WHERE p.state = ? AND p.capture_sort IS NOT NULL ORDER BY p.capture_sort, p.id",
            [OK],
        )

    def timeline_rows(self, root_id: int | None = None) -> list[tuple[int, str, str | None]]:
        """(photo id, local day "YYYY-MM-DD", city or None) of every live photo (of one folder when
        given), newest first, in one read: the grid's day headers."""
        where, params = ("p.state = ?", [OK]) if root_id is None else ("p.state = ? AND p.root_id = ?", [OK, root_id])
        rows = self.execute(
            f"SELECT p.id, substr({PHOTO_DATE_SQL}, 1, 10), pl.city FROM photos p "
            f"LEFT JOIN photo_places pl ON pl.photo_id = p.id WHERE {where} ORDER BY {PHOTO_DATE_SQL} DESC, p.id DESC",
            params,
        )
        return rows.fetchall()

    def dated_ids_newest_first(self, root_id: int | None = None) -> list[int]:
        """Live photos with a capture time (of one folder when given), newest first, in the
        order of ``timeline_rows``: read in the (state, capture_local) index's order, no sort."""
        where, params = _live_dated(root_id)
        rows = self.execute(f"SELECT p.id FROM photos p WHERE {where} ORDER BY p.capture_local DESC, p.id DESC", params)
        return [row[0] for row in rows.fetchall()]

    def photos_per_day(self, root_id: int | None = None) -> list[tuple[str, int]]:
        """(day "YYYY-MM-DD", photos) of live photos with a capture time, newest day first: the
        grid's day headers without a row per photo (read from the capture-time index)."""
        where, params = _live_dated(root_id)
        day = "substr(p.capture_local, 1, 10)"
        return self.execute(f"SELECT {day}, COUNT(*) FROM photos p WHERE {where} GROUP BY {day} ORDER BY {day} DESC", params).fetchall()

    def day_city_counts(self, root_id: int | None = None, since_day: str | None = None) -> list[tuple[str, str, int, str]]:
        """(day, city, photos, newest capture time) per day and city of live photos with a
        capture time and a city, from ``since_day`` on when given."""
        where, params = _live_dated(root_id)
        if since_day is not None:
            where, params = f"{where} AND p.capture_local >= ?", [*params, since_day]
        rows = self.execute(
            "SELECT substr(p.capture_local, 1, 10) AS day, pl.city, COUNT(*), MAX(p.capture_local) FROM photos p "
            f"JOIN photo_places pl ON pl.photo_id = p.id WHERE {where} AND pl.city IS NOT NULL GROUP BY day, pl.city",
            params,
        )
        return rows.fetchall()

    def days_and_cities(self, photo_ids: Sequence[int]) -> dict[int, tuple[str, str | None]]:
        """photo id -> (local day, city or None) of these photos."""
        found: dict[int, tuple[str, str | None]] = {}
        for chunk in iter_chunks(list(photo_ids)):
            for row in self.execute(
                f"SELECT p.id, substr({PHOTO_DATE_SQL}, 1, 10), pl.city FROM photos p "
                f"LEFT JOIN photo_places pl ON pl.photo_id = p.id WHERE p.id IN ({marks(chunk)})",
                chunk,
            ).fetchall():
                found[int(row[0])] = (row[1], row[2])
        return found

    # ---- places ----------------------------------------------------------------------------

    def photos_to_geocode(self) -> list[dict[str, Any]]:
        return self.query(f"SELECT p.id, p.gps_lat, p.gps_lon {_TO_GEOCODE} ORDER BY p.id", [OK])

    def count_to_geocode(self) -> int:
        return int(self.query(f"SELECT COUNT(*) AS n {_TO_GEOCODE}", [OK])[0]["n"])

    def count_stale_places(self) -> int:
        """Places of photos that lost their position (a re-read without GPS)."""
        return int(self.query(
            "SELECT COUNT(*) AS n FROM photo_places pl JOIN photos p ON p.id = pl.photo_id "
            "WHERE p.gps_lat IS NULL OR p.gps_lon IS NULL"
        )[0]["n"])

    def delete_stale_places(self) -> None:
        self.execute(
            "DELETE FROM photo_places WHERE photo_id IN (SELECT id FROM photos WHERE gps_lat IS NULL OR gps_lon IS NULL)"
        )

    def put_places(self, rows: Iterable[dict[str, Any]]) -> None:
        """Rows with photo_id, lat, lon, country_code, country, region, city, distance_km."""
        with self.transaction() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO photo_places (photo_id, lat, lon, country_code, country, region, city, distance_km) "
                "VALUES (:photo_id, :lat, :lon, :country_code, :country, :region, :city, :distance_km)",
                list(rows),
            )

    def place_rows(self) -> list[dict[str, Any]]:
        """One row per (country, region, city) of live photos: count and photo ids (comma list)."""
        return self.query(
            "SELECT pl.country, pl.region, pl.city, COUNT(*) AS count, group_concat(pl.photo_id) AS photo_ids "
            "FROM photo_places pl JOIN photos p ON p.id = pl.photo_id WHERE p.state = ? AND pl.country IS NOT NULL "
            "GROUP BY pl.country, pl.region, pl.city ORDER BY pl.country, pl.region, pl.city",
            [OK],
        )

    def place_photo_ids(self, country: str, region: str | None = None, city: str | None = None) -> list[int]:
        """Live photos of a country, or one of its regions, or one city of a region, newest first."""
        clauses, params = ["pl.country = ?"], [country]
        if region is not None:
            clauses.append("pl.region IS ?")
            params.append(region)
        if city is not None:
            clauses.append("pl.city = ?")
            params.append(city)
        rows = self.execute(
            "SELECT p.id FROM photos p JOIN photo_places pl ON pl.photo_id = p.id "
            f"WHERE p.state = ? AND {' AND '.join(clauses)} ORDER BY p.capture_local DESC, p.id DESC",
            [OK, *params],
        )
        return [r[0] for r in rows.fetchall()]

    # ---- events ----------------------------------------------------------------------------

    def event_exists(self, event_id: int) -> bool:
        return bool(self.query("SELECT 1 FROM events WHERE id = ?", [event_id]))

    def list_events(self, newest: int | None = None) -> list[EventRow]:
        """Every event, oldest first; only the ``newest`` ones when given."""
        columns = "id, title, start_local, end_local, place, label, cover_photo_id, photo_count"
        if newest is None:
            rows = self.query(f"SELECT {columns} FROM events ORDER BY start_sort, id")
        else:
            rows = self.query(f"SELECT {columns} FROM events ORDER BY start_sort DESC, id DESC LIMIT ?", [newest])[::-1]
        return [EventRow(**row) for row in rows]

    def event_member_ids(self, event_id: int | None = None) -> dict[int, list[int]]:
        """Photo ids per event, in capture order."""
        sql = (
            "SELECT em.event_id, em.photo_id FROM event_members em JOIN photos p ON p.id = em.photo_id "
            + ("WHERE em.event_id = ? " if event_id is not None else "")
            + "ORDER BY p.capture_sort, p.id"
        )
        members: dict[int, list[int]] = {}
        for row in self.query(sql, [event_id] if event_id is not None else []):
            members.setdefault(row["event_id"], []).append(row["photo_id"])
        return members

    def photo_event_ids(self) -> dict[int, int]:
        return {r["photo_id"]: r["event_id"] for r in self.query("SELECT photo_id, event_id FROM event_members")}

    def event_labels(self) -> dict[int, str | None]:
        return {r["id"]: r["label"] for r in self.query("SELECT id, label FROM events")}

    def count_events_out_of_date(self) -> int:
        """Live timed photos in no event, plus members that are no longer live or timed."""
        missing = self.query(
            "SELECT COUNT(*) AS n FROM photos p WHERE p.state = ? AND p.capture_sort IS NOT NULL "
            "AND NOT EXISTS (SELECT 1 FROM event_members em WHERE em.photo_id = p.id)",
            [OK],
        )[0]["n"]
        gone = self.query(
            "SELECT COUNT(*) AS n FROM event_members em JOIN photos p ON p.id = em.photo_id "
            "WHERE p.state != ? OR p.capture_sort IS NULL",
            [OK],
        )[0]["n"]
        return int(missing) + int(gone)

    def replace_events(self, events: Sequence[dict[str, Any]]) -> None:
        """Write the whole set of events: each dict has ``id`` (None for a new event), the event
        columns and ``photo_ids``. Events not in the set are deleted. One transaction."""
        keep = [(e["id"],) for e in events if e["id"] is not None]
        now = time.time()
        members: list[tuple[int, int]] = []
        with self.transaction() as conn:
            conn.execute("DELETE FROM event_members")
            # The kept ids may be many: a temporary table rather than an IN list.
            conn.execute("CREATE TEMP TABLE IF NOT EXISTS kept_events (id INTEGER PRIMARY KEY)")
            conn.execute("DELETE FROM kept_events")
            conn.executemany("INSERT INTO kept_events (id) VALUES (?)", keep)
            conn.execute("DELETE FROM events WHERE id NOT IN (SELECT id FROM kept_events)")
            for event in events:
                values = [event[c] for c in _EVENT_COLUMNS] + [now]
                if event["id"] is None:
                    cursor = conn.execute(
                        f"INSERT INTO events ({', '.join(_EVENT_COLUMNS)}, updated_at) VALUES ({marks(values)})", values
                    )
                    event_id = int(cursor.lastrowid or 0)  # always set after an INSERT
                else:
                    event_id = int(event["id"])
                    conn.execute(
                        f"UPDATE events SET {', '.join(c + ' = ?' for c in _EVENT_COLUMNS)}, updated_at = ? WHERE id = ?",
                        [*values, event_id],
                    )
                members += [(pid, event_id) for pid in event["photo_ids"]]
            conn.executemany("INSERT INTO event_members (photo_id, event_id) VALUES (?, ?)", members)

    def set_event_labels(self, labels: dict[int, str | None], titles: dict[int, str]) -> None:
        with self.transaction():
            for event_id, label in labels.items():
                self.execute("UPDATE events SET label = ?, title = ? WHERE id = ?", [label, titles[event_id], event_id])

    def count_unlabelled_events(self, clip_key: str) -> int:
        """Events without a CLIP label that have a photo with an embedding of ``clip_key``."""
        return int(self.query(
            "SELECT COUNT(*) AS n FROM events e WHERE e.label IS NULL AND EXISTS (SELECT 1 FROM event_members em "
            "JOIN embeddings x ON x.photo_id = em.photo_id AND x.model_key = ? WHERE em.event_id = e.id)",
            [clip_key],
        )[0]["n"])

    def event_rows_for_titles(self) -> list[dict[str, Any]]:
        return self.query("SELECT id, start_local, end_local, place, label FROM events")
