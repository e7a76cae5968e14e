"""The data home is private (issue 18.14): no other local account may read the library, the
thumbnails or the logs. A new home is created 0700 with files 0600 even under the usual umask
022; an existing home left 0755 / 0644 by an earlier version is taken back when opened; photo
folders, and whatever a link in the home points to, are never touched."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest

from photo_organizer.app_log import enable_file_log
from photo_organizer.cli.main import main
from photo_organizer.home import DataHome
from photo_organizer.sample_photos import render, save_jpeg
from photo_organizer.storage import Library
from photo_organizer.thumbnails import ThumbnailCache

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


@pytest.fixture(autouse=True)
def usual_umask():
    """What most systems use: new files readable by everyone unless the app says otherwise."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@pytest.fixture
def file_log(tmp_path):
    """The home's log for one test, then the process's logging as it was."""
    opened: list[Path] = []

    def enable(home_root: Path) -> Path:
        path = enable_file_log(home_root)
        assert path is not None
        opened.append(path)
        return path

    yield enable
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "baseFilename", None) in {str(p) for p in opened}]:
        root.removeHandler(handler)
        handler.close()


def test_a_new_home_and_what_it_stores_are_private(tmp_path, file_log):
    home = DataHome.open(tmp_path / "new" / "home")
    with Library(home.database_path) as library:
        library.set_setting("query", "my sister's wedding")  # written through the WAL
        written = {path.name: mode(path) for path in home.root.glob("library.db*")}
    thumbnails = ThumbnailCache(home.thumbnails_path)
    thumbnails.put_many([("fingerprint", b"jpeg bytes")])
    thumbnails.close()
    cache = home.cache_dir
    log = file_log(home.root)
    logging.getLogger("test").error("could not read /photos/private.jpg")

    assert written == {"library.db": 0o600, "library.db-wal": 0o600, "library.db-shm": 0o600}
    for folder in (home.root, home.weights_dir, cache, log.parent):
        assert mode(folder) == 0o700, folder
    assert mode(home.thumbnails_path) == 0o600
    assert mode(log) == 0o600


def test_a_rotated_log_starts_a_private_file(tmp_path, file_log):
    log = file_log(DataHome.open(tmp_path / "home").root)
    handler = next(h for h in logging.getLogger().handlers if getattr(h, "baseFilename", None) == str(log))
    handler.doRollover()  # type: ignore[attr-defined]
    assert mode(log) == 0o600 and mode(log.with_name(log.name + ".1")) == 0o600


def test_an_open_home_from_an_earlier_version_is_made_private_and_photos_are_untouched(tmp_path):
    root = tmp_path / "home"
    photos = tmp_path / "photos"
    photo = save_jpeg(render("beach", (64, 48), 0), photos / "beach.jpg")
    kept_inside = root / "Holidays"  # not the app's: a folder the user keeps there
    stored = [
        "library.db", "library.db-wal", "library.db-shm", "library.db.bak-v3", "thumbnails.db",
        "settings.json", "weights/clip/model.safetensors", "cache/query_vectors.db", "logs/photo-organizer.log.1",
    ]
    for name in stored:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(b"")
    kept_inside.mkdir()
    (root / "cache" / "a photo").symlink_to(photo)
    for path in [root, photos, photo, kept_inside, *root.rglob("*")]:
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() else 0o644)

    DataHome.open(root)

    assert mode(root) == 0o700
    for name in stored:
        assert mode(root / name) == 0o600, name
        assert mode((root / name).parent) == 0o700, name
    assert (mode(photos), mode(photo), mode(kept_inside)) == (0o755, 0o644, 0o755)


def test_indexing_leaves_a_private_library_and_the_photos_as_they_were(tmp_path, home):
    photos = tmp_path / "photos"
    photo = save_jpeg(render("beach", (64, 48), 0), photos / "beach.jpg")
    assert main(["add", str(photos)]) == 0
    assert main(["index", "--no-embeddings", "--quiet"]) == 0

    assert mode(home) == 0o700
    for stored in [*home.glob("*.db"), *home.glob("*.db-wal")]:
        assert mode(stored) == 0o600, stored.name
    assert (mode(photos), mode(photo)) == (0o755, 0o644)
