"""Commands: ``stacks`` (bursts and RAW + JPEG pairs), ``review`` (keep the best, trash the
rest, after confirmation) and ``trash`` (the undo list).

    photo-organizer stacks [--json]                  list stacks with their best shot
    photo-organizer stacks update                    stack the photos not considered yet
    photo-organizer stacks pick STACK PHOTO          your pick of the best shot (the cover follows)
    photo-organizer review --keep-best STACK [--trash [--yes]] [--json]
    photo-organizer review --keep PHOTO [--trash [--yes]] [--json]    (its duplicate group)
    photo-organizer trash [--all] [--json]           what was moved to the system trash
    photo-organizer trash undo [BATCH]               put a batch back (default: the last one)

Nothing is ever deleted: ``review --trash`` moves files to the system trash (send2trash) only
after you confirm (or with ``--yes``), and records them so ``trash undo`` can restore them.

JSON output (stable, for scripts):

* ``stacks --json``: ``{"stacks": [{"id", "kind" ("burst"|"raw+jpeg"), "photo_ids",
  "best_id", "picked_by_user", "why", "paths": {ID: path}}...], "pending": N}``.
* ``review --json``: ``{"what", "keep": [{"id", "path"}...], "trash": [{"id", "path"}...],
  "trashed": TRASH_BATCH or null}``; TRASH_BATCH is ``{"batch", "trashed": [ENTRY...],
  "failed": [{"path", "reason"}...]}``.
* ``trash --json``: ``{"entries": [ENTRY...]}``; ENTRY is ``{"id", "batch", "photo_id",
  "original_path", "trash_path" (null when unknown), "trashed_at", "restored_at"}``.
* ``trash undo --json``: ``{"restored": [ENTRY...], "failed": [ENTRY + "reason"...]}``.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from photo_organizer.context import AppContext
from photo_organizer.errors import LibraryError
from photo_organizer.progress import run_with_bar


def register(subparsers: argparse._SubParsersAction) -> None:
    stacks = subparsers.add_parser("stacks", help="bursts and RAW + JPEG pairs stacked, with a best shot")
    stacks.add_argument("--json", action="store_true", help="machine-readable output")
    stacks.set_defaults(handler=list_stacks)
    actions = stacks.add_subparsers(dest="stacks_command", metavar="ACTION")
    update = actions.add_parser("update", help="stack the photos not considered yet (index does this)")
    update.add_argument("--quiet", action="store_true")
    update.set_defaults(handler=update_stacks)
    pick = actions.add_parser("pick", help="choose a stack's best shot (its cover)")
    pick.add_argument("stack", type=int)
    pick.add_argument("photo", type=int)
    pick.set_defaults(handler=pick_best)

    review = subparsers.add_parser(
        "review", help="keep the best of a stack or duplicate group; the others to the trash after you confirm"
    )
    which = review.add_mutually_exclusive_group(required=True)
    which.add_argument("--keep-best", type=int, metavar="STACK", help="keep this stack's best shot")
    which.add_argument("--keep", type=int, metavar="PHOTO", help="keep this photo of its duplicate group")
    review.add_argument("--trash", action="store_true", help="move the others to the system trash")
    review.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    review.add_argument("--features", choices=["dino", "clip"], default="dino", help="for --keep: near-identical by")
    review.add_argument("--json", action="store_true")
    review.set_defaults(handler=review_command)

    trash = subparsers.add_parser("trash", help="photos moved to the system trash, and undo")
    trash.add_argument("--all", action="store_true", help="include restored ones")
    trash.add_argument("--json", action="store_true")
    trash.set_defaults(handler=list_trash)
    trash_actions = trash.add_subparsers(dest="trash_command", metavar="ACTION")
    undo = trash_actions.add_parser("undo", help="restore a trashed batch to its place (default: the last)")
    undo.add_argument("batch", type=int, nargs="?")
    undo.add_argument("--json", action="store_true")
    undo.set_defaults(handler=undo_trash)


def _print_json(data: Any) -> None:
    from photo_organizer.cli.main import print_json  # main imports this module

    print_json(data)


def run_stacking(ctx: AppContext, quiet: bool) -> str:
    """The stacking job over the pending photos; returns its summary."""
    from photo_organizer.stacks.job import stack_features, update_stacks_job

    key, threshold = stack_features(ctx.models, ctx.library)
    return run_with_bar(update_stacks_job(ctx.library, key, threshold), quiet=quiet).summary()


def list_stacks(args: argparse.Namespace, ctx: AppContext) -> int:
    from photo_organizer.stacks import store
    from photo_organizer.stacks.job import pending_count, stack_features

    stacks = store.list_stacks(ctx.library)
    paths = {row["id"]: row["path"] for row in ctx.library.shot_rows([p for s in stacks for p in s.photo_ids])}
    pending = pending_count(ctx.library, stack_features(ctx.models, ctx.library)[0])
    if args.json:
        _print_json(
            {
                "stacks": [{**s.as_json(), "paths": {pid: paths.get(pid) for pid in s.photo_ids}} for s in stacks],
                "pending": pending,
            }
        )
        return 0
    print(f"{len(stacks)} stacks" + (f"; {pending} photos not considered yet (`photo-organizer stacks update`)" if pending else ""))
    for stack in stacks:
        print(f"stack {stack.id} ({stack.kind}, {len(stack.photo_ids)} photos): best {stack.best_photo_id}, {stack.why}")
        for pid in stack.photo_ids:
            print(f"  {'*' if pid == stack.best_photo_id else ' '} {pid:>8}  {paths.get(pid)}")
    return 0


def update_stacks(args: argparse.Namespace, ctx: AppContext) -> int:
    print(f"Stacks: {run_stacking(ctx, args.quiet)}")
    return 0


def pick_best(args: argparse.Namespace, ctx: AppContext) -> int:
    from photo_organizer.stacks import store

    stack = store.get_stack(ctx.library, args.stack)
    if args.photo not in stack.photo_ids:
        raise LibraryError(f"Photo {args.photo} is not in stack {args.stack} ({stack.photo_ids}).")
    ctx.library.set_stack_best(stack.id, args.photo, "picked by you")
    print(f"Stack {stack.id}: photo {args.photo} is the best shot and the cover.")
    return 0


def review_command(args: argparse.Namespace, ctx: AppContext) -> int:
    from photo_organizer.albums.duplicates import NEAR_IDENTICAL_THRESHOLDS
    from photo_organizer.stacks.review import plan_keep_best, plan_keep_duplicate
    from photo_organizer.stacks.trash import trash_photos

    if args.keep_best is not None:
        plan = plan_keep_best(ctx.library, args.keep_best)
    else:
        key = ctx.models.active_key(ctx.library, args.features)
        plan = plan_keep_duplicate(ctx.library, args.keep, key, NEAR_IDENTICAL_THRESHOLDS[args.features])
    if not args.json:
        print(f"Review of {plan.what}:")
        for pid, path in plan.keep:
            print(f"  keep   {pid:>8}  {path}")
        for pid, path in plan.trash:
            print(f"  trash  {pid:>8}  {path}")
    report = None
    if args.trash and plan.trash:
        if args.yes or _confirmed(f"Move {len(plan.trash)} file(s) to the system trash?"):
            report = trash_photos(ctx.library, plan.trash)
        elif not args.json:
            print("Nothing was moved.")
    if args.json:
        _print_json({**plan.as_json(), "trashed": report.as_json() if report else None})
    elif report is not None:
        print(f"Moved {len(report.trashed)} file(s) to the trash (batch {report.batch}); "
              f"`photo-organizer trash undo {report.batch}` puts them back.")
        for path, reason in report.failed:
            print(f"  not moved: {path}: {reason}", file=sys.stderr)
    elif not args.trash and not args.json:
        print("Nothing was moved; add --trash to move the others to the system trash.")
    return 1 if report is not None and report.failed else 0


def _confirmed(question: str) -> bool:
    if not sys.stdin.isatty():
        raise LibraryError("Confirmation needed: run it in a terminal, or add --yes.")
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")


def list_trash(args: argparse.Namespace, ctx: AppContext) -> int:
    from photo_organizer.stacks import store

    entries = store.trash_entries(ctx.library, include_restored=args.all)
    if args.json:
        _print_json({"entries": [entry.as_json() for entry in entries]})
        return 0
    if not entries:
        print("The trash list is empty.")
    for entry in entries:
        state = "restored" if entry.restored_at else (entry.trash_path or "in the system trash")
        print(f"batch {entry.batch:>4}  photo {entry.photo_id:>8}  {entry.original_path}  ->  {state}")
    return 0


def undo_trash(args: argparse.Namespace, ctx: AppContext) -> int:
    from photo_organizer.stacks.trash import restore

    report = restore(ctx.library, args.batch)
    if args.json:
        _print_json(report.as_json())
    else:
        print(f"Restored {len(report.restored)} file(s) to their place.")
        for entry, reason in report.failed:
            print(f"  not restored: {entry.original_path}: {reason}", file=sys.stderr)
    return 1 if report.failed else 0
