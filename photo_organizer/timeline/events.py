"""Events: consecutive photos grouped the way people remember them (pure logic, no database).

The rule, on the photos sorted by capture time (UTC when the offset is known, else local):
1. A new event starts after a gap of more than ``GAP_HOURS`` (a night without photos), or when
   the photo was taken more than ``JUMP_KM`` from the previous photo with a position (a flight,
   a long drive: photos without GPS in between do not break the run).
2. Home is the 0.5° cell (about 50 km) where photos were taken on the most distinct days.
   Consecutive events both away from home (their mean position more than ``AWAY_KM`` from it),
   less than ``MERGE_GAP_HOURS`` apart and within ``JUMP_KM`` of each other are one stay: the
   nights of a holiday in one place do not split it.
So a day trip (within ``JUMP_KM``) is one event; a two-week holiday is one event per place
stayed at (a few); everyday life at home is one event per day with photos. Without GPS a
holiday splits by night (there is no way to tell it from home).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from photo_organizer.timeline.geocode import distance_km

GAP_HOURS = 8.0
JUMP_KM = 100.0
AWAY_KM = 50.0
MERGE_GAP_HOURS = 36.0
HOME_CELL_DEGREES = 0.5
PLACE_MAJORITY = 0.6  # the city named in a title must hold this share of the placed photos


@dataclass(frozen=True)
class PhotoPoint:
    id: int
    sort: str  # ISO: UTC when known, else local
    local: str  # ISO local time
    lat: float | None = None
    lon: float | None = None
    city: str | None = None
    region: str | None = None
    country: str | None = None


@dataclass
class EventDraft:
    points: list[PhotoPoint] = field(default_factory=list)

    @property
    def photo_ids(self) -> list[int]:
        return [p.id for p in self.points]

    @property
    def positions(self) -> list[tuple[float, float]]:
        return [(p.lat, p.lon) for p in self.points if p.lat is not None and p.lon is not None]

    def centroid(self) -> tuple[float, float] | None:
        """Mean position (longitudes averaged around the first one: safe across the date line)."""
        positions = self.positions
        if not positions:
            return None
        lon0 = positions[0][1]
        lon = sum(((p[1] - lon0 + 180) % 360) - 180 for p in positions) / len(positions) + lon0
        return sum(p[0] for p in positions) / len(positions), ((lon + 180) % 360) - 180

    @property
    def cover_photo_id(self) -> int:
        return self.points[len(self.points) // 2].id  # the middle of the event in time


def _hours_between(earlier: str, later: str) -> float:
    return (datetime.fromisoformat(later) - datetime.fromisoformat(earlier)).total_seconds() / 3600


def _segments(points: Sequence[PhotoPoint]) -> list[EventDraft]:
    segments: list[EventDraft] = []
    last_position: tuple[float, float] | None = None
    for point in points:
        split = not segments or _hours_between(segments[-1].points[-1].sort, point.sort) > GAP_HOURS
        if not split and point.lat is not None and point.lon is not None and last_position is not None:
            split = distance_km(*last_position, point.lat, point.lon) > JUMP_KM
        if split:
            segments.append(EventDraft())
            last_position = None
        segments[-1].points.append(point)
        if point.lat is not None and point.lon is not None:
            last_position = (point.lat, point.lon)
    return segments


def home_position(points: Sequence[PhotoPoint]) -> tuple[float, float] | None:
    """The centre of the 0.5° cell with photos on the most distinct days."""
    days: dict[tuple[int, int], set[str]] = {}
    for p in points:
        if p.lat is not None and p.lon is not None:
            cell = (int(p.lat // HOME_CELL_DEGREES), int(p.lon // HOME_CELL_DEGREES))
            days.setdefault(cell, set()).add(p.local[:10])
    if not days:
        return None
    cell = max(days, key=lambda c: (len(days[c]), c))
    return (cell[0] + 0.5) * HOME_CELL_DEGREES, (cell[1] + 0.5) * HOME_CELL_DEGREES


def _same_stay(first: EventDraft, second: EventDraft, home: tuple[float, float]) -> bool:
    a, b = first.centroid(), second.centroid()
    if a is None or b is None:
        return False
    return (
        _hours_between(first.points[-1].sort, second.points[0].sort) <= MERGE_GAP_HOURS
        and distance_km(*a, *home) > AWAY_KM
        and distance_km(*b, *home) > AWAY_KM
        and distance_km(*a, *b) <= JUMP_KM
    )


def split_events(points: Sequence[PhotoPoint]) -> list[EventDraft]:
    """Events of ``points`` (sorted by ``sort``), oldest first."""
    home = home_position(points)
    events: list[EventDraft] = []
    for segment in _segments(points):
        if events and home is not None and _same_stay(events[-1], segment, home):
            events[-1].points.extend(segment.points)
        else:
            events.append(segment)
    return events


def event_place(points: Sequence[PhotoPoint]) -> str | None:
    """The city most photos were taken in, else their region, else their country (or two)."""
    placed = [p for p in points if p.country]
    if not placed:
        return None
    for level in ("city", "region"):
        name, count = Counter(getattr(p, level) for p in placed).most_common(1)[0]
        if name and count >= PLACE_MAJORITY * len(placed):
            return name
    countries = [name for name, _ in Counter(p.country or "" for p in placed).most_common(2)]
    return " & ".join(countries)


def format_dates(start_local: str, end_local: str) -> str:
    """"Sat 14 July 2019", "14–16 July 2019", "30 July – 2 August 2019",
    "30 December 2019 – 2 January 2020"."""
    start, end = date.fromisoformat(start_local[:10]), date.fromisoformat(end_local[:10])
    if start == end:
        return f"{start:%a} {start.day} {start:%B %Y}"
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}–{end.day} {end:%B %Y}"
    if start.year == end.year:
        return f"{start.day} {start:%B} – {end.day} {end:%B %Y}"
    return f"{start.day} {start:%B %Y} – {end.day} {end:%B %Y}"


def event_title(start_local: str, end_local: str, place: str | None, label: str | None = None) -> str:
    """"Beach · Nice · 3–5 August 2019": the CLIP label when there is one, place, dates."""
    return " · ".join(part for part in (label, place, format_dates(start_local, end_local)) if part)


def match_previous_ids(drafts: Sequence[EventDraft], previous: dict[int, int]) -> list[int | None]:
    """For each draft, the id of the previous event sharing most of its photos (each id used
    once, biggest overlaps first), so an event keeps its id when photos are added to it.
    ``previous`` maps photo id to its previous event id."""
    overlaps: list[tuple[int, int, int]] = []  # (-shared, draft index, event id)
    for index, draft in enumerate(drafts):
        shared = Counter(previous[pid] for pid in draft.photo_ids if pid in previous)
        overlaps += [(-count, index, event_id) for event_id, count in shared.items()]
    chosen: list[int | None] = [None] * len(drafts)
    used: set[int] = set()
    for _, index, event_id in sorted(overlaps):
        if chosen[index] is None and event_id not in used:
            chosen[index] = event_id
            used.add(event_id)
    return chosen

