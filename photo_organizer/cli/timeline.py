"""Commands: timeline, events, places, on-this-day, dates (show, shift, set, undo).

``--json`` outputs are stable interfaces:
* ``timeline --json``: {"total": int, "undated": int,
  "years": [{"year": "YYYY", "count": int, "months": [{"month": "YYYY-MM", "count": int}]}]}
  (counts by local capture time; oldest first)
* ``events --json``: {"events": [{"id": int, "title": str, "start": ISO local, "end": ISO local,
  "place": str|null, "label": str|null, "cover_photo_id": int, "photo_count": int}]} (oldest first)
* ``places --json``: {"places": [{"country": str, "region": str|null, "city": str,
  "count": int, "photo_ids": [int]}]} (by country, region, city)
* ``on-this-day --json``: {"date": "MM-DD", "years": [{"year": int, "photos":
  [{"id": int, "path": str, "taken": ISO local, "source": str, "uncertain": str|null}]}]}
* ``dates show --json``: {"photos": [{"id": int, "taken_at": ISO|null (the photo's own, EXIF),
  "offset": "+HH:MM"|null, "subsec_ms": int|null, "source": "exif"|"exif+offset"|"file"|"user"|null,
  "uncertain": str|null (set when the file time is used, and why), "capture": ISO local|null,
  "sort": ISO (UTC when known, else local)|null, "shift_seconds": int, "set": ISO|null}]}
Date corrections live in the library only (the photo file is never written); ``dates undo``
removes them.
"""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any

from photo_organizer.context import AppContext
from photo_organizer.errors import LibraryError
from photo_organizer.progress import drain
from photo_organizer.storage import path_from_db
from photo_organizer.timeline.capture import (
    parse_duration,
    parse_local_datetime,
    uncertainty,
)
from photo_organizer.timeline.jobs import events_job


def register(subparsers: argparse._SubParsersAction) -> None:
    timeline = subparsers.add_parser("timeline", help="photo counts per year and month")
    timeline.add_argument("--json", action="store_true", help="machine-readable output (stable fields)")
    timeline.set_defaults(handler=timeline_command)

    events = subparsers.add_parser("events", help="photos grouped into events by time and place")
    events.add_argument("--json", action="store_true", help="machine-readable output (stable fields)")
    events.set_defaults(handler=events_command)

    places = subparsers.add_parser("places", help="countries, regions and cities where photos were taken")
    places.add_argument("--json", action="store_true", help="machine-readable output (stable fields)")
    places.set_defaults(handler=places_command)

    on_this_day = subparsers.add_parser("on-this-day", help="photos taken on this date in earlier years")
    on_this_day.add_argument("--date", metavar="MM-DD", help="another day than today")
    on_this_day.add_argument("--json", action="store_true", help="machine-readable output (stable fields)")
    on_this_day.set_defaults(handler=on_this_day_command)

    dates = subparsers.add_parser("dates", help="show and correct capture dates (stored in the library only)")
    actions = dates.add_subparsers(dest="dates_action", metavar="ACTION", required=True)
    show = actions.add_parser("show", help="where each photo's date comes from")
    show.add_argument("ids", nargs="+", type=int, metavar="ID")
    show.add_argument("--json", action="store_true", help="machine-readable output (stable fields)")
    shift = actions.add_parser("shift", help="shift the capture time (wrong camera clock, time zone)")
    shift.add_argument("ids", nargs="+", type=int, metavar="ID")
    # REMAINDER: "--by -1d3h" must not read as an option; --by comes after the ids.
    shift.add_argument("--by", required=True, nargs=argparse.REMAINDER, metavar="DURATION",
                       help="last: e.g. +2h, -1d3h, +1h30m")
    set_date = actions.add_parser("set", help="set the date of photos (undated scans)")
    set_date.add_argument("ids", nargs="+", type=int, metavar="ID")
    set_date.add_argument("date", metavar="DATE", help="YYYY-MM-DD or YYYY-MM-DDTHH:MM")
    undo = actions.add_parser("undo", help="remove the corrections of these photos")
    undo.add_argument("ids", nargs="+", type=int, metavar="ID")
    dates.set_defaults(handler=dates_command)


def _print_json(data: Any) -> None:
    from photo_organizer.cli.main import print_json

    print_json(data)


def _answered(args: argparse.Namespace, document: dict[str, Any], empty: bool, empty_message: str) -> bool:
    """Print the JSON document when asked for, or the message when there is nothing to list."""
    if args.json:
        _print_json(document)
    elif empty:
        print(empty_message)
    return args.json or empty


def timeline_summary(library: Any) -> dict[str, Any]:
    years: dict[str, dict[str, Any]] = {}
    for row in library.month_counts():
        year = years.setdefault(row["month"][:4], {"year": row["month"][:4], "count": 0, "months": []})
        year["count"] += row["count"]
        year["months"].append({"month": row["month"], "count": row["count"]})
    undated = library.undated_count()
    return {"total": sum(y["count"] for y in years.values()) + undated, "undated": undated, "years": list(years.values())}


