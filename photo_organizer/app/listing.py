"""What the grid shows when browsing (no search): photo ids for a sidebar entry, newest first.

Pure Python over the library database, no Qt, so it is tested without widgets. Relevance
ranking is never done here: search results come from the search core.
"""

from __future__ import annotations

import numpy as np

from photo_organizer.app.types import FolderEntry, GridContents
from photo_organizer.storage import Library, path_from_db


def all_photos(library: Library) -> GridContents:
    return GridContents(np.asarray(library.photos_newest_first(), dtype=np.int64), title="All photos")


def folder_photos(library: Library, root_id: int) -> GridContents:
    return GridContents(np.asarray(library.photos_newest_first(root_id), dtype=np.int64), title=folder_photos_title(library, root_id))


def folder_photos_title(library: Library, root_id: int) -> str:
    root = library.root(root_id)
    return path_from_db(root["path"]) if root else "Folder"


def liked_photos(library: Library) -> GridContents:
    """Photos the user liked in any search session, most recently liked first."""
    ids = library.liked_photo_ids()
    return GridContents(np.asarray(ids, dtype=np.int64), labels={int(i): 1 for i in ids}, title="Liked photos")


def photos_in_order(library: Library, photo_ids: list[int], title: str) -> GridContents:
    """Keep the given order (an album's members, a duplicate group), dropping photos not OK."""
    live = library.live_among(photo_ids)
    return GridContents(np.array([i for i in photo_ids if i in live], dtype=np.int64), title=title)


def folders(library: Library) -> list[FolderEntry]:
    return [FolderEntry(r["id"], path_from_db(r["path"]), r["n"]) for r in library.roots_with_counts()]


def photo_paths(library: Library, photo_ids: list[int]) -> dict[int, str]:
    return library.paths_of(photo_ids)
