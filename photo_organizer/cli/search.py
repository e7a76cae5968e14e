"""`photo-organizer search`: text / example-photo / image-file queries with like/dislike feedback.

Every search is a saved session: add marks to it later with ``--session ID --like ...``
(that refines: the next round). ``--json`` fields are documented in docs/search.md.

Kept light on purpose: a cold search should answer in about 2 s, so this module imports
nothing heavy at start-up, and the engine encodes the text from the query cache or the ONNX
text tower when it can (torch only the first time; that run prepares the ONNX tower).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from photo_organizer.cli.arguments import finite_float, record_id, utf8_text
from photo_organizer.context import AppContext

METHOD_NAMES = ("nn1", "rocchio", "linear", "none")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "search",
        help="search photos by text or example, refine with liked/disliked photos",
        description="Search the library with CLIP. Results show photo id, score, predicted preference and path; "
        "each search is saved as a session that --session resumes.",
    )
    parser.add_argument("text", nargs="?", type=utf8_text, metavar="TEXT", help='what to look for, e.g. "dog in the snow"')
    parser.add_argument("--image", metavar="PATH", help="an example image file (need not be in the library)")
    parser.add_argument("--photo", type=record_id, metavar="ID", help="an example photo of the library, by id")
    parser.add_argument("--like", type=record_id, nargs="+", default=[], metavar="ID", help="photos you want more of")
    parser.add_argument("--dislike", type=record_id, nargs="+", default=[], metavar="ID", help="photos you do not want")
    parser.add_argument("--method", choices=METHOD_NAMES, help="feedback method (default nn1: the 1-NN predictor)")
    parser.add_argument("--order", choices=("margin", "ratio", "lexicographic"), help="order inside the predicted-liked set (nn1)")
    parser.add_argument("--query-scale", choices=("match", "raw"), help="how the query competes with rated photos")
    parser.add_argument("--no-query-positive", action="store_true", help="do not count the query as a liked example")
    parser.add_argument("--limit", type=int, default=None, metavar="N", help="number of results (default 100)")
    parser.add_argument("--folder", metavar="DIR", help="only photos under this folder")
    parser.add_argument("--from", dest="date_from", metavar="DATE", help="only photos taken on or after (YYYY[-MM[-DD]])")
    parser.add_argument("--to", dest="date_to", metavar="DATE", help="only photos taken on or before (YYYY[-MM[-DD]])")
    parser.add_argument("--album", type=record_id, metavar="ID", help="only photos of this album")
    parser.add_argument("--min-rating", type=int, choices=range(0, 6), metavar="N", help="only photos rated N stars or more")
    parser.add_argument("--keyword", metavar="K", help="only photos with this keyword (or one below it, e.g. Trips)")
    parser.add_argument("--label", metavar="COLOUR", help="only photos with this colour label")
    parser.add_argument("--favourites", action="store_true", default=None, help="only favourite photos")
    parser.add_argument("--person", type=record_id, metavar="ID", help="only photos showing this person (see `people`)")
    parser.add_argument("--place", metavar="NAME", help="only photos taken in this country, region or city")
    parser.add_argument("--event", type=record_id, metavar="ID", help="only photos of this event (see `photo-organizer events`)")
    parser.add_argument("--sort", choices=("relevance", "date"), default=None, help="order of the results shown")
    cutoff = parser.add_mutually_exclusive_group()
    cutoff.add_argument("--cutoff", type=finite_float, metavar="Z", help="hide scores below mean + Z std (default 1.0)")
    cutoff.add_argument("--no-cutoff", action="store_true", help="show the whole ranking")
    parser.add_argument("--hide-rated", action="store_true", help="leave out photos already marked")
    parser.add_argument("--session", type=record_id, metavar="ID", help="continue a saved search (add marks: next round)")
    parser.add_argument("--sessions", action="store_true", help="list recent search sessions")
    parser.add_argument("--json", action="store_true", help="machine-readable output (see docs/search.md)")
    parser.set_defaults(handler=search_command)


def search_command(args: argparse.Namespace, ctx: AppContext) -> int:
    from photo_organizer.cli.models import warn_if_random_weights
    from photo_organizer.errors import LibraryError
    from photo_organizer.search.engine import SearchEngine

    warn_if_random_weights(ctx)
    if args.sessions:
        return _list_sessions(args, ctx)
    if args.session is not None and (args.text or args.image or args.photo is not None):
        raise LibraryError("--session continues a saved search; give no new TEXT, --image or --photo with it.")
    # Arguments are checked before the library's index and the models load.
    query = _query_from_args(args) if args.session is None else None
    engine = SearchEngine.open(ctx.models, ctx.library, export_onnx=True, notify=_notify)
    if query is None:
        _continue_session(engine, args)
    else:
        engine.search(query, options=_options_from_args(args, None))
        engine.save_session()  # printed, so that --session can continue it
    _print_outcome(engine, args.json)
    sys.stdout.flush()
    engine.encoder.export_if_pending()  # after the answer: the next cold search skips torch
    return 0


def _notify(message: str) -> None:
    print(f"photo-organizer: {message}", file=sys.stderr)


def _options_from_args(args: argparse.Namespace, base: Any) -> Any:
    from photo_organizer.search.feedback import FeedbackOptions

    data = base.to_dict() if base is not None else {}
    if args.method:
        data["method"] = args.method
    if args.order:
        data["order"] = args.order
    if args.query_scale:
        data["query_scale"] = args.query_scale
    if args.no_query_positive:
        data["query_positive"] = False
    return FeedbackOptions.from_dict(data)


def _view_from_args(args: argparse.Namespace, base: Any) -> Any:
    from dataclasses import replace

    from photo_organizer.search.query import SearchView

    view = base or SearchView()
    filters = view.filters
    from photo_organizer.curation.model import normalise_keyword, parse_label

    changes = {
        "folder": args.folder, "date_from": args.date_from, "date_to": args.date_to, "album_id": args.album,
        "min_rating": args.min_rating, "keyword": normalise_keyword(args.keyword) if args.keyword else None,
        "label": parse_label(args.label), "favourites": args.favourites, "person_id": args.person,
        "place": args.place, "event_id": args.event,
    }
    filters = replace(filters, **{name: value for name, value in changes.items() if value is not None})
    updates: dict[str, Any] = {"filters": filters}
    if args.limit is not None:
        updates["limit"] = args.limit
    if args.sort:
        updates["sort"] = args.sort
    if args.no_cutoff:
        updates["cutoff_z"] = None
    elif args.cutoff is not None:
        updates["cutoff_z"] = args.cutoff
    if args.hide_rated:
        updates["hide_rated"] = True
    return replace(view, **updates)


def _query_from_args(args: argparse.Namespace) -> Any:
    from pathlib import Path

    from photo_organizer.imaging import require_regular_file
    from photo_organizer.search.query import SearchQuery

    image_path = str(Path(args.image).expanduser().resolve()) if args.image else None
    if image_path is not None:
        require_regular_file(image_path)  # before any model loads; a named pipe would block the read
    return SearchQuery(
        text=args.text,
        photo_id=args.photo,
        image_path=image_path,
        liked=tuple(args.like),
        disliked=tuple(args.dislike),
        view=_view_from_args(args, None),
    )


def _continue_session(engine: Any, args: argparse.Namespace) -> None:
    """Resume; apply changed options and view; new marks make the next round."""
    from photo_organizer.errors import LibraryError

    engine.resume(args.session)
    both = set(args.like) & set(args.dislike)
    if both:
        raise LibraryError(f"Photo(s) {sorted(both)} cannot be both liked and disliked.")
    options = _options_from_args(args, engine.options)
    if options != engine.options:
        engine.set_options(options)
    view = _view_from_args(args, engine.query.view)
    if view != engine.query.view:
        engine.set_view(view)
    for photo_id in args.like:
        engine.mark(photo_id, "liked")
    for photo_id in args.dislike:
        engine.mark(photo_id, "disliked")
    if args.like or args.dislike:
        engine.refine()


def outcome_dict(engine: Any) -> dict[str, Any]:
    """The ``--json`` document (fields documented in docs/search.md)."""
    query = engine.query
    return {
        "session": engine.session_id,
        "round": engine.round,
        "query": {"text": query.text, "photo_id": query.photo_id, "image_path": query.image_path},
        "model_key": engine.index.model_key,
        "options": engine.options.to_dict(),
        "view": query.view.to_dict(),
        "marks": {str(pid): ("liked" if label > 0 else "disliked") for pid, label in sorted(engine.marks.items())},
        "library_size": len(engine.index),
        "hidden": engine.hidden,
        "encoded_by": engine.encoder.last_source or None,
        "timings_ms": {name: round(value, 2) for name, value in engine.timings.items()},
        "results": [result.to_dict() for result in engine.results],
    }


def _print_outcome(engine: Any, as_json: bool) -> None:
    if as_json:
        from photo_organizer.cli.main import print_json

        print_json(outcome_dict(engine))
        return
    query = engine.query
    cut = f", {engine.hidden} below the relevance cut-off" if engine.hidden else ""
    print(
        f"session {engine.session_id} · round {engine.round} · {engine.options.method} · {query.describe()} · "
        f"{len(engine.results)} results{cut}"
    )
    if not engine.results:
        print("No result above the relevance cut-off; try --no-cutoff.")
        return
    print(f"{'rank':>4} {'id':>7} {'score':>7} {'sim':>7} {'pred':<8} {'mark':<8} path")
    for result in engine.results:
        print(
            f"{result.rank:>4} {result.photo_id:>7} {result.score:>7.3f} {result.similarity:>7.3f} "
            f"{result.predicted or '-':<8} {result.mark or '-':<8} {result.path}"
        )
    print(f"Refine: photo-organizer search --session {engine.session_id} --like ID... --dislike ID...")


def _list_sessions(args: argparse.Namespace, ctx: AppContext) -> int:
    from photo_organizer.search.session import SessionStore

    sessions = SessionStore(ctx.library).recent()
    if args.json:
        from photo_organizer.cli.main import print_json

        print_json(sessions)
        return 0
    if not sessions:
        print("No saved searches yet.")
    for row in sessions:
        query = row["query_text"] or (f"photo {row['query_photo_id']}" if row["query_photo_id"] else row["query_image_path"])
        print(
            f"{row['id']:>5}  round {row['round']}  {row['method']:<8} "
            f"+{row['liked'] or 0}/-{row['disliked'] or 0}  {query or 'liked photos'}"
        )
    return 0
