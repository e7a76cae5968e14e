"""One photo date everywhere: EXIF capture time, else the file's local modification time."""

from __future__ import annotations

import time

from photo_organizer.app.listing import all_photos
from photo_organizer.search.query import SearchFilters, allowed_photo_ids
from photo_organizer.storage import OK, Library


def add_photo(library: Library, name: str, taken_at: str | None, local_mtime: tuple[int, ...]) -> int:
    mtime = time.mktime((*local_mtime, 0, 0, -1))
    row = {"path": f"/photos/{name}", "state": OK, "taken_at": taken_at, "mtime": mtime}
    return int(library.db["photos"].insert(row).last_pk)


def test_photos_of_one_day_with_and_without_exif_browse_in_time_order():
    library = Library.in_memory()
    morning = add_photo(library, "exif_10h.jpg", "2024-05-01T10:00:00", (2024, 6, 1, 8, 0, 0))
    noon = add_photo(library, "no_exif_12h.jpg", None, (2024, 5, 1, 12, 0, 0))
    evening = add_photo(library, "exif_18h.jpg", "2024-05-01T18:00:00", (2024, 4, 1, 8, 0, 0))
    assert all_photos(library).photo_ids.tolist() == [evening, noon, morning]
    library.close()


def test_the_date_filter_uses_the_same_date():
    library = Library.in_memory()
    add_photo(library, "exif_10h.jpg", "2024-05-01T10:00:00", (2024, 6, 1, 8, 0, 0))
    noon = add_photo(library, "no_exif_12h.jpg", None, (2024, 5, 1, 12, 0, 0))
    add_photo(library, "other_day.jpg", None, (2024, 5, 2, 12, 0, 0))
    found = allowed_photo_ids(library, SearchFilters(date_from="2024-05-01T11:00", date_to="2024-05-01"))
    assert found.tolist() == [noon]
    library.close()
