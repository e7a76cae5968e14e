"""Writes grouped by ``Library.transaction()`` are kept together or not at all (issue 18.1)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap

import pytest

from photo_organizer.albums import edits, store
from photo_organizer.albums.recluster import recluster_job
from photo_organizer.progress import drain
from photo_organizer.scanner import BATCH_FILES, scan_roots
from photo_organizer.storage import PENDING, Library
from tests.albums_helpers import (
    DINO_KEY,
    add_featured_photos,
    add_photos,
    clustered_features,
)

ALBUM_TABLES = ("albums", "album_members", "album_exclusions", "settings")


@pytest.fixture
def library_path(tmp_path):
    path = tmp_path / "library.db"
    library = Library(path)
    features, _ = clustered_features([30, 25, 20], seed=21)
    add_featured_photos(library, features)
    drain(recluster_job(library, DINO_KEY))
    library.close()
    return path


def snapshot(path) -> dict[str, list[tuple]]:
    """Every row of the album tables, read through a separate connection (what is on disk)."""
    conn = sqlite3.connect(path)
    try:
        return {table: sorted(conn.execute(f"SELECT * FROM {table}").fetchall()) for table in ALBUM_TABLES}
    finally:
        conn.close()


def test_a_block_is_one_transaction_that_other_connections_see_only_when_it_ends(tmp_path):
    path = tmp_path / "library.db"
    library = Library(path)
    other = sqlite3.connect(path)
    with library.transaction():
        library.set_setting("a", 1)  # sqlite-utils' own atomic() inside: must not commit
        library.add_root(tmp_path / "x")
        assert other.execute("SELECT COUNT(*) FROM settings").fetchone()[0] == 0
    assert other.execute("SELECT COUNT(*) FROM settings").fetchone()[0] == 1
    other.close()
    library.close()


def test_an_exception_rolls_back_every_write_of_the_block_nested_ones_included(tmp_path):
    library = Library(tmp_path / "library.db")
    with pytest.raises(RuntimeError):
        with library.transaction():
            library.set_setting("a", 1)
            with library.transaction():
                library.add_root(tmp_path / "x")
            raise RuntimeError("half-way")
    assert library.get_setting("a") is None and library.roots() == []
    library.close()


def test_an_inner_failure_the_caller_handles_undoes_only_the_inner_block(tmp_path):
    library = Library(tmp_path / "library.db")
    with library.transaction():
        library.set_setting("kept", 1)
        try:
            with library.transaction():
                library.set_setting("undone", 1)
                raise ValueError
        except ValueError:
            pass
    assert library.get_setting("kept") == 1 and library.get_setting("undone") is None
    library.close()


def test_a_merge_that_fails_half_way_leaves_the_albums_as_they_were(library_path, monkeypatch):
    library = Library(library_path)
    target, source = store.list_albums(library)[:2]
    edits.rename_album(library, source.id, "Holiday")
    before = snapshot(library_path)

    def fail(*args, **kwargs):
        raise RuntimeError("disk pulled out after the first write")

    monkeypatch.setattr(Library, "delete_albums", fail)  # the merge's second write
    with pytest.raises(RuntimeError):
        edits.merge_albums(library, target.id, [source.id])
    assert snapshot(library_path) == before
    library.close()


def test_an_album_save_that_fails_half_way_leaves_the_old_albums(library_path, monkeypatch):
    library = Library(library_path)
    before = snapshot(library_path)
    real_write = Library.write_album
    calls = []

    def write_then_fail(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("killed between two albums")
        return real_write(self, *args, **kwargs)

    monkeypatch.setattr(Library, "write_album", write_then_fail)
    add_photos(library, 5)  # something for the new clustering to change
    with pytest.raises(RuntimeError):
        drain(recluster_job(library, DINO_KEY))
    assert len(calls) == 2
    assert snapshot(library_path) == before
    library.close()


KILLED_MERGE = textwrap.dedent(
    """
    import os, signal, sys
    from photo_organizer.albums import edits
    from photo_organizer.storage import Library

    def die(self, *args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)  # between the writes of the merge

    Library.delete_albums = die
    library = Library(sys.argv[1])
    edits.merge_albums(library, int(sys.argv[2]), [int(sys.argv[3])])
    """
)


def test_a_merge_killed_between_its_writes_leaves_the_old_state(library_path):
    library = Library(library_path)
    target, source = store.list_albums(library)[:2]
    library.close()
    before = snapshot(library_path)
    result = subprocess.run(
        [sys.executable, "-c", KILLED_MERGE, str(library_path), str(target.id), str(source.id)],
        env=os.environ.copy(),
        capture_output=True,
        timeout=120,
    )
    assert result.returncode == -signal.SIGKILL, result.stderr.decode()
    assert snapshot(library_path) == before
    library = Library(library_path)
    assert library.check_and_repair() == {}
    library.close()


def test_check_and_repair_fixes_sizes_and_rows_pointing_at_nothing(library_path):
    library = Library(library_path)
    album = store.list_albums(library)[0]
    photo_id = store.members(library, album.id)[0].photo_id
    conn = sqlite3.connect(library_path)  # damage as an older version could leave it
    conn.execute("PRAGMA foreign_keys = OFF")
    with conn:
        conn.execute("UPDATE albums SET size = 999 WHERE id = ?", [album.id])
        conn.execute("INSERT INTO album_members (album_id, photo_id, strength, source) VALUES (424242, ?, 1, 'cluster')", [photo_id])
        conn.execute("INSERT INTO album_exclusions (album_id, photo_id) VALUES (?, 777777)", [album.id])
    conn.close()

    repaired = library.check_and_repair()
    assert repaired == {
        "album members of deleted albums": 1,
        "exclusions of deleted photos": 1,
        "album sizes": 1,
    }
    assert store.get_album(library, album.id).size == len(store.members(library, album.id))
    assert library.check_and_repair() == {}
    library.close()


def test_the_scanner_commits_once_per_batch_of_files_not_once_per_file(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    for i in range(450):
        (folder / f"{i:03d}.jpg").write_bytes(i.to_bytes(2, "big") * 50)
    library = Library(tmp_path / "library.db")
    library.add_root(folder)
    commits = []
    library.db.conn.set_trace_callback(lambda sql: commits.append(sql) if sql.strip().upper() == "COMMIT" else None)
    report = drain(scan_roots(library))
    library.db.conn.set_trace_callback(None)
    assert report.new == 450 and len(library.photo_ids(PENDING)) == 450
    assert len(commits) <= 450 // BATCH_FILES + 3  # the batches, the sweep, the root's scan time
    library.close()
