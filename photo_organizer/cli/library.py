"""Commands: add, remove, index, status.

``status --json`` is a stable interface (documented in README "Scripting"):
    {"home": str, "database": str, "schema_version": int,
     "roots": [{"path": str, "photos": int, "last_scan_at": float|null}],
     "photos": {"ok": int, "pending": int, "error": int, "removed": int, "total": int},
     "embeddings": {MODEL_KEY: int},
     "models": [{"role": "clip"|"dino", "model": str|null, "model_key": str|null,
                 "weights_installed": bool, "embedded": int, "photos": int}],
     "failed": [{"id": int, "path": str, "error": str}],
     "people": {"people": int, "named": int, "faces": int, "unsorted_faces": int,
                "photos_scanned": int, "photos_pending": int}}
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from photo_organizer.context import AppContext
from photo_organizer.embedding import embedding_coverage
from photo_organizer.errors import LibraryError, WeightsMissingError
from photo_organizer.folders import clear_search_history, forget_folder
from photo_organizer.indexer import IndexReport
from photo_organizer.pipeline import (
    ALBUMS,
    FACES,
    METADATA,
    PEOPLE,
    STACKS,
    TAUGHT_ALBUMS,
    PipelineOptions,
    PipelineReport,
    update_library,
)
from photo_organizer.progress import run_with_bar
from photo_organizer.storage import ERROR, OK, PENDING, REMOVED, SCHEMA_VERSION, path_from_db


def register(subparsers: argparse._SubParsersAction) -> None:
    add = subparsers.add_parser("add", help="add a photo folder to the library")
    add.add_argument("paths", nargs="+", metavar="PATH")
    add.set_defaults(handler=add_command)

    remove = subparsers.add_parser(
        "remove",
        help="stop watching a photo folder (the files are not touched; adding it again brings back its albums and marks)",
    )
    remove.add_argument("paths", nargs="+", metavar="PATH")
    remove.add_argument(
        "--forget", action="store_true",
        help="also delete for good what the library knows of its photos: albums, marks, thumbnails, searches",
    )
    remove.set_defaults(handler=remove_command)

    relocate = subparsers.add_parser("relocate", help="a library folder moved (a drive mounted elsewhere): follow it")
    relocate.add_argument("old", metavar="OLD")
    relocate.add_argument("new", metavar="NEW")
    relocate.set_defaults(handler=relocate_command)

    history = subparsers.add_parser("history", help="the search history")
    history.add_argument("action", choices=["clear"], help="clear: forget every saved search and its query text")
    history.set_defaults(handler=history_command)

    index = subparsers.add_parser("index", help="scan the library folders, read new photos, compute embeddings")
    index.add_argument("paths", nargs="*", metavar="PATH", help="only these folders (added first if new)")
    index.add_argument("--no-embeddings", action="store_true", help="scan, metadata and thumbnails only")
    index.add_argument("--quiet", action="store_true", help="no progress output")
    index.set_defaults(handler=index_command)

    status = subparsers.add_parser("status", help="what the library holds and what failed")
    status.add_argument("--json", action="store_true", help="machine-readable output (stable fields)")
    status.set_defaults(handler=status_command)


def _existing_folder(path: str) -> Path:
    folder = Path(path).expanduser()
    if not folder.is_dir():
        raise LibraryError(f"{path} is not a folder.")
    return folder.resolve()


def add_command(args: argparse.Namespace, ctx: AppContext) -> int:
    for path in args.paths:
        folder = _existing_folder(path)
        ctx.library.add_root(folder)
        print(f"added {folder}")
    print("Run `photo-organizer index` to read the new photos.")
    return 0


def remove_command(args: argparse.Namespace, ctx: AppContext) -> int:
    for path in args.paths:
        folder = Path(path).expanduser().resolve()
        if args.forget:
            count = forget_folder(ctx.library, ctx.home, path)
            print(f"forgot {folder}: {count} photos, their album places, marks and thumbnails (files untouched)")
        else:
            count = ctx.library.remove_root(Path(path))
            print(
                f"removed {folder} ({count} photos left the library; files untouched). Adding it again brings "
                "back their albums and marks; `remove --forget` deletes them for good."
            )
    return 0


def relocate_command(args: argparse.Namespace, ctx: AppContext) -> int:
    new = _existing_folder(args.new)
    ctx.library.relocate_root(Path(args.old), new)
    print(f"{args.old} is now {new}. Run `photo-organizer index` to check it.")
    return 0


def history_command(args: argparse.Namespace, ctx: AppContext) -> int:
    count = clear_search_history(ctx.library, ctx.home)
    print(f"Cleared the search history ({count} searches with their query texts and marks).")
    return 0


def index_command(args: argparse.Namespace, ctx: AppContext) -> int:
    """Runs the one index pipeline; missing weights end with exit code 3 after the rest ran."""
    library = ctx.library
    root_ids = None
    if args.paths:
        root_ids = tuple(library.add_root(_existing_folder(path)) for path in args.paths)
    elif not library.roots():
        raise LibraryError("The library has no folders yet. Add one with `photo-organizer add PATH`.")
    if not args.no_embeddings:
        from photo_organizer.cli.models import warn_if_random_weights

        warn_if_random_weights(ctx)
    options = PipelineOptions(root_ids=root_ids, embeddings=not args.no_embeddings)
    report = run_with_bar(update_library(library, ctx.models, options), quiet=args.quiet)
    _print_pipeline_report(report)
    if report.missing_weights:
        raise WeightsMissingError("\n".join(report.missing_weights))
    return 0


def _print_pipeline_report(report: PipelineReport) -> None:
    from photo_organizer.cli.models import print_embedding_report

    _print_index_report(report.index)
    metadata = report.results.get(METADATA)
    if metadata is not None:
        from photo_organizer.cli.curation import print_read_report

        print_read_report(metadata)
    for embedding in report.embedding_reports:
        print_embedding_report(embedding)
    if report.results.get(FACES) is not None or report.results.get(PEOPLE) is not None:
        from photo_organizer.cli.people import print_people_reports

        print_people_reports(report.results.get(FACES), report.results.get(PEOPLE))
    for note in report.notes:
        print(note)
    for key, what in ((TAUGHT_ALBUMS, "Taught albums"), (STACKS, "Stacks"), (ALBUMS, "Albums")):
        if report.results.get(key) is not None:
            print(f"{what}: {report.results[key].summary()}")
    if report.timeline_summary():
        print(report.timeline_summary().capitalize())


def _print_index_report(report: IndexReport) -> None:
    scan = report.scan
    print(
        f"scanned {scan.seen} files: {scan.new} new, {scan.modified} changed, {scan.moved} moved, "
        f"{scan.removed} removed, {scan.restored} back, {scan.unchanged} unchanged"
    )
    print(f"read {report.processed} photos, {report.failed} failed, {report.vanished} vanished during the run")
    if report.searchable:
        print(f"embedded {report.searchable} photos with clip while reading them")
    for note in scan.folder_notes():
        print(note)
    for folder in scan.unreadable_folders:
        print(f"  could not open folder {folder}", file=sys.stderr)
    if report.failed:
        print("See `photo-organizer status` for the reasons.")


def collect_status(ctx: AppContext) -> dict:
    library = ctx.library
    counts = library.count_by_state()
    per_root = library.photo_count_by_root()
    photos = {state: counts.get(state, 0) for state in (OK, PENDING, ERROR, REMOVED)}
    photos["total"] = sum(photos.values())
    return {
        "home": str(ctx.home.root),
        "database": str(ctx.home.database_path),
        "schema_version": SCHEMA_VERSION,
        "roots": [
            {"path": path_from_db(r["path"]), "photos": per_root.get(r["id"], 0), "last_scan_at": r["last_scan_at"]}
            for r in library.roots()
        ],
        "photos": photos,
        "embeddings": library.embedding_coverage(),
        "models": embedding_coverage(ctx.models, library),
        "failed": [
            {"id": r["id"], "path": path_from_db(r["path"]), "error": r["error"]} for r in library.failed_photos()
        ],
        "people": _people_status(ctx),
    }


def _people_status(ctx: AppContext) -> dict[str, int]:
    from photo_organizer.people import store

    people = store.list_people(ctx.library)
    scans = store.scan_counts(ctx.library)
    return {
        "people": len(people),
        "named": sum(1 for person in people if person.name),
        "faces": scans["faces"],
        "unsorted_faces": store.unsorted_face_count(ctx.library),
        "photos_scanned": scans["scanned"],
        "photos_pending": store.pending_photo_count(ctx.library),
    }


def status_command(args: argparse.Namespace, ctx: AppContext) -> int:
    status = collect_status(ctx)
    if args.json:
        from photo_organizer.cli.main import print_json

        print_json(status)
        return 0
    print(f"library {status['database']}")
    for root in status["roots"]:
        print(f"  {root['path']}: {root['photos']} photos")
    photos = status["photos"]
    print(f"photos: {photos['ok']} ready, {photos['pending']} pending, {photos['error']} failed, {photos['removed']} removed")
    for model in status["models"]:
        if model["model"] is None:
            print(f"  {model['role']}: turned off")
        elif not model["weights_installed"]:
            print(f"  {model['role']} ({model['model']}): weights not installed, see `photo-organizer models list`")
        else:
            share = 100.0 * model["embedded"] / model["photos"] if model["photos"] else 0.0
            print(f"  {model['role']} ({model['model']}): {model['embedded']}/{model['photos']} embedded ({share:.0f}%)")
    people = status["people"]
    print(f"people: {people['people']} ({people['named']} named), {people['faces']} faces in "
          f"{people['photos_scanned']} photos, {people['unsorted_faces']} unsorted, {people['photos_pending']} photos to scan")
    if status["failed"]:
        print("failed files:")
        for failure in status["failed"]:
            print(f"  {failure['path']}: {failure['error']}")
    return 0
