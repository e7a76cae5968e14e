from __future__ import annotations

import numpy as np
import pytest

from photo_organizer.albums import edits, store
from photo_organizer.albums.incremental import assign_new_photos, update_albums_job
from photo_organizer.albums.recluster import FULL, INCREMENTAL, NOTHING, recluster_job, update_action
from photo_organizer.progress import drain
from photo_organizer.storage import Library
from tests.albums_helpers import DINO_KEY, add_featured_photos, clustered_features

SIZES = [50, 45, 40]


@pytest.fixture
def library():
    lib = Library.in_memory()
    features, truth = clustered_features(SIZES, seed=51)
    ids = add_featured_photos(lib, features)
    drain(recluster_job(lib, DINO_KEY))
    lib.truth = dict(zip(ids, truth.tolist()))  # photo id -> true cluster, for the tests
    yield lib
    lib.close()


def album_of_cluster(library: Library, label: int) -> int:
    for album in store.list_albums(library):
        if any(library.truth.get(m.photo_id) == label for m in store.members(library, album.id)):
            return album.id
    raise AssertionError(f"no album holds cluster {label}")


def test_new_photos_join_the_nearest_album_and_strangers_stay_unsorted(library):
    new, new_truth = clustered_features(SIZES, seed=51, point_seed=2)
    near = [int(np.flatnonzero(new_truth == k)[0]) for k in range(3)]
    stranger = np.random.default_rng(0).standard_normal((1, new.shape[1])).astype(np.float32)
    new_ids = add_featured_photos(library, np.vstack([new[near], stranger]))
    sizes_before = {a.id: a.size for a in store.list_albums(library)}

    report = assign_new_photos(library, DINO_KEY)
    assert report.new_photos == 4 and report.assigned == 3
    for photo_id, label in zip(new_ids[:3], range(3)):
        album_id = album_of_cluster(library, label)
        member = next(m for m in store.members(library, album_id) if m.photo_id == photo_id)
        assert member.source == store.SOURCE_INCREMENTAL and 0.0 <= member.strength <= 1.0
        assert store.get_album(library, album_id).size == sizes_before[album_id] + 1
    assert new_ids[3] in library.photos_in_no_album(DINO_KEY)
    assert assign_new_photos(library, DINO_KEY).assigned == 0  # nothing new the second time


def test_an_album_the_photo_was_removed_from_is_not_chosen_again(library):
    new, new_truth = clustered_features(SIZES, seed=51, point_seed=3)
    photo = add_featured_photos(library, new[[int(np.flatnonzero(new_truth == 0)[0])]])[0]
    target = album_of_cluster(library, 0)
    assign_new_photos(library, DINO_KEY)
    edits.remove_photos(library, target, [photo])
    assign_new_photos(library, DINO_KEY)  # the photo is new and in no album again
    assert photo not in {m.photo_id for m in store.members(library, target)}


def test_update_runs_a_full_recluster_only_when_the_library_grew_substantially(library):
    assert update_action(library, DINO_KEY)[0] == INCREMENTAL
    small, _ = clustered_features(SIZES, seed=51, point_seed=4)
    add_featured_photos(library, small[:10])  # +7%
    report = drain(update_albums_job(library, DINO_KEY))
    assert report.action == INCREMENTAL and report.incremental.new_photos == 10
    add_featured_photos(library, small[10:40])  # now +30% since the last clustering
    action, reason = update_action(library, DINO_KEY)
    assert action == FULL and "grew" in reason
    report = drain(update_albums_job(library, DINO_KEY))
    assert report.action == FULL and report.recluster.photos == sum(SIZES) + 40
    assert update_action(library, DINO_KEY)[0] == INCREMENTAL


def test_update_waits_for_the_new_model_features_after_a_model_change(library):
    ids, features = library.embeddings(DINO_KEY)
    library.put_embeddings("dino:other:test:224px", ids[:10].tolist(), features[:10])
    action, reason = update_action(library, "dino:other:test:224px")
    assert action == NOTHING and "waiting" in reason
    library.put_embeddings("dino:other:test:224px", ids.tolist(), features)
    assert update_action(library, "dino:other:test:224px")[0] == FULL


def test_update_clusters_a_library_that_never_had_albums():
    library = Library.in_memory()
    assert update_action(library, DINO_KEY)[0] == NOTHING
    features, _ = clustered_features(SIZES, seed=52)
    add_featured_photos(library, features)
    report = drain(update_albums_job(library, DINO_KEY))
    assert report.action == FULL and report.recluster.albums == 3
    library.close()
