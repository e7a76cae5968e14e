"""Start the desktop app: ``photo-organizer-gui`` (and ``photo-organizer gui``).

Start-up imports Qt, the storage layer and the window only; models (torch) load later, on
a worker thread, when a search or a feature job first needs them. ``--screenshot FILE.png``
opens the window, waits until the visible thumbnails (and the ``--search``, if given) are
loaded, saves a PNG of the window and exits.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QPoint, QTimer
from PySide6.QtGui import QPainter, QPixmap
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from photo_organizer.app.library_service import LibraryService
from photo_organizer.app.types import SearchRequest
from photo_organizer.app_log import enable_file_log
from photo_organizer.context import AppContext
from photo_organizer.environment import model_options_from_environment
from photo_organizer.errors import PhotoOrganizerError
from photo_organizer.ui import icons
from photo_organizer.ui.compat import check_qt_bindings
from photo_organizer.ui.error_dialog import install_exception_hook
from photo_organizer.ui.main_window import MainWindow
from photo_organizer.ui.settings import UiSettings
from photo_organizer.ui.single_instance import InstanceServer, ask_running_instance
from photo_organizer.ui.theme import apply_theme

log = logging.getLogger(__name__)

SETTINGS_FILE = "window.ini"
SCREENSHOT_TIMEOUT_S = 120.0
SCREENSHOT_SIZE = (1280, 800)  # the same picture on every machine, whatever the screen


def application(argv: Sequence[str] | None = None) -> QApplication:
    """The QApplication (made once); raises when the Qt bindings are known to crash."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(list(argv) if argv is not None else sys.argv[:1])
        check_qt_bindings()
    app.setApplicationName("Photo Organizer")
    app.setOrganizationName("PhotoOrganizer")
    app.setWindowIcon(icons.app_icon())
    return app


def launch(ctx: AppContext, *, scan_on_start: bool | None = None, show: bool = True) -> MainWindow:
    """Build and show the main window on ``ctx``'s library (the QApplication must exist)."""
    ui_settings = UiSettings(ctx.home.root / SETTINGS_FILE)
    apply_theme(QApplication.instance(), ui_settings.theme)
    window = MainWindow(LibraryService(ctx), ui_settings, scan_on_start=scan_on_start)
    if show:
        window.show()
    return window


def run_gui(ctx: AppContext, screenshot: str | None = None, search: str | None = None, folders: Sequence[str] = ()) -> int:
    if screenshot and sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # a screenshot needs no display
    app = application()  # a broken Qt binding raises here: the command line prints the reason
    instance = None
    if not screenshot:  # a screenshot is a separate look at the library, never a second copy
        instance = InstanceServer(ctx.home.root, app)
        if not instance.listen() and ask_running_instance(ctx.home.root, folders):
            print("Photo Organizer is already open on this library: its window was brought forward.", file=sys.stderr)
            return 0
    enable_file_log(ctx.home.root)
    install_exception_hook()
    try:
        window = launch(ctx, scan_on_start=False if screenshot else None)
    except PhotoOrganizerError as error:
        if screenshot:  # nobody is there to close a dialog: say it and exit
            print(f"photo-organizer: {error}", file=sys.stderr)
        else:
            QMessageBox.critical(None, "Photo Organizer cannot start", str(error))
        return error.exit_code
    if instance is not None:
        instance.activated.connect(window.bring_forward)
        window.watch_folders()  # photos arriving while the window is open are added
    for folder in folders:
        window.add_folder_path(folder)
    if search:
        window.search_bar.field.setText(search)
        window.run_search(SearchRequest(text=search))
    if not screenshot:
        try:
            return app.exec()
        finally:
            if instance is not None:
                instance.close()  # the next launch on this library opens its own window
    taker = ScreenshotTaker(window, Path(screenshot), expect_search=bool(search))
    # The taker quits by itself. Closing the last window would also post a Quit event that
    # outlives exec() and ends the next event loop of whoever reuses this QApplication.
    quit_on_close = app.quitOnLastWindowClosed()
    app.setQuitOnLastWindowClosed(False)
    try:
        taker.start()
        code = app.exec()
    finally:
        app.setQuitOnLastWindowClosed(quit_on_close)
    if taker.error:
        raise taker.error
    return code


class ScreenshotTaker:
    """Saves the window once what it shows is loaded, then quits the app."""

    def __init__(self, window: MainWindow, path: Path, expect_search: bool, timeout_s: float = SCREENSHOT_TIMEOUT_S) -> None:
        self.window = window
        self.path = path
        self.expect_search = expect_search
        self.deadline = time.monotonic() + timeout_s
        self.settled_ticks = 0
        self.error: PhotoOrganizerError | None = None
        self.timer = QTimer(window)
        self.timer.setInterval(100)
        self.timer.timeout.connect(self._tick)

    def start(self) -> None:
        self.window.resize(*SCREENSHOT_SIZE)
        self.timer.start()

    def ready(self) -> bool:
        window = self.window
        if not window.is_settled() or not window.grid.visible_thumbnails_known():
            return False
        # A search must have produced results, or failed with a dialog on screen.
        if self.expect_search and window.search.active and window.search.contents is None:
            return QApplication.activeModalWidget() is not None
        return True

    def _tick(self) -> None:
        timed_out = time.monotonic() > self.deadline
        self.settled_ticks = self.settled_ticks + 1 if self.ready() else 0
        if self.settled_ticks < 3 and not timed_out:  # settled for 0.3 s: paints have landed
            return
        self.timer.stop()
        if timed_out:
            log.warning("screenshot taken before everything loaded (timeout)")
        try:
            save_window_image(self.window, self.path)
        except PhotoOrganizerError as error:
            self.error = error
        modal = QApplication.activeModalWidget()
        if modal is not None:
            modal.close()
        self.window.close()
        QApplication.instance().quit()


def save_window_image(window: QWidget, path: Path) -> None:
    """The window, with any dialog it has open drawn on top where it would appear."""
    image: QPixmap = window.grab()
    modal = QApplication.activeModalWidget()
    if modal is not None and modal is not window:
        dialog = modal.grab()
        painter = QPainter(image)
        offset = QPoint((image.width() - dialog.width()) // 2, (image.height() - dialog.height()) // 3)
        painter.drawPixmap(offset, dialog)
        painter.end()
    path.parent.mkdir(parents=True, exist_ok=True)
    if not image.save(str(path)):
        raise PhotoOrganizerError(f"The screenshot could not be written to {path}.")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="photo-organizer-gui", description="Photo Organizer desktop app")
    parser.add_argument("--home", metavar="DIR", help="data folder (default: $PHOTO_ORGANIZER_HOME or the user data dir)")
    parser.add_argument("--add", action="append", default=[], metavar="FOLDER", help="add this photo folder (to the open window, if one is)")
    args, qt_args = parser.parse_known_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        application([sys.argv[0], *qt_args])
    except PhotoOrganizerError as error:
        QMessageBox.critical(None, "Photo Organizer cannot start", str(error))
        return error.exit_code
    try:
        ctx = AppContext.open(args.home, model_options_from_environment())
    except PhotoOrganizerError as error:
        QMessageBox.critical(None, "Photo Organizer cannot start", str(error))
        return error.exit_code
    try:
        return run_gui(ctx, folders=args.add)
    finally:
        ctx.close()


if __name__ == "__main__":
    raise SystemExit(main())
