"""The library database: the one module that owns the schema.

SQLite through sqlite-utils, in WAL mode. The schema version lives in ``PRAGMA user_version``;
``MIGRATIONS[n]`` takes a database from version n to n + 1. Before migrating an existing file we
copy it to ``library.db.bak-v<old>``. A database from a newer version is refused.

One ``Library`` per thread: sqlite3 connections are not shared across threads.
Embeddings are stored as float16 blobs (half the size of float32; cosine ranking unchanged
at the precision that matters) keyed by (photo, model key).
"""

from __future__ import annotations

import base64
import importlib
import json
import os
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import sqlite_utils

from photo_organizer.errors import DatabaseError, DatabaseLockedError, DatabaseTooNewError, LibraryError

# Photo states.
PENDING = "pending"  # found by the scanner, metadata and thumbnail not yet made
OK = "ok"
ERROR = "error"  # could not be read; `error` says why
REMOVED = "removed"  # no longer on disk (mark and sweep); kept so marks survive a return

EMBEDDING_DTYPE = np.float16
SQL_VARIABLES_PER_QUERY = 900  # under SQLite's historical limit of 999 bound parameters
_NON_UTF8_PREFIX = "fsb64:"


def path_to_db(path: str) -> str:
    """Paths are TEXT in SQLite; a name that is not valid UTF-8 is stored reversibly."""
    try:
        path.encode("utf-8")
        return path
    except UnicodeEncodeError:
        return _NON_UTF8_PREFIX + base64.b64encode(os.fsencode(path)).decode("ascii")


def path_from_db(text: str) -> str:
    if text.startswith(_NON_UTF8_PREFIX):
        return os.fsdecode(base64.b64decode(text[len(_NON_UTF8_PREFIX) :]))
    return text


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


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [
    _v1_foundation,
    _v2_embeddings,
    _v3_albums,
    _v4_search_sessions,
    _v5_change_counters,
    lambda db: importlib.import_module("photo_organizer.timeline.store").migrate_timeline(db),  # no import cycle
]
SCHEMA_VERSION = len(MIGRATIONS)


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


def encode_vector(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=EMBEDDING_DTYPE).tobytes()


def decode_vectors(blobs: Sequence[bytes]) -> np.ndarray:
    """Stack blobs into a float32 matrix (one row per blob)."""
    if not blobs:
        return np.zeros((0, 0), dtype=np.float32)
    return np.frombuffer(b"".join(blobs), dtype=EMBEDDING_DTYPE).reshape(len(blobs), -1).astype(np.float32)


def _connect(path: Path | str) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), timeout=10.0)
    conn.execute("PRAGMA busy_timeout = 10000")
    return conn


def database_error(error: sqlite3.Error, path: Path | str) -> DatabaseError:
    text = str(error)
    if "locked" in text or "busy" in text:
        return DatabaseLockedError(
            f"The library database {path} is locked by another Photo Organizer process. "
            "Wait for it to finish or close it, then try again."
        )
    return DatabaseError(
        f"The library database {path} cannot be read ({text}). "
        f"It may be damaged; move it aside to start a new library (your photos are not affected)."
    )


def schema_version(db: sqlite_utils.Database) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def migrate(db: sqlite_utils.Database, path: Path | None, target: int = SCHEMA_VERSION) -> int:
    """Bring ``db`` to ``target``, one step per transaction. Returns the version it had."""
    current = schema_version(db)
    if current > SCHEMA_VERSION:
        raise DatabaseTooNewError(
            f"The library database {path} was written by a newer Photo Organizer "
            f"(schema {current}, this version knows up to {SCHEMA_VERSION}). "
            "Upgrade Photo Organizer to open it; the file was left untouched."
        )
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


