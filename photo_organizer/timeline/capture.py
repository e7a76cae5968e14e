"""When and where a photo was taken, from its EXIF tags, with a sensible outcome for bad input.

Pure functions (no database, no Pillow): ``read_capture`` turns the merged EXIF tags of a photo
into a ``RawCapture`` (local time, UTC offset, sub-second, and a note when the date was refused),
``valid_coordinates`` drops GPS positions that are not real fixes, and ``effective_capture``
combines the photo's own date, its file time and the user's correction into the times the
library sorts and groups by.

Rules for bad input (each is tested):
* a date without seconds is read with 0 seconds; a date without a time at midnight;
* garbage, the all-zero / blank dates some cameras write, any date in 1970 (an unset clock
  counting from the Unix epoch) or before 1900, and dates more than a day in the future are
  refused: the file time is used instead, and ``note`` says why (shown as uncertain);
* an offset comes from OffsetTimeOriginal (else OffsetTime); without one it is derived from the
  GPS date and time stamp (UTC) when the photo has them, rounded to 15 minutes;
* GPS 0,0 (a camera's "no fix"), NaN and out-of-range coordinates are ignored.
Sorting across time zones: by UTC when the offset is known, by local time otherwise.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

# Where the capture time of a photo comes from.
SOURCE_EXIF = "exif"  # EXIF local time, offset unknown
SOURCE_EXIF_OFFSET = "exif+offset"  # EXIF local time with its UTC offset
SOURCE_FILE = "file"  # the file's modification time (no usable EXIF date)
SOURCE_USER = "user"  # corrected by the user (shifted or set)

TAG_DATETIME = 0x0132
TAG_DATETIME_ORIGINAL = 0x9003
TAG_DATETIME_DIGITIZED = 0x9004
TAG_OFFSET_TIME = 0x9010
TAG_OFFSET_TIME_ORIGINAL = 0x9011
TAG_SUBSEC_TIME = 0x9290
TAG_SUBSEC_TIME_ORIGINAL = 0x9291
GPS_IFD = 0x8825
GPS_TIME_STAMP = 7
GPS_DATE_STAMP = 29

EARLIEST_YEAR = 1900
UNSET_CLOCK_YEAR = 1970
FUTURE_TOLERANCE = timedelta(days=1)
MAX_OFFSET = timedelta(hours=14)
ISO_SECONDS = "%Y-%m-%dT%H:%M:%S"

_DATE_PATTERN = re.compile(
    r"\s*(\d{4})[:\-/.](\d{1,2})[:\-/.](\d{1,2})(?:[ T]+(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?)?"
)
_OFFSET_PATTERN = re.compile(r"\s*([+-])(\d{1,2}):?(\d{2})\s*$")


@dataclass(frozen=True)
class RawCapture:
    """What the photo itself says about its capture time."""

    taken_at: str | None = None  # ISO local time (milliseconds with a sub-second), None when absent or refused
    offset: str | None = None  # "+02:00"; None when unknown
    subsec_ms: int | None = None  # SubSecTimeOriginal in milliseconds (bursts, stacks)
    note: str | None = None  # why the photo's own date was not used, when it has one


@dataclass(frozen=True)
class Capture:
    """The times the library uses for one photo."""

    local: str  # ISO local time: what the timeline, "on this day" and day headers show
    sort: str  # ISO UTC when the offset is known, else local time: the order of events
    source: str  # SOURCE_*
    utc_known: bool


def _text(value: object) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("ascii", "ignore")
    if isinstance(value, str):
        return value.strip("\x00 ")
    return None


def parse_exif_datetime(value: object, now: datetime | None = None) -> tuple[datetime | None, str | None]:
    """(local time, None) for a usable EXIF date; (None, reason) for one that must not be used;
    (None, None) when there is no date at all."""
    text = _text(value)
    if not text or not text.strip(" :0-"):
        return None, None  # absent, blank or all zeros: the camera wrote no date
    match = _DATE_PATTERN.match(text)
    if match is None:
        return None, f"unreadable EXIF date {text[:40]!r}"
    year, month, day, hour, minute, second = (int(part) if part else 0 for part in match.groups())
    try:
        moment = datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None, f"impossible EXIF date {text[:40]!r}"
    if year == UNSET_CLOCK_YEAR or year < EARLIEST_YEAR:
        return None, f"implausible EXIF date {text[:40]!r} (camera clock not set?)"
    if moment > (now or datetime.now()) + FUTURE_TOLERANCE:
        return None, f"EXIF date {text[:40]!r} is in the future"
    return moment, None


def parse_offset(value: object) -> timedelta | None:
    text = _text(value)
    if not text:
        return None
    if text.upper() == "Z":
        return timedelta(0)
    match = _OFFSET_PATTERN.match(text)
    if match is None:
        return None
    sign, hours, minutes = match.groups()
    offset = timedelta(hours=int(hours), minutes=int(minutes)) * (-1 if sign == "-" else 1)
    return offset if abs(offset) <= MAX_OFFSET and int(minutes) < 60 else None


def format_offset(offset: timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def parse_subsec(value: object) -> int | None:
    text = _text(value)
    if not text or not text.isdigit():
        return None
    return int((text + "000")[:3])


def gps_utc(gps: dict[int, object]) -> datetime | None:
    """The GPS date and time stamp (always UTC), when both are present and valid."""
    date_text = _text(gps.get(GPS_DATE_STAMP))
    stamp = gps.get(GPS_TIME_STAMP)
    if not date_text or not isinstance(stamp, (tuple, list)) or len(stamp) != 3:
        return None
    try:
        day = datetime.strptime(date_text[:10].replace("-", ":"), "%Y:%m:%d")
        hours, minutes, seconds = (float(part) for part in stamp)
        if not all(math.isfinite(part) for part in (hours, minutes, seconds)):
            return None
        return day + timedelta(hours=hours, minutes=minutes, seconds=seconds)
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return None


def offset_from_gps(local: datetime, gps: dict[int, object]) -> timedelta | None:
    """Local time minus the GPS UTC time, rounded to 15 minutes; None when implausible."""
    utc = gps_utc(gps)
    if utc is None:
        return None
    quarters = round((local - utc).total_seconds() / 900)
    offset = timedelta(minutes=15 * quarters)
    return offset if abs(offset) <= MAX_OFFSET else None


def read_capture(exif: dict[int, object], now: datetime | None = None) -> RawCapture:
    """The capture time of a photo from its merged EXIF tags (IFD0, Exif IFD, GPS IFD under
    ``GPS_IFD``)."""
    notes = []
    for date_tag, offset_tag, subsec_tag in (
        (TAG_DATETIME_ORIGINAL, TAG_OFFSET_TIME_ORIGINAL, TAG_SUBSEC_TIME_ORIGINAL),
        (TAG_DATETIME_DIGITIZED, TAG_OFFSET_TIME_ORIGINAL, TAG_SUBSEC_TIME_ORIGINAL),
        (TAG_DATETIME, TAG_OFFSET_TIME, TAG_SUBSEC_TIME),
    ):
        moment, problem = parse_exif_datetime(exif.get(date_tag), now)
        if problem:
            notes.append(problem)
        if moment is None:
            continue
        offset = parse_offset(exif.get(offset_tag)) or parse_offset(exif.get(TAG_OFFSET_TIME))
        gps = exif.get(GPS_IFD)
        if offset is None and isinstance(gps, dict):
            offset = offset_from_gps(moment, gps)
        subsec_ms = parse_subsec(exif.get(subsec_tag))
        return RawCapture(
            taken_at=_iso_local(moment, subsec_ms),
            offset=format_offset(offset) if offset is not None else None,
            subsec_ms=subsec_ms,
        )
    return RawCapture(note="; ".join(dict.fromkeys(notes)) or None)


def _iso_local(moment: datetime, subsec_ms: int | None) -> str:
    """ISO local time, with milliseconds when the camera wrote them: the shots of a burst
    share their second, and stacks order and group them by these."""
    if subsec_ms is None:
        return moment.strftime(ISO_SECONDS)
    return moment.replace(microsecond=subsec_ms * 1000).isoformat(timespec="milliseconds")


def valid_coordinates(lat: float | None, lon: float | None) -> tuple[float, float] | None:
    """(lat, lon) of a real GPS fix; None for missing, NaN, out-of-range or 0,0 ("no fix")."""
    if lat is None or lon is None:
        return None
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return None
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        return None
    if abs(lat) < 1e-6 and abs(lon) < 1e-6:
        return None
    return lat, lon


def effective_capture(
    taken_at: str | None,
    offset: str | None,
    mtime: float | None,
    shift_seconds: int = 0,
    set_local: str | None = None,
) -> Capture | None:
    """The capture time the library uses: the user's date, else the photo's, else the file's,
    then shifted by the user's correction. None when there is no time at all."""
    if set_local is not None:
        local, utc, source = datetime.fromisoformat(set_local), None, SOURCE_USER
    elif taken_at is not None:
        local = datetime.fromisoformat(taken_at)
        parsed_offset = parse_offset(offset)
        utc = local - parsed_offset if parsed_offset is not None else None
        source = SOURCE_EXIF if utc is None else SOURCE_EXIF_OFFSET
    elif mtime is not None:
        utc = datetime.fromtimestamp(mtime, timezone.utc).replace(tzinfo=None)
        local, source = datetime.fromtimestamp(mtime), SOURCE_FILE
    else:
        return None
    if shift_seconds:
        shift = timedelta(seconds=shift_seconds)
        local, utc, source = local + shift, (utc + shift if utc is not None else None), SOURCE_USER
    return Capture(
        local=local.strftime(ISO_SECONDS),
        sort=(utc if utc is not None else local).strftime(ISO_SECONDS),
        source=source,
        utc_known=utc is not None,
    )


