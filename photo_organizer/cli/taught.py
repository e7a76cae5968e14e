"""Commands for albums taught by example (registered under ``albums`` and ``eval``).

    photo-organizer albums create --from-session ID --name NAME   (cli/albums.py's create)
    photo-organizer albums confirm ID [PHOTO...]     newcomers stay (all of them by default)
    photo-organizer albums reject ID PHOTO...        out, and a disliked example from now on
    photo-organizer albums add ID PHOTO...           in, and a liked example (albums.edits.add_photos)
    photo-organizer eval taught-albums DIR           precision per round, recall of later photos

JSON output (stable, for scripts):

* ``albums create --json``: ``{"album": ALBUM, "taught": TAUGHT}``;
* ``albums show ID --json`` of a taught album adds ``"taught": TAUGHT`` to its usual output;
  TAUGHT is ``{"session_id", "query": {"text", "photo_id", "image_path"}, "options"
  (FeedbackOptions), "model_key", "liked": [id...], "disliked": [id...], "members": [{"id",
  "source" ("example"|"taught"|"confirmed"|"new")}...], "new": [id...] (unconfirmed newcomers)}``.
* ``eval taught-albums --json``: see ``evaluation.taught.TaughtEvaluation.to_dict``.
"""

from __future__ import annotations

import argparse

from photo_organizer.context import AppContext


def register_album_actions(commands: argparse._SubParsersAction) -> None:
    confirm = commands.add_parser("confirm", help="taught album: keep newcomers (all by default)")
    confirm.add_argument("album", type=int)
    confirm.add_argument("photos", type=int, nargs="*", metavar="PHOTO")
    confirm.set_defaults(handler=confirm_photos)
    reject = commands.add_parser("reject", help="taught album: take out and teach as disliked")
    reject.add_argument("album", type=int)
    reject.add_argument("photos", type=int, nargs="+", metavar="PHOTO")
    reject.set_defaults(handler=reject_photos)


def register_eval(group: argparse._SubParsersAction) -> None:
    parser = group.add_parser(
        "taught-albums",
        help="taught albums on a labelled folder: precision per round, recall of photos added later",
        description="Simulated taught albums on DIR/<class>/<images>; a third of each class arrives later.",
    )
    parser.add_argument("folder", metavar="DIR", help="one sub-folder per class")
    parser.add_argument("--shown", type=int, default=10, metavar="K", help="results the user marks per round (default 10)")
    parser.add_argument("--rounds", type=int, default=3, help="feedback rounds (default 3)")
    parser.add_argument("--queries", type=int, metavar="N", help="N random images as queries (default: all present)")
    parser.add_argument("--per-class", type=int, metavar="N", help="at most N images per class")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument("--json", action="store_true")
    parser.set_defaults(handler=eval_taught_albums)


def _print_json(data: object) -> None:
    from photo_organizer.cli.main import print_json  # main imports this module

    print_json(data)


def create_taught_album(args: argparse.Namespace, ctx: AppContext) -> int:
    """``albums create --from-session ID --name NAME``: a refined search kept as an album."""
    from photo_organizer.albums.store import get_album
    from photo_organizer.search.engine import SearchEngine
    from photo_organizer.taught.albums import create_from_engine, describe

    engine = SearchEngine.open(ctx.models, ctx.library)
    engine.resume(args.from_session)
    album_id = create_from_engine(ctx.library, engine, args.name)
    album = get_album(ctx.library, album_id)
    if args.json:
        _print_json({"album": album.as_json(), "taught": describe(ctx.library, album_id)})
    else:
        print(f"Album {album_id} {album.display_name!r}: {album.size} photos; new photos join it when indexed.")
    return 0


def confirm_photos(args: argparse.Namespace, ctx: AppContext) -> int:
    from photo_organizer.taught.albums import confirm

    confirmed = confirm(ctx.library, args.album, args.photos)
    print(f"Confirmed {len(confirmed)} photos in album {args.album}.")
    return 0


def reject_photos(args: argparse.Namespace, ctx: AppContext) -> int:
    from photo_organizer.albums.store import get_album
    from photo_organizer.taught.albums import reject

    reject(ctx.library, args.album, args.photos)
    album = get_album(ctx.library, args.album)
    print(f"{len(set(args.photos))} photos taken out (disliked examples now); album {album.id} has {album.size} photos.")
    return 0


def taught_details(ctx: AppContext, album_id: int) -> dict | None:
    """The taught part of ``albums show --json``; None for other albums."""
    from photo_organizer.taught.albums import describe

    return describe(ctx.library, album_id) if ctx.library.is_taught_album(album_id) else None


def summary_line(album_id: int, details: dict) -> str:
    """One line under a taught album's title: its examples and its unconfirmed newcomers."""
    line = f"Taught by example: {len(details['liked'])} liked, {len(details['disliked'])} disliked"
    if details["new"]:
        line += (
            f"; {len(details['new'])} new photos joined (`albums confirm {album_id}` keeps them, "
            f"`albums reject {album_id} PHOTO...` takes them out)"
        )
    return line


def eval_taught_albums(args: argparse.Namespace, ctx: AppContext) -> int:
    import numpy as np

    from photo_organizer.cli.eval_feedback import embed_labelled_folder
    from photo_organizer.errors import LibraryError
    from photo_organizer.evaluation.taught import evaluate_taught_job, format_report
    from photo_organizer.progress import run_with_bar

    if args.shown < 1 or args.rounds < 1:
        raise LibraryError("--shown and --rounds must be at least 1.")
    quiet = args.quiet or args.json
    dataset, vectors, kept, unreadable, model_key = embed_labelled_folder(ctx, args.folder, args.per_class, quiet)
    evaluation = run_with_bar(
        evaluate_taught_job(
            vectors, dataset.labels[kept], shown=args.shown, rounds=args.rounds, queries=args.queries,
            rng=np.random.default_rng(args.seed),
        ),
        quiet=quiet,
    )
    evaluation.model_key = model_key
    if args.json:
        _print_json({**evaluation.to_dict(), "unreadable": [{"path": p, "reason": r} for p, r in unreadable]})
    else:
        print(format_report(evaluation))
    return 0
