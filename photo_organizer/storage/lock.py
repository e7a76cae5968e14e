"""The library's writer lock: one indexing Photo Organizer (window or command) at a time.

An exclusive ``flock`` on ``<data home>/library.lock``. The operating system releases it when
the process ends, however it ends, so a crash never leaves the library locked.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import IO

from photo_organizer.errors import LibraryBusyError

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]
    import msvcrt

LOCK_FILE_NAME = "library.lock"
_POLL_S = 0.1

BUSY_MESSAGE = (
    "The library is busy: another Photo Organizer (window or command) is indexing it. "
    "Wait for it to finish, or close it, then try again."
)


def _try_lock(handle: IO[bytes]) -> bool:
    try:
        if fcntl is not None:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        else:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
    except OSError:
        return False
    return True


def _unlock(handle: IO[bytes]) -> None:
    if fcntl is not None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    else:
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)


class LibraryWriterLock:
    """``with LibraryWriterLock(home.root, wait_s=...):`` around work that writes the library.

    ``wait_s`` 0 tries once; otherwise it waits up to that long for the other writer. Raises
    LibraryBusyError when the lock stays taken.
    """

    def __init__(self, data_home: Path | str, wait_s: float = 0.0) -> None:
        self.path = Path(data_home) / LOCK_FILE_NAME
        self.wait_s = wait_s
        self._handle: IO[bytes] | None = None

    @property
    def held(self) -> bool:
        return self._handle is not None

    def acquire(self) -> "LibraryWriterLock":
        if self._handle is not None:
            return self
        handle = open(self.path, "a+b")  # noqa: SIM115 - kept open while the lock is held
        deadline = time.monotonic() + self.wait_s
        while not _try_lock(handle):
            if time.monotonic() >= deadline:
                handle.close()
                raise LibraryBusyError(BUSY_MESSAGE)
            time.sleep(_POLL_S)
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n".encode())  # for a person wondering who holds it
        handle.flush()
        self._handle = handle
        return self

    def release(self) -> None:
        if self._handle is None:
            return
        try:
            _unlock(self._handle)
        finally:
            self._handle.close()
            self._handle = None

    def __enter__(self) -> "LibraryWriterLock":
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
