"""Commands: rate, label, caption, favourite, keywords, show, xmp.

Edits apply to every photo id given, in one transaction, and are written to the photos' XMP
sidecars when writing is on (``photo-organizer xmp settings``); a sidecar that cannot be
written is named on stderr (exit code 0: the library has the edit).

``keywords --json`` is a stable interface: a list of tree nodes
    [{"name": str, "path": str, "count": int, "children": [node, ...]}]
where ``count`` is the number of photos with that keyword or one below it.

``show ID --json`` is a stable interface:
    {"id": int, "path": str, "state": str, "error": str|null, "size": int|null,
     "mtime": float|null, "taken_at": str|null, "width": int|null, "height": int|null,
     "camera": str|null, "gps": {"lat": float, "lon": float}|null,
     "rating": int|null (0-5; -1 rejected), "rejected": bool, "label": str|null,
     "caption": str|null, "favourite": bool, "keywords": [str],
     "albums": [{"id": int, "name": str}],
     "sidecar": {"path": str|null, "error": str|null}|null (null: metadata not read yet)}

``xmp settings --json``: {"write": bool, "naming": "full"|"stem"}.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from photo_organizer.context import AppContext

NAMING_HELP = "full: IMG_1.JPG.xmp (digiKam, darktable; default); stem: IMG_1.xmp (Lightroom)"


def register(subparsers: argparse._SubParsersAction) -> None:
    rate = subparsers.add_parser("rate", help="rate photos 0-5 stars, or reject them")
    rate.add_argument("ids", type=int, nargs="+", metavar="ID")
    rate.add_argument("stars", metavar="STARS", help="0 to 5, or 'reject'")
    rate.set_defaults(handler=rate_command)

    label = subparsers.add_parser("label", help="give photos a colour label (red, yellow, green, blue, purple, none)")
    label.add_argument("ids", type=int, nargs="+", metavar="ID")
    label.add_argument("colour", metavar="COLOUR")
    label.set_defaults(handler=label_command)

    caption = subparsers.add_parser("caption", help="set a photo's caption (empty text removes it)")
    caption.add_argument("id", type=int, metavar="ID")
    caption.add_argument("text", metavar="TEXT")
    caption.set_defaults(handler=caption_command)

    favourite = subparsers.add_parser("favourite", help="mark photos as favourites (--off: unmark)")
    favourite.add_argument("ids", type=int, nargs="+", metavar="ID")
    favourite.add_argument("--off", action="store_true", help="remove the favourite mark")
    favourite.set_defaults(handler=favourite_command)

    keywords = subparsers.add_parser("keywords", help="the keyword tree with counts; add or remove keywords")
    keywords.add_argument("--json", action="store_true", help="machine-readable tree (stable fields)")
    keywords.set_defaults(handler=keywords_command)
    actions = keywords.add_subparsers(dest="action", metavar="add|remove")
    for action, text in (("add", "add a keyword (Trips/2019/Lyon) to photos"), ("remove", "remove a keyword (and those below it)")):
        sub = actions.add_parser(action, help=text)
        sub.add_argument("ids", type=int, nargs="+", metavar="ID")
        sub.add_argument("keyword", metavar="KEYWORD")
        sub.set_defaults(handler=keywords_command)

    show = subparsers.add_parser("show", help="everything known about a photo")
    show.add_argument("id", type=int, metavar="ID")
    show.add_argument("--json", action="store_true", help="machine-readable output (stable fields)")
    show.set_defaults(handler=show_command)

    xmp = subparsers.add_parser("xmp", help="XMP sidecars: read now, settings, write album keywords")
    xmp_actions = xmp.add_subparsers(dest="action", metavar="read|settings|write-albums", required=True)
    read = xmp_actions.add_parser("read", help="read changed sidecars and embedded metadata now")
    read.add_argument("--quiet", action="store_true", help="no progress output")
    read.set_defaults(handler=xmp_read_command)
    settings = xmp_actions.add_parser("settings", help="show or change sidecar writing")
    settings.add_argument("--write", choices=("on", "off"), help="write edits to sidecars (default on)")
    settings.add_argument("--naming", choices=("full", "stem"), help=NAMING_HELP)
    settings.add_argument("--json", action="store_true", help="machine-readable output")
    settings.set_defaults(handler=xmp_settings_command)
    albums = xmp_actions.add_parser("write-albums", help="write named albums as keywords Albums/<name> to sidecars")
    albums.add_argument("--quiet", action="store_true", help="no progress output")
    albums.set_defaults(handler=xmp_write_albums_command)


def rate_command(args: argparse.Namespace, ctx: AppContext) -> int:
    from photo_organizer.curation.edits import rate
    from photo_organizer.curation.model import REJECTED, parse_rating

    rating = parse_rating(args.stars)
    record = rate(ctx.library, args.ids, rating)
    what = "rejected" if rating == REJECTED else f"rated {rating} star{'s' if rating != 1 else ''}"
    return _report(record, f"{_photos(args.ids)} {what}")


def label_command(args: argparse.Namespace, ctx: AppContext) -> int:
    from photo_organizer.curation.edits import set_label

    record = set_label(ctx.library, args.ids, args.colour)
    return _report(record, f"{_photos(args.ids)} labelled {args.colour.lower()}")


def caption_command(args: argparse.Namespace, ctx: AppContext) -> int:
    from photo_organizer.curation.edits import set_caption

    record = set_caption(ctx.library, [args.id], args.text)
    return _report(record, f"photo {args.id}: caption {'set' if args.text.strip() else 'removed'}")


def favourite_command(args: argparse.Namespace, ctx: AppContext) -> int:
    from photo_organizer.curation.edits import set_favourite

    record = set_favourite(ctx.library, args.ids, not args.off)
    return _report(record, f"{_photos(args.ids)} {'no longer ' if args.off else ''}favourite")


def keywords_command(args: argparse.Namespace, ctx: AppContext) -> int:
    from photo_organizer.curation import edits

    if args.action == "add":
        return _report(edits.add_keyword(ctx.library, args.ids, args.keyword), f"{_photos(args.ids)}: +{args.keyword}")
    if args.action == "remove":
        return _report(edits.remove_keyword(ctx.library, args.ids, args.keyword), f"{_photos(args.ids)}: -{args.keyword}")
    return _print_keyword_tree(ctx, getattr(args, "json", False))


def _print_keyword_tree(ctx: AppContext, as_json: bool) -> int:
    from photo_organizer.curation.model import keyword_tree

    tree = keyword_tree(ctx.library.keyword_photos())
    if as_json:
        from photo_organizer.cli.main import print_json

        print_json([node.as_json() for node in tree])
        return 0
    if not tree:
        print("No keywords yet. Add one with `photo-organizer keywords add ID... KEYWORD`.")

    def show(nodes: Any, depth: int) -> None:
        for node in nodes:
            print(f"{'  ' * depth}{node.name} ({node.count})")
            show(node.children, depth + 1)

    show(tree, 0)
    return 0


def show_command(args: argparse.Namespace, ctx: AppContext) -> int:
    details = photo_details(ctx, args.id)
    if args.json:
        from photo_organizer.cli.main import print_json

        print_json(details)
        return 0
    stars = {None: "not rated", -1: "rejected"}.get(details["rating"], f"{details['rating']} stars")
    gps = details["gps"]
    lines = [
        ("path", details["path"]),
        ("state", details["state"] + (f" ({details['error']})" if details["error"] else "")),
        ("taken", details["taken_at"] or "-"),
        ("size", f"{details['width']}x{details['height']}, {details['size']} bytes" if details["width"] else f"{details['size']} bytes"),
        ("camera", details["camera"] or "-"),
        ("GPS", f"{gps['lat']:.5f}, {gps['lon']:.5f}" if gps else "-"),
        ("rating", stars),
        ("label", details["label"] or "-"),
        ("favourite", "yes" if details["favourite"] else "no"),
        ("caption", details["caption"] or "-"),
        ("keywords", ", ".join(details["keywords"]) or "-"),
        ("albums", ", ".join(f"{a['name']} ({a['id']})" for a in details["albums"]) or "-"),
    ]
    sidecar = details["sidecar"]
    if sidecar is not None:
        lines.append(("sidecar", (sidecar["path"] or "none") + (f" (unreadable: {sidecar['error']})" if sidecar["error"] else "")))
    for name, value in lines:
        print(f"{name + ':':<11}{value}")
    return 0


def photo_details(ctx: AppContext, photo_id: int) -> dict[str, Any]:
    """The ``show --json`` document (fields in the module docstring)."""
    from photo_organizer.albums.store import list_albums
    from photo_organizer.storage import path_from_db

    library = ctx.library
    photo = library.photo(photo_id)
    curation = library.curations([photo_id])[photo_id]
    in_albums = {album_id for album_id, ids in library.album_member_sets().items() if photo_id in ids}
    read = library.recorded_xmp_read(photo_id)
    return {
        "id": photo.id,
        "path": path_from_db(photo.path),
        "state": photo.state,
        "error": photo.error,
        "size": photo.size,
        "mtime": photo.mtime,
        "taken_at": photo.taken_at,
        "width": photo.width,
        "height": photo.height,
        "camera": photo.camera,
        "gps": {"lat": photo.gps_lat, "lon": photo.gps_lon} if photo.gps_lat is not None and photo.gps_lon is not None else None,
        **curation.as_json(),
        "albums": [
            {"id": album.id, "name": album.display_name}
            for album in list_albums(library, include_hidden=True)
            if album.id in in_albums
        ],
        "sidecar": None
        if read is None
        else {"path": path_from_db(read["sidecar_path"]) if read["sidecar_path"] else None, "error": read["error"]},
    }


def xmp_read_command(args: argparse.Namespace, ctx: AppContext) -> int:
    from photo_organizer.curation.sync import read_metadata_job
    from photo_organizer.progress import run_with_bar
    from photo_organizer.storage import path_from_db

    print_read_report(run_with_bar(read_metadata_job(ctx.library), quiet=args.quiet))
    unreadable = ctx.library.xmp_read_errors()
    if unreadable:
        print(f"{len(unreadable)} sidecars are unreadable (read again when they change):")
        for row in unreadable:
            print(f"  photo {row['photo_id']}: {path_from_db(row['sidecar_path'])}: {row['error']}")
    return 0


def print_read_report(report: Any) -> None:
    print(f"metadata: {report.summary()}")
    for path, reason in report.errors:
        print(f"  skipped sidecar {path}: {reason}", file=sys.stderr)


def xmp_settings_command(args: argparse.Namespace, ctx: AppContext) -> int:
    from dataclasses import asdict, replace

    from photo_organizer.curation.edits import SidecarSettings

    settings = SidecarSettings.load(ctx.library)
    changes: dict[str, Any] = {}
    if args.write is not None:
        changes["write"] = args.write == "on"
    if args.naming is not None:
        changes["naming"] = args.naming
    if changes:
        settings = replace(settings, **changes)
        settings.save(ctx.library)
    if args.json:
        from photo_organizer.cli.main import print_json

        print_json(asdict(settings))
        return 0
    print(f"write sidecars: {'on' if settings.write else 'off'}")
    print(f"new sidecars named: {settings.naming} ({NAMING_HELP})")
    return 0


def xmp_write_albums_command(args: argparse.Namespace, ctx: AppContext) -> int:
    from photo_organizer.curation.edits import write_album_keywords
    from photo_organizer.progress import run_with_bar

    errors = run_with_bar(write_album_keywords(ctx.library), quiet=args.quiet)
    _print_sidecar_errors(errors)
    print("Named albums written as keywords Albums/<name>.")
    return 0


def _report(record: Any, summary: str) -> int:
    print(summary)
    _print_sidecar_errors(record.sidecar_errors)
    return 0


def _print_sidecar_errors(errors: dict[str, str]) -> None:
    for path, reason in errors.items():
        print(f"photo-organizer: could not write sidecar {path}: {reason}", file=sys.stderr)


def _photos(ids: list[int]) -> str:
    return f"photo {ids[0]}" if len(ids) == 1 else f"{len(ids)} photos"
