"""Photo rows with capture times and places, for the timeline tests (no files, no Qt)."""

from __future__ import annotations

import time
from datetime import date, timedelta
from pathlib import Path

from photo_organizer.progress import drain
from photo_organizer.storage import OK
from photo_organizer.timeline.jobs import events_job

PARIS = {"country_code": "FR", "country": "France", "region": "Île-de-France", "city": "Paris", "distance_km": 1.0}
LYON = {"country_code": "FR", "country": "France", "region": "Auvergne-Rhône-Alpes", "city": "Lyon", "distance_km": 1.0}
TOKYO = {"country_code": "JP", "country": "Japan", "region": "Tokyo", "city": "Tokyo", "distance_km": 1.0}

# (name, capture time, place): a Lyon day trip in July 2019, Paris in March 2021, Tokyo in 2023.
PHOTOS = [
    ("lyon_1", "2019-07-13T10:00:00", LYON), ("lyon_2", "2019-07-13T15:00:00", LYON),
    ("home_1", "2019-11-02T09:00:00", None),
    ("paris_1", "2021-03-06T11:00:00", PARIS), ("paris_2", "2021-03-06T12:30:00", PARIS),
    ("paris_3", "2021-03-07T10:00:00", PARIS),
    ("tokyo_1", "2023-10-20T08:00:00", TOKYO), ("tokyo_2", "2023-10-21T08:00:00", TOKYO),
]


def add_timeline_photos(library, photos=PHOTOS) -> dict[str, int]:
    """Photo rows (no files) with capture times and places, placed in time and split into events."""
    root_id = library.add_root(Path("/photos"))
    now = time.time()
    rows = [{"root_id": root_id, "path": f"/photos/{name}.jpg", "fingerprint": name, "state": OK, "taken_at": taken,
             "mtime": now, "size": 1000, "added_at": now, "updated_at": now} for name, taken, _ in photos]
    with library.transaction():
        library.db["photos"].insert_all(rows)
    ids = {r["path"].rsplit("/", 1)[1][:-4]: r["id"] for r in library.query("SELECT id, path FROM photos")}
    library.refresh_captures(list(ids.values()))
    library.put_places([{"photo_id": ids[name], "lat": 1.0, "lon": 1.0, **place} for name, _, place in photos if place])
    drain(events_job(library))
    return ids


def long_stay(days: int, start: str = "2020-01-01") -> list[tuple[str, str, dict]]:
    """One photo a day in Lyon for ``days`` days."""
    first = date.fromisoformat(start)
    return [(f"day_{i}", f"{first + timedelta(days=i)}T12:00:00", LYON) for i in range(days)]
