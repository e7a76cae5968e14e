"""Window preferences in ``QSettings`` (an INI file in the data home, never the user's
global Qt settings), and the Settings dialog.

Window state (geometry, splitter, thumbnail size, theme, auto-refine) is a GUI matter and
lives here. Library settings (models, ITAE, album granularity) belong to the core and are
read and written through ``LibraryService``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings

MIN_THUMBNAIL = 96
MAX_THUMBNAIL = 256
DEFAULT_THUMBNAIL = 160


class UiSettings:
    def __init__(self, path: Path) -> None:
        self._store = QSettings(str(path), QSettings.Format.IniFormat)

    def _get(self, key: str, default: Any, kind: type) -> Any:
        value = self._store.value(key, default)
        try:
            if kind is bool and isinstance(value, str):
                return value.lower() in ("1", "true", "yes")
            return kind(value)
        except (TypeError, ValueError):
            return default

    @property
    def thumbnail_side(self) -> int:
        side = self._get("view/thumbnail_side", DEFAULT_THUMBNAIL, int)
        return max(MIN_THUMBNAIL, min(MAX_THUMBNAIL, side))

    @thumbnail_side.setter
    def thumbnail_side(self, side: int) -> None:
        self._store.setValue("view/thumbnail_side", int(side))

    @property
    def theme(self) -> str:
        return self._get("view/theme", "dark", str)

    @theme.setter
    def theme(self, theme: str) -> None:
        self._store.setValue("view/theme", theme)

    @property
    def auto_refine(self) -> bool:
        return self._get("search/auto_refine", False, bool)

    @auto_refine.setter
    def auto_refine(self, value: bool) -> None:
        self._store.setValue("search/auto_refine", bool(value))

    @property
    def scan_on_start(self) -> bool:
        return self._get("library/scan_on_start", True, bool)

    @scan_on_start.setter
    def scan_on_start(self, value: bool) -> None:
        self._store.setValue("library/scan_on_start", bool(value))

    @property
    def last_folder(self) -> str:
        return self._get("library/last_folder", str(Path.home()), str)

    @last_folder.setter
    def last_folder(self, value: str) -> None:
        self._store.setValue("library/last_folder", value)

    def window_state(self) -> tuple[QByteArray | None, QByteArray | None, QByteArray | None]:
        return (
            self._store.value("window/geometry"),
            self._store.value("window/state"),
            self._store.value("window/splitter"),
        )

    def save_window_state(self, geometry: QByteArray, state: QByteArray, splitter: QByteArray) -> None:
        self._store.setValue("window/geometry", geometry)
        self._store.setValue("window/state", state)
        self._store.setValue("window/splitter", splitter)

    def sync(self) -> None:
        self._store.sync()
