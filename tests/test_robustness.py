"""Nothing hangs on a named pipe (issue 18.5): a FIFO where a photo was, or given as --image,
is refused with a reason instead of blocking a reader for ever."""

from __future__ import annotations

import os

import pytest

from photo_organizer.cli.main import main
from photo_organizer.errors import ImageLoadError
from photo_organizer.imaging import open_image
from photo_organizer.indexer import IndexReport, index_library, process_pending
from photo_organizer.progress import drain
from photo_organizer.sample_photos import render, save_jpeg
from photo_organizer.scanner import scan_roots
from photo_organizer.storage import ERROR, OK, Library, path_from_db
from photo_organizer.thumbnails import ThumbnailCache

pytestmark = [pytest.mark.timeout(60), pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")]


@pytest.fixture
def stores(tmp_path):
    library = Library(tmp_path / "library.db")
    thumbnails = ThumbnailCache(tmp_path / "thumbnails.db")
    yield library, thumbnails
    thumbnails.close()
    library.close()


def states(library: Library) -> dict[str, tuple[str, str | None]]:
    rows = library.query("SELECT path, state, error FROM photos")
    return {os.path.basename(path_from_db(r["path"])): (r["state"], r["error"]) for r in rows}


def test_opening_a_named_pipe_is_refused_at_once(tmp_path):
    pipe = tmp_path / "photo.jpg"
    os.mkfifo(pipe)
    with pytest.raises(ImageLoadError, match="named pipe"):
        open_image(pipe)


def test_a_pipe_put_where_a_pending_photo_was_gets_a_reason(tmp_path, stores):
    library, thumbnails = stores
    photos = tmp_path / "photos"
    for name in ("a.jpg", "b.jpg"):
        save_jpeg(render("beach", (64, 48), 0), photos / name)
    library.add_root(photos)
    drain(scan_roots(library))
    (photos / "b.jpg").unlink()
    os.mkfifo(photos / "b.jpg")  # swapped between the scan and the decode

    drain(process_pending(library, thumbnails, IndexReport(), workers=2))
    found = states(library)
    assert found["a.jpg"][0] == OK
    assert found["b.jpg"][0] == ERROR and "named pipe" in (found["b.jpg"][1] or "")


def test_a_folder_holding_pipes_indexes_to_the_end(tmp_path, stores):
    library, thumbnails = stores
    photos = tmp_path / "photos"
    save_jpeg(render("beach", (64, 48), 0), photos / "a.jpg")
    os.mkfifo(photos / "pipe.jpg")
    (photos / "link.jpg").symlink_to(photos / "pipe.jpg")
    library.add_root(photos)
    drain(index_library(library, thumbnails, workers=2))
    assert states(library) == {"a.jpg": (OK, None)}


def test_search_with_a_pipe_as_image_says_so(tmp_path, home, capsys):
    pipe = tmp_path / "query.jpg"
    os.mkfifo(pipe)
    assert main(["search", "--image", str(pipe)]) != 0
    error = capsys.readouterr().err
    assert "named pipe" in error and "Traceback" not in error
