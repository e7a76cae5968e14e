"""The per-user data home: database, thumbnail cache, imported weights, settings.

Resolution order: an explicit path (the CLI's ``--home``), then ``PHOTO_ORGANIZER_HOME``,
then the platform's user data directory. Nothing is ever written inside photo folders.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from photo_organizer.errors import DataHomeError

HOME_ENV = "PHOTO_ORGANIZER_HOME"
PRIVATE_FOLDER = 0o700  # what the library reveals (paths, searches, faces) is the user's alone
PRIVATE_FILE = 0o600


def make_private(path: Path | str, mode: int = PRIVATE_FILE) -> None:
    """Readable and writable by the owner only; a file we cannot change is left as it is
    (a home shared on purpose, a read-only mount)."""
    try:
        os.chmod(path, mode)
    except OSError:
        pass
APP_NAME = "PhotoOrganizer"


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
            home.root.mkdir(parents=True, exist_ok=True)
            home.weights_dir.mkdir(exist_ok=True)
            make_private(home.root, PRIVATE_FOLDER)
        except OSError as error:
            reason = "a file is there" if home.root.is_file() else error.strerror or str(error)
            raise DataHomeError(
                f"The data folder {home.root} cannot be used ({reason}); "
                "give a writable folder with --home or PHOTO_ORGANIZER_HOME."
            ) from None
        return home

    @property
    def database_path(self) -> Path:
        return self.root / "library.db"

    @property
    def thumbnails_path(self) -> Path:
        return self.root / "thumbnails.db"

    @property
    def weights_dir(self) -> Path:
        return self.root / "weights"

    @property
    def settings_path(self) -> Path:
        return self.root / "settings.json"

    @property
    def cache_dir(self) -> Path:
        path = self.root / "cache"
        path.mkdir(exist_ok=True)
        return path
