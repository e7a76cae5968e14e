"""Retrieval metrics on ranked lists: Recall@K and MAP@R (Musgrave et al., "A Metric Learning
Reality Check", ECCV 2020), as used by the relevance-feedback paper.

For one query with R relevant items in the database:

* Recall@K is 1 when at least one of the first K results is relevant, else 0;
* MAP@R is ``(1/R) * sum_{i<=R} P(i) * rel(i)``: average precision cut at rank R, so it
  rewards putting *all* relevant items first, not just one.

Queries with no relevant item (R = 0) are skipped by both (they carry no information).
"""

from __future__ import annotations

import numpy as np


def recall_at_k(ranked_relevance: np.ndarray, k: int) -> float:
    """1.0 if any of the first ``k`` ranked items is relevant (``ranked_relevance`` is bool)."""
    return float(np.any(ranked_relevance[:k]))


def average_precision_at_r(ranked_relevance: np.ndarray, relevant_count: int) -> float:
    """MAP@R of one query: ``ranked_relevance`` in rank order, R = ``relevant_count``."""
    if relevant_count <= 0:
        raise ValueError("MAP@R is undefined for a query without relevant items")
    head = np.asarray(ranked_relevance[:relevant_count], dtype=bool)
    hits = np.cumsum(head)
    precision = hits / np.arange(1, len(head) + 1)
    return float((precision * head).sum() / relevant_count)


def query_metrics(ranked_relevance: np.ndarray, relevant_count: int, ks: tuple[int, ...] = (1, 5)) -> dict[str, float] | None:
    """{"R@k": ..., "MAP@R": ...} for one query; None when it has no relevant item."""
    if relevant_count <= 0:
        return None
    scores = {f"R@{k}": recall_at_k(ranked_relevance, k) for k in ks}
    scores["MAP@R"] = average_precision_at_r(ranked_relevance, relevant_count)
    return scores


def mean_metrics(per_query: list[dict[str, float]]) -> dict[str, float]:
    """Average of each metric over the queries that had relevant items (plus their count)."""
    if not per_query:
        return {"queries": 0}
    names = per_query[0].keys()
    means: dict[str, float] = {name: float(np.mean([scores[name] for scores in per_query])) for name in names}
    means["queries"] = len(per_query)
    return means
