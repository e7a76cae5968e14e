"""Folders that go away and come back: removed then added again, offline drives, relocation,
forgetting for good; and edits made while a re-cluster runs (issues 12.1-12.2, 18.2-18.3,
18.12, 18.14)."""

from __future__ import annotations

import os
import stat

import numpy as np

from photo_organizer.albums import edits, store
from photo_organizer.albums.recluster import STAGES, recluster_job
from photo_organizer.cli.main import main
from photo_organizer.folders import clear_search_history, forget_folder
from photo_organizer.indexer import index_library
from photo_organizer.pipeline import PipelineOptions, update_library
from photo_organizer.progress import drain
from photo_organizer.storage import OK, REMOVED
from photo_organizer.thumbnails import ThumbnailCache
from tests.albums_helpers import DINO_KEY, add_featured_photos, clustered_features
from tests.ui_support import indexed_library


def scan(ctx):
    cache = ThumbnailCache(ctx.home.thumbnails_path)
    try:
        return drain(index_library(ctx.library, cache, workers=1))
    finally:
        cache.close()


def albums_by_name(library) -> dict[str, tuple[int, bool]]:
    """display name -> (photos shown, hidden), as the sidebar lists them."""
    return {a.display_name: (a.live_size, a.hidden) for a in store.list_albums(library, True, include_away=False)}


