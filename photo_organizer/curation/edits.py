"""The user's edits: rate, label, caption, favourite, keywords, on one photo or a selection.

Each edit changes the library in one transaction and returns an ``Undo`` record (the previous
values); ``undo(library, record)`` restores them and returns the record that redoes the edit.
When sidecar writing is on (the library settings ``xmp.write`` and ``xmp.naming``), each edit
is also written to the photos' sidecars, field by field: a rating change rewrites the rating
only, and a keyword change adds or removes that keyword, so what other tools put in the
sidecar (their keywords too) stays. The favourite flag has no XMP field and stays in the library.
An existing sidecar of either naming convention is written into; the setting names new ones,
which get all of the photo's values (rating, label, caption, keywords), as digiKam writes them.

A sidecar that changed on disk since it was last read is written all the same (our edit on
top of the other tool's), and stays pending, so the next index reads the other tool's changes.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import cast

from photo_organizer.curation.model import (
    CAPTION,
    FAVOURITE,
    KEYWORDS,
    LABEL,
    MAX_STARS,
    RATING,
    REJECTED,
    Curation,
    merge_keywords,
    normalise_keyword,
    parse_label,
)
from photo_organizer.curation.xmp import NAMING_FULL, NAMINGS, SidecarUpdate, XmpError, sidecar_path, write_sidecar
from photo_organizer.errors import LibraryError
from photo_organizer.progress import Job, Progress
from photo_organizer.storage import Library, PhotoRecord, path_from_db, path_to_db

WRITE_SETTING = "xmp.write"
NAMING_SETTING = "xmp.naming"


@dataclass(frozen=True)
class SidecarSettings:
    write: bool = True
    naming: str = NAMING_FULL  # IMG_1.JPG.xmp, as digiKam and darktable

    @classmethod
    def load(cls, library: Library) -> "SidecarSettings":
        return cls(bool(library.get_setting(WRITE_SETTING, True)), library.get_setting(NAMING_SETTING, NAMING_FULL))

    def save(self, library: Library) -> None:
        if self.naming not in NAMINGS:
            raise LibraryError(f"Sidecar naming is one of {', '.join(NAMINGS)}, not {self.naming!r}.")
        library.set_setting(WRITE_SETTING, self.write)
        library.set_setting(NAMING_SETTING, self.naming)


@dataclass(frozen=True)
class Undo:
    """One edit's record: the field, its previous value per photo (to undo), and the sidecars
    that could not be written (path: reason)."""

    field: str
    previous: dict[int, object]
    sidecar_errors: dict[str, str] = dataclasses.field(default_factory=dict)


def rate(library: Library, photo_ids: Iterable[int], rating: int | None) -> Undo:
    """0-5 stars, REJECTED (-1), or None (unrated)."""
    if rating is not None and not REJECTED <= rating <= MAX_STARS:
        raise LibraryError(f"A rating is -1 (rejected) to {MAX_STARS}, not {rating}.")
    return _set_field(library, photo_ids, RATING, lambda _: rating)


def set_label(library: Library, photo_ids: Iterable[int], label: str | None) -> Undo:
    colour = parse_label(label)
    return _set_field(library, photo_ids, LABEL, lambda _: colour)


def set_caption(library: Library, photo_ids: Iterable[int], caption: str | None) -> Undo:
    text = caption.strip() if caption else None
    return _set_field(library, photo_ids, CAPTION, lambda _: text or None)


def set_favourite(library: Library, photo_ids: Iterable[int], favourite: bool = True) -> Undo:
    return _set_field(library, photo_ids, FAVOURITE, lambda _: favourite)


def add_keyword(library: Library, photo_ids: Iterable[int], keyword: str) -> Undo:
    path = normalise_keyword(keyword)
    return _set_field(library, photo_ids, KEYWORDS, lambda current: merge_keywords([*current.keywords, path]))


def remove_keyword(library: Library, photo_ids: Iterable[int], keyword: str) -> Undo:
    """Remove a keyword path and the paths below it."""
    path = normalise_keyword(keyword).lower()
    return _set_field(
        library,
        photo_ids,
        KEYWORDS,
        lambda current: tuple(k for k in current.keywords if k.lower() != path and not k.lower().startswith(path + "/")),
    )


def undo(library: Library, record: Undo) -> Undo:
    """Restore the previous values of an edit; returns the record that redoes it."""
    return _set_field(library, list(record.previous), record.field, lambda _, pid: record.previous[pid], by_id=True)


def _set_field(
    library: Library, photo_ids: Iterable[int], name: str, new_value: Callable[..., object], by_id: bool = False
) -> Undo:
    photos = _known_photos(library, photo_ids)
    before = library.curations([p.id for p in photos])
    after = {pid: (new_value(current, pid) if by_id else new_value(current)) for pid, current in before.items()}
    library.write_curation_field(after, name)
    previous = {pid: getattr(current, name) for pid, current in before.items()}
    errors = write_sidecars(library, photos, name, previous, after)
    return Undo(name, previous, errors)


def _known_photos(library: Library, photo_ids: Iterable[int]) -> list[PhotoRecord]:
    wanted = list(dict.fromkeys(int(pid) for pid in photo_ids))
    if not wanted:
        raise LibraryError("No photo given.")
    photos = library.photos(wanted)
    missing = sorted(set(wanted) - {p.id for p in photos})
    if missing:
        raise LibraryError(f"There is no photo with id {', '.join(map(str, missing))} in the library.")
    return photos


# ---- sidecars ---------------------------------------------------------------------------


def write_sidecars(
    library: Library, photos: Sequence[PhotoRecord], name: str, before: dict[int, object], after: dict[int, object]
) -> dict[str, str]:
    """Write one field's change into each photo's sidecar (when writing is on). Returns errors."""
    settings = SidecarSettings.load(library)
    if not settings.write or name == FAVOURITE:
        return {}
    errors: dict[str, str] = {}
    changed = [photo for photo in photos if before[photo.id] != after[photo.id]]
    states = library.curations([photo.id for photo in changed])
    for photo in changed:
        path = _target_sidecar(path_from_db(photo.path), settings.naming)
        update = _sidecar_update(name, before[photo.id], after[photo.id])
        if not os.path.exists(path):
            update = _complete_update(states[photo.id])  # a new sidecar gets everything we know
        try:
            _write_one(library, photo, path, update)
        except (XmpError, OSError) as error:
            errors[path] = str(error)
    return errors


def _target_sidecar(photo_path: str, naming: str) -> str:
    """The photo's existing sidecar (either convention, IMG_1.JPG.xmp first), else a new one
    named by the setting: one photo's values never end up split over two files."""
    for convention in NAMINGS:
        path = sidecar_path(photo_path, convention)
        if os.path.exists(path):
            return path
    return sidecar_path(photo_path, naming)


