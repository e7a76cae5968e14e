from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from photo_organizer.albums.clustering import (
    ClusteringParams,
    _hdbscan,
    _nearest_neighbours,
    attach_to_clusters,
    cluster_features,
    reduce_features,
    summarise_members,
)
from photo_organizer.errors import LibraryError
from tests.albums_helpers import clustered_features


def test_known_clusters_are_recovered_and_noise_goes_unsorted():
    features, truth = clustered_features([70, 60, 50, 45, 40, 35, 30, 30], noise_points=40, seed=1)
    result = cluster_features(features, ClusteringParams.for_library(len(features)))
    clustered = truth >= 0
    assert adjusted_rand_score(truth[clustered], result.labels[clustered]) >= 0.9
    assert result.n_clusters == 8
    assert (result.labels[~clustered] == -1).mean() >= 0.7  # uniform noise is mostly Unsorted
    assert np.all((result.strengths >= 0) & (result.strengths <= 1))
    assert np.all(result.strengths[result.labels == -1] == 0)


def test_large_libraries_cluster_a_sample_and_attach_the_rest():
    features, truth = clustered_features([400, 350, 300, 250, 200], noise_points=100, seed=2)
    params = ClusteringParams.for_library(len(features), fit_sample_cap=600)
    result = cluster_features(features, params)
    assert result.fitted_on == 600
    clustered = truth >= 0
    assert adjusted_rand_score(truth[clustered], result.labels[clustered]) >= 0.9


def test_attachment_matches_hdbscan_approximate_predict():
    import hdbscan

    features, _ = clustered_features([120, 100, 80], noise_points=30, seed=3)
    reduced = reduce_features(features).astype(np.float64)
    fitted, new = reduced[::2], reduced[1::2]
    model = _hdbscan(fitted, min_cluster_size=10, min_samples=4)
    model.generate_prediction_data()
    expected_labels, expected_strengths = hdbscan.approximate_predict(model, new)
    labels, strengths = attach_to_clusters(fitted, model, new, min_samples=4)
    np.testing.assert_array_equal(labels, expected_labels)
    np.testing.assert_allclose(strengths, expected_strengths, atol=1e-4)


@pytest.mark.parametrize("k", [1, 5, 16, 17, 40])
def test_blocked_nearest_neighbours_match_brute_force(k):
    rng = np.random.default_rng(6)
    queries, points = rng.standard_normal((2100, 8)), rng.standard_normal((300, 8))  # > one block
    distances = np.linalg.norm(queries[:, None, :] - points[None, :, :], axis=2)
    found, indices = _nearest_neighbours(queries, points, k)
    np.testing.assert_allclose(found, np.sort(distances, axis=1)[:, :k], atol=1e-4)
    np.testing.assert_allclose(np.take_along_axis(distances, indices, axis=1), found, atol=1e-4)


def test_parameters_scale_with_library_size_and_granularity():
    small, large = ClusteringParams.for_library(1_000), ClusteringParams.for_library(100_000)
    assert small.min_cluster_size < large.min_cluster_size
    fewer, normal, more = (
        ClusteringParams.for_library(20_000, g).min_cluster_size
        for g in ("fewer", "normal", "more")
    )
    assert fewer > normal > more
    with pytest.raises(LibraryError, match="granularity"):
        ClusteringParams.for_library(100, "huge")


def test_granularity_changes_the_number_of_albums():
    # 60 tight groups of 12 photos, in 30 looser pairs. For 720 photos the smallest album is
    # 13 photos with "fewer" (so the pairs are the albums) and 5 with "more" (the groups are).
    rng = np.random.default_rng(4)
    pair_centres = rng.standard_normal((30, 64))
    pair_centres /= np.linalg.norm(pair_centres, axis=1, keepdims=True)
    group_centres = np.repeat(pair_centres, 2, axis=0) + 0.45 * rng.standard_normal((60, 64)) / 8
    group_centres /= np.linalg.norm(group_centres, axis=1, keepdims=True)
    points = np.repeat(group_centres, 12, axis=0) + 0.12 * rng.standard_normal((720, 64)) / 8
    counts = {
        g: cluster_features(points, ClusteringParams.for_library(len(points), g)).n_clusters for g in ("fewer", "more")
    }
    assert counts["more"] > counts["fewer"] >= 20


def test_a_tiny_library_has_no_albums():
    features, _ = clustered_features([4, 3], seed=5)
    result = cluster_features(features, ClusteringParams.for_library(len(features)))
    assert result.n_clusters == 0 and np.all(result.labels == -1)


def test_covers_are_the_most_central_members():
    centre = np.array([1.0, 0.0, 0.0], dtype=np.float32)
    features = np.array(
        [[0.6, 0.8, 0.0], [1.0, 0.05, 0.0], [0.9, 0.0, 0.3], [0.99, 0.0, -0.1], [0.7, -0.7, 0.1]], dtype=np.float32
    )
    features /= np.linalg.norm(features, axis=1, keepdims=True)
    summary = summarise_members(np.array([10, 11, 12, 13, 14]), features, np.ones(5))
    assert summary.cover_photo_ids[:2] == [11, 13]
    assert summary.photo_ids[-1] == 10
    assert float(summary.centroid @ centre) > 0.9 and np.isclose(np.linalg.norm(summary.centroid), 1.0)
