"""The library schema: ``MIGRATIONS[n]`` takes a database from version n to n + 1.

The version lives in ``PRAGMA user_version``. Before migrating an existing file we copy it to
``library.db.bak-v<old>``. A database from a newer version is refused before anything touches it.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import sqlite_utils

from photo_organizer.errors import DatabaseTooNewError


def _v1_foundation(db: sqlite_utils.Database) -> None:
    db["roots"].create(
        {"id": int, "path": str, "added_at": float, "last_scan_at": float},
        pk="id",
        not_null={"path"},
    )
    db["roots"].create_index(["path"], unique=True)
    db["photos"].create(
        {
            "id": int,
            "root_id": int,
            "path": str,
            "size": int,
            "mtime": float,
            "fingerprint": str,
            "width": int,
            "height": int,
            "taken_at": str,  # ISO 8601 local time from EXIF, else None
            "orientation": int,
            "camera": str,
            "gps_lat": float,
            "gps_lon": float,
            "state": str,
            "error": str,
            "added_at": float,
            "updated_at": float,
        },
        pk="id",
        not_null={"path", "state"},
        foreign_keys=[("root_id", "roots", "id")],
    )
    db["photos"].create_index(["path"], unique=True)
    db["photos"].create_index(["fingerprint"])
    db["photos"].create_index(["state"])
    db["photos"].create_index(["root_id"])


def _v2_embeddings(db: sqlite_utils.Database) -> None:
    db["embeddings"].create(
        {"photo_id": int, "model_key": str, "vector": bytes, "created_at": float},
        pk=("photo_id", "model_key"),
        foreign_keys=[("photo_id", "photos", "id")],
    )
    db["embeddings"].create_index(["model_key"])
    db["settings"].create({"key": str, "value": str}, pk="key")


def _v3_albums(db: sqlite_utils.Database) -> None:
    db["albums"].create(
        {
            "id": int,
            "name": str,  # the user's name; wins over auto_name
            "auto_name": str,
            "hidden": int,
            "model_key": str,
            "centroid": bytes,
            "cover_photo_ids": str,  # JSON list, most central first
            "size": int,
            "created_at": float,
            "updated_at": float,
        },
        pk="id",
    )
    db["album_members"].create(
        {"album_id": int, "photo_id": int, "strength": float, "source": str},
        pk=("album_id", "photo_id"),
        foreign_keys=[("album_id", "albums", "id"), ("photo_id", "photos", "id")],
    )
    db["album_members"].create_index(["photo_id"])
    # Photos the user took out of an album: re-clustering never puts them back.
    db["album_exclusions"].create(
        {"album_id": int, "photo_id": int}, pk=("album_id", "photo_id")
    )


def _v4_search_sessions(db: sqlite_utils.Database) -> None:
    db["search_sessions"].create(
        {
            "id": int,
            "query_text": str,
            "query_photo_id": int,
            "query_image_path": str,
            "method": str,
            "options": str,  # JSON
            "round": int,
            "created_at": float,
            "updated_at": float,
        },
        pk="id",
    )
    db["feedback"].create(
        {"session_id": int, "photo_id": int, "label": int, "round": int, "created_at": float},
        pk=("session_id", "photo_id"),
        foreign_keys=[("session_id", "search_sessions", "id"), ("photo_id", "photos", "id")],
    )


def _v5_change_counters(db: sqlite_utils.Database) -> None:
    """Counters bumped by triggers when stored embeddings are rewritten or deleted, or a photo's
    state changes, so the in-memory search index learns in O(1) whether it must reload (new
    embeddings it finds by the embeddings' largest rowid, and loads alone)."""
    db.execute("CREATE TABLE change_counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)")
    db.execute("INSERT INTO change_counters (name, value) VALUES ('embeddings', 0), ('photo_states', 0)")
    bump = "BEGIN UPDATE change_counters SET value = value + 1 WHERE name = '{}'; END"
    db.execute("CREATE TRIGGER embeddings_rewritten AFTER UPDATE ON embeddings " + bump.format("embeddings"))
    db.execute("CREATE TRIGGER embeddings_deleted AFTER DELETE ON embeddings " + bump.format("embeddings"))
    db.execute(
        "CREATE TRIGGER photo_state_changed AFTER UPDATE OF state ON photos WHEN OLD.state IS NOT NEW.state "
        + bump.format("photo_states")
    )
    db.execute("CREATE TRIGGER photo_deleted AFTER DELETE ON photos " + bump.format("photo_states"))


def _v6_curation(db: sqlite_utils.Database) -> None:
    """Ratings, labels, captions, favourites and keywords, and what was read from XMP
    (described in ``storage.curation``)."""
    db.execute(
        "CREATE TABLE curation (photo_id INTEGER PRIMARY KEY REFERENCES photos(id), rating INTEGER, label TEXT, "
        "caption TEXT, favourite INTEGER NOT NULL DEFAULT 0, changed_at REAL)"
    )
    db.execute("CREATE INDEX curation_rating ON curation (rating)")
    db.execute(
        "CREATE TABLE keywords (id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE COLLATE NOCASE, "
        "leaf TEXT NOT NULL COLLATE NOCASE)"
    )
    db.execute("CREATE INDEX keywords_leaf ON keywords (leaf)")
    db.execute(
        "CREATE TABLE photo_keywords (photo_id INTEGER NOT NULL REFERENCES photos(id), "
        "keyword_id INTEGER NOT NULL REFERENCES keywords(id), PRIMARY KEY (photo_id, keyword_id))"
    )
    db.execute("CREATE INDEX photo_keywords_keyword ON photo_keywords (keyword_id)")
    db.execute("CREATE TABLE sidecars (path TEXT PRIMARY KEY, root_id INTEGER, target TEXT NOT NULL, size INTEGER, mtime REAL)")
    db.execute("CREATE INDEX sidecars_target ON sidecars (target)")
    db.execute("CREATE INDEX sidecars_root ON sidecars (root_id)")
    db.execute(
        "CREATE TABLE xmp_reads (photo_id INTEGER PRIMARY KEY REFERENCES photos(id), photo_mtime REAL, "
        "sidecar_path TEXT, sidecar_size INTEGER, sidecar_mtime REAL, read_at REAL, error TEXT)"
    )


def _v7_stacks(db: sqlite_utils.Database) -> None:
    """Bursts and RAW + JPEG pairs (see stacks/store.py). No foreign keys to ``photos``, so
    that forgetting a photo never fails on them: rows of photos that are gone are skipped."""
    db["stacks"].create(
        {"id": int, "kind": str, "best_photo_id": int, "picked_by_user": int, "why": str, "created_at": float},
        pk="id",
    )
    db["stack_members"].create({"stack_id": int, "photo_id": int}, pk="photo_id")
    db["stack_members"].create_index(["stack_id"])
    db["stack_seen"].create({"photo_id": int, "feature_key": str}, pk="photo_id")
    db["shot_quality"].create({"photo_id": int, "sharpness": float, "highlights": float, "shadows": float}, pk="photo_id")
    db["trash_log"].create(
        {
            "id": int,
            "batch": int,
            "photo_id": int,
            "original_path": str,
            "trash_path": str,
            "info_path": str,
            "previous_state": str,
            "trashed_at": float,
            "restored_at": float,
        },
        pk="id",
    )
    db["trash_log"].create_index(["batch"])
    db["photos"].create_index(["camera", "taken_at"])  # a burst's neighbours in time


def _v8_taught_albums(db: sqlite_utils.Database) -> None:
    """Albums taught by example (see taught/store.py); every existing album is automatic."""
    db.execute("ALTER TABLE albums ADD COLUMN kind TEXT NOT NULL DEFAULT 'auto'")
    db["taught_albums"].create(
        {
            "album_id": int,
            "session_id": int,
            "query_text": str,
            "query_photo_id": int,
            "query_image_path": str,
            "query_vectors": bytes,
            "dim": int,
            "options": str,
            "model_key": str,
            "seen_rowid": int,
            "created_at": float,
        },
        pk="album_id",
    )
    db["taught_examples"].create(
        {"album_id": int, "photo_id": int, "label": int, "added_at": float}, pk=("album_id", "photo_id")
    )


def _v9_people(db: sqlite_utils.Database) -> None:
    """Faces found in photos, the people they are grouped into, and which photos were scanned.

    ``face_scans``: one row per photo read by the faces pass, with its fingerprint then (a
    changed file is scanned again) and the face count (0 too: not scanned again). ``faces``:
    box normalised to the upright photo, 128-d float32 descriptor, person and its ``source``.
    Ids of people and faces are never reused (AUTOINCREMENT).
    """
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


def _v10_root_volumes(db: sqlite_utils.Database) -> None:
    """Where a root lives (device number, volume UUID, path inside its volume) so a drive that
    is unplugged is told apart from a deleted folder, and found again at a new mount point; and
    since when it is offline (None: it was there at the last scan)."""
    for column, kind in (("device", int), ("volume_uuid", str), ("volume_path", str), ("offline_since", float)):
        db["roots"].add_column(column, kind)


_LIVE = "ok"  # database.OK (database imports this module)

_PHOTO_COLUMNS = (
    ("taken_offset", "TEXT"),
    ("taken_subsec_ms", "INTEGER"),
    ("date_note", "TEXT"),
    ("date_source", "TEXT"),
    ("capture_local", "TEXT"),
    ("capture_sort", "TEXT"),
    ("metadata_version", "INTEGER"),
)


def _v11_timeline(db: sqlite_utils.Database) -> None:
    """Capture times, date corrections, places, month counts and events (storage/timeline.py)."""
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
        f"WHERE NEW.state = '{_LIVE}' AND NEW.capture_local IS NOT NULL "
        "ON CONFLICT(month) DO UPDATE SET count = count + 1;"
    )
    remove = (
        "UPDATE timeline_months SET count = count - 1 "
        f"WHERE OLD.state = '{_LIVE}' AND month = substr(OLD.capture_local, 1, 7);"
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
        [_LIVE],
    )


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [
    _v1_foundation,
    _v2_embeddings,
    _v3_albums,
    _v4_search_sessions,
    _v5_change_counters,
    _v6_curation,
    _v7_stacks,
    _v8_taught_albums,
    _v9_people,
    _v10_root_volumes,
    _v11_timeline,
]
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(db: sqlite_utils.Database) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def refuse_newer(db: sqlite_utils.Database, path: Path | None) -> int:
    """The schema version, or DatabaseTooNewError. Only reads: run it before anything writes
    (switching to WAL included), so a newer library stays byte-identical."""
    current = schema_version(db)
    if current > SCHEMA_VERSION:
        raise DatabaseTooNewError(
            f"The library database {path} was written by a newer Photo Organizer "
            f"(schema {current}, this version knows up to {SCHEMA_VERSION}). "
            "Upgrade Photo Organizer to open it; the file was left untouched."
        )
    return current


def migrate(db: sqlite_utils.Database, path: Path | None, target: int = SCHEMA_VERSION) -> int:
    """Bring ``db`` to ``target``, one step per transaction. Returns the version it had."""
    current = refuse_newer(db, path)
    if current >= target:
        return current
    if current > 0 and path is not None and path.exists():
        db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        shutil.copy2(path, path.with_name(f"{path.name}.bak-v{current}"))
    for version in range(current, target):
        with db.conn:
            MIGRATIONS[version](db)
            db.conn.execute(f"PRAGMA user_version = {version + 1}")
    return current
