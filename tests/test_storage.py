from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from photo_organizer.errors import DatabaseError, DatabaseTooNewError
from photo_organizer.storage import SCHEMA_VERSION, Library, decode_vectors, encode_vector, schema_version


def test_creation_is_idempotent(tmp_path):
    path = tmp_path / "library.db"
    Library(path).close()
    library = Library(path)
    assert schema_version(library.db) == SCHEMA_VERSION and library.migrated_from == SCHEMA_VERSION
    assert library.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    library.close()


def test_migrates_an_older_database_keeping_data_and_a_backup(tmp_path):
    path = tmp_path / "library.db"
    old = Library(path, target_version=1)
    root_id = old.add_root(tmp_path)
    old.db["photos"].insert({"root_id": root_id, "path": "/x/a.jpg", "state": "ok", "size": 3})
    old.close()

    library = Library(path)
    assert library.migrated_from == 1 and schema_version(library.db) == SCHEMA_VERSION
    assert library.photo_by_path("/x/a.jpg").size == 3
    assert {"embeddings", "albums", "search_sessions"} <= set(library.db.table_names())
    library.close()
    backup = tmp_path / "library.db.bak-v1"
    assert backup.exists()
    assert sqlite3.connect(backup).execute("PRAGMA user_version").fetchone()[0] == 1


def test_newer_database_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "library.db"
    Library(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(DatabaseTooNewError, match="newer Photo Organizer"):
        Library(path)
    assert path.read_bytes() == before


def test_corrupt_database_gets_a_clear_message(tmp_path):
    path = tmp_path / "library.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(DatabaseError, match="cannot be read"):
        Library(path)


def test_embeddings_round_trip_compactly():
    library = Library.in_memory()
    ids = [library.db["photos"].insert({"path": f"/p{i}.jpg", "state": "ok"}).last_pk for i in range(3)]
    vectors = np.random.default_rng(0).normal(size=(3, 8)).astype(np.float32)
    library.put_embeddings("clip:test", ids, vectors)
    got_ids, got = library.embeddings("clip:test")
    assert list(got_ids) == ids
    np.testing.assert_allclose(got, vectors, atol=2e-3)
    assert len(encode_vector(vectors[0])) == 8 * 2  # float16
    assert library.embedding_coverage() == {"clip:test": 3}
    assert decode_vectors([]).shape == (0, 0)
