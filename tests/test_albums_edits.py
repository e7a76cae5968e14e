from __future__ import annotations

import os
from pathlib import Path

import pytest

from photo_organizer.albums import edits, store
from photo_organizer.albums.recluster import recluster_job
from photo_organizer.errors import LibraryError
from photo_organizer.progress import drain
from photo_organizer.storage import Library
from tests.albums_helpers import DINO_KEY, add_featured_photos, clustered_features, real_files


@pytest.fixture
def library(tmp_path):
    lib = Library.in_memory()
    features, _ = clustered_features([30, 25, 20], seed=21)
    paths = real_files(tmp_path / "photos", len(features))
    add_featured_photos(lib, features, root=str(tmp_path / "photos"), paths=paths)
    drain(recluster_job(lib, DINO_KEY))
    yield lib
    lib.close()


def first_album(library: Library) -> store.Album:
    return store.list_albums(library)[0]


def test_rename_and_restore_the_automatic_name(library):
    album = first_album(library)
    assert edits.rename_album(library, album.id, "  Summer 2023 ").display_name == "Summer 2023"
    assert edits.rename_album(library, album.id, "").display_name == f"Album {album.id}"
    with pytest.raises(LibraryError, match="no album with id 999"):
        edits.rename_album(library, 999, "x")


def test_hide_and_unhide(library):
    album = first_album(library)
    edits.set_hidden(library, album.id, True)
    assert album.id not in {a.id for a in store.list_albums(library)}
    assert album.id in {a.id for a in store.list_albums(library, include_hidden=True)}
    assert not edits.set_hidden(library, album.id, False).hidden


def test_merge_moves_photos_and_deletes_the_others(library):
    a, b, c = store.list_albums(library)
    edits.rename_album(library, c.id, "Garden")
    merged = edits.merge_albums(library, a.id, [b.id, c.id])
    assert merged.size == a.size + b.size + c.size
    assert merged.name == "Garden"  # the target had no name of its own
    assert [x.id for x in store.list_albums(library)] == [a.id]
    sources = {m.source for m in store.members(library, a.id)}
    assert sources == {store.SOURCE_CLUSTER, store.SOURCE_MERGE}
    assert len(merged.cover_photo_ids) == 4
    with pytest.raises(LibraryError, match="at least one other album"):
        edits.merge_albums(library, a.id, [a.id])


def test_removed_photo_is_excluded_and_geometry_updated(library):
    album = first_album(library)
    cover = album.cover_photo_ids[0]
    updated = edits.remove_photos(library, album.id, [cover])
    assert updated.size == album.size - 1 and cover not in updated.cover_photo_ids
    assert library.album_exclusions() == {album.id: {cover}}
    with pytest.raises(LibraryError, match="does not contain"):
        edits.remove_photos(library, album.id, [cover])


def test_export_copies_never_overwrite_and_never_touch_originals(library, tmp_path):
    album = first_album(library)
    target = tmp_path / "export"
    target.mkdir()
    members = library.photos([m.photo_id for m in store.members(library, album.id)])
    originals = {p.path: Path(p.path).read_bytes() for p in members}
    clash = target / Path(members[0].path).name
    clash.write_bytes(b"someone else's file")

    report = edits.export_album(library, album.id, target)
    assert len(report.written) == album.size and not report.failed
    assert clash.read_bytes() == b"someone else's file"
    renamed = target / f"{Path(members[0].path).stem} (2).jpg"
    assert renamed.read_bytes() == originals[members[0].path]
    assert {p: Path(p).read_bytes() for p in originals} == originals

    again = edits.export_album(library, album.id, target)
    assert again.written == [] and len(again.already_there) == album.size
    assert len(list(target.iterdir())) == album.size + 1


@pytest.mark.parametrize("mode", ["symlink", "hardlink"])
def test_export_links(library, tmp_path, mode):
    album = first_album(library)
    report = edits.export_album(library, album.id, tmp_path / "links", mode)
    assert len(report.written) == album.size
    made = Path(report.written[0])
    source = library.photos([m.photo_id for m in store.members(library, album.id)])
    if mode == "symlink":
        assert made.is_symlink() and os.readlink(made) in {p.path for p in source}
    else:
        assert any(os.path.samefile(made, p.path) for p in source)
    assert edits.export_album(library, album.id, tmp_path / "links", mode).written == []


def test_export_reports_missing_originals_and_refuses_the_library_folder(library, tmp_path):
    album = first_album(library)
    gone = library.photos([store.members(library, album.id)[0].photo_id])[0]
    Path(gone.path).unlink()
    report = edits.export_album(library, album.id, tmp_path / "out")
    assert report.failed == [(gone.path, "the original file is missing")]
    assert len(report.written) == album.size - 1
    with pytest.raises(LibraryError, match="inside the library folder"):
        edits.export_album(library, album.id, tmp_path / "photos" / "export")
    assert not (tmp_path / "photos" / "export").exists()
