"""Entry script of the frozen app, started under two names (see photo_organizer.spec).

``PhotoOrganizer`` (windowed on Windows and macOS) opens the window; ``photo-organizer`` (a
symbolic link to it on Linux and macOS, a console executable on Windows) is the command line.
Both accept ``--self-test [--random-weights] ...``:
the core self-test (``photo_organizer.selftest``) on a temporary library, then a window step
that opens the main window offscreen on that library and saves a screenshot (``--no-window``
skips it). Exit 0 on success. On Windows run it through ``photo-organizer.exe``: the windowed
executable has no console to print to.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from pathlib import Path

CLI_NAME = "photo-organizer"  # must match CLI_NAME in photo_organizer.spec
SELF_TEST_FLAG = "--self-test"
NO_WINDOW_FLAG = "--no-window"
SCREENSHOT_FILE = "self-test-window.png"


def window_step(home_root: Path) -> str:
    """Open the main window offscreen on the test library and save a screenshot of it."""
    from PIL import Image

    from photo_organizer.context import AppContext
    from photo_organizer.errors import PhotoOrganizerError
    from photo_organizer.ui.app import run_gui

    screenshot = home_root / SCREENSHOT_FILE
    ctx = AppContext.open(home_root)
    try:
        code = run_gui(ctx, screenshot=str(screenshot))
    finally:
        ctx.close()
    if code != 0 or not screenshot.is_file():
        raise PhotoOrganizerError(f"the window exited with {code} and saved no screenshot")
    with Image.open(screenshot) as image:
        width, height = image.size
    platform = os.environ.get("QT_QPA_PLATFORM", "default")
    return f"main window on the test library ({platform} platform), {width}x{height} screenshot"


def self_test(arguments: list[str]) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from photo_organizer.selftest import main as run

    extra = [] if NO_WINDOW_FLAG in arguments else [("window", window_step)]
    return run([argument for argument in arguments if argument != NO_WINDOW_FLAG], extra_steps=extra)


def main() -> int:
    multiprocessing.freeze_support()  # joblib/hdbscan workers re-run this executable
    arguments = sys.argv[1:]
    if SELF_TEST_FLAG in arguments:
        return self_test([argument for argument in arguments if argument != SELF_TEST_FLAG])
    if started_as_command_line():
        from photo_organizer.cli.main import main as cli

        return cli(arguments)
    from photo_organizer.ui.app import main as gui

    return int(gui(arguments) or 0)


def started_as_command_line() -> bool:
    """argv[0] keeps the link's name (Linux, macOS); sys.executable names the .exe (Windows)."""
    return CLI_NAME in {Path(sys.argv[0]).stem, Path(sys.executable).stem}


if __name__ == "__main__":
    sys.exit(main())
