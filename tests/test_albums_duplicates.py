from __future__ import annotations

import numpy as np

from photo_organizer.albums.duplicates import find_duplicates, near_identical_pairs
from photo_organizer.storage import Library
from tests.albums_helpers import DINO_KEY, add_featured_photos, add_photos


def brute_force_pairs(features: np.ndarray, threshold: float) -> set[tuple[int, int]]:
    unit = features / np.linalg.norm(features, axis=1, keepdims=True)
    similarity = unit @ unit.T
    i, j = np.nonzero(np.triu(similarity >= threshold, k=1))
    return set(zip(i.tolist(), j.tolist()))


def test_projected_search_finds_exactly_the_pairs_above_the_threshold():
    rng = np.random.default_rng(41)
    base = rng.standard_normal((2600, 128)).astype(np.float32)  # > one block, > the projection
    base /= np.linalg.norm(base, axis=1, keepdims=True)
    # Plant near-identical copies at a range of similarities around the threshold.
    sources = rng.choice(len(base), 60, replace=False)
    offsets = rng.standard_normal((60, 128)).astype(np.float32)
    offsets /= np.linalg.norm(offsets, axis=1, keepdims=True)
    copies = base[sources] + np.linspace(0.15, 0.45, 60)[:, None] * offsets
    features = np.vstack([base, copies])
    i, j, similarity = near_identical_pairs(features, 0.95)
    found = set(zip(i.tolist(), j.tolist()))
    assert found == brute_force_pairs(features, 0.95)
    assert 10 < len(found) < 60 and np.all(similarity >= 0.95)


def test_exact_and_near_groups_are_listed_and_nothing_is_deleted():
    library = Library.in_memory()
    rng = np.random.default_rng(42)
    features = rng.standard_normal((8, 32)).astype(np.float32)
    features[1] = features[0] + 0.01 * rng.standard_normal(32)  # a burst: 0, 1, 2
    features[2] = features[1] + 0.01 * rng.standard_normal(32)
    features[5] = features[4]  # the same file twice (same fingerprint)
    fingerprints = ["a", "b", "c", "d", "e", "e", "f", "g"]
    ids = add_featured_photos(library, features, fingerprints=fingerprints)
    no_features = add_photos(library, 2, fingerprints=["h", "h"])
    before = library.query("SELECT COUNT(*) AS n FROM photos")[0]["n"]

    report = find_duplicates(library, DINO_KEY, 0.95)
    assert [g.photo_ids for g in report.exact] == [[ids[4], ids[5]], no_features]
    assert [g.photo_ids for g in report.near] == [[ids[0], ids[1], ids[2]]]  # the exact pair is not repeated
    assert 0.95 <= report.near[0].similarity < 1.0
    assert library.query("SELECT COUNT(*) AS n FROM photos")[0]["n"] == before

    without_features = find_duplicates(library, None, 0.95)
    assert without_features.near == [] and len(without_features.exact) == 2
    library.close()
