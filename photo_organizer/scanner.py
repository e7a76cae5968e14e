"""Find the photos under the library roots and detect what changed since the last scan.

Three stages of change detection, cheapest first:
1. a known path with the same (mtime, size) is unchanged: one ``stat`` and nothing else;
2. a new path whose partial content fingerprint matches a photo whose old path is gone is a
   move or rename: the row keeps its id, so embeddings, albums and marks stay;
3. after a complete walk of a root, its known paths that were not seen are marked removed
   (mark and sweep). Removed rows are kept so a photo that comes back keeps its marks.

A root that is not there as a whole (unplugged drive, unmounted share, renamed parent; see
``volumes``) is *offline*: it is not walked nor swept, its photos stay browsable, and the
report says so (and where the drive seems to be mounted now), then what came back.

Hidden files and folders are skipped; symlinked folders are followed once (loops never hang).
XMP sidecars are recorded in the same walk (not as photos), for ``curation.sync``.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice

from photo_organizer.curation.model import SIDECAR_SUFFIX
from photo_organizer.errors import ImageLoadError
from photo_organizer.imaging import SUPPORTED_EXTENSIONS, require_regular_file
from photo_organizer.progress import Job, Progress
from photo_organizer.storage import ERROR, OK, PENDING, REMOVED, Library, path_from_db
from photo_organizer.volumes import offline_reason, relocated_path, volume_of

FINGERPRINT_CHUNK = 64 * 1024
BATCH_FILES = 200  # files recorded per transaction, and per progress report


@dataclass
class ScanReport:
    seen: int = 0
    new: int = 0
    unchanged: int = 0
    modified: int = 0
    moved: int = 0
    restored: int = 0
    removed: int = 0
    unreadable_folders: list[str] = field(default_factory=list)
    offline_folders: list[tuple[str, str]] = field(default_factory=list)  # (folder, why); photos kept
    returned_folders: list[tuple[str, int]] = field(default_factory=list)  # (folder, photos found again)
    relocations: list[tuple[str, str]] = field(default_factory=list)  # (offline folder, where it seems to be now)

    def folder_notes(self) -> list[str]:
        """What happened to whole folders, in the user's words."""
        notes = [f"{folder} is back: {count:,} photos found again." for folder, count in self.returned_folders]
        for folder, why in self.offline_folders:
            notes.append(f"{folder} is offline ({why}); its photos are kept and stay browsable.")
        for old, new in self.relocations:
            notes.append(f"{old} seems to be at {new} now: run `photo-organizer relocate {old} {new}`.")
        return notes


def fingerprint(path: str, size: int) -> str | None:
    """Hash of the size and the first and last 64 KiB: cheap, and enough to tell files apart."""
    if size == 0:
        return None
    digest = hashlib.blake2b(str(size).encode(), digest_size=16)
    require_regular_file(path)  # replaced by a named pipe since the walk: never block on it
    with open(path, "rb") as handle:
        digest.update(handle.read(FINGERPRINT_CHUNK))
        if size > FINGERPRINT_CHUNK:
            handle.seek(max(FINGERPRINT_CHUNK, size - FINGERPRINT_CHUNK))
            digest.update(handle.read(FINGERPRINT_CHUNK))
    return digest.hexdigest()


def walk_photos(
    root: str, unreadable: list[str] | None = None, sidecars: list[tuple[str, int, float]] | None = None
) -> Iterator[tuple[str, os.stat_result]]:
    """Yield (path, stat) of supported files under ``root``, depth first, each folder once;
    XMP sidecars go to ``sidecars`` as (path, size, mtime)."""
    stack = [root]
    visited: set[tuple[int, int]] = set()
    while stack:
        folder = stack.pop()
        try:
            info = os.stat(folder)
            if (info.st_dev, info.st_ino) in visited:
                continue  # symlink loop or a folder linked twice
            visited.add((info.st_dev, info.st_ino))
            with os.scandir(folder) as entries:
                listing = sorted(entries, key=lambda entry: entry.name)
        except OSError:
            if unreadable is not None:
                unreadable.append(folder)
            continue
        subfolders = []
        for entry in listing:
            if entry.name.startswith("."):
                continue
            try:
                if entry.is_dir():
                    subfolders.append(entry.path)
                elif entry.is_file() and os.path.splitext(entry.name)[1].lower() in SUPPORTED_EXTENSIONS:
                    yield entry.path, entry.stat()
                elif sidecars is not None and entry.name.lower().endswith(SIDECAR_SUFFIX) and entry.is_file():
                    info = entry.stat()
                    sidecars.append((entry.path, info.st_size, info.st_mtime))
            except OSError:
                continue  # vanished or a broken link while we looked
        stack.extend(reversed(subfolders))


@dataclass
class _Known:
    id: int
    size: int | None
    mtime: float | None
    state: str
    has_metadata: bool
    fingerprint: str | None
    updated_at: float | None = None  # for a failed file: when the failure was recorded


