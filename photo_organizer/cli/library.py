"""Commands: add, remove, index, status.

``status --json`` is a stable interface (documented in README "Scripting"):
    {"home": str, "database": str, "schema_version": int,
     "roots": [{"path": str, "photos": int, "last_scan_at": float|null}],
     "photos": {"ok": int, "pending": int, "error": int, "removed": int, "total": int},
     "embeddings": {MODEL_KEY: int},
     "models": [{"role": "clip"|"dino", "model": str|null, "model_key": str|null,
                 "weights_installed": bool, "embedded": int, "photos": int}],
     "failed": [{"id": int, "path": str, "error": str}]}
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from photo_organizer.context import AppContext
from photo_organizer.embedding import embedding_coverage
from photo_organizer.errors import LibraryError, WeightsMissingError
from photo_organizer.indexer import IndexReport
from photo_organizer.pipeline import ALBUMS, PipelineOptions, PipelineReport, update_library
from photo_organizer.progress import run_with_bar
from photo_organizer.storage import ERROR, OK, PENDING, REMOVED, SCHEMA_VERSION, path_from_db


def register(subparsers: argparse._SubParsersAction) -> None:
    add = subparsers.add_parser("add", help="add a photo folder to the library")
    add.add_argument("paths", nargs="+", metavar="PATH")
    add.set_defaults(handler=add_command)

    remove = subparsers.add_parser("remove", help="forget a photo folder (the files are not touched)")
    remove.add_argument("paths", nargs="+", metavar="PATH")
    remove.set_defaults(handler=remove_command)

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
        forgotten = ctx.library.remove_root(Path(path))
        print(f"removed {Path(path).expanduser().resolve()} ({forgotten} photos forgotten; files untouched)")
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
    for embedding in report.embedding_reports:
        print_embedding_report(embedding)
    for note in report.notes:
        print(note)
    albums = report.results.get(ALBUMS)
    if albums is not None:
        print(f"Albums: {albums.summary()}")
    if report.timeline_summary():
        print(report.timeline_summary().capitalize())


def _print_index_report(report: IndexReport) -> None:
    scan = report.scan
    print(
        f"scanned {scan.seen} files: {scan.new} new, {scan.modified} changed, {scan.moved} moved, "
        f"{scan.removed} removed, {scan.restored} back, {scan.unchanged} unchanged"
    )
    print(f"read {report.processed} photos, {report.failed} failed, {report.vanished} vanished during the run")
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
    if status["failed"]:
        print("failed files:")
        for failure in status["failed"]:
            print(f"  {failure['path']}: {failure['error']}")
    return 0
