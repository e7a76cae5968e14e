"""Capture times and GPS fixes from EXIF tags: every bad input gets a sensible outcome."""

from __future__ import annotations

from datetime import datetime

import pytest

from photo_organizer.timeline.capture import (
    GPS_DATE_STAMP,
    GPS_IFD,
    GPS_TIME_STAMP,
    SOURCE_EXIF,
    SOURCE_EXIF_OFFSET,
    SOURCE_FILE,
    SOURCE_USER,
    TAG_DATETIME,
    TAG_DATETIME_ORIGINAL,
    TAG_OFFSET_TIME_ORIGINAL,
    TAG_SUBSEC_TIME_ORIGINAL,
    effective_capture,
    parse_duration,
    parse_local_datetime,
    read_capture,
    uncertainty,
    valid_coordinates,
)

NOW = datetime(2026, 6, 1, 12, 0, 0)


def capture_of(text, tags=None):
    return read_capture({TAG_DATETIME_ORIGINAL: text, **(tags or {})}, now=NOW)


def test_plain_exif_date_offset_and_subsecond():
    raw = capture_of("2019:07:14 10:00:05", {TAG_OFFSET_TIME_ORIGINAL: "+02:00", TAG_SUBSEC_TIME_ORIGINAL: "07"})
    assert (raw.taken_at, raw.offset, raw.subsec_ms, raw.note) == ("2019-07-14T10:00:05.070", "+02:00", 70, None)


def test_date_without_seconds_and_date_only_are_read():
    assert capture_of("2019:07:14 10:00").taken_at == "2019-07-14T10:00:00"
    assert capture_of("2019-07-14").taken_at == "2019-07-14T00:00:00"


@pytest.mark.parametrize(
    "text, reason",
    [
        ("garbage!", "unreadable"),
        ("2019:13:45 10:00:00", "impossible"),
        ("1970:01:01 00:00:00", "implausible"),
        ("1899:12:31 23:59:59", "implausible"),
        ("2031:01:01 00:00:00", "future"),
    ],
)
def test_bad_dates_are_refused_with_a_reason(text, reason):
    raw = capture_of(text)
    assert raw.taken_at is None and reason in raw.note and text in raw.note


@pytest.mark.parametrize("text", ["", "    :  :     :  :  ", "0000:00:00 00:00:00", b"\x00\x00"])
def test_blank_dates_are_absent_not_errors(text):
    assert capture_of(text) == read_capture({})


def test_a_refused_original_date_falls_back_to_the_next_tag():
    raw = read_capture({TAG_DATETIME_ORIGINAL: "1970:01:01 00:00:00", TAG_DATETIME: "2020:05:01 08:00:00"}, now=NOW)
    assert raw.taken_at == "2020-05-01T08:00:00"


def test_offset_derived_from_gps_time_rounded_to_quarter_hours():
    gps = {GPS_DATE_STAMP: "2019:07:14", GPS_TIME_STAMP: (8.0, 0.0, 47.0)}  # UTC; clock 42 s off
    raw = capture_of("2019:07:14 17:30:05", {GPS_IFD: gps})
    assert raw.offset == "+09:30"
    west = capture_of("2019:07:13 20:00:00", {GPS_IFD: {GPS_DATE_STAMP: "2019:07:14", GPS_TIME_STAMP: (1.0, 0.0, 0.0)}})
    assert west.offset == "-05:00"


@pytest.mark.parametrize("bad", ["+25:00", "nonsense", "+02:75"])
def test_impossible_offsets_are_ignored(bad):
    assert capture_of("2019:07:14 10:00:05", {TAG_OFFSET_TIME_ORIGINAL: bad}).offset is None


def test_gps_time_too_far_from_the_clock_gives_no_offset():
    gps = {GPS_DATE_STAMP: "2019:07:20", GPS_TIME_STAMP: (8.0, 0.0, 0.0)}  # days apart: a wrong clock
    assert capture_of("2019:07:14 10:00:00", {GPS_IFD: gps}).offset is None


@pytest.mark.parametrize(
    "lat, lon, valid",
    [
        (48.85, 2.29, True),
        (0.0, 0.0, False),  # the camera had no fix
        (91.0, 2.0, False),
        (45.0, -181.0, False),
        (float("nan"), 2.0, False),
        (None, 2.0, False),
        (0.0, 32.5, True),  # on the equator is a real place
    ],
)
def test_valid_coordinates(lat, lon, valid):
    assert (valid_coordinates(lat, lon) is not None) is valid


def test_mixed_time_zones_sort_by_utc_when_known():
    tokyo = effective_capture("2019-07-14T18:00:00", "+09:00", None)  # 09:00 UTC
    paris = effective_capture("2019-07-14T10:30:00", "+02:00", None)  # 08:30 UTC
    assert tokyo.local > paris.local and tokyo.sort > paris.sort
    assert (paris.sort, paris.source, paris.utc_known) == ("2019-07-14T08:30:00", SOURCE_EXIF_OFFSET, True)
    unknown = effective_capture("2019-07-14T10:30:00", None, None)
    assert (unknown.sort, unknown.source, unknown.utc_known) == ("2019-07-14T10:30:00", SOURCE_EXIF, False)


def test_file_time_is_the_fallback_and_is_uncertain():
    mtime = datetime(2021, 3, 4, 5, 6, 7).timestamp()
    capture = effective_capture(None, None, mtime)
    assert (capture.local, capture.source) == ("2021-03-04T05:06:07", SOURCE_FILE)
    assert "file time" in uncertainty(capture.source, None)
    assert "implausible" in uncertainty(capture.source, "implausible EXIF date")
    assert uncertainty(SOURCE_EXIF, None) is None
    assert effective_capture(None, None, None) is None


def test_user_corrections_shift_or_set_and_win():
    shifted = effective_capture("2019-07-14T10:00:00", "+02:00", None, shift_seconds=-3600)
    assert (shifted.local, shifted.sort, shifted.source) == ("2019-07-14T09:00:00", "2019-07-14T07:00:00", SOURCE_USER)
    scanned = effective_capture(None, None, 1.6e9, set_local="1987-05-02T00:00:00")
    assert (scanned.local, scanned.source) == ("1987-05-02T00:00:00", SOURCE_USER)


@pytest.mark.parametrize("text, seconds", [("+2h", 7200), ("-1d3h", -97200), ("+1h30m", 5400), ("45s", 45), ("+1w", 604800)])
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "+", "2 hours", "+2x", "h"])
def test_bad_durations(text):
    with pytest.raises(ValueError):
        parse_duration(text)


def test_set_dates():
    assert parse_local_datetime("2019-07-14T10:00") == "2019-07-14T10:00:00"
    assert parse_local_datetime("2019-07-14") == "2019-07-14T00:00:00"
    with pytest.raises(ValueError):
        parse_local_datetime("14/07/2019")
