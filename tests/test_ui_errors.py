"""Unexpected errors in the window: a dialog with the message and "Copy details", the traceback
in the home's rotating log file (which exists and is the file the message names)."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading

import pytest
from PySide6.QtCore import QObject, Qt, Signal, qInstallMessageHandler
from PySide6.QtWidgets import QApplication

from photo_organizer.app_log import current_log_file, enable_file_log, log_path
from photo_organizer.ui.error_dialog import ErrorDialog, install_exception_hook


class Emitter(QObject):
    fired = Signal()


def broken_slot() -> None:
    raise ValueError("the album index went negative")


@pytest.fixture
def hook(home):
    """The GUI's hooks and log file for one test, then the process's own back."""
    saved = sys.excepthook, threading.excepthook
    path = enable_file_log(home)
    installed = install_exception_hook()
    yield installed, path
    sys.excepthook, threading.excepthook = saved
    qInstallMessageHandler(None)
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "baseFilename", None) == str(path)]:
        root.removeHandler(handler)
        handler.close()
    if installed.dialog is not None:
        installed.dialog.close()


def open_error_dialog(qtbot, hook) -> ErrorDialog:
    installed, _ = hook
    qtbot.waitUntil(lambda: installed.dialog is not None and installed.dialog.isVisible(), timeout=5000)
    assert installed.dialog is not None
    return installed.dialog


@pytest.mark.qt_no_exception_capture
def test_an_error_in_a_slot_shows_a_dialog_copies_details_and_is_logged(qtbot, hook, home):
    _, path = hook
    emitter = Emitter()
    emitter.fired.connect(broken_slot)
    emitter.fired.emit()  # PySide reports the slot's exception through sys.excepthook

    dialog = open_error_dialog(qtbot, hook)
    assert "the album index went negative" in dialog.message.text()
    assert path == log_path(home) == current_log_file()
    assert str(path) in dialog.message.text()  # "details are in" names the real file
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    copied = QApplication.clipboard().text()
    assert "Traceback" in copied and "broken_slot" in copied and "ValueError" in copied

    for handler in logging.getLogger().handlers:
        handler.flush()
    logged = path.read_text(encoding="utf-8")
    assert "broken_slot" in logged and "ValueError: the album index went negative" in logged


@pytest.mark.qt_no_exception_capture
def test_an_error_in_another_thread_reaches_the_dialog_too(qtbot, hook):
    worker = threading.Thread(target=broken_slot)
    worker.start()
    worker.join()
    dialog = open_error_dialog(qtbot, hook)
    assert "ValueError" in dialog.message.text()


@pytest.mark.slow
def test_screenshot_mode_with_an_unusable_library_prints_the_error_and_exits(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "library.db").write_text("not a database")
    command = [sys.executable, "-m", "photo_organizer", "--home", str(home), "gui", "--screenshot", str(tmp_path / "s.png")]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert finished.returncode != 0
    assert "library.db" in finished.stderr and "Traceback" not in finished.stderr
    assert not (tmp_path / "s.png").exists()
