"""Retrieval metrics, and the simulated-user protocol on synthetic embeddings with classes."""

from __future__ import annotations

import numpy as np
import pytest

from photo_organizer.evaluation.feedback import KEPT, PRESETS, REMOVED, evaluate_feedback_job, format_report
from photo_organizer.evaluation.retrieval_metrics import (
    average_precision_at_r,
    mean_metrics,
    query_metrics,
    recall_at_k,
)
from photo_organizer.evaluation.synthetic import SyntheticSpec, labelled_embeddings
from photo_organizer.progress import drain


def test_recall_at_k_and_map_at_r_on_hand_made_rankings():
    ranked = np.array([False, True, False, True, True, False])
    assert recall_at_k(ranked, 1) == 0.0 and recall_at_k(ranked, 2) == 1.0
    # R = 3: the first three ranks hold one hit at rank 2 -> (1/2) / 3.
    assert average_precision_at_r(ranked, 3) == pytest.approx((1 / 2) / 3)
    assert average_precision_at_r(np.array([True, True, False]), 2) == 1.0
    assert query_metrics(ranked, 0) is None
    means = mean_metrics([{"R@1": 1.0, "MAP@R": 0.5}, {"R@1": 0.0, "MAP@R": 0.25}])
    assert means == {"R@1": 0.5, "MAP@R": 0.375, "queries": 2}


@pytest.fixture(scope="module")
def synthetic():
    images, labels, texts = labelled_embeddings(SyntheticSpec(classes=8, per_class=25, dim=128, seed=3))
    return images, labels, texts


def test_feedback_measurably_improves_map_at_r_over_no_feedback(synthetic):
    images, labels, _ = synthetic
    methods = {name: PRESETS[name] for name in ("none", "nn1", "rocchio", "linear")}
    evaluation = drain(evaluate_feedback_job(images, labels, methods, shown=10, rounds=2, queries=np.arange(0, 200, 4)))
    scores = evaluation.scores
    first_round = scores["none"][KEPT][0]["MAP@R"]
    for method in ("nn1", "rocchio", "linear"):
        assert scores[method][KEPT][0]["MAP@R"] == pytest.approx(first_round)  # round 0 is cosine for all
    for mode in (KEPT, REMOVED):
        none_final = scores["none"][mode][2]["MAP@R"]
        assert scores["nn1"][mode][2]["MAP@R"] > none_final + 0.15, mode
        assert scores["nn1"][mode][2]["MAP@R"] > scores["nn1"][mode][1]["MAP@R"], mode  # feedback accumulates
    assert scores["nn1"][KEPT][0]["queries"] == 50
    report = format_report(evaluation)
    assert "kept" in report and "removed" in report and "nn1" in report and "round 2" in report


def test_text_queries_need_the_scale_match_to_help_the_one_nn(synthetic):
    images, labels, texts = synthetic
    methods = {name: PRESETS[name] for name in ("nn1", "nn1-raw-scale", "nn1-no-query")}
    evaluation = drain(
        evaluate_feedback_job(images, labels, methods, shown=10, rounds=1, text_queries=(texts, np.arange(8)))
    )
    scores = evaluation.scores
    assert evaluation.query_kind == "text"
    # Raw text-image cosines (~0.25) never beat image-image ones (~0.5): the query is ignored.
    raw = scores["nn1-raw-scale"][REMOVED][1]["MAP@R"]
    assert raw == pytest.approx(scores["nn1-no-query"][REMOVED][1]["MAP@R"])
    assert scores["nn1"][REMOVED][1]["MAP@R"] != pytest.approx(raw)