def featured_library(ctx, folder, per_class: int = 6) -> list[int]:
    """Real photos indexed, with stand-in album features (one tight class per sample class)
    and albums made by the real clustering."""
    indexed_library(ctx, folder, per_class=per_class)
    ids = ctx.library.photo_ids()
    vectors, _labels = clustered_features([per_class] * (len(ids) // per_class), spread=0.3, seed=3)
    ctx.library.put_embeddings(DINO_KEY, ids, vectors)
    drain(recluster_job(ctx.library, DINO_KEY))
    return ids


def test_remove_then_add_again_restores_albums_names_hidden_and_marks(ctx, tmp_path):
    folder = tmp_path / "photos"
    ids = featured_library(ctx, folder)
    albums = store.list_albums(ctx.library, include_hidden=True)
    assert len(albums) >= 3
    edits.rename_album(ctx.library, albums[0].id, "Seaside")
    edits.set_hidden(ctx.library, albums[1].id, True)
    ctx.library.add_search_session({"query_text": "sea"}, {ids[0]: 1}, 1, keep=10)
    before = albums_by_name(ctx.library)

    ctx.library.remove_root(folder)
    assert albums_by_name(ctx.library) == {}  # no ghost albums with old counts
    assert ctx.library.liked_photo_ids() == []

    ctx.library.add_root(folder)
    report = scan(ctx)
    assert report.scan.restored == len(ids) and report.scan.new == 0
    assert albums_by_name(ctx.library) == before
    assert ctx.library.liked_photo_ids() == [ids[0]]

    drain(recluster_job(ctx.library, DINO_KEY))  # "Recompute albums" afterwards
    assert albums_by_name(ctx.library) == before  # no duplicate, rename kept, still hidden


def test_an_unmounted_folder_is_offline_and_keeps_everything(ctx, tmp_path):
    drive = tmp_path / "drive"
    folder = drive / "photos"
    ids = featured_library(ctx, folder)
    before = albums_by_name(ctx.library)
    drive.rename(tmp_path / "unplugged")  # the parent goes away, as an unmounted share

    report = scan(ctx)
    assert report.scan.removed == 0 and [f for f, _ in report.scan.offline_folders] == [str(folder)]
    assert ctx.library.photo_ids() == ids  # still browsable
    assert ctx.library.offline_photo_ids(ids) == set(ids)
    drain(recluster_job(ctx.library, DINO_KEY))
    assert albums_by_name(ctx.library) == before

    (tmp_path / "unplugged").rename(drive)
    report = scan(ctx)
    assert report.scan.returned_folders == [(str(folder), len(ids))]
    assert "is back" in report.scan.folder_notes()[0]
    assert ctx.library.offline_photo_ids(ids) == set()


def test_an_empty_mount_point_is_offline_not_emptied(ctx, tmp_path):
    folder = tmp_path / "photos"
    indexed_library(ctx, folder, per_class=1)
    count = len(ctx.library.photo_ids())
    for path in sorted(folder.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    report = scan(ctx)
    assert report.scan.removed == 0 and len(ctx.library.photo_ids()) == count


def test_relocate_follows_a_drive_mounted_elsewhere(ctx, tmp_path, capsys):
    folder = tmp_path / "old" / "photos"
    indexed_library(ctx, folder, per_class=1)
    ids = ctx.library.photo_ids()
    (tmp_path / "old").rename(tmp_path / "new")
    ctx.close()
    assert main(["relocate", str(folder), str(tmp_path / "new" / "photos")]) == 0
    assert main(["index", "--no-embeddings", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "0 new" in out and "0 removed" in out
    assert [r["path"] for r in ctx.library.roots()] == [str(tmp_path / "new" / "photos")]
    assert ctx.library.photo_ids() == ids


def test_recluster_keeps_hand_placements_of_a_removed_folder(ctx):
    features, _ = clustered_features([12, 12], seed=1)
    here = add_featured_photos(ctx.library, features[:12], root="/here")
    away = add_featured_photos(ctx.library, features[12:], root="/away")
    drain(recluster_job(ctx.library, DINO_KEY))
    first = store.list_albums(ctx.library)[0]
    placements = [(first.id, (pid, 1.0, store.SOURCE_MERGE)) for pid in away[:10]]
    ctx.library.add_album_members(placements)
    ctx.library.remove_root("/away")
    drain(recluster_job(ctx.library, DINO_KEY))
    manual = store.manual_members(ctx.library)
    assert manual.get(first.id, set()) >= set(away[:10])  # 10 placements stay 10
    assert set(here) & {m.photo_id for m in store.members(ctx.library, first.id)}


def test_an_edit_made_while_recluster_runs_survives_it(ctx, home):
    from photo_organizer.storage import Library

    features, _ = clustered_features([15, 15], seed=2)
    add_featured_photos(ctx.library, features)
    drain(recluster_job(ctx.library, DINO_KEY))
    album = store.list_albums(ctx.library)[0]
    photo = store.members(ctx.library, album.id)[0].photo_id
    job = recluster_job(ctx.library, DINO_KEY)
    while next(job).done != STAGES.index("saving"):
        pass  # paused at the yield before the job writes
    other = Library(ctx.home.database_path)  # the CLI's `albums remove` meanwhile
    edits.remove_photos(other, album.id, [photo])
    other.close()
    drain(job)
    assert photo not in {m.photo_id for m in store.members(ctx.library, album.id)}


def test_index_rebuilds_a_deleted_thumbnail_cache(ctx, tmp_path):
    indexed_library(ctx, tmp_path / "photos", per_class=1)
    ids = ctx.library.photo_ids()
    for path in ctx.home.root.glob("thumbnails.db*"):
        path.unlink()
    report = drain(update_library(ctx.library, ctx.models, PipelineOptions(embeddings=False)))
    assert "Made 6 missing thumbnails again." in report.summary()
    cache = ThumbnailCache(ctx.home.thumbnails_path)
    assert all(cache.has(ctx.library.fingerprint_of(pid)) for pid in ids)
    cache.close()


def test_data_home_is_private(ctx, tmp_path):
    indexed_library(ctx, tmp_path / "photos", per_class=1)
    assert stat.S_IMODE(os.stat(ctx.home.root).st_mode) == 0o700
    for name in ("library.db", "thumbnails.db"):
        assert stat.S_IMODE(os.stat(ctx.home.root / name).st_mode) == 0o600


def test_forgetting_a_folder_purges_its_thumbnails_and_searches(ctx, tmp_path):
    folder = tmp_path / "photos"
    indexed_library(ctx, folder, per_class=1)
    ids = ctx.library.photo_ids()
    fingerprints = [ctx.library.fingerprint_of(pid) for pid in ids]
    ctx.library.add_search_session({"query_text": "my secret beach"}, {ids[1]: 1}, 1, keep=10)
    ctx.library.add_search_session({"query_text": "unrelated"}, {}, 0, keep=10)
    assert forget_folder(ctx.library, ctx.home, folder) == len(ids)
    cache = ThumbnailCache(ctx.home.thumbnails_path)
    assert not any(cache.has(fp) for fp in fingerprints)
    cache.close()
    texts = [s["query_text"] for s in ctx.library.recent_search_sessions(10)]
    assert texts == ["unrelated"]
    assert ctx.library.count_by_state() == {}
    assert clear_search_history(ctx.library, ctx.home) == 1
    assert ctx.library.recent_search_sessions(10) == []


def test_cli_history_clear_and_remove_forget(ctx, tmp_path, capsys):
    folder = tmp_path / "photos"
    indexed_library(ctx, folder, per_class=1)
    ctx.library.add_search_session({"query_text": "private words"}, {}, 0, keep=10)
    assert main(["history", "clear"]) == 0
    assert "Cleared the search history (1 searches" in capsys.readouterr().out
    assert main(["remove", "--forget", str(folder)]) == 0
    assert "forgot" in capsys.readouterr().out
    assert ctx.library.count_by_state() == {}
    assert REMOVED != OK and np is not None
