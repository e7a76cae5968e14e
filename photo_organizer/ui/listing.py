"""What the grid shows when browsing (no search): photo ids for a sidebar entry, newest first.

Pure Python over the library database, no Qt, so it is tested without widgets. Relevance
ranking is never done here: search results come from the search core.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from photo_organizer.storage import Library, path_from_db


@dataclass
class GridContents:
    """One screenful of state for the grid: which photos, in which order, with which marks."""

    photo_ids: np.ndarray  # int64, display order
    scores: np.ndarray | None = None  # float32 per row, search results only
    predicted: np.ndarray | None = None  # int8 per row: +1 predicted liked, -1 disliked, 0 none
    labels: dict[int, int] = field(default_factory=dict)  # photo id -> +1 liked / -1 disliked
    title: str = ""
    search_round: int | None = None  # None when not a search
    group_count: int | None = None  # duplicates: how many groups the photos form
    hidden_count: int = 0  # search: results under the relevance cut-off, not shown

    def __post_init__(self) -> None:
        self.photo_ids = np.asarray(self.photo_ids, dtype=np.int64)
        if self.scores is not None:
            self.scores = np.asarray(self.scores, dtype=np.float32)
        if self.predicted is not None:
            self.predicted = np.asarray(self.predicted, dtype=np.int8)

    def __len__(self) -> int:
        return len(self.photo_ids)


def all_photos(library: Library) -> GridContents:
    return GridContents(library.photos_newest_first(), title="All photos")


def folder_photos(library: Library, root_id: int) -> GridContents:
    root = library.root(root_id)
    title = path_from_db(root["path"]) if root else "Folder"
    return GridContents(library.photos_newest_first(root_id), title=title)


def liked_photos(library: Library) -> GridContents:
    """Photos the user liked in any search session, most recently liked first."""
    ids = library.liked_photo_ids()
    return GridContents(ids, labels={int(i): 1 for i in ids}, title="Liked photos")


def photos_in_order(library: Library, photo_ids: list[int], title: str) -> GridContents:
    """Keep the given order (an album's members, a duplicate group), dropping photos not OK."""
    live = library.live_among(photo_ids)
    return GridContents(np.array([i for i in photo_ids if i in live], dtype=np.int64), title=title)


@dataclass(frozen=True)
class FolderEntry:
    root_id: int
    path: str
    photo_count: int


def folders(library: Library) -> list[FolderEntry]:
    return [FolderEntry(r["id"], path_from_db(r["path"]), r["n"]) for r in library.roots_with_counts()]


def photo_paths(library: Library, photo_ids: list[int]) -> dict[int, str]:
    return library.paths_of(photo_ids)
