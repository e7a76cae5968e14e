"""All the SQL of the timeline, events and places: the migration and every read and write.

Schema (``migrate_timeline``):
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

Writes go through the sqlite3 connection (``library.db.conn``), which opens a transaction that
the caller's ``library.transaction()`` commits as one: sqlite-utils 4's ``db.execute`` commits
every write statement on its own when no transaction is open (an fsync each).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from photo_organizer.storage import OK, SQL_VARIABLES_PER_QUERY, Library, iter_chunks
from photo_organizer.timeline.capture import Capture, effective_capture

# Bump when the metadata read from photos gains a field: older rows are re-read (header only).
METADATA_VERSION = 2

_PHOTO_COLUMNS = (
    ("taken_offset", "TEXT"),
    ("taken_subsec_ms", "INTEGER"),
    ("date_note", "TEXT"),
    ("date_source", "TEXT"),
    ("capture_local", "TEXT"),
    ("capture_sort", "TEXT"),
    ("metadata_version", "INTEGER"),
)


def migrate_timeline(db: sqlite_utils.Database) -> None:
    for column, kind in _PHOTO_COLUMNS:
        db.execute(f"ALTER TABLE photos ADD COLUMN {column} {kind}")
    # Covering indexes: day counts, "on this day" and the undated count read the index, not the rows.
    db.execute("CREATE INDEX photos_state_capture_local ON photos(state, capture_local)")
    db.execute("CREATE INDEX photos_state_capture_sort ON photos(state, capture_sort)")
    db.execute(
        "CREATE TABLE date_corrections (photo_id INTEGER PRIMARY KEY, shift_seconds INTEGER NOT NULL DEFAULT 0, "
        "set_local TEXT, updated_at REAL)"
    )
    db.execute(
        "CREATE TABLE photo_places (photo_id INTEGER PRIMARY KEY, lat REAL NOT NULL, lon REAL NOT NULL, "
        "country_code TEXT, country TEXT, region TEXT, city TEXT, distance_km REAL)"
    )
    db.execute("CREATE INDEX photo_places_names ON photo_places(country, region, city)")
    db.execute(
        "CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT, start_local TEXT, end_local TEXT, "
        "start_sort TEXT, end_sort TEXT, place TEXT, label TEXT, title TEXT, cover_photo_id INTEGER, "
        "photo_count INTEGER, updated_at REAL)"
    )
    _create_month_counts(db)
    db.execute("CREATE TABLE event_members (photo_id INTEGER PRIMARY KEY, event_id INTEGER NOT NULL)")
    db.execute("CREATE INDEX event_members_event ON event_members(event_id)")
    db.execute(
        "CREATE TRIGGER timeline_photo_deleted AFTER DELETE ON photos BEGIN "
        "DELETE FROM date_corrections WHERE photo_id = OLD.id; "
        "DELETE FROM photo_places WHERE photo_id = OLD.id; "
        "DELETE FROM event_members WHERE photo_id = OLD.id; END"
    )


def _create_month_counts(db: sqlite_utils.Database) -> None:
    """Live photos per capture month, kept by triggers: the timeline's year/month counts are a
    read of a few hundred rows, not a scan of every photo (100,000 photos: 85 ms -> under 1 ms)."""
    db.execute("CREATE TABLE timeline_months (month TEXT PRIMARY KEY, count INTEGER NOT NULL)")
    add = (
        "INSERT INTO timeline_months (month, count) SELECT substr(NEW.capture_local, 1, 7), 1 "
        f"WHERE NEW.state = '{OK}' AND NEW.capture_local IS NOT NULL "
        "ON CONFLICT(month) DO UPDATE SET count = count + 1;"
    )
    remove = (
        "UPDATE timeline_months SET count = count - 1 "
        f"WHERE OLD.state = '{OK}' AND month = substr(OLD.capture_local, 1, 7);"
    )
    db.execute(f"CREATE TRIGGER timeline_month_insert AFTER INSERT ON photos BEGIN {add} END")
    db.execute(f"CREATE TRIGGER timeline_month_delete AFTER DELETE ON photos BEGIN {remove} END")
    db.execute(
        "CREATE TRIGGER timeline_month_update AFTER UPDATE OF state, capture_local ON photos "
        "WHEN OLD.state IS NOT NEW.state OR OLD.capture_local IS NOT NEW.capture_local "
        f"BEGIN {remove} {add} END"
    )
    db.execute(
        "INSERT INTO timeline_months (month, count) SELECT substr(capture_local, 1, 7), COUNT(*) FROM photos "
        "WHERE state = ? AND capture_local IS NOT NULL GROUP BY 1",
        [OK],
    )


def _marks(items: Sequence[Any]) -> str:
    return ",".join("?" * len(items))


# ---- capture times ---------------------------------------------------------------------------


def save_capture(library: Library, photo_id: int, offset: str | None, subsec_ms: int | None, note: str | None) -> None:
    """After the photo's metadata was (re)read: its capture details and effective time.
    Caller holds the transaction."""
    library.db.conn.execute(
        "UPDATE photos SET taken_offset = ?, taken_subsec_ms = ?, date_note = ?, metadata_version = ? WHERE id = ?",
        [offset, subsec_ms, note, METADATA_VERSION, photo_id],
    )
    refresh_captures(library, [photo_id])


def refresh_captures(library: Library, photo_ids: Sequence[int]) -> None:
    """Recompute the effective capture time of these photos (after a read or a correction).
    Caller holds the transaction."""
    for chunk in iter_chunks(list(photo_ids), SQL_VARIABLES_PER_QUERY):
        rows = library.query(
            "SELECT p.id, p.taken_at, p.taken_offset, p.mtime, c.shift_seconds, c.set_local FROM photos p "
            f"LEFT JOIN date_corrections c ON c.photo_id = p.id WHERE p.id IN ({_marks(chunk)})",
            chunk,
        )
        for row in rows:
            capture = effective_capture(
                row["taken_at"], row["taken_offset"], row["mtime"], row["shift_seconds"] or 0, row["set_local"]
            )
            _write_capture(library, row["id"], capture)


def _write_capture(library: Library, photo_id: int, capture: Capture | None) -> None:
    library.db.conn.execute(
        "UPDATE photos SET capture_local = ?, capture_sort = ?, date_source = ? WHERE id = ?",
        [capture.local if capture else None, capture.sort if capture else None,
         capture.source if capture else None, photo_id],
    )


_STALE_METADATA = "FROM photos WHERE state = ? AND COALESCE(metadata_version, 0) < ?"


def stale_metadata(library: Library, limit: int) -> list[dict[str, Any]]:
    """Live photos whose metadata was read by an older version (id, path), ``limit`` at most."""
    return library.query(f"SELECT id, path {_STALE_METADATA} ORDER BY id LIMIT ?", [OK, METADATA_VERSION, limit])


def count_stale_metadata(library: Library) -> int:
    return int(library.query(f"SELECT COUNT(*) AS n {_STALE_METADATA}", [OK, METADATA_VERSION])[0]["n"])


def mark_metadata_unreadable(library: Library, photo_id: int) -> None:
    """A photo whose header cannot be re-read keeps what it had (the indexer reports read errors)."""
    library.db.conn.execute("UPDATE photos SET metadata_version = ? WHERE id = ?", [METADATA_VERSION, photo_id])
    refresh_captures(library, [photo_id])


def capture_details(library: Library, photo_ids: Sequence[int]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for chunk in iter_chunks(list(photo_ids), SQL_VARIABLES_PER_QUERY):
        rows += library.query(
            "SELECT p.id, p.taken_at, p.taken_offset, p.taken_subsec_ms, p.date_note, p.date_source, "
            "p.capture_local, p.capture_sort, c.shift_seconds, c.set_local FROM photos p "
            f"LEFT JOIN date_corrections c ON c.photo_id = p.id WHERE p.id IN ({_marks(chunk)}) ORDER BY p.id",
            chunk,
        )
    return rows


# ---- date corrections ------------------------------------------------------------------------


def existing_photo_ids(library: Library, photo_ids: Sequence[int]) -> set[int]:
    found: set[int] = set()
    for chunk in iter_chunks(list(photo_ids), SQL_VARIABLES_PER_QUERY):
        found |= {r["id"] for r in library.query(f"SELECT id FROM photos WHERE id IN ({_marks(chunk)})", chunk)}
    return found


def add_shift(library: Library, photo_ids: Sequence[int], seconds: int) -> None:
    """Shift the capture time of these photos (shifts add up)."""
    _correct(library, photo_ids, seconds,
             "INSERT INTO date_corrections (photo_id, shift_seconds, updated_at) VALUES (?, ?, ?) "
             "ON CONFLICT(photo_id) DO UPDATE SET shift_seconds = shift_seconds + excluded.shift_seconds, "
             "updated_at = excluded.updated_at")


def set_local_date(library: Library, photo_ids: Sequence[int], local: str) -> None:
    """Set the date of these photos (a set date replaces any earlier shift)."""
    _correct(library, photo_ids, local,
             "INSERT INTO date_corrections (photo_id, shift_seconds, set_local, updated_at) VALUES (?, 0, ?, ?) "
             "ON CONFLICT(photo_id) DO UPDATE SET shift_seconds = 0, set_local = excluded.set_local, "
             "updated_at = excluded.updated_at")


def _correct(library: Library, photo_ids: Sequence[int], value: Any, upsert: str) -> None:
    now = time.time()
    with library.transaction():
        library.db.conn.executemany(upsert, [(photo_id, value, now) for photo_id in photo_ids])
        refresh_captures(library, photo_ids)


def undo_corrections(library: Library, photo_ids: Sequence[int]) -> None:
    with library.transaction():
        for chunk in iter_chunks(list(photo_ids), SQL_VARIABLES_PER_QUERY):
            library.db.conn.execute(f"DELETE FROM date_corrections WHERE photo_id IN ({_marks(chunk)})", chunk)
        refresh_captures(library, photo_ids)


# ---- timeline --------------------------------------------------------------------------------


def month_counts(library: Library) -> list[dict[str, Any]]:
    """[{"month": "YYYY-MM", "count": n}] oldest first (kept by triggers)."""
    return library.query("SELECT month, count FROM timeline_months WHERE count > 0 ORDER BY month")


def day_counts(library: Library, month: str) -> list[dict[str, Any]]:
    """[{"day": "YYYY-MM-DD", "count": n}] of one month ("YYYY-MM")."""
    return library.query(
        "SELECT substr(capture_local, 1, 10) AS day, COUNT(*) AS count FROM photos "
        "WHERE state = ? AND capture_local >= ? AND capture_local < ? GROUP BY day ORDER BY day",
        [OK, month, month + "~"],
    )


def undated_count(library: Library) -> int:
    return int(library.query("SELECT COUNT(*) AS n FROM photos WHERE state = ? AND capture_local IS NULL", [OK])[0]["n"])


def photos_on_day(library: Library, month_day: str, before_year: int) -> list[dict[str, Any]]:
    """Live photos taken on this month-day ("MM-DD") in years before ``before_year``."""
    return library.query(
        "SELECT id, path, capture_local, date_source, date_note FROM photos WHERE state = ? "
        "AND substr(capture_local, 6, 5) = ? AND capture_local < ? ORDER BY capture_local",
        [OK, month_day, f"{before_year:04d}"],
    )


def timed_photos(library: Library) -> list[dict[str, Any]]:
    """Every live photo with a capture time, in capture order, with its position if any."""
    return library.query(
        "SELECT p.id, p.capture_sort, p.capture_local, p.gps_lat, p.gps_lon, pl.city, pl.region, pl.country "
        "FROM photos p LEFT JOIN photo_places pl ON pl.photo_id = p.id "
        "WHERE p.state = ? AND p.capture_sort IS NOT NULL ORDER BY p.capture_sort, p.id",
        [OK],
    )


# ---- places ----------------------------------------------------------------------------------


# Live photos with a position that have no place, or one computed from other coordinates.
_TO_GEOCODE = (
    "FROM photos p LEFT JOIN photo_places pl ON pl.photo_id = p.id "
    "WHERE p.state = ? AND p.gps_lat IS NOT NULL AND p.gps_lon IS NOT NULL "
    "AND (pl.photo_id IS NULL OR pl.lat != p.gps_lat OR pl.lon != p.gps_lon)"
)


def photos_to_geocode(library: Library) -> list[dict[str, Any]]:
    return library.query(f"SELECT p.id, p.gps_lat, p.gps_lon {_TO_GEOCODE} ORDER BY p.id", [OK])


def count_to_geocode(library: Library) -> int:
    return int(library.query(f"SELECT COUNT(*) AS n {_TO_GEOCODE}", [OK])[0]["n"])


def count_stale_places(library: Library) -> int:
    """Places of photos that lost their position (a re-read without GPS)."""
    return int(library.query(
        "SELECT COUNT(*) AS n FROM photo_places pl JOIN photos p ON p.id = pl.photo_id "
        "WHERE p.gps_lat IS NULL OR p.gps_lon IS NULL"
    )[0]["n"])


def delete_stale_places(library: Library) -> None:
    library.db.conn.execute(
        "DELETE FROM photo_places WHERE photo_id IN (SELECT id FROM photos WHERE gps_lat IS NULL OR gps_lon IS NULL)"
    )


def put_places(library: Library, rows: Iterable[dict[str, Any]]) -> None:
    """Rows with photo_id, lat, lon, country_code, country, region, city, distance_km. Caller
    holds the transaction."""
    library.db.conn.executemany(
        "INSERT OR REPLACE INTO photo_places (photo_id, lat, lon, country_code, country, region, city, distance_km) "
        "VALUES (:photo_id, :lat, :lon, :country_code, :country, :region, :city, :distance_km)",
        list(rows),
    )


def place_rows(library: Library) -> list[dict[str, Any]]:
    """One row per (country, region, city) of live photos: count and photo ids (comma list)."""
    return library.query(
        "SELECT pl.country, pl.region, pl.city, COUNT(*) AS count, group_concat(pl.photo_id) AS photo_ids "
        "FROM photo_places pl JOIN photos p ON p.id = pl.photo_id WHERE p.state = ? AND pl.country IS NOT NULL "
        "GROUP BY pl.country, pl.region, pl.city ORDER BY pl.country, pl.region, pl.city",
        [OK],
    )


def place_filter(library: Library, name: str) -> tuple[str, list[Any]] | None:
    """A ``photos p`` clause: the photo's country, region or city is ``name`` in any case (Unicode
    case folding, which SQLite's lower() lacks: "île-de-france"), or its country code. None when
    no photo has such a place."""
    wanted = name.strip().casefold()
    names = library.query(
        "SELECT DISTINCT country_code, country, region, city FROM photo_places WHERE country IS NOT NULL"
    )
    matches = {
        (column, row[column]) for row in names for column in ("country_code", "country", "region", "city")
        if row[column] and row[column].casefold() == wanted
    }
    if not matches:
        return None
    ors = " OR ".join(f"pl.{column} = ?" for column, _ in sorted(matches))
    return (
        f"EXISTS (SELECT 1 FROM photo_places pl WHERE pl.photo_id = p.id AND ({ors}))",
        [value for _, value in sorted(matches)],
    )


# ---- events ----------------------------------------------------------------------------------


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


def event_filter(event_id: int) -> tuple[str, list[Any]]:
    """A ``photos p`` clause: the photo belongs to this event."""
    return "EXISTS (SELECT 1 FROM event_members em WHERE em.photo_id = p.id AND em.event_id = ?)", [event_id]


def event_exists(library: Library, event_id: int) -> bool:
    return bool(library.query("SELECT 1 FROM events WHERE id = ?", [event_id]))


def list_events(library: Library) -> list[EventRow]:
    rows = library.query(
        "SELECT id, title, start_local, end_local, place, label, cover_photo_id, photo_count FROM events "
        "ORDER BY start_sort, id"
    )
    return [EventRow(**row) for row in rows]


def event_member_ids(library: Library, event_id: int | None = None) -> dict[int, list[int]]:
    """Photo ids per event, in capture order."""
    sql = (
        "SELECT em.event_id, em.photo_id FROM event_members em JOIN photos p ON p.id = em.photo_id "
        + ("WHERE em.event_id = ? " if event_id is not None else "")
        + "ORDER BY p.capture_sort, p.id"
    )
    members: dict[int, list[int]] = {}
    for row in library.query(sql, [event_id] if event_id is not None else []):
        members.setdefault(row["event_id"], []).append(row["photo_id"])
    return members


def photo_event_ids(library: Library) -> dict[int, int]:
    return {r["photo_id"]: r["event_id"] for r in library.query("SELECT photo_id, event_id FROM event_members")}


def event_labels(library: Library) -> dict[int, str | None]:
    return {r["id"]: r["label"] for r in library.query("SELECT id, label FROM events")}


def count_events_out_of_date(library: Library) -> int:
    """Live timed photos in no event, plus members that are no longer live or timed."""
    missing = library.query(
        "SELECT COUNT(*) AS n FROM photos p WHERE p.state = ? AND p.capture_sort IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM event_members em WHERE em.photo_id = p.id)",
        [OK],
    )[0]["n"]
    gone = library.query(
        "SELECT COUNT(*) AS n FROM event_members em JOIN photos p ON p.id = em.photo_id "
        "WHERE p.state != ? OR p.capture_sort IS NULL",
        [OK],
    )[0]["n"]
    return int(missing) + int(gone)


def replace_events(library: Library, events: Sequence[dict[str, Any]]) -> None:
    """Write the whole set of events: each dict has ``id`` (None for a new event), the event
    columns and ``photo_ids``. Events not in the set are deleted. Caller holds the transaction."""
    keep = [e["id"] for e in events if e["id"] is not None]
    library.db.conn.execute("DELETE FROM event_members")
    if keep:
        placeholders = _marks(keep) if len(keep) <= SQL_VARIABLES_PER_QUERY else None
        if placeholders is None:  # very many events: keep the ids in a temporary table
            library.db.conn.execute("CREATE TEMP TABLE IF NOT EXISTS kept_events (id INTEGER PRIMARY KEY)")
            library.db.conn.execute("DELETE FROM kept_events")
            library.db.conn.executemany("INSERT INTO kept_events (id) VALUES (?)", [(i,) for i in keep])
            library.db.conn.execute("DELETE FROM events WHERE id NOT IN (SELECT id FROM kept_events)")
        else:
            library.db.conn.execute(f"DELETE FROM events WHERE id NOT IN ({placeholders})", keep)
    else:
        library.db.conn.execute("DELETE FROM events")
    now = time.time()
    columns = ("start_local", "end_local", "start_sort", "end_sort", "place", "label", "title",
               "cover_photo_id", "photo_count")
    members: list[tuple[int, int]] = []
    for event in events:
        values = [event[c] for c in columns] + [now]
        if event["id"] is None:
            cursor = library.db.conn.execute(
                f"INSERT INTO events ({', '.join(columns)}, updated_at) VALUES ({_marks(values)})", values
            )
            event_id = int(cursor.lastrowid or 0)  # always set after an INSERT
        else:
            event_id = int(event["id"])
            library.db.conn.execute(
                f"UPDATE events SET {', '.join(c + ' = ?' for c in columns)}, updated_at = ? WHERE id = ?",
                [*values, event_id],
            )
        members += [(pid, event_id) for pid in event["photo_ids"]]
    library.db.conn.executemany("INSERT INTO event_members (photo_id, event_id) VALUES (?, ?)", members)


def set_event_labels(library: Library, labels: dict[int, str | None], titles: dict[int, str]) -> None:
    with library.transaction():
        for event_id, label in labels.items():
            library.db.conn.execute("UPDATE events SET label = ?, title = ? WHERE id = ?", [label, titles[event_id], event_id])


def event_rows_for_titles(library: Library) -> list[dict[str, Any]]:
    return library.query("SELECT id, start_local, end_local, place, label FROM events")
