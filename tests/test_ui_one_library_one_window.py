"""One window per library: a second launch brings the first forward; a command-line index
while the window indexes is told the library is busy, and the window lets go when it is done."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

from photo_organizer import pipeline
from photo_organizer.progress import Progress
from photo_organizer.storage import LibraryWriterLock
from photo_organizer.ui.app import launch
from photo_organizer.ui.job_names import INDEXING
from photo_organizer.ui.single_instance import InstanceServer, ask_running_instance


def test_a_second_launch_reaches_the_first_window_and_adds_its_folder(qtbot, ctx, tmp_path):
    window = launch(ctx, scan_on_start=False)
    qtbot.addWidget(window)
    first = InstanceServer(ctx.home.root)
    assert first.listen()
    first.activated.connect(window.bring_forward)
    folder = tmp_path / "more photos"
    folder.mkdir()

    assert not InstanceServer(ctx.home.root).listen()  # a second copy does not open its own window
    with qtbot.waitSignal(first.activated, timeout=10000) as arrived:
        assert ask_running_instance(ctx.home.root, [str(folder)])
    assert arrived.args == [[str(folder)]]
    assert [f.path for f in window.backend.folders()] == [str(folder)]  # added by the first window
    qtbot.waitUntil(lambda: not window.jobs.is_busy(), timeout=30000)  # and indexed
    assert not ask_running_instance(tmp_path / "another home")  # another library: nobody answers

    first.close()  # the window closed (or crashed): the next launch opens a window itself
    again = InstanceServer(ctx.home.root)
    assert again.listen()
    again.close()


def test_the_gui_command_hands_over_to_the_open_window_and_exits_0(qtbot, home, ctx, tmp_path):
    server = InstanceServer(ctx.home.root)
    assert server.listen()
    folder = tmp_path / "trip"
    folder.mkdir()
    env = {**os.environ, "PYTHONPATH": os.getcwd(), "QT_QPA_PLATFORM": "offscreen"}
    command = [sys.executable, "-m", "photo_organizer", "--home", str(home), "gui", "--add", str(folder)]
    with qtbot.waitSignal(server.activated, timeout=60000) as arrived:
        second = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = second.communicate(timeout=60)
    server.close()
    assert second.returncode == 0, err
    assert "already open" in err and arrived.args == [[str(folder)]]


def blocking_stage(started: threading.Event, release: threading.Event) -> pipeline.Stage:
    """A pipeline step that works until released (and can be cancelled between steps)."""

    def run(_run: pipeline.StageRun):
        started.set()
        while not release.is_set():
            yield Progress("slow", 0, None)
            time.sleep(0.02)
        return None

    return pipeline.Stage("slow", "Working slowly", 1, lambda run: True, run)


def cli_index(home) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    command = [sys.executable, "-m", "photo_organizer", "--home", str(home), "index", "--no-embeddings"]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)


def test_a_command_line_index_while_the_window_indexes_is_told_the_library_is_busy(qtbot, ctx, home, tmp_path, monkeypatch):
    (tmp_path / "photos").mkdir()
    ctx.library.add_root(tmp_path / "photos")
    started, release = threading.Event(), threading.Event()
    monkeypatch.setattr(pipeline, "STAGES", [blocking_stage(started, release)])
    window = launch(ctx, scan_on_start=False)
    qtbot.addWidget(window)

    window.start_indexing()
    qtbot.waitUntil(started.is_set, timeout=10000)
    busy = cli_index(home)
    assert busy.returncode != 0 and "The library is busy" in busy.stderr

    window.jobs.cancel()  # the user cancels: the window lets go of the library
    qtbot.waitUntil(lambda: not window.jobs.is_queued_or_running(INDEXING), timeout=10000)
    LibraryWriterLock(home).acquire().release()

    release.set()  # the next run ends by itself: the lock goes with it too
    window.start_indexing()
    qtbot.waitUntil(lambda: not window.jobs.is_queued_or_running(INDEXING), timeout=10000)
    done = cli_index(home)
    assert done.returncode == 0, done.stderr
