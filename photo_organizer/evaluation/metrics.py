"""Clustering metrics against ground-truth labels: ACC (Hungarian matching), NMI, ARI.

ACC is the fraction of items whose cluster maps to their class under the best one-to-one
mapping of clusters to classes (``scipy.optimize.linear_sum_assignment`` on the contingency
table); clusters left without a class, and HDBSCAN noise (label -1, counted as one more
cluster here), count as wrong. NMI (arithmetic normalisation, scikit-learn's default) and ARI
come from scikit-learn. Search metrics (recall, mAP) live beside these, in their own module.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class ClusteringScores:
    acc: float
    nmi: float
    ari: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def contingency(true_labels: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """(clusters, classes) counts; labels may be any integers (noise -1 is its own cluster)."""
    true_labels, predicted = np.asarray(true_labels), np.asarray(predicted)
    if true_labels.shape != predicted.shape:
        raise ValueError("true and predicted labels must have the same length")
    _, class_index = np.unique(true_labels, return_inverse=True)
    _, cluster_index = np.unique(predicted, return_inverse=True)
    table = np.zeros((cluster_index.max(initial=-1) + 1, class_index.max(initial=-1) + 1), dtype=np.int64)
    np.add.at(table, (cluster_index, class_index), 1)
    return table


def clustering_accuracy(true_labels: np.ndarray, predicted: np.ndarray) -> float:
    """Best one-to-one cluster-to-class matching accuracy (Hungarian algorithm)."""
    from scipy.optimize import linear_sum_assignment

    table = contingency(true_labels, predicted)
    if table.size == 0:
        return 0.0
    rows, cols = linear_sum_assignment(table, maximize=True)
    return float(table[rows, cols].sum() / table.sum())


def clustering_scores(true_labels: np.ndarray, predicted: np.ndarray) -> ClusteringScores:
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    return ClusteringScores(
        acc=clustering_accuracy(true_labels, predicted),
        nmi=float(normalized_mutual_info_score(true_labels, predicted)),
        ari=float(adjusted_rand_score(true_labels, predicted)),
    )
