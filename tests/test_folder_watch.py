"""Photos arriving in a library folder: indexed once they stopped growing, one run per burst,
never for our own writes. The tracker runs on a fake clock; one test uses real watchdog."""

from __future__ import annotations

import time

from photo_organizer.app.folder_watch import ArrivalTracker, FolderWatcher
from tests.ui_support import jpeg_bytes


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def tick(tracker: ArrivalTracker, clock: FakeClock, seconds: int) -> list[list[int]]:
    """Poll once a second, as the window does; the runs that would start."""
    runs = []
    for _ in range(seconds):
        clock.advance(1.0)
        if due := tracker.due():
            runs.append(due)
    return runs


def test_a_file_written_in_two_halves_is_indexed_only_after_it_stopped_growing(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    clock = FakeClock()
    tracker = ArrivalTracker({7: folder}, clock=clock)
    data = jpeg_bytes(640, 480)
    photo = folder / "arriving.jpg"

    photo.write_bytes(data[: len(data) // 2])
    tracker.note(photo)
    assert tick(tracker, clock, 1) == []  # first size seen: not known to be complete
    with photo.open("ab") as handle:  # the copy goes on, with no new event in between
        handle.write(data[len(data) // 2 :])
    assert tick(tracker, clock, 1) == []  # it grew since the last check
    assert tick(tracker, clock, 3) == [[7]]  # the same size twice, and quiet: index folder 7
    assert tick(tracker, clock, 10) == []  # and only once


def test_a_burst_of_twenty_files_triggers_one_run(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    clock = FakeClock()
    tracker = ArrivalTracker({1: folder, 2: tmp_path / "other"}, clock=clock)
    for number in range(20):
        path = folder / "trip" / f"img_{number:02d}.jpg"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(jpeg_bytes())
        tracker.note(path)
        clock.advance(0.2)
    assert tick(tracker, clock, 15) == [[1]]


def test_our_own_writes_and_hidden_or_foreign_files_start_nothing(tmp_path):
    folder = tmp_path / "photos"
    home = folder / "data-home"  # the data home inside a watched folder
    home.mkdir(parents=True)
    clock = FakeClock()
    tracker = ArrivalTracker({1: folder}, ignored=[home], clock=clock)
    for path in (home / "library.db-wal", home / "thumbs" / "x.jpg", folder / ".hidden.jpg", folder / "notes.txt", tmp_path / "elsewhere.jpg"):
        tracker.note(path)
    assert not tracker.pending() and tick(tracker, clock, 5) == []

    tracker.note(folder / "gone.jpg")  # deleted: nothing grows, the next run marks it removed
    assert tick(tracker, clock, 5) == [[1]]


def test_watchdog_events_reach_the_tracker(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    tracker = ArrivalTracker({1: folder}, quiet_s=0.0, check_s=0.0)
    watcher = FolderWatcher(tracker, [folder])
    try:
        (folder / "new.jpg").write_bytes(jpeg_bytes())
        deadline = time.monotonic() + 10
        while not tracker.pending() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert tracker.pending()
    finally:
        watcher.stop()
