"""Command: gui (registered by cli.main). Qt is imported only when the command runs."""

from __future__ import annotations

import argparse

from photo_organizer.context import AppContext


def register(subparsers: argparse._SubParsersAction) -> None:
    gui = subparsers.add_parser("gui", help="open the desktop app")
    gui.add_argument("--screenshot", metavar="FILE.png", help="save a PNG of the window once loaded, then exit")
    gui.add_argument("--search", metavar="TEXT", help="run this text search in the window")
    gui.add_argument("--add", action="append", default=[], metavar="FOLDER", help="add this photo folder (to the open window, if one is)")
    gui.set_defaults(handler=gui_command)


def gui_command(args: argparse.Namespace, ctx: AppContext) -> int:
    from photo_organizer.ui.app import run_gui

    return run_gui(ctx, screenshot=args.screenshot, search=args.search, folders=args.add)
