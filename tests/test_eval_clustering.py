"""Clustering metrics on known answers, and the `eval clustering` harness end to end."""

from __future__ import annotations

import numpy as np
import pytest

from photo_organizer.evaluation.metrics import clustering_accuracy, clustering_scores, contingency


def test_accuracy_is_invariant_to_cluster_names():
    truth = np.array([0, 0, 1, 1, 2, 2])
    assert clustering_accuracy(truth, np.array([5, 5, 3, 3, 9, 9])) == 1.0
    scores = clustering_scores(truth, np.array([2, 2, 0, 0, 1, 1]))
    assert (scores.acc, scores.nmi, scores.ari) == (1.0, 1.0, 1.0)


def test_accuracy_uses_the_best_one_to_one_matching():
    truth = np.array([0, 0, 0, 1, 1, 1])
    predicted = np.array([1, 1, 0, 0, 0, 0])
    # matching cluster 1 -> class 0 (2 right) and cluster 0 -> class 1 (3 right): 5/6
    assert clustering_accuracy(truth, predicted) == pytest.approx(5 / 6)


def test_accuracy_counts_extra_clusters_and_noise_as_wrong():
    truth = np.array([0, 0, 1, 1])
    assert clustering_accuracy(truth, np.array([0, 1, 2, 3])) == pytest.approx(0.5)  # 4 clusters, 2 classes
    assert clustering_accuracy(truth, np.array([-1, 0, 1, 1])) == pytest.approx(0.75)  # noise point is wrong
    assert clustering_accuracy(truth, np.array([0, 0, 0, 0])) == pytest.approx(0.5)  # one cluster


def test_nmi_and_ari_on_known_answers():
    truth = np.array([0, 0, 1, 1])
    independent = clustering_scores(truth, np.array([0, 1, 0, 1]))
    assert independent.nmi == pytest.approx(0.0, abs=1e-12)
    assert independent.ari == pytest.approx(-0.5)  # worse than chance on this tiny case
    # 3 of 4 right: contingency [[2, 0], [1, 1]] gives ARI 0 by Hubert-Arabie's formula
    partial = clustering_scores(truth, np.array([0, 0, 0, 1]))
    assert partial.acc == pytest.approx(0.75)
    assert partial.ari == pytest.approx(0.0, abs=1e-12)


def test_contingency_counts_clusters_by_class():
    table = contingency(np.array([0, 0, 1, 2]), np.array([7, 7, 7, -1]))
    assert table.tolist() == [[0, 0, 1], [2, 1, 0]]  # rows: clusters -1, 7; columns: classes
