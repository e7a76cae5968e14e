"""Index-time work of the timeline: re-read old metadata, geocode positions, recompute events.

Pipeline place: ``timeline_job`` runs after the metadata/thumbnail pass (it needs capture times
and GPS) and before the embeddings; ``name_events`` runs after the CLIP pass (it labels events
from their photos' CLIP embeddings). ``pending_count`` is cheap (three COUNT queries, no model,
no geocoder data loaded) and zero when there is nothing to do. Every stage commits per batch
and may be stopped at any yield; the next run resumes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from photo_organizer.albums.clustering import normalise_rows
from photo_organizer.errors import ImageLoadError, PhotoOrganizerError
from photo_organizer.imaging import read_metadata
from photo_organizer.progress import Job, Progress
from photo_organizer.storage import Library, path_from_db
from photo_organizer.timeline.events import (
    PhotoPoint,
    event_place,
    event_title,
    match_previous_ids,
    split_events,
)
from photo_organizer.timeline.geocode import Geocoder, shared_geocoder

if TYPE_CHECKING:
    from photo_organizer.albums.naming import AlbumNamer

METADATA_BATCH = 200
GEOCODE_BATCH = 5000


def pending_count(library: Library) -> int:
    """Photos whose metadata, place or event is out of date."""
    return (
        library.count_stale_metadata()
        + library.count_to_geocode()
        + library.count_stale_places()
        + library.count_events_out_of_date()
    )


def timeline_job(library: Library, geocoder: Callable[[], Geocoder] = shared_geocoder) -> Job[dict[str, int]]:
    """Every stage that has work: metadata re-read, places, events. Returns counts per stage."""
    done = {"metadata": 0, "places": 0, "events": 0}
    if library.count_stale_metadata():
        done["metadata"] = yield from refresh_metadata_job(library)
    if library.count_to_geocode() or library.count_stale_places():
        done["places"] = yield from geocode_job(library, geocoder)
    if library.count_events_out_of_date():
        done["events"] = yield from events_job(library)
    return done


def refresh_metadata_job(library: Library) -> Job[int]:
    """Re-read the metadata of photos indexed by an older version (headers only, no thumbnail)."""
    from photo_organizer.indexer import store_metadata

    total, done = library.count_stale_metadata(), 0
    yield Progress("metadata", 0, total)
    while rows := library.stale_metadata(METADATA_BATCH):
        with library.transaction():
            for row in rows:
                try:
                    store_metadata(library, row["id"], read_metadata(path_from_db(row["path"])), time.time())
                except (OSError, ImageLoadError):  # gone or unreadable now: the next scan says so
                    library.mark_metadata_unreadable(row["id"])
        done += len(rows)
        yield Progress("metadata", done, total)
    return done


def geocode_job(library: Library, geocoder: Callable[[], Geocoder] = shared_geocoder) -> Job[int]:
    """Country, region and city of each photo with a position (the data loads only if needed)."""
    library.delete_stale_places()
    rows = library.photos_to_geocode()
    total = len(rows)
    yield Progress("places", 0, total)
    if not rows:
        return 0
    lookup = geocoder()
    for start in range(0, total, GEOCODE_BATCH):
        batch = rows[start : start + GEOCODE_BATCH]
        places = lookup.lookup(np.array([(r["gps_lat"], r["gps_lon"]) for r in batch], dtype=np.float64))
        library.put_places(_place_row(row, place) for row, place in zip(batch, places))
        yield Progress("places", start + len(batch), total)
    return total


def _place_row(row: dict[str, Any], place: Any) -> dict[str, Any]:
    """A photo far from any place (open sea) is recorded without names: looked up, nothing found."""
    names = {"country_code": None, "country": None, "region": None, "city": None, "distance_km": None}
    if place is not None:
        names = {"country_code": place.country_code, "country": place.country, "region": place.region,
                 "city": place.city, "distance_km": place.distance_km}
    return {"photo_id": row["id"], "lat": row["gps_lat"], "lon": row["gps_lon"], **names}


def events_job(library: Library) -> Job[int]:
    """Recompute every event from the capture order (a sort and one pass: 100,000 photos in
    about a second); events keep their id and CLIP label while they keep most of their photos."""
    yield Progress("events", 0, None)
    points = [PhotoPoint(r["id"], r["capture_sort"], r["capture_local"], r["gps_lat"], r["gps_lon"],
                         r["city"], r["region"], r["country"]) for r in library.timed_photos()]
    drafts = split_events(points)
    ids = match_previous_ids(drafts, library.photo_event_ids())
    labels = library.event_labels()
    rows: list[dict[str, Any]] = []
    for draft, event_id in zip(drafts, ids):
        start, end = min(p.local for p in draft.points), max(p.local for p in draft.points)
        place = event_place(draft.points)
        label = labels.get(event_id) if event_id is not None else None
        rows.append({
            "id": event_id, "start_local": start, "end_local": end,
            "start_sort": draft.points[0].sort, "end_sort": draft.points[-1].sort, "place": place, "label": label,
            "title": event_title(start, end, place, label), "cover_photo_id": draft.cover_photo_id,
            "photo_count": len(draft.points), "photo_ids": draft.photo_ids,
        })
    library.replace_events(rows)
    yield Progress("events", len(rows), len(rows), f"{len(rows)} events")
    return len(rows)


def name_events(library: Library, make_namer: Callable[[], AlbumNamer]) -> int:
    """Label each event with the CLIP zero-shot name of its photos' mean image embedding (the
    albums' vocabulary; ``albums.sources.namer_factory`` makes ``make_namer``). Run after the
    CLIP pass. Without CLIP weights events keep their date-and-place titles. Returns the number
    of events labelled."""
    try:
        namer = make_namer()
    except PhotoOrganizerError:  # no CLIP weights, or CLIP turned off
        return 0
    members = library.event_member_ids()
    labels = _labels(library, namer, members)
    titles = {row["id"]: event_title(row["start_local"], row["end_local"], row["place"], labels.get(row["id"]))
              for row in library.event_rows_for_titles() if row["id"] in labels}
    library.set_event_labels(labels, titles)
    return len(labels)


def _labels(library: Library, namer: AlbumNamer, members: dict[int, list[int]]) -> dict[int, str | None]:
    all_ids = [pid for ids in members.values() for pid in ids]
    photo_ids, vectors = library.embeddings(namer.clip_key, all_ids)
    row_of = {int(pid): row for row, pid in enumerate(photo_ids.tolist())}
    labels: dict[int, str | None] = {}
    for event_id, ids in members.items():
        rows = [row_of[pid] for pid in ids if pid in row_of]
        if rows:
            labels[event_id] = namer.best_name(normalise_rows(vectors[rows]).mean(axis=0))
    return labels

