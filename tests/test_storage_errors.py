"""Database errors in the user's words: "damaged" only for a damaged file (issue 18.7, 18.10)."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from photo_organizer.errors import (
    DatabaseDamagedError,
    DatabaseFullError,
    DatabaseLockedError,
    DatabaseReadOnlyError,
    DatabaseTooNewError,
)
from photo_organizer.storage import SCHEMA_VERSION, Library, database_error
from tests.albums_helpers import add_photos


def test_a_full_disk_is_named_and_not_called_damage(tmp_path):
    library = Library(tmp_path / "library.db")
    ids = add_photos(library, 2)
    pages = library.execute("PRAGMA page_count").fetchone()[0]
    library.execute(f"PRAGMA max_page_count = {pages}")  # SQLite's own SQLITE_FULL, no tmpfs needed
    with pytest.raises(DatabaseFullError, match="is full") as raised:
        library.put_embeddings("k", ids, np.ones((2, 100_000), dtype=np.float32))
    assert "damaged" not in str(raised.value)
    assert library.embedding_coverage() == {}  # nothing half-written
    library.close()


def test_a_full_disk_reported_by_text_is_mapped_too():
    error = database_error(sqlite3.OperationalError("database or disk is full"), "/x/library.db")
    assert isinstance(error, DatabaseFullError) and "damaged" not in str(error)
    assert isinstance(database_error(OSError(28, "No space left on device"), "/x"), DatabaseFullError)


def test_a_read_only_database_is_named(tmp_path):
    path = tmp_path / "library.db"
    Library(path).close()
    read_only = sqlite3.connect(f"file:{path}?mode=ro", uri=True)  # chmod does not stop root
    with pytest.raises(sqlite3.OperationalError) as raised:
        read_only.execute("INSERT INTO settings (key, value) VALUES ('a', '1')")
    read_only.close()
    error = database_error(raised.value, path)
    assert isinstance(error, DatabaseReadOnlyError) and "read-only" in str(error)
    assert "damaged" not in str(error)


def test_a_busy_database_is_named(tmp_path):
    path = tmp_path / "library.db"
    Library(path).close()
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        library = Library(path, busy_timeout_s=0.05)
        with pytest.raises(DatabaseLockedError, match="locked by another Photo Organizer"):
            library.set_setting("a", 1)
        library.close()
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()


def test_a_healthy_database_passes_the_integrity_check(tmp_path):
    library = Library(tmp_path / "library.db")
    assert library.integrity_problems() == []
    library.close()


def test_a_damaged_file_is_called_damaged(tmp_path):
    path = tmp_path / "library.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(DatabaseDamagedError, match="damaged"):
        Library(path)


def test_a_newer_database_in_rollback_journal_mode_stays_byte_identical(tmp_path):
    path = tmp_path / "library.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE future (x)")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()
    before = path.read_bytes()
    with pytest.raises(DatabaseTooNewError, match="left untouched"):
        Library(path)
    assert path.read_bytes() == before
    assert not (tmp_path / "library.db-wal").exists()
