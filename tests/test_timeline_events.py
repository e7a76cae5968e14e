"""Event splitting on generated sequences: a day trip is one event, a two-week holiday a few."""

from __future__ import annotations

from datetime import datetime, timedelta

from photo_organizer.timeline.events import (
    EventDraft,
    PhotoPoint,
    event_place,
    event_title,
    format_dates,
    home_position,
    match_previous_ids,
    split_events,
)

LYON = (45.76, 4.84)
GRENOBLE = (45.19, 5.72)  # 90 km from Lyon: a day trip
PARIS = (48.86, 2.35)
NICE = (43.70, 7.27)
NANTES = (47.22, -1.55)


class Sequence:
    def __init__(self) -> None:
        self.points: list[PhotoPoint] = []

    def day(self, day: datetime, place: tuple[float, float] | None, hours=range(9, 22, 2), city: str | None = None):
        for hour in hours:
            moment = (day + timedelta(hours=hour)).isoformat(timespec="seconds")
            lat, lon = place if place else (None, None)
            self.points.append(PhotoPoint(len(self.points) + 1, moment, moment, lat, lon, city,
                                          "Region" if city else None, "France" if city else None))
        return self

    def ids_between(self, start: datetime, end: datetime) -> list[int]:
        return [p.id for p in self.points if start.isoformat() <= p.sort < end.isoformat()]


def life_at_home(sequence: Sequence, first: datetime, days: int) -> None:
    for n in range(days):
        sequence.day(first + timedelta(days=n), LYON, hours=(12, 19), city="Lyon")


def test_day_trip_is_one_event():
    sequence = Sequence()
    life_at_home(sequence, datetime(2019, 6, 1), 10)
    trip_day = datetime(2019, 6, 11)
    sequence.day(trip_day, LYON, hours=(8,)).day(trip_day, GRENOBLE, hours=range(10, 19)).day(trip_day, LYON, hours=(21,))
    life_at_home(sequence, datetime(2019, 6, 12), 3)
    events = split_events(sequence.points)
    trip = sequence.ids_between(trip_day, trip_day + timedelta(days=1))
    assert trip in [event.photo_ids for event in events]
    assert len(events) == 14  # everyday life at home: one event per day


def test_two_week_holiday_is_one_event_per_place():
    sequence = Sequence()
    life_at_home(sequence, datetime(2019, 7, 1), 20)
    start = datetime(2019, 7, 21)
    for n, place in enumerate([PARIS] * 5 + [NICE] * 5 + [NANTES] * 4):
        sequence.day(start + timedelta(days=n), place)
    life_at_home(sequence, start + timedelta(days=15), 2)
    events = split_events(sequence.points)
    holiday = [e for e in events if e.photo_ids[0] >= sequence.ids_between(start, start + timedelta(days=1))[0]][:3]
    assert [len(e.points) for e in holiday] == [5 * 7, 5 * 7, 4 * 7]
    assert len(events) == 20 + 3 + 2
    assert home_position(sequence.points) is not None


def test_without_gps_a_holiday_splits_by_night():
    sequence = Sequence()
    for n in range(14):
        sequence.day(datetime(2019, 7, 21) + timedelta(days=n), None)
    assert len(split_events(sequence.points)) == 14


def test_a_flight_splits_even_within_hours():
    points = [
        PhotoPoint(1, "2019-07-14T08:00:00", "2019-07-14T10:00:00", *PARIS),
        PhotoPoint(2, "2019-07-14T09:00:00", "2019-07-14T11:00:00", None, None),  # no GPS: no break
        PhotoPoint(3, "2019-07-14T11:00:00", "2019-07-14T20:00:00", 35.68, 139.69),
    ]
    assert [e.photo_ids for e in split_events(points)] == [[1, 2], [3]]


def test_nothing_to_split():
    assert split_events([]) == []