def uncertainty(source: str | None, note: str | None) -> str | None:
    """Why a photo's date is uncertain (shown beside it), None when it comes from the photo or
    the user. A file time is always uncertain: copies and edits change it."""
    if source != SOURCE_FILE:
        return None
    return f"{note}; file time used" if note else "no capture date in the photo; file time used"


_DURATION_PART = re.compile(r"(\d+)\s*([wdhms])")
_UNIT_SECONDS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_duration(text: str) -> int:
    """Seconds in "+2h", "-1d3h", "+1h30m", "90m", "-45s" (w, d, h, m, s). Raises ValueError."""
    value = text.strip().lower().replace(" ", "")
    sign = -1 if value.startswith("-") else 1
    body = value.lstrip("+-")
    if not body or _DURATION_PART.sub("", body):
        raise ValueError(f"{text!r} is not a duration (examples: +2h, -1d3h, +1h30m)")
    return sign * sum(int(number) * _UNIT_SECONDS[unit] for number, unit in _DURATION_PART.findall(body))


def parse_local_datetime(text: str) -> str:
    """A date set by the user ("2019-07-14", "2019-07-14T10:00", "2019-07-14 10:00:05") as
    ISO local time. Raises ValueError."""
    value = text.strip().replace(" ", "T")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{text!r} is not a date (use YYYY-MM-DD or YYYY-MM-DDTHH:MM)") from None
    return moment.replace(tzinfo=None).strftime(ISO_SECONDS)
