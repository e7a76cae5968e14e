"""Photos arriving while the app is open: watch the library folders, index once things settle.

``ArrivalTracker`` decides *when* (Qt-free, with an injectable clock and ``stat``, so it is
tested without waiting): a changed path is noted; a folder is due for indexing once no new
change arrived for ``quiet_s`` and every noted file has stopped growing (the same size at
two checks at least ``check_s`` apart). A burst of files gives one run, a file being copied
is read only once it is complete. Changes under ``ignored`` folders (the data home, when it
sits inside a photo folder) and hidden files never count, so our own writes cannot start a
run that causes another one; the scanner never writes into photo folders anyway.

``FolderWatcher`` feeds the tracker from ``watchdog`` (its own thread); the window polls
``due()`` on a timer and runs the index pipeline for the folders it returns.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from photo_organizer.imaging import SUPPORTED_EXTENSIONS

QUIET_S = 2.0  # no new change for this long: the burst is over
CHECK_S = 1.0  # sizes compared at least this far apart


@dataclass
class _Arrival:
    root_id: int
    size: int | None = None  # at the last check; None: not checked yet
    checked_at: float = 0.0
    stable: bool = False


class ArrivalTracker:
    """Which library folders have settled changes to index (thread-safe)."""

    def __init__(
        self,
        roots: Mapping[int, Path | str],
        ignored: Iterable[Path | str] = (),
        clock: Callable[[], float] = time.monotonic,
        size_of: Callable[[str], int | None] | None = None,
        quiet_s: float = QUIET_S,
        check_s: float = CHECK_S,
    ) -> None:
        self._roots = {root_id: _normalised(path) for root_id, path in roots.items()}
        self._ignored = [_normalised(path) for path in ignored]
        self._clock = clock
        self._size_of = size_of or _file_size
        self._quiet_s = quiet_s
        self._check_s = check_s
        self._arrivals: dict[str, _Arrival] = {}
        self._last_change = 0.0
        self._lock = threading.Lock()

    def note(self, path: Path | str) -> None:
        """A file or folder was created, changed, moved or deleted."""
        text = _normalised(path)
        root_id = self._root_of(text)
        if root_id is None or not self._counts(text, self._roots[root_id]):
            return
        with self._lock:
            self._arrivals[text] = _Arrival(root_id)  # growing again: check its size afresh
            self._last_change = self._clock()

    def pending(self) -> bool:
        with self._lock:
            return bool(self._arrivals)

    def due(self) -> list[int]:
        """Folders whose changes have settled (and forgets them); call about once a second."""
        with self._lock:
            now = self._clock()
            for path, arrival in self._arrivals.items():
                self._check(path, arrival, now)
            if not self._arrivals or now - self._last_change < self._quiet_s:
                return []
            if not all(arrival.stable for arrival in self._arrivals.values()):
                return []
            ready = sorted({arrival.root_id for arrival in self._arrivals.values()})
            self._arrivals.clear()
            return ready

    def _check(self, path: str, arrival: _Arrival, now: float) -> None:
        if arrival.stable or (arrival.size is not None and now - arrival.checked_at < self._check_s):
            return
        size = self._size_of(path)
        if size is None:  # gone, or a folder: nothing is being written into it
            arrival.stable = True
            return
        arrival.stable = arrival.size == size
        arrival.size = size
        arrival.checked_at = now

    def _root_of(self, path: str) -> int | None:
        for root_id, root in self._roots.items():
            if path == root or path.startswith(root + os.sep):
                return root_id
        return None

    def _counts(self, path: str, root: str) -> bool:
        if any(path == ignored or path.startswith(ignored + os.sep) for ignored in self._ignored):
            return False
        parts = Path(path[len(root) :]).parts
        if any(part.startswith(".") for part in parts):
            return False  # hidden files and folders are never indexed
        suffix = Path(path).suffix.lower()
        return not suffix or suffix in SUPPORTED_EXTENSIONS  # a photo, or perhaps a folder


def _normalised(path: Path | str) -> str:
    return os.path.normpath(os.path.abspath(os.fspath(path)))


def _file_size(path: str) -> int | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_size if os.path.isfile(path) else None


class FolderWatcher:
    """Feeds an ``ArrivalTracker`` from watchdog events of every library folder."""

    def __init__(self, tracker: ArrivalTracker, folders: Iterable[Path | str]) -> None:
        from watchdog.events import FileSystemEventHandler
        from watchdog.observers import Observer

        class _Handler(FileSystemEventHandler):
            def on_any_event(self, event) -> None:  # noqa: ANN001 - watchdog's event
                if event.event_type in ("opened", "closed_no_write"):
                    return  # reads (ours included) change nothing
                tracker.note(os.fsdecode(event.src_path))
                destination = getattr(event, "dest_path", "")
                if destination:
                    tracker.note(os.fsdecode(destination))

        self._observer = Observer()
        handler = _Handler()
        for folder in folders:
            if os.path.isdir(folder):
                self._observer.schedule(handler, os.fspath(folder), recursive=True)
        self._observer.daemon = True
        self._observer.start()

    def stop(self) -> None:
        self._observer.stop()
        self._observer.join(timeout=5)
