"""Checks of the installed Qt bindings that would otherwise crash the app much later."""

from __future__ import annotations

import sys

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QObject, Signal

from photo_organizer.errors import PhotoOrganizerError

PROBE_EMITS = 16


class _Probe(QObject):
    ping = Signal()


def emit_keeps_references() -> bool:
    """False when ``Signal.emit()`` loses a reference to ``True`` on every call.

    PySide6 6.12.0 does on Python < 3.12 (True is not immortal there): after a few thousand
    signals the interpreter aborts with "bool_dealloc". Measured, not guessed from versions.
    """
    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(PROBE_EMITS):
        probe.ping.emit()
    return before - sys.getrefcount(True) < PROBE_EMITS


def check_qt_bindings() -> None:
    if not emit_keeps_references():
        raise PhotoOrganizerError(
            f"The installed PySide6 {pyside_version} has a reference-counting bug on Python "
            f"{sys.version_info.major}.{sys.version_info.minor} that crashes the app. "
            "Install another version: pip install 'PySide6-Essentials==6.11.3'."
        )