def scan_roots(library: Library, roots: list[dict] | None = None) -> Job[ScanReport]:
    """Walk each root and record new, changed, moved and removed photos (no decoding)."""
    report = ScanReport()
    for root in roots if roots is not None else library.roots():
        folder = path_from_db(root["path"])
        why = offline_reason(folder, root.get("device"))
        if why is None and not any(True for _ in walk_photos(folder)) and library.photo_count_by_root().get(root["id"]):
            why = "it is empty now, as a drive that is not mounted looks"
        if why is not None:
            _record_offline(library, root, folder, why, report)
            continue
        seen_before = report.seen
        yield from _scan_root(library, root, report)
        if root.get("offline_since") is not None:
            report.returned_folders.append((folder, report.seen - seen_before))
        library.mark_root_scanned(root["id"], time.time(), _volume(folder))
    return report


def _record_offline(library: Library, root: dict, folder: str, why: str, report: ScanReport) -> None:
    """An offline folder is not swept: its photos stay as they are until it comes back."""
    library.set_root_offline(root["id"], time.time())
    report.offline_folders.append((folder, why))
    moved_to = relocated_path(root.get("volume_uuid"), root.get("volume_path"))
    if moved_to is not None and moved_to != folder:
        report.relocations.append((folder, moved_to))


def _volume(folder: str) -> tuple[int, str | None, str] | None:
    try:
        volume = volume_of(folder)
    except OSError:
        return None
    return volume.device, volume.uuid, volume.path_in_volume


def _load_known(library: Library, root_id: int) -> dict[str, _Known]:
    rows = library.known_photos_of_root(root_id)
    return {
        path_from_db(path): _Known(pid, size, mtime, state, bool(read), content, updated_at)
        for pid, path, size, mtime, state, read, content, updated_at in rows
    }


def _scan_root(library: Library, root: dict, report: ScanReport) -> Job[None]:
    known = _load_known(library, root["id"])
    seen_ids: set[int] = set()
    sidecars: list[tuple[str, int, float]] = []
    files = walk_photos(path_from_db(root["path"]), report.unreadable_folders, sidecars)
    # One transaction per batch, and no yield inside one: a cancel keeps every batch done.
    while batch := list(islice(files, BATCH_FILES)):
        with library.transaction():
            for path, stat in batch:
                report.seen += 1
                seen_ids.add(_record_file(library, root["id"], path, stat, known.get(path), report))
        yield Progress("scan", report.seen, None, f"{report.new} new")
    with library.transaction():
        _sweep(library, known, seen_ids, report)
        library.replace_root_sidecars(root["id"], sidecars)  # only after a complete walk
    yield Progress("scan", report.seen, report.seen, f"{report.new} new, {report.removed} removed")


def _record_file(
    library: Library, root_id: int, path: str, stat: os.stat_result, known: _Known | None, report: ScanReport
) -> int:
    if known is not None and known.size == stat.st_size and known.mtime == stat.st_mtime and not _may_read_now(known, stat):
        if known.state == REMOVED:
            report.restored += 1
            new_state = OK if known.has_metadata else PENDING
            library.set_photo_state(known.id, new_state)
        else:
            report.unchanged += 1
        return known.id
    try:
        content = fingerprint(path, stat.st_size)
    except (OSError, ImageLoadError):
        content = None  # vanished, unreadable or not a plain file now: the decode stage records why
    if known is not None:
        report.modified += 1
        _mark_modified(library, known, stat, content)
        return known.id
    moved_from = _find_moved(library, content) if content else None
    if moved_from is not None:
        report.moved += 1
        library.record_move(moved_from, path, root_id, stat.st_size, stat.st_mtime)
        return moved_from
    report.new += 1
    return library.add_photo(root_id, path, stat.st_size, stat.st_mtime, content)


def _may_read_now(known: _Known, stat: os.stat_result) -> bool:
    """A file that could not be read is tried again once its permissions, owner or content
    changed since the failure (chmod and chown move the inode's change time, not mtime)."""
    return known.state == ERROR and known.updated_at is not None and stat.st_ctime > known.updated_at


def _mark_modified(library: Library, known: _Known, stat: os.stat_result, content: str | None) -> None:
    """New content at a known path: metadata and embeddings must be computed again."""
    library.record_new_content(known.id, stat.st_size, stat.st_mtime, content, changed=known.fingerprint != content)


def _find_moved(library: Library, content: str) -> int | None:
    """A photo with this content whose recorded path no longer exists has moved here."""
    for row in library.photos_with_fingerprint(content):
        if not os.path.lexists(path_from_db(row["path"])):
            return int(row["id"])
    return None


def _sweep(library: Library, known: dict[str, _Known], seen_ids: set[int], report: ScanReport) -> None:
    gone = [k.id for k in known.values() if k.id not in seen_ids and k.state != REMOVED]
    # A row that moved to a path seen in this walk is in seen_ids; a row moved to another
    # root keeps its new root_id and was never in `known`.
    library.mark_removed(gone)
    report.removed += len(gone)
