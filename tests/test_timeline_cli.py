"""End to end: photos with GPS EXIF at known places and dates, indexed, then the timeline,
events, places, on-this-day, date corrections and the search filters from the command line."""

from __future__ import annotations

import json
import os
from datetime import datetime

import pytest

from photo_organizer.cli.main import main
from photo_organizer.context import AppContext
from photo_organizer.sample_photos import render, save_jpeg
from photo_organizer.search.query import SearchFilters, allowed_photo_ids
from photo_organizer.timeline import jobs
from photo_organizer.timeline.geocode import Geocoder

PARIS = (48.8584, 2.2945)
TOKYO = (35.6586, 139.7454)
NEW_YORK = (40.7484, -73.9857)
NAIROBI = (-1.2864, 36.8172)
LYON = (45.7640, 4.8357)
AT_SEA = (30.0, -40.0)
FILE_TIME = datetime(2022, 3, 4, 5, 6, 7).timestamp()


def run_json(capsys, *args: str) -> dict:
    capsys.readouterr()
    assert main([*args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def photo(folder, name, seed, **exif):
    path = save_jpeg(render("beach", (64, 48), seed), folder / name, **exif)
    os.utime(path, (FILE_TIME, FILE_TIME))
    return path


@pytest.fixture
def library_folder(tmp_path):
    folder = tmp_path / "photos"
    # Paris, one day, offsets known: three photos an hour apart.
    for n in range(3):
        photo(folder, f"paris{n}.jpg", n, taken_at=datetime(2019, 7, 14, 10 + n, 0, 0), offset="+02:00", gps=PARIS)
    # Tokyo: offset derived from the GPS time stamp; sub-second kept.
    photo(folder, "tokyo.jpg", 5, taken_at=datetime(2020, 4, 1, 18, 0, 0), subsec="250", gps=TOKYO,
          gps_utc=datetime(2020, 4, 1, 9, 0, 0))
    photo(folder, "newyork.jpg", 6, taken_at=datetime(2021, 7, 14, 9, 0, 0), offset="-04:00", gps=NEW_YORK)
    photo(folder, "nairobi.jpg", 7, taken_at=datetime(2018, 7, 14, 16, 0, 0), gps=NAIROBI)
    photo(folder, "lyon.jpg", 8, taken_at=datetime(2019, 9, 1, 12, 0, 0), gps=LYON)
    # Bad input: no fix, at sea, a 1970 clock, a date without seconds, garbage, the future, none.
    photo(folder, "nofix.jpg", 9, taken_at=datetime(2019, 9, 1, 13, 0, 0), gps=(0.0, 0.0))
    photo(folder, "atsea.jpg", 10, taken_at=datetime(2019, 9, 20, 13, 0, 0), gps=AT_SEA)
    photo(folder, "outofrange.jpg", 16, taken_at=datetime(2019, 9, 21, 13, 0, 0), gps=(95.0, 200.0))
    photo(folder, "epoch.jpg", 11, taken_at="1970:01:01 00:00:00")
    photo(folder, "noseconds.jpg", 12, taken_at="2019:09:01 14:30")
    photo(folder, "garbage.jpg", 13, taken_at="not a date at all")
    photo(folder, "future.jpg", 14, taken_at="2099:01:01 00:00:00")
    photo(folder, "undated.jpg", 15)
    return folder


def ids_by_name(home) -> dict[str, int]:
    ctx = AppContext.open(home)
    try:
        return {os.path.basename(r["path"]): r["id"] for r in ctx.library.query("SELECT id, path FROM photos")}
    finally:
        ctx.close()


def test_index_then_timeline_events_places(library_folder, home, capsys):
    assert main(["index", "--no-embeddings", "--quiet", str(library_folder)]) == 0
    ids = ids_by_name(home)

    places = run_json(capsys, "places")["places"]
    by_city = {p["city"]: p for p in places}
    assert set(by_city) == {"Paris", "Tokyo", "New York City", "Nairobi", "Lyon"}
    assert by_city["Paris"]["country"] == "France" and by_city["Paris"]["region"] == "Île-de-France"
    assert by_city["Paris"]["photo_ids"] == sorted(ids[f"paris{n}.jpg"] for n in range(3))
    assert (by_city["Nairobi"]["country"], by_city["Tokyo"]["country"]) == ("Kenya", "Japan")
    placed = {pid for p in places for pid in p["photo_ids"]}
    assert not placed & {ids["nofix.jpg"], ids["atsea.jpg"], ids["outofrange.jpg"]}

    dates = {p["id"]: p for p in run_json(capsys, "dates", "show", *map(str, ids.values()))["photos"]}
    assert dates[ids["paris0.jpg"]]["source"] == "exif+offset" and dates[ids["paris0.jpg"]]["sort"] == "2019-07-14T08:00:00"
    assert (dates[ids["tokyo.jpg"]]["offset"], dates[ids["tokyo.jpg"]]["subsec_ms"]) == ("+09:00", 250)
    assert dates[ids["noseconds.jpg"]]["capture"] == "2019-09-01T14:30:00"
    for name, reason in [("epoch.jpg", "implausible"), ("garbage.jpg", "unreadable"), ("future.jpg", "future"),
                         ("undated.jpg", "no capture date")]:
        entry = dates[ids[name]]
        assert entry["source"] == "file" and entry["capture"] == "2022-03-04T05:06:07", name
        assert reason in entry["uncertain"], name
    assert dates[ids["lyon.jpg"]]["uncertain"] is None

    timeline = run_json(capsys, "timeline")
    months = {m["month"]: m["count"] for y in timeline["years"] for m in y["months"]}
    assert months == {"2018-07": 1, "2019-07": 3, "2019-09": 5, "2020-04": 1, "2021-07": 1, "2022-03": 4}
    assert timeline["total"] == 15 and timeline["undated"] == 0

    events = run_json(capsys, "events")["events"]
    paris = [e for e in events if e["place"] == "Paris"]
    assert len(paris) == 1 and paris[0]["photo_count"] == 3 and paris[0]["title"] == "Paris · Sun 14 July 2019"
    assert paris[0]["cover_photo_id"] in by_city["Paris"]["photo_ids"]
    assert sum(e["photo_count"] for e in events) == 15

    on_this_day = run_json(capsys, "on-this-day", "--date", "07-14")
    assert [(y["year"], len(y["photos"])) for y in on_this_day["years"]] == [(2021, 1), (2019, 3), (2018, 1)]

    ctx = AppContext.open(home)
    try:
        positions = ctx.library.query("SELECT gps_lat, gps_lon FROM photos WHERE id IN (?, ?)",
                                      [ids["nofix.jpg"], ids["outofrange.jpg"]])
        assert positions == [{"gps_lat": None, "gps_lon": None}] * 2  # "no fix" and impossible: ignored
        allowed = allowed_photo_ids(ctx.library, SearchFilters(place="île-de-france")).tolist()
        assert allowed == by_city["Paris"]["photo_ids"]
        assert allowed_photo_ids(ctx.library, SearchFilters(place="kenya")).tolist() == [ids["nairobi.jpg"]]
        assert allowed_photo_ids(ctx.library, SearchFilters(event_id=paris[0]["id"])).tolist() == allowed
        assert jobs.pending_count(ctx.library) == 0
    finally:
        ctx.close()


def test_search_filter_errors_are_messages(library_folder, home, capsys):
    main(["index", "--no-embeddings", "--quiet", str(library_folder)])
    ctx = AppContext.open(home)
    try:
        from photo_organizer.errors import LibraryError

        with pytest.raises(LibraryError, match="No photo was taken in a place called"):
            allowed_photo_ids(ctx.library, SearchFilters(place="Atlantis"))
        with pytest.raises(LibraryError, match="no event with id 9999"):
            allowed_photo_ids(ctx.library, SearchFilters(event_id=9999))
    finally:
        ctx.close()


def test_date_corrections_are_stored_and_undone(library_folder, home, capsys):
    main(["index", "--no-embeddings", "--quiet", str(library_folder)])
    ids = ids_by_name(home)
    paris, undated = ids["paris0.jpg"], ids["undated.jpg"]
    before = (library_folder / "paris0.jpg").read_bytes()

    assert main(["dates", "shift", str(paris), "--by", "-1d", "2h"]) == 0
    assert main(["dates", "set", str(undated), "1987-05-02T10:00"]) == 0
    dates = {p["id"]: p for p in run_json(capsys, "dates", "show", str(paris), str(undated))["photos"]}
    assert (dates[paris]["capture"], dates[paris]["source"], dates[paris]["shift_seconds"]) == (
        "2019-07-13T08:00:00", "user", -93600)
    assert (dates[undated]["capture"], dates[undated]["source"], dates[undated]["uncertain"]) == (
        "1987-05-02T10:00:00", "user", None)
    assert (library_folder / "paris0.jpg").read_bytes() == before  # never written into the photo
    months = {m["month"] for y in run_json(capsys, "timeline")["years"] for m in y["months"]}
    assert "1987-05" in months
    # The shifted photo left its day: it is its own event now.
    events = run_json(capsys, "events")["events"]
    assert any(e["photo_count"] == 1 and e["start"] == "2019-07-13T08:00:00" for e in events)

    assert main(["dates", "undo", str(paris), str(undated)]) == 0
    dates = {p["id"]: p for p in run_json(capsys, "dates", "show", str(paris), str(undated))["photos"]}
    assert (dates[paris]["capture"], dates[paris]["source"]) == ("2019-07-14T10:00:00", "exif+offset")
    assert dates[undated]["source"] == "file"

    months = {m["month"] for y in run_json(capsys, "timeline")["years"] for m in y["months"]}
    assert "1987-05" not in months

    assert main(["dates", "shift", str(paris), "--by", "soon"]) == 1
    assert "not a duration" in capsys.readouterr().err
    assert main(["dates", "set", "999999", "2019-01-01"]) == 1
    assert "no photo with id 999999" in capsys.readouterr().err


def test_month_counts_follow_every_change(library_folder, home, capsys):
    """The trigger-kept month table equals a fresh count after index, corrections and removal."""
    main(["index", "--no-embeddings", "--quiet", str(library_folder)])
    ids = ids_by_name(home)
    main(["dates", "shift", str(ids["lyon.jpg"]), "--by", "+40d"])
    (library_folder / "nairobi.jpg").unlink()
    main(["index", "--no-embeddings", "--quiet", str(library_folder)])
    ctx = AppContext.open(home)
    try:
        fresh = ctx.library.query(
            "SELECT substr(capture_local, 1, 7) AS month, COUNT(*) AS count FROM photos "
            "WHERE state = 'ok' AND capture_local IS NOT NULL GROUP BY month ORDER BY month")
        assert ctx.library.month_counts() == fresh
        assert {"month": "2019-10", "count": 1} in fresh and all(r["month"] != "2018-07" for r in fresh)
    finally:
        ctx.close()
    assert main(["remove", str(library_folder)]) == 0
    assert run_json(capsys, "timeline") == {"total": 0, "undated": 0, "years": []}


def test_old_rows_get_their_metadata_reread_without_thumbnails(library_folder, home, capsys):
    """A library indexed before capture details existed: the next index re-reads the headers."""
    main(["index", "--no-embeddings", "--quiet", str(library_folder)])
    ids = ids_by_name(home)
    ctx = AppContext.open(home)
    try:
        with ctx.library.transaction():
            ctx.library.db.execute(
                "UPDATE photos SET metadata_version = NULL, taken_offset = NULL, capture_local = NULL, capture_sort = NULL"
            )
            ctx.library.db.execute("DELETE FROM photo_places")
        assert jobs.pending_count(ctx.library) > 0
    finally:
        ctx.close()
    assert main(["index", "--no-embeddings", str(library_folder)]) == 0
    assert "dates re-read" in capsys.readouterr().out
    dates = {p["id"]: p for p in run_json(capsys, "dates", "show", str(ids["tokyo.jpg"]))["photos"]}
    assert dates[ids["tokyo.jpg"]]["offset"] == "+09:00"
    assert {p["city"] for p in run_json(capsys, "places")["places"]} >= {"Tokyo", "Paris"}


def test_geocoder_on_known_points():
    places = Geocoder().lookup([PARIS, TOKYO, NEW_YORK, NAIROBI, LYON, AT_SEA])
    assert [(p.city, p.country) if p else None for p in places] == [
        ("Paris", "France"), ("Tokyo", "Japan"), ("New York City", "United States"), ("Nairobi", "Kenya"),
        ("Lyon", "France"), None]
    assert places[4].region == "Auvergne-Rhône-Alpes"


def test_empty_library_outputs(home, capsys):
    assert run_json(capsys, "timeline") == {"total": 0, "undated": 0, "years": []}
    assert run_json(capsys, "events") == {"events": []}
    assert run_json(capsys, "places") == {"places": []}
    assert run_json(capsys, "on-this-day", "--date", "02-29") == {"date": "02-29", "years": []}
    assert main(["on-this-day", "--date", "13-40"]) == 1
    assert "not a day of the year" in capsys.readouterr().err


def test_geocoding_is_skipped_without_positions(home):
    ctx = AppContext.open(home)
    try:
        def no_geocoder():
            raise AssertionError("the geocoder data must not load when no photo has a position")

        from photo_organizer.progress import drain

        assert drain(jobs.timeline_job(ctx.library, no_geocoder)) == {"metadata": 0, "places": 0, "events": 0}
        assert ctx.library.month_counts() == []
    finally:
        ctx.close()
