"""The app layer's types: what front ends (the window, the command line) get from the app
services and hand back to them. Plain data, no Qt."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

import numpy as np


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
    # Timeline views, one per day in order: (index in photo_ids where it starts, "YYYY-MM-DD" or
    # "" when undated, header text "Saturday 14 July 2019 · Lyon").
    sections: list[tuple[int, str, str]] | None = None
    day_places_pending: bool = False  # older days' headers get their place later (timeline.with_day_places)

    def __post_init__(self) -> None:
        self.photo_ids = np.asarray(self.photo_ids, dtype=np.int64)
        if self.scores is not None:
            self.scores = np.asarray(self.scores, dtype=np.float32)
        if self.predicted is not None:
            self.predicted = np.asarray(self.predicted, dtype=np.int8)

    def __len__(self) -> int:
        return len(self.photo_ids)


@dataclass(frozen=True)
class FolderEntry:
    root_id: int
    path: str
    photo_count: int


@dataclass(frozen=True)
class Source:
    """What the sidebar selected: the grid shows its photos."""

    kind: str  # "all", "folder", "album", "liked", "duplicates", "event", "place", "on-this-day"
    key: int | None = None
    title: str = ""
    place: tuple[str, str | None, str | None] | None = None  # "place": (country, region, city)


@dataclass(frozen=True)
class CoreSettings:
    """The library settings the Settings dialog edits."""

    clip_model: str | None
    dino_model: str | None  # None: automatic albums off
    itae_enabled: bool
    itae_threshold: float | None  # None: not calibrated (ITAE is then a no-op)
    granularity: str  # "fewer" (larger albums), "normal" or "more" (smaller albums)


@dataclass(frozen=True)
class WeightsInfo:
    """What the missing-weights dialog tells the user about one model."""

    model_name: str
    purpose: str  # "search" or "automatic albums"
    hub_name: str
    size_mb: int
    file_hint: str


@dataclass(frozen=True)
class SearchRequest:
    """What the user asked for: text, an example (library photo or file), within a scope."""

    text: str | None = None
    image_path: str | None = None
    photo_id: int | None = None
    example_name: str | None = None  # shown in the title for a library photo
    scope: Source | None = None  # a folder or an album; None: the whole library
    sort: str = "relevance"  # or "date": newest first among the relevant results

    def within(self, scope: Source) -> "SearchRequest":
        return replace(self, scope=scope)

    def describe(self) -> str:
        if self.text:
            what = f"\u201c{self.text}\u201d"
        elif self.image_path:
            what = f"Similar to {Path(self.image_path).name}"
        else:
            what = f"Similar to {self.example_name or f'photo {self.photo_id}'}"
        return f"{what} in {self.scope.title}" if self.scope is not None else what


class SearchHandle(Protocol):
    """One search session of the core, used on the search thread only."""

    def search(self, query: SearchRequest) -> GridContents: ...

    def mark(self, photo_id: int, label: int) -> None: ...

    def refine(self) -> GridContents: ...

    def reset_feedback(self) -> GridContents: ...

    def set_sort(self, sort: str) -> GridContents: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class LibrarySummary:
    photos: int
    liked: int


@dataclass(frozen=True)
class AlbumInfo:
    album_id: int
    name: str
    size: int
    cover_photo_id: int | None
    hidden: bool


ALL_PHOTOS = Source("all", title="All photos")
LIKED = Source("liked", title="Liked photos")
DUPLICATES = Source("duplicates", title="Duplicates")
UNSORTED = Source("unsorted", title="Unsorted")
