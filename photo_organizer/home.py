"""The per-user data home: database, thumbnail cache, imported weights, settings.

Resolution order: an explicit path (the CLI's ``--home``), then ``PHOTO_ORGANIZER_HOME``,
then the platform's user data directory. Nothing is ever written inside photo folders. The
home is private: created 0700 with its databases 0600, and made so again on every open.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from photo_organizer.app_log import LOG_FOLDER
from photo_organizer.errors import DataHomeError
from photo_organizer.private_files import create_private_file, make_private, make_tree_private, private_umask

HOME_ENV = "PHOTO_ORGANIZER_HOME"
APP_NAME = "PhotoOrganizer"
CACHE_FOLDER = "cache"
DATABASE_FILE = "library.db"
THUMBNAILS_FILE = "thumbnails.db"
ONNX_FOLDER = "onnx"  # the models' ONNX exports, one folder per model key


def default_home() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False))


def resolve_home(explicit: str | os.PathLike[str] | None = None) -> Path:
    if explicit:
        return Path(explicit).expanduser().resolve()
    from_env = os.environ.get(HOME_ENV)
    if from_env:
        return Path(from_env).expanduser().resolve()
    return default_home()


@dataclass(frozen=True)
class DataHome:
    root: Path

    @classmethod
    def open(cls, explicit: str | os.PathLike[str] | None = None) -> "DataHome":
        home = cls(resolve_home(explicit))
        try:
            with private_umask():
                home.root.mkdir(parents=True, exist_ok=True)
                home.weights_dir.mkdir(exist_ok=True)
        except OSError as error:
            reason = "a file is there" if home.root.is_file() else error.strerror or str(error)
            raise DataHomeError(
                f"The data folder {home.root} cannot be used ({reason}); "
                "give a writable folder with --home or PHOTO_ORGANIZER_HOME."
            ) from None
        home.make_private()
        return home

    def make_private(self) -> None:
        """Taken back from others where an earlier version left the home 0755 and its files
        0644: the home itself, its databases (with SQLite's -wal, -shm and backups beside them),
        settings, and the folders of weights, caches and logs."""
        make_private(self.root)
        for database in (DATABASE_FILE, THUMBNAILS_FILE):
            for path in self.root.glob(f"{database}*"):
                make_private(path)
        make_private(self.settings_path)
        for folder in (self.weights_dir, self.root / CACHE_FOLDER, self.root / LOG_FOLDER):
            make_tree_private(folder)

    @property
    def database_path(self) -> Path:
        """Created empty and private when missing (an empty file is a new SQLite database), so
        that SQLite, which gives its -wal and -shm files the database's permissions, never
        makes it readable by others; as ``cache_dir`` makes its folder."""
        return _private_file(self.root / DATABASE_FILE)

    @property
    def thumbnails_path(self) -> Path:
        """Created empty and private when missing, as ``database_path``."""
        return _private_file(self.root / THUMBNAILS_FILE)

    def model_exports(self, model_key: str) -> Path:
        """The folder of one model's ONNX exports (its text and image towers): a readable,
        collision-free name per model key."""
        readable = re.sub(r"[^A-Za-z0-9._-]+", "_", model_key)[:80]
        digest = hashlib.sha1(model_key.encode("utf-8")).hexdigest()[:10]
        return self.root / ONNX_FOLDER / f"{readable}-{digest}"

    @property
    def weights_dir(self) -> Path:
        return self.root / "weights"

    @property
    def settings_path(self) -> Path:
        return self.root / "settings.json"

    @property
    def cache_dir(self) -> Path:
        path = self.root / CACHE_FOLDER
        with private_umask():
            path.mkdir(exist_ok=True)
        return path


def _private_file(path: Path) -> Path:
    create_private_file(path)
    return path
