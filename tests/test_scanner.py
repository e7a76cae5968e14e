from __future__ import annotations

import os
import shutil

import numpy as np
import pytest

from photo_organizer.indexer import index_library
from photo_organizer.progress import drain
from photo_organizer.sample_photos import render, save_jpeg
from photo_organizer.storage import ERROR, OK, REMOVED, Library, path_from_db
from photo_organizer.thumbnails import ThumbnailCache
from tests import photo_cases


@pytest.fixture
def library(tmp_path):
    lib = Library(tmp_path / "library.db")
    yield lib
    lib.close()


@pytest.fixture
def thumbnails(tmp_path):
    cache = ThumbnailCache(tmp_path / "thumbnails.db")
    yield cache
    cache.close()


def index(library, thumbnails):
    return drain(index_library(library, thumbnails, workers=2))


def states(library):
    return {path_from_db(r["path"]): (r["state"], r["error"]) for r in library.query("SELECT path, state, error FROM photos")}


def test_awkward_folder_is_indexed_and_bad_files_get_reasons(tmp_path, library, thumbnails):
    photos = tmp_path / "photos"
    photos.mkdir()
    good = [
        photo_cases.rotated_jpeg_with_date(photos), photo_cases.png_with_alpha(photos), photo_cases.cmyk_jpeg(photos),
        photo_cases.png_16bit(photos), photo_cases.animated_gif(photos), photo_cases.heic(photos),
        photo_cases.unicode_name(photos), photo_cases.non_utf8_name(photos),
    ]
    bad = {
        photo_cases.truncated_jpeg(photos): "truncated",
        photo_cases.zero_byte(photos): "empty file",
        photo_cases.text_named_jpg(photos): "not an image",
        photo_cases.bomb_png(photos): "too large",
    }
    photo_cases.symlink_loop(photos)
    (photos / ".hidden").mkdir()
    save_jpeg(render("beach", (50, 50), 0), photos / ".hidden" / "secret.jpg")
    save_jpeg(render("beach", (50, 50), 0), photos / ".dotfile.jpg")
    (photos / "readme.txt").write_text("not a photo extension")
    library.add_root(photos)

    report = index(library, thumbnails)

    found = states(library)
    assert set(found) == {str(p) for p in good} | {str(p) for p in bad}  # hidden, .txt, loop copies skipped
    for path in good:
        assert found[str(path)] == (OK, None)
    for path, reason in bad.items():
        state, error = found[str(path)]
        assert state == ERROR and reason in error
    assert report.processed == len(good) and report.failed == len(bad)
    for row in library.query("SELECT fingerprint FROM photos WHERE state = 'ok'"):
        assert thumbnails.has(row["fingerprint"])


def test_incremental_scans_detect_add_modify_move_delete_duplicate(tmp_path, library, thumbnails):
    photos = tmp_path / "photos"
    a = save_jpeg(render("beach", (120, 90), 1), photos / "a.jpg")
    b = save_jpeg(render("forest", (120, 90), 2), photos / "b.jpg")
    c = save_jpeg(render("snow", (120, 90), 3), photos / "c.jpg")
    library.add_root(photos)
    index(library, thumbnails)
    ids = {p.name: library.photo_by_path(p).id for p in (a, b, c)}
    library.put_embeddings("test-model", [ids["a.jpg"], ids["b.jpg"]], np.ones((2, 4), dtype=np.float32))

    report = index(library, thumbnails)
    assert (report.scan.unchanged, report.scan.new, report.processed) == (3, 0, 0)

    # add, modify, move (rename into a sub-folder), delete, exact duplicate
    d = save_jpeg(render("night", (120, 90), 4), photos / "d.jpg")
    save_jpeg(render("sunset", (120, 90), 5), c)
    os.utime(c, (1_700_000_000, 1_700_000_000))
    moved = photos / "trip" / "renamed.jpg"
    moved.parent.mkdir()
    shutil.move(a, moved)
    b.unlink()
    duplicate = photos / "copy_of_d.jpg"
    shutil.copy(d, duplicate)

    report = index(library, thumbnails).scan
    assert (report.new, report.modified, report.moved, report.removed) == (2, 1, 1, 1)
    assert library.photo_by_path(moved).id == ids["a.jpg"]  # same row: embeddings and marks kept
    ids_with_vectors, _ = library.embeddings("test-model")
    assert list(ids_with_vectors) == [ids["a.jpg"]]  # b removed, so no longer live
    assert library.photo(ids["b.jpg"]).state == REMOVED
    assert library.photo(ids["c.jpg"]).state == OK
    assert library.photo_by_path(d).fingerprint == library.photo_by_path(duplicate).fingerprint

    # b comes back (new mtime, same content): same row, state restored, embedding live again
    save_jpeg(render("forest", (120, 90), 2), b)
    report = index(library, thumbnails).scan
    assert report.modified == 1 and library.photo_by_path(b).id == ids["b.jpg"]  # same content: vectors kept
    assert sorted(library.embeddings("test-model")[0]) == sorted([ids["a.jpg"], ids["b.jpg"]])


def test_modified_content_drops_stale_embeddings(tmp_path, library, thumbnails):
    photos = tmp_path / "photos"
    path = save_jpeg(render("beach", (120, 90), 1), photos / "a.jpg")
    library.add_root(photos)
    index(library, thumbnails)
    photo_id = library.photo_by_path(path).id
    library.put_embeddings("m", [photo_id], np.ones((1, 4), dtype=np.float32))
    save_jpeg(render("night", (150, 90), 9), path)
    old_fingerprint = library.photo(photo_id).fingerprint
    report = index(library, thumbnails)
    assert library.photo(photo_id).width == 150
    assert library.photos_missing_embedding("m") == [photo_id]
    assert report.thumbnails_pruned == 1 and not thumbnails.has(old_fingerprint)
    assert thumbnails.has(library.photo(photo_id).fingerprint)


def test_cancelled_index_resumes_without_losing_anything(tmp_path, library, thumbnails):
    photos = tmp_path / "photos"
    for n in range(150):
        save_jpeg(render("beach", (64, 48), n), photos / f"p{n:03d}.jpg")
    library.add_root(photos)
    job = index_library(library, thumbnails, workers=2)
    for progress in job:
        if progress.stage == "thumbnails" and progress.done >= 64:
            break
    job.close()
    counts = library.count_by_state()
    assert counts.get(OK, 0) >= 64 and counts.get(OK, 0) + counts.get("pending", 0) == 150
    report = index(library, thumbnails)
    assert library.count_by_state() == {OK: 150}
    assert report.scan.new == 0 and report.processed == 150 - counts[OK]
