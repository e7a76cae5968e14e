"""Junk arguments and hostile places get a one-line message and a non-zero exit, never a
traceback (issue 18.8); a failed ONNX export is retried once its cause is gone (18.9)."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from photo_organizer.albums import edits, store
from photo_organizer.albums.recluster import recluster_job
from photo_organizer.cli.main import BROKEN_PIPE_EXIT, main
from photo_organizer.errors import LibraryError, ModelError
from photo_organizer.progress import drain
from photo_organizer.search import text_tower
from photo_organizer.search.query import END_OF_TIME, period_bounds
from photo_organizer.search.query_encoding import prepare_text_search
from photo_organizer.storage import Library
from tests.albums_helpers import DINO_KEY, add_featured_photos, clustered_features, real_files

TOO_BIG = str(2**63)


def refused_by_argparse(capsys, *argv: str) -> str:
    with pytest.raises(SystemExit) as exited:
        main(list(argv))
    assert exited.value.code == 2
    error = capsys.readouterr().err
    assert "Traceback" not in error
    return error.strip().splitlines()[-1]


@pytest.mark.parametrize(
    "argv",
    [
        ["albums", "rename", TOO_BIG, "x"],
        ["albums", "merge", "1", TOO_BIG],
        ["albums", "hide", TOO_BIG],
        ["albums", "unhide", TOO_BIG],
        ["albums", "remove", "1", TOO_BIG],
        ["albums", "export", TOO_BIG, "out"],
        ["search", "x", "--photo", TOO_BIG],
        ["search", "x", "--like", TOO_BIG],
        ["search", "x", "--dislike", TOO_BIG],
        ["search", "x", "--album", TOO_BIG],
        ["search", "--session", TOO_BIG],
        ["search", "x", "--photo", "0"],
    ],
    ids=lambda argv: " ".join(argv[:2]) + " " + " ".join(a for a in argv[2:] if a.startswith("--")),
)
def test_ids_out_of_sqlite_range_are_refused(home, capsys, argv):
    assert "is not an id" in refused_by_argparse(capsys, *argv)


def test_album_show_takes_an_id_or_unsorted(home, capsys):
    assert main(["albums", "show", TOO_BIG]) == 1
    assert "is not an album id" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_cutoff_must_be_a_finite_number(home, capsys, value):
    assert "not a finite number" in refused_by_argparse(capsys, "search", "x", f"--cutoff={value}")


def test_text_that_is_not_utf8_is_refused(home, capsys):
    undecodable = os.fsdecode(b"caf\xff")  # what Python makes of such bytes on the command line
    assert "not valid UTF-8" in refused_by_argparse(capsys, "search", undecodable)
    assert "not valid UTF-8" in refused_by_argparse(capsys, "albums", "rename", "1", undecodable)


def test_periods_ending_in_year_9999_have_an_end_bound():
    assert period_bounds("9999-12-31", end=True) == END_OF_TIME
    assert period_bounds("9999", end=True) == END_OF_TIME
    assert period_bounds("9999-12-31T23:59:59", end=True) == END_OF_TIME
    assert "9999-12-31T23:59:59" < END_OF_TIME
    assert period_bounds("2023-12", end=True) == "2024-01-01T00:00:00"


@pytest.mark.parametrize("where", ["file", "proc"])
def test_a_home_that_cannot_be_a_folder_is_a_message(tmp_path, capsys, where):
    if where == "file":
        home = tmp_path / "a-file"
        home.write_text("")
    else:
        home = Path("/proc/photo-organizer-home")
        if not Path("/proc/self").exists():
            pytest.skip("no /proc here")
    assert main(["--home", str(home), "status"]) == 1
    error = capsys.readouterr().err
    assert f"The data folder {home} cannot be used" in error and "Traceback" not in error


def test_itae_inspect_of_an_unknown_photo_id(home, capsys):
    assert main(["itae", "inspect", "999999", "--out", str(home / "x.png")]) == 1
    assert "no photo with id 999999" in capsys.readouterr().err


# ---- album export to places it cannot write -------------------------------------------------


@pytest.fixture
def album(tmp_path):
    library = Library.in_memory()
    features, _ = clustered_features([12, 10], seed=3)
    paths = real_files(tmp_path / "photos", len(features))
    add_featured_photos(library, features, root=str(tmp_path / "photos"), paths=paths)
    drain(recluster_job(library, DINO_KEY))
    yield library, store.list_albums(library)[0]
    library.close()


def test_export_to_a_name_too_long_for_the_file_system(album, tmp_path):
    library, first = album
    with pytest.raises(LibraryError, match="Cannot export to"):
        edits.export_album(library, first.id, tmp_path / ("x" * 300))


def test_export_to_an_existing_file(album, tmp_path):
    library, first = album
    (tmp_path / "taken").write_text("mine")
    with pytest.raises(LibraryError, match="is a file"):
        edits.export_album(library, first.id, tmp_path / "taken")
    assert (tmp_path / "taken").read_text() == "mine"


def test_export_to_a_read_only_place(album, tmp_path, monkeypatch):
    library, first = album
    original_mkdir = Path.mkdir

    def read_only(self, *args, **kwargs):  # a read-only mount (root ignores permission bits)
        if self.is_relative_to(tmp_path / "mounted"):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(self))
        return original_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", read_only)
    with pytest.raises(LibraryError, match="Read-only file system"):
        edits.export_album(library, first.id, tmp_path / "mounted" / "out")


# ---- output into a closed pipe --------------------------------------------------------------


@pytest.mark.slow
def test_output_into_a_closed_pipe_exits_quietly(home):
    process = subprocess.Popen(
        [sys.executable, "-m", "photo_organizer", "status"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    process.stdout.close()  # like `| head -1` having read its line and gone
    error = process.stderr.read().decode()
    assert process.wait(timeout=120) == BROKEN_PIPE_EXIT
    assert error == ""


# ---- the ONNX export on a full disk ---------------------------------------------------------


@pytest.fixture
def full_disk(monkeypatch):
    """The export fails with ENOSPC; `free` is the free space the disk reports."""
    state = {"attempts": 0, "free": 10 * 1024**2}

    def no_space(clip_encoder, staging):
        state["attempts"] += 1
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(text_tower, "_export_and_verify", no_space)
    monkeypatch.setattr(text_tower, "_free_bytes", lambda folder: state["free"])
    return state


def test_an_export_that_hits_a_full_disk_is_retried_once_space_is_freed(tmp_path, full_disk):
    folder = tmp_path / "onnx"
    messages: list[str] = []
    assert prepare_text_search(object(), folder, messages.append) is False
    assert any("No space left on device" in message for message in messages)
    record = json.loads((folder / text_tower.FAILED_FILE).read_text())
    assert "No space left" in record["error"] and record["free_bytes"] == full_disk["free"]

    assert prepare_text_search(object(), folder) is False
    assert full_disk["attempts"] == 1  # the disk is still full: no new attempt on every search

    full_disk["free"] += text_tower.RETRY_WHEN_FREED_BYTES
    prepare_text_search(object(), folder)
    assert full_disk["attempts"] == 2


def test_an_old_failure_is_retried_after_a_while(tmp_path, full_disk, monkeypatch):
    folder = tmp_path / "onnx"
    prepare_text_search(object(), folder)
    later = text_tower.time.time() + text_tower.RETRY_AFTER_S + 1
    monkeypatch.setattr(text_tower.time, "time", lambda: later)
    prepare_text_search(object(), folder)
    assert full_disk["attempts"] == 2


def test_an_empty_marker_does_not_block_the_export(tmp_path, full_disk):
    folder = tmp_path / "onnx"
    folder.mkdir()
    (folder / text_tower.FAILED_FILE).write_bytes(b"")  # what a full disk left before this fix
    prepare_text_search(object(), folder)
    assert full_disk["attempts"] == 1


def test_no_marker_is_left_when_even_the_record_cannot_be_written(tmp_path, full_disk, monkeypatch):
    folder = tmp_path / "onnx"

    def disk_full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(Path, "write_text", disk_full)
    with pytest.raises(ModelError, match="No space left"):
        text_tower.export_text_tower(object(), folder)
    assert not list(folder.glob(text_tower.FAILED_FILE + "*"))


def test_a_bug_in_a_command_is_one_line_and_its_traceback_is_in_the_log(home, capsys, monkeypatch):
    import logging

    from photo_organizer.app_log import log_path
    from photo_organizer.cli import library as library_commands

    def broken_status(args, ctx):
        raise RuntimeError("status went wrong")

    monkeypatch.setattr(library_commands, "status_command", broken_status)
    try:
        assert main(["status"]) == 1
        error = capsys.readouterr().err
        assert error.count("\n") == 1 and "RuntimeError: status went wrong" in error
        assert f"Details are in {log_path(home)}." in error
        logged = log_path(home).read_text(encoding="utf-8")
        assert "Traceback" in logged and "broken_status" in logged
    finally:
        root = logging.getLogger()
        for handler in [h for h in root.handlers if getattr(h, "baseFilename", None) == str(log_path(home))]:
            root.removeHandler(handler)
            handler.close()
