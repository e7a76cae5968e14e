"""What the grid shows when browsing (no search): photo ids for a sidebar entry, newest first.

Pure Python over the library database, no Qt, so it is tested without widgets. Relevance
ranking is never done here: search results come from the search core.
"""

from __future__ import annotations

import os

import numpy as np

from photo_organizer.app.types import LIKED, FolderEntry, GridContents
from photo_organizer.storage import Library, path_from_db
from photo_organizer.volumes import relocated_path


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
    return GridContents(np.asarray(ids, dtype=np.int64), labels={int(i): 1 for i in ids}, title=LIKED.title)


def photos_in_order(library: Library, photo_ids: list[int], title: str) -> GridContents:
    """Keep the given order (an album's members, a duplicate group), dropping photos not OK."""
    live = library.live_among(photo_ids)
    return GridContents(np.array([i for i in photo_ids if i in live], dtype=np.int64), title=title)


def folders(library: Library) -> list[FolderEntry]:
    entries = []
    for r in library.roots_with_counts():
        offline = r["offline_since"] is not None
        found_at = relocated_path(r["volume_uuid"], r["volume_path"]) if offline else None
        entries.append(FolderEntry(r["id"], path_from_db(r["path"]), r["n"], offline, found_at))
    return entries


def photo_paths(library: Library, photo_ids: list[int]) -> dict[int, str]:
    return library.paths_of(photo_ids)


# Browse orders: (value, what the sort box says). Search has its own (relevance, date).
BROWSE_SORTS = (("newest", "Newest first"), ("oldest", "Oldest first"), ("name", "Name"), ("size", "Largest first"))
NEWEST = "newest"


def sorted_contents(library: Library, contents: GridContents, sort: str) -> GridContents:
    """The same photos (and marks) in a browse order; ties keep their place."""
    ids = contents.photo_ids.tolist()
    keys = library.order_keys(ids)
    missing = ("", "", 0)
    if sort == "newest":
        ids.sort(key=lambda i: keys.get(i, missing)[0], reverse=True)
    elif sort == "oldest":
        ids.sort(key=lambda i: keys.get(i, missing)[0] or "\uffff")  # undated last
    elif sort == "name":
        ids.sort(key=lambda i: os.path.basename(keys.get(i, missing)[1]).casefold())
    elif sort == "size":
        ids.sort(key=lambda i: keys.get(i, missing)[2], reverse=True)
    else:
        raise ValueError(f"unknown browse order {sort!r}")
    # What the view must show first stays first: a stack's best shot, a taught album's newcomers.
    pinned = {contents.best_id} if contents.best_id is not None else set(contents.new_ids)
    ids = [i for i in ids if i in pinned] + [i for i in ids if i not in pinned]
    contents.photo_ids = np.asarray(ids, dtype=np.int64)
    contents.sections, contents.day_places_pending = None, False  # day headers only in the view's own date order
    return contents
