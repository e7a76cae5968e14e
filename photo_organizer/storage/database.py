"""The connection to the library database: opening, transactions, and errors in the user's words.

SQLite through sqlite-utils, in WAL mode. The connection runs with ``isolation_level=None`` and
``TransactionConnection`` so that ``with conn:`` blocks nest: the outermost one is a single
``BEGIN IMMEDIATE ... COMMIT`` (or ROLLBACK), inner ones (ours, and sqlite-utils' own
``atomic()``) are savepoints inside it. Statements outside any block commit on their own.
"""

from __future__ import annotations

import base64
import errno
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import sqlite_utils

from photo_organizer.errors import (
    DatabaseDamagedError,
    DatabaseError,
    DatabaseFullError,
    DatabaseLockedError,
    DatabaseReadOnlyError,
)
from photo_organizer.storage.schema import SCHEMA_VERSION, migrate, refuse_newer

# Photo states.
PENDING = "pending"  # found by the scanner, metadata and thumbnail not yet made
OK = "ok"
ERROR = "error"  # could not be read; `error` says why
REMOVED = "removed"  # no longer on disk (mark and sweep); kept so marks survive a return

# A photo's folder is reachable now (not an offline drive): only then can its file be read.
ONLINE = "root_id NOT IN (SELECT id FROM roots WHERE offline_since IS NOT NULL)"

SQL_VARIABLES_PER_QUERY = 900  # under SQLite's historical limit of 999 bound parameters
DEFAULT_BUSY_TIMEOUT_S = 10.0
_NON_UTF8_PREFIX = "fsb64:"

# A photo's date, the one used for every sort and date filter: its capture time (corrected by
# the user, else EXIF, else the file's modification time: see timeline/capture.py), before the
# timeline stage computed it the EXIF time or the file time; local time, ISO 8601 with a "T" so
# they compare as text.
PHOTO_DATE_SQL = (
    "COALESCE(p.capture_local, p.taken_at, strftime('%Y-%m-%dT%H:%M:%S', p.mtime, 'unixepoch', 'localtime'))"
)


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


def iter_chunks(items: Sequence[Any], size: int = SQL_VARIABLES_PER_QUERY) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def marks(values: Sequence[Any]) -> str:
    """``?, ?, ?`` for an IN-list of ``values`` (at most SQL_VARIABLES_PER_QUERY of them)."""
    return ",".join("?" * len(values))


