"""Commands: ``albums ...`` (automatic albums) and ``duplicates`` (registered by cli.main).

    photo-organizer albums [--all] [--json]      list albums and the Unsorted count
    photo-organizer albums show ID|unsorted      the photos of one album
    photo-organizer albums recluster             full re-clustering (keeps names and edits)
    photo-organizer albums update                after indexing: new photos join albums
    photo-organizer albums name                  (re)compute automatic names with CLIP
    photo-organizer albums rename ID NAME        your name wins; "" restores the automatic one
    photo-organizer albums merge ID ID...        the others are merged into the first
    photo-organizer albums hide ID / unhide ID
    photo-organizer albums remove ID PHOTO...    never comes back to that album
    photo-organizer albums add ID PHOTO...       placed by hand: re-clustering keeps them there
                                                 (a taught album learns them as liked examples)
    photo-organizer albums create --name NAME [PHOTO...]   a new album (empty, or these photos)
    photo-organizer albums create --name NAME --from-session ID   a refined search kept as an album
    photo-organizer albums export ID DIR [--link [symlink|hardlink]]
    photo-organizer albums granularity [fewer|normal|more]
    photo-organizer duplicates [--features dino|clip] [--threshold T] [--json]

JSON output (stable, for scripts):

* ``albums --json``: ``{"albums": [ALBUM...], "unsorted": N or null, "granularity": str,
  "last_clustering": {...} or null}``; ALBUM is ``{"id", "name" (what is shown), "user_name",
  "auto_name", "hidden", "size", "cover_photo_ids", "model_key", "kind" ("auto"|"taught"|"manual")}``.
* ``albums show ID --json``: ``{"album": ALBUM or null, "photos": [{"id", "path", "strength",
  "source"}...]}`` (``album`` is null for ``unsorted``); a taught album adds ``"taught"``
  (see cli/taught.py, which also adds ``albums confirm/reject``).
* ``albums create --json``: ``{"album": ALBUM}``, and ``"taught"`` with ``--from-session``.
* ``albums recluster --json``: the report: photos, clusters, albums, new_albums,
  matched_albums, kept_albums, dropped_albums, unsorted, min_cluster_size, granularity,
  seconds, named, naming_note, fitted_on, model_key.
* ``albums export --json``: ``{"folder", "mode", "written": [path...], "already_there":
  [path...], "failed": [{"path", "reason"}...]}``.
* ``duplicates --json``: ``{"exact": [GROUP...], "near": [GROUP...], "model_key", "threshold"}``;
  GROUP is ``{"kind": "exact"|"near", "photo_ids": [...], "similarity"}``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from photo_organizer.albums import edits, store
from photo_organizer.albums.clustering import GRANULARITY_FACTORS
from photo_organizer.albums.duplicates import NEAR_IDENTICAL_THRESHOLDS, find_duplicates
from photo_organizer.albums.incremental import update_albums_job
from photo_organizer.albums.naming import name_albums
from photo_organizer.albums.recluster import get_granularity, last_clustering, recluster_job, set_granularity
from photo_organizer.albums.sources import album_model_key, namer_factory
from photo_organizer.cli import taught
from photo_organizer.cli.arguments import finite_float, record_id, utf8_text
from photo_organizer.context import AppContext
from photo_organizer.errors import LibraryError
from photo_organizer.progress import run_with_bar
from photo_organizer.storage.albums import KIND_TAUGHT

NAMES_HINT = (
    "Albums without a name are numbered: automatic names need the CLIP weights "
    "(see `photo-organizer models list`); then run `photo-organizer albums name`."
)


def register(subparsers: argparse._SubParsersAction) -> None:
    albums = subparsers.add_parser(
        "albums", help="automatic albums: list, show, re-cluster, rename, merge, hide, export"
    )
    albums.add_argument("--all", action="store_true", help="include hidden albums")
    albums.add_argument("--json", action="store_true", help="machine-readable output")
    albums.set_defaults(handler=list_albums)
    commands = albums.add_subparsers(dest="albums_command", metavar="ACTION")

    show = commands.add_parser("show", help="the photos of an album (or `unsorted`)")
    show.add_argument("album", help="album id, or `unsorted`")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=show_album)

    recluster = commands.add_parser("recluster", help="cluster the whole library again, keeping names and edits")
    recluster.add_argument(
        "--granularity", choices=list(GRANULARITY_FACTORS), help="this run only (see `albums granularity`)"
    )
    recluster.add_argument("--json", action="store_true")
    recluster.set_defaults(handler=recluster_albums)

    taught.register_album_actions(commands)

    update = commands.add_parser("update", help="add new photos to albums (re-clusters when the library grew a lot)")
    update.add_argument("--json", action="store_true")
    update.set_defaults(handler=update_albums)

    name = commands.add_parser("name", help="compute automatic album names (CLIP)")
    name.set_defaults(handler=name_all_albums)

    rename = commands.add_parser("rename", help="give an album your own name (\"\" restores the automatic name)")
    rename.add_argument("album", type=record_id)
    rename.add_argument("name", type=utf8_text)
    rename.set_defaults(handler=rename_album)

    merge = commands.add_parser("merge", help="merge albums into the first one")
    merge.add_argument("albums", type=record_id, nargs="+", metavar="ID")
    merge.set_defaults(handler=merge_albums)

    for action, hidden in (("hide", True), ("unhide", False)):
        parser = commands.add_parser(action, help=f"{action} an album")
        parser.add_argument("album", type=record_id)
        parser.set_defaults(handler=set_hidden, hidden=hidden)

    remove = commands.add_parser("remove", help="take photos out of an album for good")
    remove.add_argument("album", type=record_id)
    remove.add_argument("photos", type=record_id, nargs="+", metavar="PHOTO_ID")
    remove.set_defaults(handler=remove_photos)

    add = commands.add_parser("add", help="put photos into an album by hand (re-clustering keeps them there)")
    add.add_argument("album", type=record_id)
    add.add_argument("photos", type=record_id, nargs="+", metavar="PHOTO_ID")
    add.set_defaults(handler=add_photos)

    create = commands.add_parser(
        "create", help="make a new album, empty or with the given photos; --from-session: a refined search that new photos join"
    )
    create.add_argument("--name", type=utf8_text, required=True)
    create.add_argument("photos", type=record_id, nargs="*", metavar="PHOTO_ID")
    create.add_argument("--from-session", type=record_id, metavar="ID", help="search session (`search --sessions`)")
    create.add_argument("--json", action="store_true")
    create.set_defaults(handler=create_album)

    export = commands.add_parser("export", help="copy (or link) an album's photos into a folder; never overwrites")
    export.add_argument("album", type=record_id)
    export.add_argument("folder", type=Path)
    export.add_argument(
        "--link",
        nargs="?",
        const="symlink",
        choices=("symlink", "hardlink"),
        help="link instead of copying (default: symlink)",
    )
    export.add_argument("--json", action="store_true")
    export.set_defaults(handler=export_album)

    granularity = commands.add_parser("granularity", help="show or set: fewer (larger) or more (smaller) albums")
    granularity.add_argument("value", nargs="?", choices=list(GRANULARITY_FACTORS))
    granularity.set_defaults(handler=granularity_setting)

    duplicates = subparsers.add_parser(
        "duplicates", help="exact and near-identical photos, for review (nothing is deleted)"
    )
    duplicates.add_argument(
        "--features", choices=("dino", "clip"), default="dino", help="features for near-identical shots"
    )
    duplicates.add_argument(
        "--threshold", type=finite_float, help="cosine similarity for near-identical (default per features)"
    )
    duplicates.add_argument("--json", action="store_true")
    duplicates.set_defaults(handler=list_duplicates)


# ---- handlers ---------------------------------------------------------------------------------


def _print_json(data: Any) -> None:
    from photo_organizer.cli.main import print_json  # main imports this module

    print_json(data)


def list_albums(args: argparse.Namespace, ctx: AppContext) -> int:
    albums = store.list_albums(ctx.library, include_hidden=args.all, include_away=False)
    state = last_clustering(ctx.library)
    unsorted = len(ctx.library.photos_in_no_album(state["model_key"])) if state else None
    if args.json:
        _print_json(
            {
                "albums": [a.as_json() for a in albums],
                "unsorted": unsorted,
                "granularity": get_granularity(ctx.library),
                "last_clustering": state,
            }
        )
        return 0
    if state is None:
        print("No albums yet: run `photo-organizer albums recluster` once photos are indexed.")
        return 0
    print(f"{'ID':>5}  {'PHOTOS':>6}  NAME")
    for album in albums:
        print(f"{album.id:>5}  {album.live_size:>6}  {album.display_name}{'  (hidden)' if album.hidden else ''}")
    print(f"{'':>5}  {unsorted:>6}  Unsorted")
    if any(a.name is None and a.auto_name is None for a in albums):
        print(NAMES_HINT)
    return 0


def show_album(args: argparse.Namespace, ctx: AppContext) -> int:
    if args.album.lower() == "unsorted":
        album = None
        ids = ctx.library.photos_in_no_album(album_model_key(ctx.models, ctx.library))
        members = [store.Member(pid, 0.0, "unsorted") for pid in ids]
    else:
        album = store.get_album(ctx.library, _album_id(args.album))
        members = store.members(ctx.library, album.id)
    paths = {p.id: p.path for p in ctx.library.photos([m.photo_id for m in members])}
    rows = [
        {"id": m.photo_id, "path": paths.get(m.photo_id), "strength": round(m.strength, 4), "source": m.source}
        for m in members
    ]
    details = taught.taught_details(ctx, album.id) if album else None
    if args.json:
        _print_json({"album": album.as_json() if album else None, "photos": rows, **({"taught": details} if details else {})})
        return 0
    print(f"{album.display_name} (album {album.id}, {len(rows)} photos)" if album else f"Unsorted ({len(rows)} photos)")
    if album is not None and details:
        print(taught.summary_line(album.id, details))
    for row in rows:
        print(f"{row['id']:>8}  {row['strength']:.2f}  {row['path']}")
    return 0


def _album_id(text: str) -> int:
    try:
        return record_id(text)
    except argparse.ArgumentTypeError:
        raise LibraryError(f"{text!r} is not an album id (a number, or `unsorted`).") from None


def recluster_albums(args: argparse.Namespace, ctx: AppContext) -> int:
    job = recluster_job(ctx.library, album_model_key(ctx.models, ctx.library), namer_factory(ctx.models, ctx.library), granularity=args.granularity)
    report = run_with_bar(job, quiet=args.json)
    if args.json:
        _print_json(report.as_json())
        return 0
    print(
        f"{report.albums} albums from {report.photos} photos in {report.seconds:.1f} s "
        f"({report.new_albums} new, {report.matched_albums} kept their identity, "
        f"{report.kept_albums} kept as you left them, {report.dropped_albums} dissolved); "
        f"{report.unsorted} photos in Unsorted."
    )
    if report.naming_note:
        print(f"Album names: {report.naming_note}")
        print(NAMES_HINT)
    return 0


def update_albums(args: argparse.Namespace, ctx: AppContext) -> int:
    job = update_albums_job(ctx.library, album_model_key(ctx.models, ctx.library), namer_factory(ctx.models, ctx.library))
    report = run_with_bar(job, quiet=args.json)
    if args.json:
        _print_json(report.as_json())
        return 0
    print(report.summary())
    return 0


def name_all_albums(args: argparse.Namespace, ctx: AppContext) -> int:
    names = name_albums(ctx.library, namer_factory(ctx.models, ctx.library)())
    unnamed = sum(1 for n in names.values() if n is None)
    missing = f"; {unnamed} have no CLIP features yet (run `photo-organizer index`)." if unnamed else "."
    print(f"Named {len(names) - unnamed} albums{missing}")
    return 0


def rename_album(args: argparse.Namespace, ctx: AppContext) -> int:
    album = edits.rename_album(ctx.library, args.album, args.name)
    print(f"Album {album.id} is now {album.display_name!r}.")
    return 0


def merge_albums(args: argparse.Namespace, ctx: AppContext) -> int:
    album = edits.merge_albums(ctx.library, args.albums[0], args.albums[1:])
    print(f"Merged into album {album.id} {album.display_name!r}: {album.size} photos.")
    return 0


def set_hidden(args: argparse.Namespace, ctx: AppContext) -> int:
    album = edits.set_hidden(ctx.library, args.album, args.hidden)
    print(f"Album {album.id} {album.display_name!r} is {'hidden' if album.hidden else 'visible'}.")
    return 0


def remove_photos(args: argparse.Namespace, ctx: AppContext) -> int:
    album = edits.remove_photos(ctx.library, args.album, args.photos)
    lasting = "they are disliked examples now" if album.kind == KIND_TAUGHT else "re-clustering will not put them back"
    print(f"Removed {len(set(args.photos))} photos from album {album.id}; {lasting}.")
    return 0


def add_photos(args: argparse.Namespace, ctx: AppContext) -> int:
    album = edits.add_photos(ctx.library, args.album, args.photos)
    print(f"Added {len(set(args.photos))} photos to album {album.id} {album.display_name!r}: {album.size} photos.")
    return 0


def create_album(args: argparse.Namespace, ctx: AppContext) -> int:
    if args.from_session is not None:
        if args.photos:
            raise LibraryError("An album taught by a search takes its photos from the search: give no photo ids.")
        return taught.create_taught_album(args, ctx)
    album = edits.create_album(ctx.library, args.name, args.photos)
    if args.json:
        _print_json({"album": album.as_json()})
    else:
        print(f"Created album {album.id} {album.display_name!r} with {album.size} photos.")
    return 0


def export_album(args: argparse.Namespace, ctx: AppContext) -> int:
    report = edits.export_album(ctx.library, args.album, args.folder, args.link or "copy")
    if args.json:
        _print_json(report.as_json())
    else:
        print(
            f"{len(report.written)} photos written to {report.folder} ({report.mode}); "
            f"{len(report.already_there)} were already there."
        )
        for path, reason in report.failed:
            print(f"  not exported: {path}: {reason}")
    return 1 if report.failed else 0


def granularity_setting(args: argparse.Namespace, ctx: AppContext) -> int:
    if args.value:
        set_granularity(ctx.library, args.value)
        print(f"Album granularity set to {args.value}; run `photo-organizer albums recluster` to apply it.")
    else:
        print(get_granularity(ctx.library))
    return 0


def list_duplicates(args: argparse.Namespace, ctx: AppContext) -> int:
    threshold = args.threshold if args.threshold is not None else NEAR_IDENTICAL_THRESHOLDS[args.features]
    report = find_duplicates(ctx.library, ctx.models.active_key(ctx.library, args.features), threshold)
    if args.json:
        _print_json(report.as_json())
        return 0
    paths = {}
    for group in report.exact + report.near:
        paths.update({p.id: p.path for p in ctx.library.photos(group.photo_ids)})
    for title, groups in (("Exact duplicates (same content)", report.exact), ("Near-identical shots", report.near)):
        print(f"{title}: {len(groups)} groups")
        for group in groups:
            similarity = "" if group.kind == "exact" else f" (similarity >= {group.similarity:.3f})"
            print(f"  group of {len(group.photo_ids)}{similarity}")
            for pid in group.photo_ids:
                print(f"    {pid:>8}  {paths.get(pid)}")
    if report.model_key is None:
        print(f"Near-identical shots need the {args.features} features (see `photo-organizer models list`).")
    print("Nothing was deleted; review the groups and delete copies yourself if you wish.")
    return 0
