"""Locate the app's resource files (icons, the album vocabulary).

They live beside this module, so a source tree, an editable install and a wheel all find them;
the PyInstaller bundle copies them to ``<bundle>/resources`` (packaging/photo_organizer.spec).
"""

from __future__ import annotations

import sys
from pathlib import Path


def resources_dir() -> Path:
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "resources"
    return Path(__file__).resolve().parent


def resource_path(name: str) -> Path:
    path = resources_dir() / name
    if not path.exists():
        raise FileNotFoundError(f"resource {name!r} is missing from {resources_dir()}")
    return path
