"""Moving photos to the system trash (never deleting them) and bringing them back.

``send2trash`` moves a file to the platform's trash. Where it went is known on Linux and
other freedesktop systems: the XDG trash of the home (``$XDG_DATA_HOME/Trash``) or of the
file's volume (``<mount>/.Trash-<uid>`` or ``<mount>/.Trash/<uid>``), each with a ``files/``
folder and an ``info/NAME.trashinfo`` naming the original path. We find the trashed file by
that info and keep both paths in the undo list, so ``undo`` moves it back to its place. On
other systems the location stays unknown and the user restores it from the system trash.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from photo_organizer.errors import LibraryError
from photo_organizer.stacks import store
from photo_organizer.storage import Library


@dataclass
class TrashReport:
    batch: int
    trashed: list[store.TrashEntry] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)

    def as_json(self) -> dict:
        return {
            "batch": self.batch,
            "trashed": [entry.as_json() for entry in self.trashed],
            "failed": [{"path": path, "reason": reason} for path, reason in self.failed],
        }


@dataclass
class RestoreReport:
    restored: list[store.TrashEntry] = field(default_factory=list)
    failed: list[tuple[store.TrashEntry, str]] = field(default_factory=list)

    def as_json(self) -> dict:
        return {
            "restored": [entry.as_json() for entry in self.restored],
            "failed": [{**entry.as_json(), "reason": reason} for entry, reason in self.failed],
        }


def trash_photos(library: Library, photos: Iterable[tuple[int, str]]) -> TrashReport:
    """Move each (photo id, path) to the system trash and record it in the undo list."""
    from send2trash import send2trash
    from send2trash.exceptions import TrashPermissionError

    report = TrashReport(library.next_trash_batch())
    for photo_id, path in photos:
        try:
            send2trash(path)
        except (OSError, TrashPermissionError) as error:
            report.failed.append((path, str(error) or type(error).__name__))
            continue
        found = find_in_trash(path)
        trash_path, info_path = (str(found[0]), str(found[1])) if found else (None, None)
        entry_id = library.log_trashed(report.batch, photo_id, path, trash_path, info_path)
        report.trashed.extend(e for e in store.trash_entries(library, report.batch) if e.id == entry_id)
    return report


def restore(library: Library, batch: int | None = None) -> RestoreReport:
    """Bring back the files of one trash batch (default: the last one not yet restored)."""
    batch = batch if batch is not None else library.last_trash_batch()
    if batch is None:
        raise LibraryError("Nothing to undo: the trash list is empty. See `photo-organizer trash`.")
    entries = store.trash_entries(library, batch)
    if not entries:
        raise LibraryError(f"Trash batch {batch} has nothing left to restore. See `photo-organizer trash`.")
    report = RestoreReport()
    for entry in entries:
        reason = _move_back(entry)
        if reason is None:
            library.log_restored(entry.id, entry.photo_id)
            report.restored.append(entry)
        else:
            report.failed.append((entry, reason))
    return report


def _move_back(entry: store.TrashEntry) -> str | None:
    """None when the file is back in its place, else why not."""
    original = Path(entry.original_path)
    if original.exists():
        return "a file with that name is already there"
    if entry.trash_path is None or not Path(entry.trash_path).exists():
        return "not found in the trash (restore it from the system trash, or it was emptied)"
    original.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(entry.trash_path, original)
    if entry.info_path is not None:
        Path(entry.info_path).unlink(missing_ok=True)
    return None


def trash_folders(path: str) -> list[Path]:
    """The XDG trash folders a file at ``path`` may have gone to (home trash first)."""
    data_home = os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share")
    folders = [Path(data_home) / "Trash"]
    try:  # send2trash fixes its home trash when first imported
        from send2trash.plat_other import HOMETRASH

        folders.insert(0, Path(HOMETRASH))
    except ImportError:  # not a freedesktop system
        pass
    if hasattr(os, "getuid"):
        mount = _mount_point(Path(path).parent)
        folders += [mount / f".Trash-{os.getuid()}", mount / ".Trash" / str(os.getuid())]
    return folders


def find_in_trash(original: str) -> tuple[Path, Path] | None:
    """(trashed file, its .trashinfo) of the newest trashing of ``original``; None if unknown."""
    wanted = os.path.abspath(original)
    newest: tuple[str, Path, Path] | None = None
    for folder in trash_folders(original):
        info_folder = folder / "info"
        if not info_folder.is_dir():
            continue
        for info in info_folder.glob("*.trashinfo"):
            fields = _read_trashinfo(info)
            recorded = fields.get("Path", "")
            if not os.path.isabs(recorded):  # a volume trash records paths relative to its mount
                mount = folder.parent if folder.name.startswith(".Trash-") else folder.parent.parent
                recorded = os.path.join(str(mount), recorded)
            if os.path.abspath(recorded) != wanted:
                continue
            trashed = folder / "files" / info.name[: -len(".trashinfo")]
            date = fields.get("DeletionDate", "")
            if trashed.exists() and (newest is None or date >= newest[0]):
                newest = (date, trashed, info)
    return (newest[1], newest[2]) if newest else None


def _read_trashinfo(info: Path) -> dict[str, str]:
    fields = {}
    try:
        for line in info.read_text(encoding="utf-8", errors="surrogateescape").splitlines():
            key, sep, value = line.partition("=")
            if sep:
                fields[key.strip()] = unquote(value.strip(), errors="surrogateescape")
    except OSError:
        return {}
    return fields


def _mount_point(path: Path) -> Path:
    path = path.resolve()
    while not os.path.ismount(path) and path.parent != path:
        path = path.parent
    return path
