"""Unexpected errors in the window: a short message, a "Copy details" button, and the
traceback written to the log file in the data home (photo_organizer.app_log).

``install_exception_hook`` routes uncaught exceptions of the GUI thread (slots, event
handlers), of other Python threads, and Qt's own warnings to the log; the first two also
open the dialog on the GUI thread.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from types import TracebackType

from PySide6.QtCore import QtMsgType, qInstallMessageHandler
from PySide6.QtWidgets import QApplication, QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from photo_organizer.app_log import where_details_are
from photo_organizer.ui.workers import GuiInvoker

log = logging.getLogger("photo_organizer.unexpected")

QT_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


class ErrorDialog(QDialog):
    def __init__(self, summary: str, details: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Photo Organizer: unexpected error")
        self.details = details
        self.message = QLabel(f"{summary}\n\n{where_details_are()}")
        self.message.setWordWrap(True)
        self.copy_button = QPushButton("Copy details")
        self.copy_button.clicked.connect(self.copy_details)
        close = QPushButton("Close")
        close.setDefault(True)
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.copy_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addLayout(buttons)

    def copy_details(self) -> None:
        clipboard = QApplication.clipboard()
        if clipboard is not None:
            clipboard.setText(self.details)


class ExceptionHook:
    """Logs each uncaught exception with its traceback and shows one dialog at a time."""

    def __init__(self) -> None:
        self.invoker = GuiInvoker()  # made on the GUI thread: posts the dialog there
        self.dialog: ErrorDialog | None = None

    def __call__(self, kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, error, tb)
            return
        details = "".join(traceback.format_exception(kind, error, tb))
        log.error("unexpected error\n%s", details.rstrip())
        summary = f"Something went wrong: {kind.__name__}: {error}".strip().rstrip(":")
        self.invoker.post(lambda: self.show(summary, details))

    def on_thread_error(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            self(args.exc_type, args.exc_value, args.exc_traceback)

    def show(self, summary: str, details: str) -> None:
        if self.dialog is not None and self.dialog.isVisible():
            return  # one at a time; every error is in the log
        self.dialog = ErrorDialog(summary, details, QApplication.activeWindow())
        self.dialog.setModal(True)
        self.dialog.show()


def install_exception_hook() -> ExceptionHook:
    """Call on the GUI thread once the QApplication exists."""
    hook = ExceptionHook()
    sys.excepthook = hook
    threading.excepthook = hook.on_thread_error
    qInstallMessageHandler(_log_qt_message)
    return hook


def _log_qt_message(kind: QtMsgType, _context: object, message: str) -> None:
    logging.getLogger("qt").log(QT_LEVELS.get(kind, logging.WARNING), message)
