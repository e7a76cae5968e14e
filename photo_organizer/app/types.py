"""The app layer's types: what front ends (the window, the command line) get from the app
services and hand back to them. Plain data, no Qt."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class DuplicateSet:
    """One group of duplicates as the window shows it: the photo to keep first."""

    kind: str  # "exact" (same bytes) or "near" (near-identical shots)
    photo_ids: list[int]  # the reference first
    total_bytes: int

    @property
    def reference_id(self) -> int:
        return self.photo_ids[0]

    def describe(self) -> str:
        """ "3 copies · 4.1 MB" """
        what = "copies" if self.kind == "exact" else "near-identical shots"
        return f"{len(self.photo_ids)} {what} · {byte_size_text(self.total_bytes)}"


def byte_size_text(size: int) -> str:
    """Bytes in the unit a person reads: MB, or KB under 0.1 MB."""
    if size >= 100_000:
        return f"{size / 1e6:.1f} MB"
    if size >= 1000:
        return f"{size / 1e3:.0f} KB"
    return f"{size:,} bytes"


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
    stack_sizes: dict[int, int] = field(default_factory=dict)  # a stack's cover photo id -> its photos
    new_ids: set[int] = field(default_factory=set)  # taught album: newcomers not confirmed yet
    best_id: int | None = None  # a stack's view: its best shot (the cover)
    # search: 0..1 per row, the share of the searched photos this one ranks above (the same
    # scale for a first-round similarity and a refined score, whose raw values differ)
    relevance: np.ndarray | None = None
    showing_hidden: bool = False  # search: the less related results are shown too
    duplicate_sets: list[DuplicateSet] | None = None  # duplicates: the groups, each photo in one
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
        if self.relevance is not None:
            self.relevance = np.asarray(self.relevance, dtype=np.float32)

    def __len__(self) -> int:
        return len(self.photo_ids)


@dataclass(frozen=True)
class FolderEntry:
    root_id: int
    path: str
    photo_count: int
    offline: bool = False  # not reachable now (unplugged drive...): its photos are kept
    found_at: str | None = None  # offline, but its drive seems mounted here now


@dataclass(frozen=True)
class Source:
    """What the sidebar selected: the grid shows its photos."""

    kind: str  # "all", "folder", "album", "liked", "favourites", "keyword" (key None, title the path), "duplicates",
    # "stack", "review", "person", "unsorted-faces", "event", "place", "on-this-day"
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
    itae_calibrated_for: str | None = None  # the album model θ was last measured on, if any


@dataclass(frozen=True)
class WeightsInfo:
    """What the missing-weights dialog tells the user about one model."""

    model_name: str
    purpose: str  # "search" or "automatic albums"
    hub_name: str
    size_mb: int
    file_hint: str


STAR = "\u2605"


@dataclass(frozen=True)
class CurationFilter:
    """Browse and search filters on what the user decided: all of them must hold."""

    min_rating: int | None = None  # at least this many stars
    label: str | None = None  # a colour label
    favourites: bool = False  # favourites only

    @property
    def active(self) -> bool:
        return self.min_rating is not None or self.label is not None or self.favourites

    def describe(self) -> str:
        parts = []
        if self.min_rating is not None:
            parts.append(f"{STAR * self.min_rating} or more")
        if self.label is not None:
            parts.append(f"{self.label} label")
        if self.favourites:
            parts.append("favourites")
        return ", ".join(parts)


@dataclass(frozen=True)
class SearchRequest:
    """What the user asked for: text, an example (library photo or file), within a scope."""

    text: str | None = None
    image_path: str | None = None
    photo_id: int | None = None
    example_name: str | None = None  # shown in the title for a library photo
    scope: Source | None = None  # a folder or an album; None: the whole library
    sort: str = "relevance"  # or "date": newest first among the relevant results
    filters: CurationFilter = CurationFilter()

    def within(self, scope: Source) -> "SearchRequest":
        return replace(self, scope=scope)

    def describe(self) -> str:
        example = None
        if self.image_path:
            example = Path(self.image_path).name
        elif self.photo_id is not None:
            example = self.example_name or f"photo {self.photo_id}"
        if self.text and example:
            what = f"\u201c{self.text}\u201d, like {example}"
        elif self.text:
            what = f"\u201c{self.text}\u201d"
        else:
            what = f"Similar to {example}"
        described = f"{what} in {self.scope.title}" if self.scope is not None else what
        return f"{described} \u00b7 {self.filters.describe()}" if self.filters.active else described


class SearchHandle(Protocol):
    """One search session of the core, used on the search thread only."""

    def search(self, query: SearchRequest) -> GridContents: ...

    def mark(self, photo_id: int, label: int) -> None: ...

    def refine(self) -> GridContents: ...

    def reset_feedback(self) -> GridContents: ...

    def set_sort(self, sort: str) -> GridContents: ...

    def set_filters(self, filters: CurationFilter) -> GridContents: ...
    def save_as_album(self, name: str) -> int: ...
    def show_hidden(self) -> GridContents: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class LibrarySummary:
    photos: int
    liked: int


@dataclass(frozen=True)
class FailedFile:
    """A file the library could not read, and why (in the reader's words)."""

    photo_id: int
    path: str
    reason: str


@dataclass(frozen=True)
class AlbumInfo:
    album_id: int
    name: str
    size: int
    cover_photo_id: int | None
    hidden: bool
    kind: str = "auto"  # or "taught": kept from a search, new photos join it
    new_count: int = 0  # taught: newcomers waiting for a confirmation


@dataclass(frozen=True)
class ReviewGroup:
    """A stack on the review screen: its photos with the best shot first."""

    stack_id: int | None  # None: a duplicate group
    kind: str  # "burst" or "raw+jpeg" (stacks), "exact" or "near" (duplicates)
    photo_ids: list[int]
    best_id: int | None
    why: str

    @property
    def key(self) -> str:
        """Names the group on the review screen across refreshes."""
        return f"stack {self.stack_id}" if self.stack_id is not None else f"{self.kind} duplicates {self.photo_ids[0]}"


ALL_PHOTOS = Source("all", title="All photos")
LIKED = Source("liked", title="Liked in searches")
FAVOURITES = Source("favourites", title="Favourites")
DUPLICATES = Source("duplicates", title="Duplicates")
UNSORTED = Source("unsorted", title="Unsorted")
REVIEW = Source("review", title="Review stacks & duplicates")
UNSORTED_FACES = Source("unsorted-faces", title="Unsorted faces")
FAILED = Source("failed", title="Could not read")