def timeline_command(args: argparse.Namespace, ctx: AppContext) -> int:
    summary = timeline_summary(ctx.library)
    if args.json:
        _print_json(summary)
        return 0
    if not summary["years"]:
        print("No dated photos yet. Add a folder and run `photo-organizer index`.")
    for year in summary["years"]:
        months = "  ".join(f"{date.fromisoformat(m['month'] + '-01'):%b} {m['count']}" for m in year["months"])
        print(f"{year['year']}  {year['count']:>7}   {months}")
    if summary["undated"]:
        print(f"undated {summary['undated']:>6}   (set a date: photo-organizer dates set ID... YYYY-MM-DD)")
    return 0


def events_command(args: argparse.Namespace, ctx: AppContext) -> int:
    events = [
        {"id": e.id, "title": e.title, "start": e.start_local, "end": e.end_local, "place": e.place,
         "label": e.label, "cover_photo_id": e.cover_photo_id, "photo_count": e.photo_count}
        for e in ctx.library.list_events()
    ]
    if _answered(args, {"events": events}, not events, "No events yet. Run `photo-organizer index`."):
        return 0
    for event in events:
        print(f"{event['id']:>6}  {event['photo_count']:>5} photos  {event['title']}")
    return 0


def places_command(args: argparse.Namespace, ctx: AppContext) -> int:
    places = [
        {"country": r["country"], "region": r["region"], "city": r["city"], "count": r["count"],
         "photo_ids": sorted(int(i) for i in r["photo_ids"].split(","))}
        for r in ctx.library.place_rows()
    ]
    if _answered(args, {"places": places}, not places, "No photo with a GPS position yet."):
        return 0
    country = region = None
    for place in places:
        if place["country"] != country:
            country, region = place["country"], None
            total = sum(p["count"] for p in places if p["country"] == country)
            print(f"{country} ({total})")
        if place["region"] != region:
            region = place["region"]
            total = sum(p["count"] for p in places if p["country"] == country and p["region"] == region)
            print(f"  {region or '(no region)'} ({total})")
        print(f"    {place['city']} ({place['count']})")
    return 0


def _month_day(text: str | None) -> str:
    if text is None:
        return date.today().strftime("%m-%d")
    try:
        return date.fromisoformat(f"2000-{text.strip()}").strftime("%m-%d")  # 2000: 29 February exists
    except ValueError:
        raise LibraryError(f"{text!r} is not a day of the year (use MM-DD, e.g. 07-14).") from None


def on_this_day_command(args: argparse.Namespace, ctx: AppContext) -> int:
    month_day = _month_day(args.date)
    years: dict[int, list[dict[str, Any]]] = {}
    for row in ctx.library.photos_on_day(month_day, date.today().year):
        years.setdefault(int(row["capture_local"][:4]), []).append(
            {"id": row["id"], "path": path_from_db(row["path"]), "taken": row["capture_local"],
             "source": row["date_source"], "uncertain": uncertainty(row["date_source"], row["date_note"])}
        )
    document = {"date": month_day, "years": [{"year": y, "photos": years[y]} for y in sorted(years, reverse=True)]}
    if _answered(args, document, not years, f"No photo from {month_day} in earlier years."):
        return 0
    for year in sorted(years, reverse=True):
        print(f"{year} ({date.today().year - year} years ago): {len(years[year])} photos")
        for photo in years[year]:
            print(f"  {photo['id']:>7}  {photo['taken']}  {photo['path']}")
    return 0


def _checked_ids(library: Any, ids: list[int]) -> list[int]:
    unique = list(dict.fromkeys(ids))
    missing = sorted(set(unique) - library.existing_photo_ids(unique))
    if missing:
        raise LibraryError(f"There is no photo with id {', '.join(map(str, missing))} in the library.")
    return unique


def dates_command(args: argparse.Namespace, ctx: AppContext) -> int:
    library = ctx.library
    ids = _checked_ids(library, args.ids)
    if args.dates_action == "show":
        return _show_dates(library, ids, args.json)
    try:
        if args.dates_action == "shift":
            duration = "".join(args.by)
            library.add_shift(ids, parse_duration(duration))
            print(f"shifted {len(ids)} photos by {duration} (undo: photo-organizer dates undo ID...)")
        elif args.dates_action == "set":
            local = parse_local_datetime(args.date)
            library.set_local_date(ids, local)
            print(f"set the date of {len(ids)} photos to {local} (undo: photo-organizer dates undo ID...)")
        else:
            library.undo_corrections(ids)
            print(f"{len(ids)} photos back to their own date")
    except ValueError as error:
        raise LibraryError(str(error)) from None
    drain(events_job(library))  # the photos may now belong to other events
    return 0


def _show_dates(library: Any, ids: list[int], as_json: bool) -> int:
    photos = [
        {"id": r["id"], "taken_at": r["taken_at"], "offset": r["taken_offset"], "subsec_ms": r["taken_subsec_ms"],
         "source": r["date_source"], "uncertain": uncertainty(r["date_source"], r["date_note"]), "capture": r["capture_local"],
         "sort": r["capture_sort"], "shift_seconds": r["shift_seconds"] or 0, "set": r["set_local"]}
        for r in library.capture_details(ids)
    ]
    if as_json:
        _print_json({"photos": photos})
        return 0
    for photo in photos:
        offset = f" {photo['offset']}" if photo["offset"] else ""
        note = f"  (uncertain: {photo['uncertain']})" if photo["uncertain"] else ""
        print(f"{photo['id']:>7}  {photo['capture'] or 'undated'}{offset}  from {photo['source'] or '-'}{note}")
    return 0