def _sidecar_update(name: str, before: object, after: object) -> SidecarUpdate:
    if name == RATING:
        return SidecarUpdate(rating=after, set_rating=True)  # type: ignore[arg-type]
    if name == LABEL:
        return SidecarUpdate(label=after, set_label=True)  # type: ignore[arg-type]
    if name == CAPTION:
        return SidecarUpdate(caption=after, set_caption=True)  # type: ignore[arg-type]
    old = {k.lower(): k for k in cast(tuple, before)}
    new = {k.lower(): k for k in cast(tuple, after)}
    return SidecarUpdate(
        add_keywords=tuple(new[k] for k in new if k not in old),
        remove_keywords=tuple(old[k] for k in old if k not in new),
    )


def _complete_update(state: Curation) -> SidecarUpdate:
    return SidecarUpdate(
        rating=state.rating, set_rating=True, label=state.label, set_label=True,
        caption=state.caption, set_caption=True, add_keywords=state.keywords,
    )


def _write_one(library: Library, photo: PhotoRecord, path: str, update: SidecarUpdate) -> None:
    """Write, then record the file as read unless it had changed unread (see module docstring)."""
    before = _stat(path)
    write_sidecar(path, update)
    after = _stat(path)
    library.record_sidecar(photo.root_id, path, after)
    read = library.recorded_xmp_read(photo.id)
    if read is None:
        return
    recorded = (read["sidecar_path"], read["sidecar_size"], read["sidecar_mtime"])
    if recorded == ((path_to_db(path), *before) if before else (None, None, None)):
        library.mark_sidecar_read(photo.id, path if after else None, after)


def _stat(path: str) -> tuple[int, float] | None:
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None
    return info.st_size, info.st_mtime


ALBUM_KEYWORD_ROOT = "Albums"


def write_album_keywords(library: Library) -> Job[dict[str, str]]:
    """Named albums as keywords ``Albums/<name>`` on their photos, and so in their sidecars
    (on request: other tools then see the albums). Returns the sidecars that failed."""
    from photo_organizer.albums.store import list_albums, members

    if not SidecarSettings.load(library).write:
        raise LibraryError("Writing sidecars is turned off; turn it on with `photo-organizer xmp settings --write on`.")
    named = [(album.id, album.name) for album in list_albums(library, include_hidden=True) if album.name]
    errors: dict[str, str] = {}
    yield Progress("albums to XMP", 0, len(named))
    for done, (album_id, name) in enumerate(named, start=1):
        photo_ids = [member.photo_id for member in members(library, album_id)]
        if photo_ids:
            keyword = f"{ALBUM_KEYWORD_ROOT}/{name.replace('/', '-')}"
            errors.update(add_keyword(library, photo_ids, keyword).sidecar_errors)
        yield Progress("albums to XMP", done, len(named), name)
    return errors
