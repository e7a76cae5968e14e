"""Entry point of ``photo-organizer``: global options, command registration, error mapping.

Every command module exposes ``register(subparsers)`` and sets ``handler`` on its parsers;
a handler takes ``(args, ctx)`` and returns an exit code. Typed core errors become one-line
messages here, in one place, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import io
import json
import logging
import os
import sqlite3
import sys
from collections.abc import Sequence
from typing import Any

from photo_organizer import __version__
from photo_organizer.app_log import enable_file_log, where_details_are
from photo_organizer.context import AppContext
from photo_organizer.environment import model_options_from_environment
from photo_organizer.errors import PhotoOrganizerError
from photo_organizer.storage import database_error

BROKEN_PIPE_EXIT = 141  # 128 + SIGPIPE: what a shell reports for a writer whose reader left
COMMAND_MODULES = (
    "library", "models", "itae", "search", "albums", "curation", "people", "timeline", "evaluate", "gui",
    "selftest", "stacks",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="photo-organizer",
        description="Offline photo organizer: automatic albums and CLIP search with like/dislike feedback.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--home", metavar="DIR", help="data folder (default: $PHOTO_ORGANIZER_HOME or the user data dir)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"photo_organizer.cli.{name}")
        module.register(subparsers)
    return parser


def _discard_stdout() -> None:
    """The reader of our output is gone: send what is still buffered nowhere, quietly."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        pass  # not a real file (tests capture output): nothing is flushed at exit anyway


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, sort_keys=True, default=str)
    sys.stdout.write("\n")


def main(argv: Sequence[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")  # file names that are not valid UTF-8
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "handler", None) is None:
        parser.print_help()
        return 2
    ctx: AppContext | None = None
    try:
        ctx = AppContext.open(args.home, model_options_from_environment())
        code = int(args.handler(args, ctx) or 0)
        sys.stdout.flush()  # a reader that went away (`| head`) shows here, not at exit
        return code
    except BrokenPipeError:
        _discard_stdout()
        return BROKEN_PIPE_EXIT
    except PhotoOrganizerError as error:
        print(f"photo-organizer: {error}", file=sys.stderr)
        return error.exit_code
    except sqlite3.Error as error:
        where = ctx.home.database_path if ctx is not None else "library"
        print(f"photo-organizer: {database_error(error, where)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("photo-organizer: interrupted; work done so far is saved, run the command again to resume.", file=sys.stderr)
        return 130
    except Exception as error:  # a bug: one line here, the traceback in the home's log file
        if ctx is not None:
            enable_file_log(ctx.home.root)
        logging.getLogger("photo_organizer.cli").error("unexpected error in %s", args.command, exc_info=error)
        print(f"photo-organizer: unexpected error ({type(error).__name__}: {error}). {where_details_are()}", file=sys.stderr)
        return 1
    finally:
        if ctx is not None:
            ctx.close()


if __name__ == "__main__":
    raise SystemExit(main())
