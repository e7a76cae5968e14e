"""The data home is the user's alone: its folders 0700, its files 0600 (issue 18.14).

The databases, thumbnails and logs name and show the user's photos and searches; on a shared
computer no other local account may read them. Only the home's own files are changed, never a
photo folder, and never through a symbolic link. POSIX only: Windows keeps a user's profile
folder private by its access lists already.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_OTHERS = 0o077  # group and others: read, write, search
_ENFORCED = os.name == "posix"


@contextmanager
def private_umask() -> Iterator[None]:
    """Files and folders created inside are their owner's alone. The umask belongs to the
    whole process, so keep the block to the call that creates (an export made meanwhile by
    another thread would be private too)."""
    if not _ENFORCED:
        yield
        return
    previous = os.umask(_OTHERS)
    try:
        yield
    finally:
        os.umask(previous)


def create_private_file(path: Path) -> None:
    """An empty file (an empty SQLite database is a new one) readable by its owner only,
    unless the file is there already. SQLite gives its -wal and -shm files the database's
    permissions. Best effort: an unwritable home is reported by whoever opens the file."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError:
        pass


def make_private(path: Path) -> None:
    """Take group and others' access from an existing file or folder. Best effort: a file on
    a read-only disk or owned by someone else stays as it is."""
    if not _ENFORCED:
        return
    try:
        mode = path.lstat().st_mode
        if stat.S_ISLNK(mode) or not mode & _OTHERS:
            return
        os.chmod(path, stat.S_IMODE(mode) & ~_OTHERS)
    except OSError:
        pass


def make_tree_private(folder: Path) -> None:
    """``make_private`` on a folder of the home and everything inside (links not followed)."""
    make_private(folder)
    for parent, folders, files in os.walk(folder):
        for name in folders + files:
            make_private(Path(parent) / name)
