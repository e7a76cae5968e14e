"""The timeline in the window, without Qt: day sections, the scrubber's months, events, places,
"On this day", and date corrections with their undo.

A browse view of the whole library (or a folder) is in capture order, newest first, split into
days ("Saturday 14 July 2019 · Lyon"); the scrubber's months come from the counts the library
keeps up to date, so a 100,000-photo library opens and jumps without scanning its photos.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache
from itertools import accumulate

import numpy as np

from photo_organizer.app.types import GridContents, Source
from photo_organizer.errors import LibraryError
from photo_organizer.progress import drain
from photo_organizer.storage import Library
from photo_organizer.storage.timeline import EventRow
from photo_organizer.timeline.capture import parse_local_datetime

ON_THIS_DAY = Source("on-this-day", title="On this day")
TIMELINE_KINDS = ("event", "place", "on-this-day")


def day_title(day: str | None, city: str | None = None) -> str:
    """"Saturday 14 July 2019 · Lyon"; "Date unknown" for a photo without any date."""
    try:
        moment = date.fromisoformat(day or "")
    except ValueError:
        text = "Date unknown"
    else:
        weekday, month = _weekday_and_month_names(moment.weekday(), moment.month)
        text = f"{weekday} {moment.day} {month} {moment.year}"
    return f"{text} · {city}" if city else text


@lru_cache(maxsize=128)
def _weekday_and_month_names(weekday: int, month: int) -> tuple[str, str]:
    """The names strftime gives (the user's language), asked once: a timeline titles thousands of days."""
    first = date(2024, month, 1)
    sample = first.replace(day=1 + (weekday - first.weekday()) % 7)
    return f"{sample:%A}", f"{sample:%B}"


def timeline_contents(rows: Sequence[tuple[int, str | None, str | None]], title: str) -> GridContents:
    """Photos in the given order with a section at each change of day; the section's place is
    the city most of that day's photos were taken in."""
    sections: list[tuple[int, str, str]] = []
    start = 0
    for index in range(1, len(rows) + 1):
        if index == len(rows) or rows[index][1] != rows[start][1]:
            cities = Counter(city for _, _, city in rows[start:index] if city)
            day = rows[start][1]
            sections.append((start, day or "", day_title(day, cities.most_common(1)[0][0] if cities else None)))
            start = index
    ids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
    return GridContents(ids, title=title, sections=sections)


def all_photos_timeline(library: Library) -> GridContents:
    return browse_timeline(library, "All photos")


def browse_timeline(library: Library, title: str, root_id: int | None = None,
                    placed_days: int | None = None) -> GridContents:
    """The library (or one folder) by day, newest first. The photo order comes from the
    capture-time index and the headers from counts per day, so opening 100,000 photos builds no
    Python row per photo. With ``placed_days``, only the newest days get their place now (the
    first screen, in a quick read) and ``with_day_places`` adds the others. Photos not given a
    capture time yet (new ones, before the timeline stage) sort by their file date: then, or when
    the library changed between the reads, every row is read instead."""
    if not library.undated_count():
        ids = library.dated_ids_newest_first(root_id)
        days = library.photos_per_day(root_id)
        if sum(count for _, count in days) == len(ids):
            since = days[placed_days - 1][0] if placed_days is not None and len(days) > placed_days else None
            cities = day_cities(library.day_city_counts(root_id, since))
            starts = accumulate((count for _, count in days), initial=0)
            sections = [(start, day, day_title(day, cities.get(day))) for start, (day, _) in zip(starts, days)]
            return GridContents(np.asarray(ids, dtype=np.int64), title=title, sections=sections,
                                day_places_pending=since is not None)
    return timeline_contents(library.timeline_rows(root_id), title)


def kept_sections(sections: list[tuple[int, str, str]] | None, kept: Sequence[bool] | np.ndarray) -> list[tuple[int, str, str]] | None:
    """The day sections of a view of which only the photos ``kept`` (one flag per photo, in
    order) stay: each day starts at its first photo still there; a day with none has no header."""
    if not sections:
        return sections
    before = np.concatenate([[0], np.cumsum(np.asarray(kept, dtype=np.int64))])  # photos kept before each one
    total = int(before[-1])
    moved: list[tuple[int, str, str]] = []
    for start, day, title in sections:
        new_start = int(before[start])
        if moved and moved[-1][0] == new_start:
            moved.pop()  # the day before lost all its photos
        if new_start < total:
            moved.append((new_start, day, title))
    return moved


def with_day_places(library: Library, contents: GridContents, root_id: int | None = None) -> GridContents:
    """The same browse timeline with the place of every day in its header."""
    if not contents.day_places_pending:
        return contents
    cities = day_cities(library.day_city_counts(root_id))
    sections = [(start, day, day_title(day, cities.get(day))) for start, day, _ in contents.sections or []]
    return replace(contents, sections=sections, day_places_pending=False)


def day_cities(counts: Sequence[tuple[str, str, int, str]]) -> dict[str, str]:
    """Day -> its most frequent city, ties going to the city of its newest photo (the first one
    the grid shows), from (day, city, photos, newest capture) counts."""
    best: dict[str, tuple[int, str, str]] = {}
    for day, city, count, newest in counts:
        if day not in best or (count, newest) > best[day][:2]:
            best[day] = (count, newest, city)
    return {day: city for day, (_, _, city) in best.items()}


def sectioned(library: Library, contents: GridContents) -> GridContents:
    """The same photos in the same order, with day sections (an event, a place, On this day)."""
    ids = contents.photo_ids.tolist()
    days = library.days_and_cities(ids)
    rows = [(pid, *days.get(pid, (None, None))) for pid in ids]
    return timeline_contents(rows, contents.title)


@dataclass(frozen=True)
class MonthEntry:
    month: str  # "YYYY-MM"
    count: int


def months_newest_first(library: Library) -> list[MonthEntry]:
    """The scrubber's months, from the counts the library keeps (no scan of the photos)."""
    return [MonthEntry(row["month"], int(row["count"])) for row in reversed(library.month_counts())]


def first_row_of_month(contents: GridContents, month: str) -> int | None:
    """Index in ``contents.photo_ids`` of the newest photo of ``month`` ("YYYY-MM"), or of the
    first one after it when that month has none; None without sections."""
    if not contents.sections:
        return None
    for start, day, _ in contents.sections:
        if day and day[:7] <= month:
            return start
    return contents.sections[-1][0]


def on_this_day(library: Library, today: date | None = None) -> GridContents:
    """Photos taken on today's month and day in earlier years, newest year first."""
    today = today or date.today()
    rows = library.photos_on_day(f"{today:%m-%d}", today.year)
    ids = [row["id"] for row in sorted(rows, key=lambda r: r["capture_local"], reverse=True)]
    return GridContents(np.asarray(ids, dtype=np.int64), title=f"On this day · {today.day} {today:%B}")


def events(library: Library, limit: int | None = None) -> list[EventRow]:
    """Newest first, as the sidebar lists them; the ``limit`` newest when given."""
    return list(reversed(library.list_events(limit)))


def event_photo_ids(library: Library, event_id: int) -> list[int]:
    """The event's photos, newest first."""
    return list(reversed(library.event_member_ids(event_id).get(event_id, [])))


@dataclass(frozen=True)
class PlaceNode:
    """One entry of the Places tree: a country, a region of it, or a city of a region."""

    name: str
    count: int
    place: tuple[str, str | None, str | None]
    children: tuple[PlaceNode, ...] = ()


def place_tree(library: Library) -> list[PlaceNode]:
    """Country -> region -> city with photo counts, by name."""
    countries: dict[str, dict[str | None, list[tuple[str, int]]]] = {}
    for row in library.place_rows():
        countries.setdefault(row["country"], {}).setdefault(row["region"], []).append((row["city"], int(row["count"])))
    tree = []
    for country, regions in countries.items():
        region_nodes = []
        for region, cities in regions.items():
            city_nodes = tuple(PlaceNode(city, count, (country, region, city)) for city, count in cities)
            region_nodes.append(PlaceNode(region or "(no region)", sum(c.count for c in city_nodes), (country, region, None), city_nodes))
        tree.append(PlaceNode(country, sum(r.count for r in region_nodes), (country, None, None), tuple(region_nodes)))
    return tree


def place_photo_ids(library: Library, place: tuple[str, str | None, str | None]) -> list[int]:
    country, region, city = place
    if city is not None:
        return library.place_photo_ids(country, region, city)
    if region is not None:
        return library.place_photo_ids(country, region)
    return library.place_photo_ids(country)


# ---- date corrections ----------------------------------------------------------------------


@dataclass(frozen=True)
class DateUndo:
    """What an "Adjust date…" replaced, to put it back."""

    photo_ids: tuple[int, ...]
    saved: dict[int, tuple[int, str | None]]
    description: str


def adjust_dates(library: Library, photo_ids: Sequence[int], *, shift_seconds: int | None = None,
                 set_date: str | None = None) -> DateUndo:
    """Shift the capture time of these photos, or set their date (stored in the library, never in
    the photo); events follow. Returns what undoes it."""
    ids = tuple(dict.fromkeys(photo_ids))
    if not ids:
        raise LibraryError("Select the photos whose date to change.")
    saved = library.date_corrections(ids)
    if set_date is not None:
        try:
            library.set_local_date(ids, parse_local_datetime(set_date))
        except ValueError as error:
            raise LibraryError(str(error)) from None
        description = f"date of {len(ids):,} photos set to {set_date}"
    elif shift_seconds:
        library.add_shift(ids, shift_seconds)
        description = f"{len(ids):,} photos shifted by {_duration_text(shift_seconds)}"
    else:
        raise LibraryError("Choose a shift other than zero, or a date to set.")
    _update_events(library)
    return DateUndo(ids, saved, description)


def undo_dates(library: Library, undo: DateUndo) -> None:
    library.restore_date_corrections(undo.photo_ids, undo.saved)
    _update_events(library)


def _update_events(library: Library) -> None:
    from photo_organizer.timeline.jobs import events_job

    drain(events_job(library))


def _duration_text(seconds: int) -> str:
    sign = "-" if seconds < 0 else "+"
    days, rest = divmod(abs(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = [f"{value}{unit}" for value, unit in ((days, "d"), (hours, "h"), (minutes, "m")) if value]
    return sign + ("".join(parts) or f"{abs(seconds)}s")
