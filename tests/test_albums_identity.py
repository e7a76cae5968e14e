from __future__ import annotations

import numpy as np
import pytest

from photo_organizer.albums import edits, store
from photo_organizer.albums.identity import PreviousAlbum, match_clusters
from photo_organizer.albums.recluster import recluster_job
from photo_organizer.progress import drain
from photo_organizer.storage import Library
from tests.albums_helpers import DINO_KEY, add_featured_photos, clustered_features


def album(album_id: int, members: range | list[int], touched: bool = False) -> PreviousAlbum:
    return PreviousAlbum(album_id, frozenset(members), touched)


def test_clusters_match_albums_one_to_one_by_overlap():
    previous = [album(1, range(0, 100)), album(2, range(100, 200))]
    clusters = [frozenset(range(105, 210)), frozenset(range(0, 90)), frozenset(range(300, 340))]
    plan = match_clusters(previous, clusters)
    assert plan.matched == {1: [1], 2: [0]}
    assert plan.new == [2] and plan.dropped == [] and plan.kept == {}


def test_untouched_album_without_a_match_dissolves_but_a_touched_one_is_kept():
    previous = [album(1, range(0, 100)), album(2, range(100, 200), touched=True)]
    clusters = [frozenset(range(0, 30)) | frozenset(range(100, 130)) | frozenset(range(500, 600))]
    plan = match_clusters(previous, clusters)
    assert plan.dropped == [1]
    assert plan.kept == {2: []}
    assert plan.new == [0]


def test_a_touched_album_needs_a_strong_overlap_to_match():
    # Jaccard 0.4: enough for an automatic album, not for one the user named.
    clusters = [frozenset(range(0, 40)) | frozenset(range(1000, 1060))]
    assert match_clusters([album(1, range(0, 40))], clusters).matched == {1: [0]}
    plan = match_clusters([album(1, range(0, 40), touched=True)], clusters)
    assert plan.matched == {} and plan.kept == {1: []} and plan.new == [0]


def test_a_merged_album_split_again_by_the_clustering_absorbs_both_halves():
    previous = [album(7, range(0, 200), touched=True)]
    clusters = [frozenset(range(0, 110)), frozenset(range(110, 200))]
    plan = match_clusters(previous, clusters)
    assert sorted(plan.matched[7]) == [0, 1] and plan.new == []


@pytest.fixture
def library():
    lib = Library.in_memory()
    yield lib
    lib.close()


def recluster(library: Library):
    return drain(recluster_job(library, DINO_KEY))


def albums_by_name(library: Library) -> dict[str, store.Album]:
    return {a.display_name: a for a in store.list_albums(library, include_hidden=True)}


def test_recluster_after_ten_percent_more_photos_keeps_user_names_and_flags(library):
    sizes = [60, 55, 50, 45, 40, 35]
    features, truth = clustered_features(sizes, noise_points=20, seed=11)
    ids = np.array(add_featured_photos(library, features))
    first = recluster(library)
    assert first.albums == len(sizes) and first.new_albums == len(sizes)

    album_of_label = {}
    for a in store.list_albums(library):
        labels = truth[np.isin(ids, [m.photo_id for m in store.members(library, a.id)])]
        album_of_label[int(np.bincount(labels[labels >= 0]).argmax())] = a.id
    edits.rename_album(library, album_of_label[0], "Cats")
    edits.rename_album(library, album_of_label[3], "Receipts")
    edits.set_hidden(library, album_of_label[5], True)

    # 10% more photos: new photos of the same clusters.
    more, more_truth = clustered_features(sizes, seed=11, point_seed=1)
    extra_rows = np.concatenate([np.flatnonzero(more_truth == k)[: size // 10] for k, size in enumerate(sizes)])
    add_featured_photos(library, more[extra_rows])
    second = recluster(library)

    assert second.matched_albums == len(sizes) and second.new_albums == 0 and second.dropped_albums == 0
    after = {a.id: a for a in store.list_albums(library, include_hidden=True)}
    assert after[album_of_label[0]].name == "Cats"
    assert after[album_of_label[3]].name == "Receipts"
    assert after[album_of_label[5]].hidden
    # The named albums still hold their clusters, now with the new photos too.
    cats = {m.photo_id for m in store.members(library, album_of_label[0])}
    assert len(cats) >= 0.95 * (sizes[0] + sizes[0] // 10)
    assert set(ids[truth == 0].tolist()) <= cats


def test_recluster_respects_exclusions_merges_and_never_reuses_ids(library):
    features, truth = clustered_features([50, 45, 40, 35], seed=12)
    ids = np.array(add_featured_photos(library, features))
    recluster(library)
    first_ids = {a.id for a in store.list_albums(library)}
    a, b, c, _d = sorted(store.list_albums(library), key=lambda x: x.id)
    removed = store.members(library, a.id)[0].photo_id
    edits.remove_photos(library, a.id, [removed])
    merged = edits.merge_albums(library, b.id, [c.id])
    assert merged.size == b.size + c.size
    recluster(library)
    after = {x.id: x for x in store.list_albums(library)}
    assert removed not in {m.photo_id for m in store.members(library, a.id)}
    assert after[b.id].size == b.size + c.size  # the merge survived: both clusters went into b
    assert c.id not in after
    assert set(after) <= first_ids  # no new album took c's place
    # A fresh album later gets a fresh id, never c's.
    store_id = library.allocate_album_id()
    assert store_id > max(first_ids) and store_id != c.id
    assert len(ids) == len(truth)


def test_a_named_album_whose_photos_scatter_is_kept_as_the_user_left_it(library):
    features, _ = clustered_features([50, 45, 40], seed=13)
    add_featured_photos(library, features)
    recluster(library)
    named = store.list_albums(library)[0]
    before = {m.photo_id for m in store.members(library, named.id)}
    edits.rename_album(library, named.id, "Holiday")
    # The features change completely (a new model, say): the old groups no longer exist.
    ids, _ = library.embeddings(DINO_KEY)
    scrambled, _ = clustered_features([len(ids) // 3, len(ids) // 3, len(ids) - 2 * (len(ids) // 3)], seed=99)
    order = np.random.default_rng(0).permutation(len(ids))
    library.put_embeddings(DINO_KEY, ids[order], scrambled)
    report = recluster(library)
    assert report.kept_albums == 1
    kept = store.get_album(library, named.id)
    assert kept.name == "Holiday" and {m.photo_id for m in store.members(library, named.id)} == before


def test_a_job_closed_before_saving_leaves_the_old_albums(library):
    features, _ = clustered_features([50, 45, 40], seed=14)
    add_featured_photos(library, features)
    recluster(library)
    before = [(a.id, a.size) for a in store.list_albums(library)]
    more, _ = clustered_features([30, 30], seed=15)
    add_featured_photos(library, more)
    job = recluster_job(library, DINO_KEY)
    for progress in job:
        if progress.message.startswith("saving"):
            job.close()
            break
    assert [(a.id, a.size) for a in store.list_albums(library)] == before
