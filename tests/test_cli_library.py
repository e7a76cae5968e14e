from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys

import pytest

from photo_organizer.cli.main import main
from photo_organizer.sample_photos import render, save_jpeg
from photo_organizer.storage import SCHEMA_VERSION


def run_cli(*args: str) -> int:
    return main(list(args))


def test_add_index_status_json(tmp_path, home, capsys):
    photos = tmp_path / "photos"
    for n in range(3):
        save_jpeg(render("beach", (64, 48), n), photos / f"{n}.jpg")
    (photos / "bad.jpg").write_text("nope")
    assert run_cli("add", str(photos)) == 0
    assert run_cli("index", "--no-embeddings", "--quiet") == 0
    capsys.readouterr()
    assert run_cli("status", "--json") == 0
    status = json.loads(capsys.readouterr().out)
    assert status["photos"] == {"ok": 3, "pending": 0, "error": 1, "removed": 0, "total": 4}
    assert status["roots"][0]["path"] == str(photos.resolve()) and status["roots"][0]["photos"] == 4
    assert status["failed"][0]["path"].endswith("bad.jpg") and "not an image" in status["failed"][0]["error"]
    assert status["schema_version"] == SCHEMA_VERSION
    assert [(m["role"], m["weights_installed"], m["embedded"], m["photos"]) for m in status["models"]] == [
        ("clip", False, 0, 3), ("dino", False, 0, 3)]
    assert not any(p.name.startswith(".") or p.suffix == ".db" for p in photos.rglob("*"))  # photos untouched


def test_remove_forgets_photos_but_not_files(tmp_path, home, capsys):
    photos = tmp_path / "photos"
    path = save_jpeg(render("beach", (64, 48), 0), photos / "a.jpg")
    run_cli("index", "--no-embeddings", "--quiet", str(photos))
    assert run_cli("remove", str(photos)) == 0
    capsys.readouterr()
    run_cli("status", "--json")
    status = json.loads(capsys.readouterr().out)
    assert status["roots"] == [] and status["photos"]["ok"] == 0  # kept as removed, to come back
    run_cli("add", str(photos))
    assert run_cli("remove", "--forget", str(photos)) == 0
    capsys.readouterr()
    run_cli("status", "--json")
    assert json.loads(capsys.readouterr().out)["photos"]["total"] == 0
    assert path.exists()


def test_errors_are_messages_not_tracebacks(tmp_path, home, capsys):
    assert run_cli("index") == 1
    assert "no folders yet" in capsys.readouterr().err
    assert run_cli("add", str(tmp_path / "missing")) == 1
    assert "is not a folder" in capsys.readouterr().err
    home.mkdir(parents=True, exist_ok=True)
    (home / "library.db").write_bytes(b"garbage" * 200)
    assert run_cli("status") == 1
    err = capsys.readouterr().err
    assert "cannot be read" in err and "Traceback" not in err


def test_locked_database_is_reported(tmp_path, home, capsys, monkeypatch):
    run_cli("status")
    blocker = sqlite3.connect(home / "library.db", timeout=0)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        from photo_organizer.storage import database

        monkeypatch.setattr(database, "DEFAULT_BUSY_TIMEOUT_S", 0.05)
        assert run_cli("add", str(tmp_path)) == 1
    finally:
        blocker.rollback()
        blocker.close()
    assert "locked" in capsys.readouterr().err


KILL_AFTER_FIRST_COMMITS = """
import os, signal, sys
from photo_organizer import progress
drive = progress.run_with_bar

def run_then_die(job, *args, **kwargs):
    def watched():
        while True:
            try:
                step = next(job)
            except StopIteration as stop:
                return stop.value
            yield step
            if step.stage == "thumbnails" and step.done >= 64:
                os.kill(os.getpid(), signal.SIGKILL)
    return drive(watched(), *args, **kwargs)

progress.run_with_bar = run_then_die
from photo_organizer.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.slow
def test_killed_index_resumes_with_nothing_lost(tmp_path, home):
    photos = tmp_path / "photos"
    for n in range(400):
        save_jpeg(render("forest", (400, 300), n), photos / f"{n:03d}.jpg")
    env = {**os.environ, "PHOTO_ORGANIZER_HOME": str(home)}
    command = [sys.executable, "-m", "photo_organizer", "index", "--no-embeddings", str(photos)]
    # The run kills itself hard as soon as 64 photos are committed: no polling race with a fast machine.
    killed = subprocess.run(
        [sys.executable, "-c", KILL_AFTER_FIRST_COMMITS, "index", "--no-embeddings", str(photos)],
        env=env, capture_output=True, text=True, timeout=300,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    conn = sqlite3.connect(home / "library.db")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    partial = dict(conn.execute("SELECT state, COUNT(*) FROM photos GROUP BY state").fetchall())
    conn.close()
    assert partial.get("ok", 0) < 400  # it really was interrupted

    finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr
    conn = sqlite3.connect(home / "library.db")
    assert conn.execute("SELECT state, COUNT(*) FROM photos GROUP BY state").fetchall() == [("ok", 400)]
    assert conn.execute("SELECT COUNT(DISTINCT path) FROM photos").fetchone()[0] == 400


def test_progress_lines_print_a_step_s_final_count_once():
    """The one-pass ITAE reports its last count while it finishes the sample: one line, not three."""
    import io

    from photo_organizer.progress import Progress, run_with_bar

    def job():
        yield Progress("dino", 0, 20, label="Comparing photos for albums")
        for _ in range(3):
            yield Progress("dino", 20, 20, label="Comparing photos for albums")
        yield Progress("albums", 1, 1, label="Finding albums")
        return "done"

    stream = io.StringIO()
    assert run_with_bar(job(), stream) == "done"
    lines = stream.getvalue().splitlines()
    assert [line for line in lines if "20/20" in line] == ["[Comparing photos for albums] 20/20"]
    assert [line for line in lines if line.startswith("[Finding albums]")] == ["[Finding albums] 1/1"]
