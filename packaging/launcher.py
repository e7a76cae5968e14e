"""Entry script of the frozen app: one script, two executables in one folder.

``PhotoOrganizer`` (windowed on Windows and macOS) opens the window; ``photo-organizer`` (a
console program) is the command line. Both accept ``--self-test [--random-weights] ...``,
which checks the installed bundle end to end on a temporary library and exits 0 on success;
on Windows run it through ``photo-organizer.exe``, the windowed one has no console to print to.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from pathlib import Path

GUI_EXECUTABLE = "PhotoOrganizer"  # must match the EXE names in photo_organizer.spec
SELF_TEST_FLAG = "--self-test"


def main() -> int:
    multiprocessing.freeze_support()  # joblib/hdbscan workers re-run this executable
    arguments = sys.argv[1:]
    if SELF_TEST_FLAG in arguments:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        from photo_organizer.selftest import main as self_test

        return self_test([argument for argument in arguments if argument != SELF_TEST_FLAG])
    if Path(sys.executable).stem == GUI_EXECUTABLE:
        from photo_organizer.ui.app import main as gui

        return int(gui() or 0)
    from photo_organizer.cli.main import main as cli

    return cli(arguments)


if __name__ == "__main__":
    sys.exit(main())