class TransactionConnection(sqlite3.Connection):
    """A connection whose ``with conn:`` blocks nest into one transaction.

    Depth 0 opens ``BEGIN IMMEDIATE`` (the write lock is taken up front, so a busy database
    waits at the start instead of failing half-way); deeper blocks are savepoints, so an inner
    failure the caller handles undoes only its own writes. Only the outermost exit commits.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._savepoints: list[str | None] = []  # None: the level that issued BEGIN

    def __enter__(self) -> "TransactionConnection":
        if self.in_transaction:  # inside ours, or inside a sqlite-utils atomic() BEGIN
            name = f"level_{len(self._savepoints)}"
            self.execute(f"SAVEPOINT {name}")
            self._savepoints.append(name)
        else:
            self.execute("BEGIN IMMEDIATE")
            self._savepoints.append(None)
        return self

    def __exit__(self, exc_type: Any, exc: Any, traceback: Any) -> Literal[False]:
        name = self._savepoints.pop()
        if not self.in_transaction:  # a failed statement already ended it
            return False
        if name is not None:
            if exc_type is not None:
                self.execute(f"ROLLBACK TO SAVEPOINT {name}")
            self.execute(f"RELEASE SAVEPOINT {name}")
        elif exc_type is not None:
            self.execute("ROLLBACK")
        else:
            try:
                self.execute("COMMIT")
            except BaseException:
                if self.in_transaction:
                    self.execute("ROLLBACK")
                raise
        return False


def connect(path: Path | str, busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S) -> TransactionConnection:
    conn = sqlite3.connect(
        str(path), timeout=busy_timeout_s, isolation_level=None, factory=TransactionConnection
    )
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
    return conn


def _error_name(error: BaseException) -> str:
    return getattr(error, "sqlite_errorname", "") or ""


def database_error(error: BaseException, path: Path | str) -> DatabaseError:
    """A sqlite3 (or OS) error as a DatabaseError whose message says what the user can do."""
    name, text = _error_name(error), str(error)
    lowered = text.lower()
    os_code = error.errno if isinstance(error, OSError) else None
    if name == "SQLITE_FULL" or os_code == errno.ENOSPC or "disk is full" in lowered:
        return DatabaseFullError(
            f"The disk holding the library database {path} is full. "
            "Free some space, then try again (nothing was lost)."
        )
    if (
        name.startswith("SQLITE_READONLY")
        or os_code in (errno.EROFS, errno.EACCES, errno.EPERM)
        or "readonly" in lowered
        or (name == "SQLITE_CANTOPEN" and not os.access(Path(path).parent, os.W_OK))
    ):
        return DatabaseReadOnlyError(
            f"The library database {path} cannot be written: the file or its folder is read-only. "
            "Check its permissions (or choose another data home with --home), then try again."
        )
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in lowered or "busy" in lowered:
        return DatabaseLockedError(
            f"The library database {path} is locked by another Photo Organizer process. "
            "Wait for it to finish or close it, then try again."
        )
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or "malformed" in lowered or "not a database" in lowered:
        return DatabaseDamagedError(
            f"The library database {path} cannot be read: it is damaged ({text}). "
            "Move it aside to start a new library (your photos are not affected)."
        )
    if isinstance(error, sqlite3.IntegrityError) and "UNIQUE" in text:  # two writers raced on photos.path
        return DatabaseLockedError(
            f"The library database {path} was changed by another Photo Organizer at the same time ({text}). "
            "Run the command again once the other one has finished."
        )
    return DatabaseError(f"The library database {path} cannot be used ({text}).")


class Database:
    """One connection to a library database. Create one per thread."""

    def __init__(
        self,
        path: Path | str,
        *,
        target_version: int = SCHEMA_VERSION,
        busy_timeout_s: float | None = None,
    ) -> None:
        self.path = Path(path) if str(path) != ":memory:" else None
        try:
            self.db = sqlite_utils.Database(connect(path, busy_timeout_s or DEFAULT_BUSY_TIMEOUT_S))
            self.db.conn.execute("PRAGMA foreign_keys = ON")
            refuse_newer(self.db, self.path)  # before WAL: a newer file must stay as it is
            if self.path is not None:
                self.db.enable_wal()
            self.migrated_from = migrate(self.db, self.path, target_version)
        except (sqlite3.Error, OSError) as error:
            if hasattr(self, "db"):
                self.db.conn.close()
            raise database_error(error, path) from error

    @classmethod
    def in_memory(cls) -> Any:
        return cls(":memory:")

    @property
    def location(self) -> Path | str:
        return self.path or ":memory:"

    def close(self) -> None:
        self.db.conn.close()

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One transaction for every write inside the block, nested blocks included: all of
        them are kept, or none (an exception rolls back to the state before the block)."""
        try:
            with self.db.conn:
                yield self.db.conn
        except sqlite3.Error as error:  # an OSError of the caller's own work stays what it is
            raise database_error(error, self.location) from error

    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[dict[str, Any]]:
        try:
            return list(self.db.query(sql, params))
        except sqlite3.Error as error:
            raise database_error(error, self.location) from error

    def execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        try:
            return self.db.execute(sql, params)
        except sqlite3.Error as error:
            raise database_error(error, self.location) from error

    def integrity_problems(self) -> list[str]:
        """What ``PRAGMA integrity_check`` finds; empty when the file is sound."""
        rows = [row[0] for row in self.execute("PRAGMA integrity_check").fetchall()]
        return [] if rows == ["ok"] else rows
