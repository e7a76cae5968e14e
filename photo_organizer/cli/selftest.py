"""Command: self-test (an end-to-end check of this installation on a temporary library)."""

from __future__ import annotations

import argparse

from photo_organizer.context import AppContext
from photo_organizer.selftest import add_arguments, run_from_arguments


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "self-test",
        help="check this installation end to end on generated photos (exit 0 when it works)",
        description="Index, search, feedback and albums on a temporary library of generated photos, "
        "with the installed weights (the data home's are read, never changed).",
    )
    add_arguments(parser)
    parser.set_defaults(handler=self_test_command)


def self_test_command(args: argparse.Namespace, ctx: AppContext) -> int:
    return run_from_arguments(args, ctx.models)
