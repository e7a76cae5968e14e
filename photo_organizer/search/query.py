"""What a search asks for and what it returns: queries, filters, views and results.

Plain dataclasses shared by the engine, the command line and the GUI. Filters are turned
into the set of allowed photo ids by one SQL query (``allowed_photo_ids``).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from photo_organizer.errors import LibraryError
from photo_organizer.storage import Library

RELEVANCE = "relevance"
DATE = "date"
SORTS = (RELEVANCE, DATE)
DEFAULT_LIMIT = 100
END_OF_TIME = "9999-12-31T24:00:00"  # ISO 8601 end of the last day: after every photo date
DEFAULT_CUTOFF_Z = 1.0
LABEL_NAMES = {1: "liked", -1: "disliked"}
LABEL_VALUES = {name: value for value, name in LABEL_NAMES.items()}

@dataclass(frozen=True)
class SearchFilters:
    folder: str | None = None  # only photos under this folder (any depth)
    date_from: str | None = None  # inclusive; YYYY, YYYY-MM, YYYY-MM-DD or full ISO time
    date_to: str | None = None  # inclusive, to the end of the period given
    album_id: int | None = None
    min_rating: int | None = None  # at least this many stars (rejected photos never pass)
    keyword: str | None = None  # this keyword path, a path below it, or (a name) any path ending in it
    label: str | None = None  # colour label
    favourites: bool | None = None  # True: favourites only
    person_id: int | None = None  # only photos showing this person
    place: str | None = None  # country, region or city name (any case), or a country code
    event_id: int | None = None

    @property
    def active(self) -> bool:
        return any(value is not None for value in asdict(self).values())


@dataclass(frozen=True)
class SearchView:
    """How results are shown: filters, order, how many, and the relevance cut-off."""

    filters: SearchFilters = field(default_factory=SearchFilters)
    sort: str = RELEVANCE  # relevance, or date (newest first) among the top results
    limit: int = DEFAULT_LIMIT
    # Hide results whose score is below mean + cutoff_z * std of all candidates' scores
    # (None: show everything). Photos the user liked are never hidden.
    cutoff_z: float | None = DEFAULT_CUTOFF_Z
    hide_rated: bool = False  # leave the photos already rated out of the results

    def __post_init__(self) -> None:
        if self.sort not in SORTS:
            raise LibraryError(f"Unknown sort {self.sort!r}; choose one of {', '.join(SORTS)}.")
        if self.limit < 1:
            raise LibraryError("The number of results must be at least 1.")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "SearchView":
        data = dict(data)
        data["filters"] = SearchFilters(**data.get("filters", {}))
        return cls(**{name: data[name] for name in cls.__dataclass_fields__ if name in data})


@dataclass(frozen=True)
class SearchQuery:
    """Text, an example photo of the library, an image file, or several of them at once;
    ``liked`` / ``disliked`` photo ids are feedback given with the query (the command line)."""

    text: str | None = None
    photo_id: int | None = None
    image_path: str | None = None
    liked: tuple[int, ...] = ()
    disliked: tuple[int, ...] = ()
    view: SearchView = field(default_factory=SearchView)

    def __post_init__(self) -> None:
        if self.text is not None and not self.text.strip():
            object.__setattr__(self, "text", None)
        if self.text is None and self.photo_id is None and self.image_path is None and not self.liked:
            raise LibraryError("A search needs text, an example photo, an image file or liked photos.")
        both = set(self.liked) & set(self.disliked)
        if both:
            raise LibraryError(f"Photo(s) {sorted(both)} cannot be both liked and disliked.")

    def has_no_example(self) -> bool:
        """True when the liked photos are the whole query ("more like these")."""
        return self.text is None and self.photo_id is None and self.image_path is None

    def describe(self) -> str:
        parts = []
        if self.text:
            parts.append(repr(self.text))
        if self.photo_id is not None:
            parts.append(f"photo {self.photo_id}")
        if self.image_path:
            parts.append(f"image {self.image_path}")
        return " + ".join(parts) or f"photos like {list(self.liked)}"


@dataclass(frozen=True)
class Result:
    photo_id: int
    path: str
    rank: int  # 1-based position by relevance (before any date sort)
    score: float  # the ranking method's score (higher is better)
    similarity: float  # first-round score: cosine to the query (mean z-score for combined queries)
    predicted: str | None  # "liked" / "disliked" by the feedback predictor; None without one
    mark: str | None  # the user's own mark on this photo in this session
    date: str | None  # capture time, else file time (ISO)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def period_bounds(text: str, *, end: bool) -> str:
    """An inclusive period ("2023", "2023-07", "2023-07-14", ISO time) as an ISO bound.

    A start bound is the period's first second; an end bound is the first second after it,
    to be compared with ``<``.
    """
    value = text.strip()
    try:
        if re.fullmatch(r"\d{4}", value):
            start, after = date(int(value), 1, 1), lambda: date(int(value) + 1, 1, 1)
        elif re.fullmatch(r"\d{4}-\d{2}", value):
            year, month = map(int, value.split("-"))
            start = date(year, month, 1)
            after = lambda: date(year + month // 12, month % 12 + 1, 1)  # noqa: E731
        elif re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            start = date.fromisoformat(value)
            after = lambda: start + timedelta(days=1)  # noqa: E731
        else:
            moment = datetime.fromisoformat(value).replace(tzinfo=None)
            start, after = moment, lambda: moment + timedelta(seconds=1)
    except ValueError as error:
        raise LibraryError(f"{text!r} is not a date (use YYYY, YYYY-MM, YYYY-MM-DD or an ISO time).") from error
    if not end:
        return _iso_bound(start)
    try:
        return _iso_bound(after())
    except (ValueError, OverflowError):  # the period runs to the end of year 9999
        return END_OF_TIME


def _iso_bound(moment: date) -> str:
    if not isinstance(moment, datetime):
        moment = datetime.combine(moment, datetime.min.time())
    return moment.isoformat(timespec="seconds")


def allowed_photo_ids(library: Library, filters: SearchFilters) -> np.ndarray | None:
    """Sorted ids of the live photos passing ``filters``; None when no filter is set."""
    if not filters.active:
        return None
    if filters.album_id is not None and library.album_row(filters.album_id) is None:
        raise LibraryError(f"There is no album with id {filters.album_id}. See `photo-organizer albums list`.")
    if filters.person_id is not None and not library.person_exists(filters.person_id):
        raise LibraryError(f"There is no person with id {filters.person_id}. See `photo-organizer people`.")
    if filters.event_id is not None and not library.event_exists(filters.event_id):
        raise LibraryError(f"There is no event with id {filters.event_id}. See `photo-organizer events`.")
    ids = library.filtered_photo_ids(
        folder=str(Path(filters.folder).expanduser().resolve()) if filters.folder is not None else None,
        date_from=period_bounds(filters.date_from, end=False) if filters.date_from is not None else None,
        date_before=period_bounds(filters.date_to, end=True) if filters.date_to is not None else None,
        album_id=filters.album_id,
        min_rating=filters.min_rating,
        keyword=filters.keyword,
        label=filters.label,
        favourites=filters.favourites,
        person_id=filters.person_id,
        place=filters.place,
        event_id=filters.event_id,
    )
    return np.array(ids, dtype=np.int64)


def photo_rows(library: Library, photo_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Path and date of each photo, by id, in one query per 900 ids."""
    return library.paths_and_dates(photo_ids)