def test_place_of_an_event():
    def point(city, region="Île-de-France", country="France"):
        return PhotoPoint(0, "2019-07-14T10:00:00", "2019-07-14T10:00:00", city=city, region=region, country=country)

    assert event_place([point("Paris")] * 3 + [point("Versailles")]) == "Paris"
    assert event_place([point("Paris"), point("Versailles")]) == "Île-de-France"
    assert event_place([point("Paris"), point("Rome", "Lazio", "Italy")]) in ("France & Italy", "Italy & France")
    assert event_place([PhotoPoint(0, "2019-07-14T10:00:00", "2019-07-14T10:00:00")]) is None


def test_titles():
    assert format_dates("2019-07-14T10:00:00", "2019-07-14T22:00:00") == "Sun 14 July 2019"
    assert format_dates("2019-07-14T10:00:00", "2019-07-16T22:00:00") == "14–16 July 2019"
    assert format_dates("2019-07-30T10:00:00", "2019-08-02T22:00:00") == "30 July – 2 August 2019"
    assert format_dates("2019-12-30T10:00:00", "2020-01-02T09:00:00") == "30 December 2019 – 2 January 2020"
    assert event_title("2019-07-14T10:00:00", "2019-07-14T12:00:00", "Lyon", "Beach") == "Beach · Lyon · Sun 14 July 2019"
    assert event_title("2019-07-14T10:00:00", "2019-07-14T12:00:00", None) == "Sun 14 July 2019"


def test_events_keep_their_ids_when_photos_are_added():
    def draft(*ids):
        return EventDraft([PhotoPoint(i, "2019-07-14T10:00:00", "2019-07-14T10:00:00") for i in ids])

    previous = {1: 10, 2: 10, 3: 11, 4: 11}
    assert match_previous_ids([draft(1, 2, 5), draft(3, 4), draft(6)], previous) == [10, 11, None]
    # Two events merged: the merged one keeps the id of the bigger part; the id is used once.
    assert match_previous_ids([draft(1, 2, 3), draft(4)], {1: 10, 2: 10, 3: 11, 4: 11}) == [10, 11]


def test_events_get_a_clip_label_through_the_album_namer():
    """The naming hook: each event's title starts with the label nearest its photos' mean
    CLIP embedding; without CLIP weights titles keep their dates and place."""
    import numpy as np

    from photo_organizer.albums.naming import AlbumNamer
    from photo_organizer.errors import WeightsMissingError
    from photo_organizer.progress import drain
    from photo_organizer.storage import Library
    from photo_organizer.timeline.jobs import events_job, name_events
    from tests.search_fakes import MODEL_KEY, add_photos

    library = Library.in_memory()
    beach, snow = np.eye(4, dtype=np.float32)[0], np.eye(4, dtype=np.float32)[1]
    vectors = np.stack([beach, beach, snow, snow]) + 0.05
    dates = ["2019-07-14T10:00:00", "2019-07-14T11:00:00", "2020-01-05T10:00:00", "2020-01-05T12:00:00"]
    ids = add_photos(library, vectors, dates=dates, model_key=MODEL_KEY)
    with library.transaction():
        library.refresh_captures(ids)
    drain(events_job(library))

    def missing_weights():
        raise WeightsMissingError("no CLIP weights")

    assert name_events(library, missing_weights) == 0
    assert [e.title for e in library.list_events()] == ["Sun 14 July 2019", "Sun 5 January 2020"]
    namer = AlbumNamer(["Beach", "Snow", "Cat", "Dog"], np.eye(4, dtype=np.float32), MODEL_KEY)
    assert name_events(library, lambda: namer) == 2
    events = library.list_events()
    assert [(e.label, e.title) for e in events] == [("Beach", "Beach · Sun 14 July 2019"), ("Snow", "Snow · Sun 5 January 2020")]
    drain(events_job(library))  # recomputed: same events keep their ids and labels
    assert [(e.id, e.label) for e in library.list_events()] == [(e.id, e.label) for e in events]
