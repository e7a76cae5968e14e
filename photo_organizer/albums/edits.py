"""The user's edits: rename, merge, hide, remove photos, export. Re-clustering respects them
(see ``identity``): a renamed, hidden, merged or trimmed album is "touched" and protected.

Export copies (or links) an album's photos into a folder. It never overwrites: each file is
created exclusively, and a name that is taken gets a " (2)" suffix unless the file there is
already this very photo (an export run twice adds nothing). Originals are only ever read.
"""

from __future__ import annotations

import filecmp
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from photo_organizer.albums import store
from photo_organizer.albums.recluster import last_clustering
from photo_organizer.errors import LibraryError
from photo_organizer.storage import Library
from photo_organizer.storage.albums import KIND_TAUGHT

EXPORT_MODES = ("copy", "symlink", "hardlink")


def rename_album(library: Library, album_id: int, name: str | None) -> store.Album:
    """Give the album the user's name; an empty name returns it to its automatic name."""
    store.get_album(library, album_id)
    cleaned = (name or "").strip() or None
    library.set_album_name(album_id, cleaned)
    return store.get_album(library, album_id)


def set_hidden(library: Library, album_id: int, hidden: bool) -> store.Album:
    store.get_album(library, album_id)
    library.set_album_hidden(album_id, hidden)
    return store.get_album(library, album_id)


def merge_albums(library: Library, target_id: int, source_ids: Sequence[int]) -> store.Album:
    """Move every photo of the source albums into the target and delete the sources.

    The moved photos become manual members of the target, so the next re-clustering keeps
    them together. The target keeps its name; if it has none, it takes the first source's
    user name. Photos excluded from the target stay out.
    """
    sources = [i for i in dict.fromkeys(source_ids) if i != target_id]
    if not sources:
        raise LibraryError("Name at least one other album to merge into the first one.")
    target = store.get_album(library, target_id)
    source_albums = [store.get_album(library, i) for i in sources]
    excluded = library.album_exclusions().get(target_id, set())
    current = {m.photo_id: m for m in store.members(library, target_id)}
    incoming = [m for album in source_albums for m in store.members(library, album.id)]
    entries = [(m.photo_id, m.strength, m.source) for m in current.values()]
    entries += [(m.photo_id, 1.0, store.SOURCE_MERGE) for m in incoming if m.photo_id not in excluded]
    name = target.name or next((a.name for a in source_albums if a.name), None)
    content = _content_with_geometry(library, target, entries)
    with library.transaction():
        store.write_album(library, target_id, content)
        library.delete_albums(sources)
        library.set_album_name(target_id, name)
    return store.get_album(library, target_id)


def create_album(library: Library, name: str, photo_ids: Sequence[int] = ()) -> store.Album:
    """A new album with the user's name, empty or with these photos placed by hand."""
    cleaned = name.strip()
    if not cleaned:
        raise LibraryError("Give the new album a name.")
    empty = store.AlbumContent([], [], [], None, [], None)
    with library.transaction():
        album_id = store.write_album(library, None, empty)
        library.set_album_name(album_id, cleaned)
        if photo_ids:
            add_photos(library, album_id, photo_ids)
    return store.get_album(library, album_id)


def add_photos(library: Library, album_id: int, photo_ids: Sequence[int]) -> store.Album:
    """Put photos into an album by hand. They are manual members: re-clustering keeps them
    there (and no longer excludes them, if the user had taken them out before); a taught album
    learns each as a liked example."""
    album = store.get_album(library, album_id)
    if album.kind == KIND_TAUGHT:
        from photo_organizer.taught.albums import add  # taught imports the album modules

        add(library, album_id, photo_ids)
        return store.get_album(library, album_id)
    wanted = list(dict.fromkeys(int(i) for i in photo_ids))
    known = {photo.id for photo in library.photos(wanted)}
    unknown = [pid for pid in wanted if pid not in known]
    if unknown:
        raise LibraryError(f"There is no photo with id {', '.join(map(str, unknown))}.")
    current = [(m.photo_id, m.strength, m.source) for m in store.members(library, album_id)]
    entries = current + [(pid, 1.0, store.SOURCE_MANUAL) for pid in wanted]
    if album.model_key is None:  # an album made by hand takes the features of the automatic ones
        album = replace(album, model_key=_album_model_key(library))
    content = _content_with_geometry(library, album, entries)
    with library.transaction():
        store.write_album(library, album_id, content)
        library.allow_in_album(album_id, wanted)
    return store.get_album(library, album_id)


def _album_model_key(library: Library) -> str | None:
    state = last_clustering(library)
    return state["model_key"] if state else None


