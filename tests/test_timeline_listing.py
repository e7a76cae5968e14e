"""The grid's timeline of the library read from the capture-time index and counts per day: the
same photos, days and places as reading every photo, and the same while photos are new."""

from __future__ import annotations

import time

import numpy as np

from photo_organizer.app.timeline import browse_timeline, timeline_contents, with_day_places
from photo_organizer.storage import OK
from tests.timeline_support import LYON, PARIS, PHOTOS, add_timeline_photos

# 6 March 2021: two photos in Paris, the newest in Lyon (most photos win); 20 October 2023: one
# in Tokyo, a newer one in Paris (a tie goes to the newest, the first the grid shows).
MORE = [("lyon_3", "2021-03-06T18:00:00", LYON), ("paris_4", "2023-10-20T09:00:00", PARIS)]


def read_whole(library, root_id=None):
    return timeline_contents(library.timeline_rows(root_id), "All photos")


def test_days_and_places_from_counts_are_those_of_every_photo(ctx):
    add_timeline_photos(ctx.library, PHOTOS + MORE)
    quick = browse_timeline(ctx.library, "All photos")
    whole = read_whole(ctx.library)
    assert np.array_equal(quick.photo_ids, whole.photo_ids) and quick.sections == whole.sections
    titles = [title for _, _, title in quick.sections]
    assert "Saturday 6 March 2021 · Paris" in titles and "Friday 20 October 2023 · Paris" in titles
    root_id = ctx.library.roots_with_counts()[0]["id"]
    assert browse_timeline(ctx.library, "", root_id).sections == read_whole(ctx.library, root_id).sections


def test_the_first_days_are_placed_at_once_and_the_others_after(ctx):
    add_timeline_photos(ctx.library, PHOTOS + MORE)
    first = browse_timeline(ctx.library, "All photos", placed_days=2)
    titles = [title for _, _, title in first.sections]
    assert titles[:3] == ["Saturday 21 October 2023 · Tokyo", "Friday 20 October 2023 · Paris", "Sunday 7 March 2021"]
    assert first.day_places_pending
    complete = with_day_places(ctx.library, first)
    assert complete.sections == read_whole(ctx.library).sections and not complete.day_places_pending
    assert np.array_equal(complete.photo_ids, first.photo_ids)


def test_a_photo_without_a_capture_time_yet_is_listed_by_its_date(ctx):
    add_timeline_photos(ctx.library)
    now = time.time()
    with ctx.library.transaction():  # as the scan leaves it, before the timeline stage
        ctx.library.db["photos"].insert({"root_id": 1, "path": "/photos/new.jpg", "fingerprint": "new", "state": OK,
                                         "taken_at": "2022-05-01T10:00:00", "mtime": now, "size": 1000,
                                         "added_at": now, "updated_at": now})
    quick = browse_timeline(ctx.library, "All photos", placed_days=1)
    whole = read_whole(ctx.library)
    assert len(quick) == len(PHOTOS) + 1
    assert np.array_equal(quick.photo_ids, whole.photo_ids) and quick.sections == whole.sections
    assert "Sunday 1 May 2022" in [title for _, _, title in quick.sections]
