"""One writer at a time: the library lock, held by one process, refused or awaited by another."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from photo_organizer.errors import LibraryBusyError
from photo_organizer.storage import LibraryWriterLock

HOLDER = (
    "import sys\n"
    "from photo_organizer.storage import LibraryWriterLock\n"
    "lock = LibraryWriterLock(sys.argv[1]).acquire()\n"
    "print('locked', flush=True)\n"
    "sys.stdin.readline()\n"
    "lock.release()\n"
    "print('released', flush=True)\n"
    "sys.stdin.readline()\n"
)


@pytest.fixture
def holder(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    assert process.stdout.readline().strip() == "locked"
    yield process
    if process.poll() is None:
        process.kill()
    process.wait(timeout=30)


def test_a_second_process_is_told_the_library_is_busy(tmp_path, holder):
    with pytest.raises(LibraryBusyError, match="The library is busy: another Photo Organizer"):
        LibraryWriterLock(tmp_path).acquire()


def test_a_waiting_process_gets_the_lock_once_the_other_releases_it(tmp_path, holder):
    holder.stdin.write("\n")  # the holder releases soon; we wait for it
    holder.stdin.flush()
    with LibraryWriterLock(tmp_path, wait_s=30) as lock:
        assert lock.held
    assert not lock.held


def test_the_lock_goes_with_a_killed_process(tmp_path, holder):
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=30)
    with LibraryWriterLock(tmp_path):
        pass


def test_the_lock_is_free_again_after_release(tmp_path):
    first = LibraryWriterLock(tmp_path).acquire()
    first.release()
    LibraryWriterLock(tmp_path).acquire().release()