def remove_photos(library: Library, album_id: int, photo_ids: Sequence[int]) -> store.Album:
    """Take photos out of an album for good: re-clustering will not put them back; a taught
    album learns each as a disliked example."""
    album = store.get_album(library, album_id)
    if album.kind == KIND_TAUGHT:
        from photo_organizer.taught.albums import reject  # taught imports the album modules

        reject(library, album_id, photo_ids)
        return store.get_album(library, album_id)
    current = store.members(library, album_id)
    wanted = set(int(i) for i in photo_ids)
    unknown = wanted - {m.photo_id for m in current}
    if unknown:
        raise LibraryError(f"Album {album_id} does not contain photo(s) {', '.join(map(str, sorted(unknown)))}.")
    kept = [(m.photo_id, m.strength, m.source) for m in current if m.photo_id not in wanted]
    content = _content_with_geometry(library, album, kept)
    with library.transaction():
        store.write_album(library, album_id, content)
        library.exclude_from_album(album_id, wanted)
    return store.get_album(library, album_id)


def _content_with_geometry(
    library: Library, album: store.Album, entries: list[tuple[int, float, str]]
) -> store.AlbumContent:
    """The album's new content with its centroid and covers recomputed from its features."""
    row_of: dict[int, int] = {}
    unit = np.zeros((0, 0), dtype=np.float32)
    if album.model_key:
        feature_ids, unit = store.album_features(library, album.model_key, [entry[0] for entry in entries])
        row_of = {int(pid): row for row, pid in enumerate(feature_ids)}
    return store.content_from_entries(entries, album.model_key, row_of, unit, fallback_centroid=album.centroid)


@dataclass
class ExportReport:
    folder: str
    mode: str
    written: list[str] = field(default_factory=list)
    already_there: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (original path, reason)

    def as_json(self) -> dict:
        return {
            "folder": self.folder,
            "mode": self.mode,
            "written": self.written,
            "already_there": self.already_there,
            "failed": [{"path": p, "reason": r} for p, r in self.failed],
        }


def export_album(library: Library, album_id: int, folder: Path, mode: str = "copy") -> ExportReport:
    if mode not in EXPORT_MODES:
        raise LibraryError(f"Unknown export mode {mode!r}; choose one of: {', '.join(EXPORT_MODES)}.")
    store.get_album(library, album_id)
    folder = Path(folder).expanduser().resolve()
    _refuse_library_folder(library, folder)
    _make_export_folder(folder)
    report = ExportReport(str(folder), mode)
    photos = library.photos([m.photo_id for m in store.members(library, album_id)])
    for photo in photos:
        source = Path(photo.path)
        try:
            target, existed = _place(source, folder, mode)
        except OSError as error:
            report.failed.append((photo.path, error.strerror or str(error)))
            continue
        (report.already_there if existed else report.written).append(str(target))
    return report


def _make_export_folder(folder: Path) -> None:
    """The folder, created if needed; a file there, a name too long, a read-only place: a message."""
    try:
        if folder.is_file():
            raise LibraryError(f"{folder} is a file; export to a folder.")
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise LibraryError(f"Cannot export to {folder}: {error.strerror or error}.") from None


def _refuse_library_folder(library: Library, folder: Path) -> None:
    """Exporting into a library folder would make the scanner index the copies as new photos."""
    root = library.root_for(folder)
    if root is not None:
        raise LibraryError(
            f"{folder} is inside the library folder {root['path']}; export to a folder outside the library."
        )


def _candidate_names(source: Path):  # noqa: ANN202 - generator of Paths' names
    yield source.name
    number = 2
    while True:
        yield f"{source.stem} ({number}){source.suffix}"
        number += 1


def _place(source: Path, folder: Path, mode: str) -> tuple[Path, bool]:
    """Put one photo in the folder under a free name. Returns (path, was already there)."""
    if not source.is_file():
        raise FileNotFoundError(2, "the original file is missing", str(source))
    for name in _candidate_names(source):
        target = folder / name
        if os.path.lexists(target):
            if _is_same_photo(source, target, mode):
                return target, True
            continue
        try:
            _create_exclusively(source, target, mode)
        except FileExistsError:
            continue  # taken between the check and the creation: try the next name
        return target, False
    raise AssertionError("unreachable: the name candidates never run out")


def _is_same_photo(source: Path, target: Path, mode: str) -> bool:
    if mode == "symlink":
        return target.is_symlink() and Path(os.readlink(target)) == source
    if not target.is_file() or target.is_symlink():
        return False
    if mode == "hardlink":
        return os.path.samefile(source, target)
    return target.stat().st_size == source.stat().st_size and filecmp.cmp(source, target, shallow=False)


def _create_exclusively(source: Path, target: Path, mode: str) -> None:
    """Create ``target`` without ever replacing an existing file (raises FileExistsError)."""
    if mode == "symlink":
        os.symlink(source, target)
    elif mode == "hardlink":
        os.link(source, target)
    else:
        with open(source, "rb") as reader, open(target, "xb") as writer:
            try:
                shutil.copyfileobj(reader, writer, 1 << 20)
            except BaseException:
                writer.close()
                target.unlink(missing_ok=True)  # our own half-written copy, never another file
                raise
        shutil.copystat(source, target)