class Library:
    """Access to one library database. Create one per thread."""

    def __init__(self, path: Path | str, *, target_version: int = SCHEMA_VERSION) -> None:
        self.path = Path(path) if str(path) != ":memory:" else None
        try:
            self.db = sqlite_utils.Database(_connect(path))
            self.db.conn.execute("PRAGMA foreign_keys = ON")
            if self.path is not None:
                self.db.enable_wal()
            self.migrated_from = migrate(self.db, self.path, target_version)
        except sqlite3.Error as error:
            raise database_error(error, path) from error

    @classmethod
    def in_memory(cls) -> "Library":
        return cls(":memory:")

    def close(self) -> None:
        self.db.conn.close()

    def __enter__(self) -> "Library":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def transaction(self):  # noqa: ANN201 - sqlite3 connection context manager
        return self.db.conn

    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[dict[str, Any]]:
        try:
            return list(self.db.query(sql, params))
        except sqlite3.Error as error:
            raise database_error(error, self.path or ":memory:") from error

    # ---- settings -------------------------------------------------------------------------

    def get_setting(self, key: str, default: Any = None) -> Any:
        rows = self.query("SELECT value FROM settings WHERE key = ?", [key])
        return json.loads(rows[0]["value"]) if rows else default

    def set_setting(self, key: str, value: Any) -> None:
        with self.db.conn:
            self.db["settings"].upsert({"key": key, "value": json.dumps(value)}, pk="key")

    # ---- roots ----------------------------------------------------------------------------

    def add_root(self, path: Path) -> int:
        resolved = path_to_db(str(Path(path).expanduser().resolve()))
        existing = self.query("SELECT id FROM roots WHERE path = ?", [resolved])
        if existing:
            return int(existing[0]["id"])
        with self.db.conn:
            return int(self.db["roots"].insert({"path": resolved, "added_at": time.time()}).last_pk)

    def remove_root(self, path: Path) -> int:
        """Forget a root and its photos (the files themselves are never touched)."""
        resolved = path_to_db(str(Path(path).expanduser().resolve()))
        rows = self.query("SELECT id FROM roots WHERE path = ?", [resolved])
        if not rows:
            raise LibraryError(f"{resolved} is not a library folder. See `photo-organizer status`.")
        root_id = rows[0]["id"]
        photo_ids = [r["id"] for r in self.query("SELECT id FROM photos WHERE root_id = ?", [root_id])]
        with self.db.conn:
            self.delete_photos(photo_ids)
            self.db.execute("DELETE FROM roots WHERE id = ?", [root_id])
        return len(photo_ids)

    def roots(self) -> list[dict[str, Any]]:
        return self.query("SELECT * FROM roots ORDER BY path")

    def root_for(self, path: Path) -> dict[str, Any] | None:
        text = path_to_db(str(path))
        for root in self.roots():
            if text == root["path"] or text.startswith(root["path"].rstrip("/") + "/"):
                return root
        return None

    # ---- photos ---------------------------------------------------------------------------

    def photo(self, photo_id: int) -> PhotoRecord:
        rows = self.query("SELECT * FROM photos WHERE id = ?", [photo_id])
        if not rows:
            raise LibraryError(f"There is no photo with id {photo_id} in the library.")
        return PhotoRecord.from_row(rows[0])

    def photos(self, ids: Iterable[int]) -> list[PhotoRecord]:
        wanted = list(ids)
        by_id: dict[int, PhotoRecord] = {}
        for chunk in iter_chunks(wanted, SQL_VARIABLES_PER_QUERY):
            marks = ",".join("?" * len(chunk))
            for row in self.query(f"SELECT * FROM photos WHERE id IN ({marks})", chunk):
                by_id[row["id"]] = PhotoRecord.from_row(row)
        return [by_id[i] for i in wanted if i in by_id]

    def photo_by_path(self, path: Path | str) -> PhotoRecord | None:
        rows = self.query("SELECT * FROM photos WHERE path = ?", [path_to_db(str(path))])
        return PhotoRecord.from_row(rows[0]) if rows else None

    def photo_ids(self, state: str = OK) -> list[int]:
        return [r["id"] for r in self.query("SELECT id FROM photos WHERE state = ? ORDER BY id", [state])]

    def count_by_state(self) -> dict[str, int]:
        rows = self.query("SELECT state, COUNT(*) AS n FROM photos GROUP BY state")
        return {r["state"]: r["n"] for r in rows}

    def failed_photos(self) -> list[dict[str, Any]]:
        return self.query("SELECT id, path, error FROM photos WHERE state = ? ORDER BY path", [ERROR])

    def delete_photos(self, photo_ids: Sequence[int]) -> None:
        """Remove photo rows and everything keyed by them. Caller holds the transaction."""
        for chunk in iter_chunks(list(photo_ids), SQL_VARIABLES_PER_QUERY):
            marks = ",".join("?" * len(chunk))
            for table in ("embeddings", "album_members", "album_exclusions", "feedback"):
                self.db.execute(f"DELETE FROM {table} WHERE photo_id IN ({marks})", chunk)
            self.db.execute(f"DELETE FROM photos WHERE id IN ({marks})", chunk)

    # ---- embeddings -----------------------------------------------------------------------

    def put_embeddings(self, model_key: str, photo_ids: Sequence[int], vectors: np.ndarray) -> None:
        now = time.time()
        rows = [
            {"photo_id": int(pid), "model_key": model_key, "vector": encode_vector(vec), "created_at": now}
            for pid, vec in zip(photo_ids, vectors)
        ]
        with self.db.conn:
            self.db["embeddings"].upsert_all(rows, pk=("photo_id", "model_key"))

    def photos_missing_embedding(self, model_key: str) -> list[int]:
        rows = self.query(
            "SELECT p.id FROM photos p WHERE p.state = ? AND NOT EXISTS "
            "(SELECT 1 FROM embeddings e WHERE e.photo_id = p.id AND e.model_key = ?) ORDER BY p.id",
            [OK, model_key],
        )
        return [r["id"] for r in rows]

    def embeddings(self, model_key: str, photo_ids: Sequence[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(ids, float32 matrix) of the live photos' embeddings for ``model_key``, by photo id."""
        sql = (
            "SELECT e.photo_id, e.vector FROM embeddings e JOIN photos p ON p.id = e.photo_id "
            "WHERE e.model_key = ? AND p.state = ?"
        )
        if photo_ids is None:
            rows = self.query(sql + " ORDER BY e.photo_id", [model_key, OK])
        else:  # only the rows asked for: an album's members, not the whole library
            rows = []
            for chunk in iter_chunks(sorted(set(int(i) for i in photo_ids)), SQL_VARIABLES_PER_QUERY):
                marks = ",".join("?" * len(chunk))
                rows += self.query(sql + f" AND e.photo_id IN ({marks}) ORDER BY e.photo_id", [model_key, OK, *chunk])
        ids = np.array([r["photo_id"] for r in rows], dtype=np.int64)
        return ids, decode_vectors([r["vector"] for r in rows])

    def embedding_coverage(self) -> dict[str, int]:
        rows = self.query(
            "SELECT e.model_key, COUNT(*) AS n FROM embeddings e JOIN photos p ON p.id = e.photo_id "
            "WHERE p.state = ? GROUP BY e.model_key ORDER BY e.model_key",
            [OK],
        )
        return {r["model_key"]: r["n"] for r in rows}


def iter_chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
