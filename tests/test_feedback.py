"""The feedback methods on hand-made vectors: 1-NN labels and orders, scales, baselines."""

from __future__ import annotations

import numpy as np
import pytest

from photo_organizer.search.feedback import (
    FeedbackOptionError,
    FeedbackOptions,
    FeedbackProblem,
    fit_kernel_logistic,
    rerank,
    scaled_query_column,
)
from tests.search_fakes import unit


def problem_for(candidates: np.ndarray, rated: np.ndarray, labels: list[int], query: np.ndarray) -> FeedbackProblem:
    return FeedbackProblem(
        query_sims=candidates @ query,
        rated_sims=candidates @ rated.T,
        labels=np.array(labels),
        rated_gram=rated @ rated.T,
        query_vector_sims=candidates @ query,
        query_rated=rated @ query,
    )


LIKED_PHOTO = unit(1, 0, 0)
DISLIKED_PHOTO = unit(0, 1, 0)
CANDIDATES = np.stack(
    [
        unit(0.9, 0.1, 0.3),  # near the liked photo
        unit(0.1, 0.9, 0.3),  # near the disliked photo
        unit(0.6, 0.5, 0.2),  # between, a little nearer the liked one
        unit(0.5, 0.6, 0.2),  # between, a little nearer the disliked one
    ]
)


def test_one_nn_labels_each_candidate_by_its_nearest_rated_photo():
    problem = problem_for(CANDIDATES, np.stack([LIKED_PHOTO, DISLIKED_PHOTO]), [1, -1], unit(0, 0, 1))
    ranking = rerank(problem, FeedbackOptions(query_positive=False, order="margin"))
    assert ranking.predicted.tolist() == [True, False, True, False]
    # margin = max cos to liked - max cos to disliked
    expected = CANDIDATES @ LIKED_PHOTO - CANDIDATES @ DISLIKED_PHOTO
    np.testing.assert_allclose(ranking.score, expected, rtol=1e-6)


def test_orders_inside_the_predicted_liked_set():
    problem = problem_for(CANDIDATES, np.stack([LIKED_PHOTO, DISLIKED_PHOTO]), [1, -1], unit(0.5, 0.6, 0.2))
    margin = rerank(problem, FeedbackOptions(query_positive=False, order="margin"))
    ratio = rerank(problem, FeedbackOptions(query_positive=False, order="ratio"))
    lexicographic = rerank(problem, FeedbackOptions(query_positive=False, order="lexicographic"))
    best_first = lambda ranking: np.argsort(-ranking.key).tolist()  # noqa: E731
    assert best_first(margin)[:2] == [0, 2] and best_first(ratio)[:2] == [0, 2]
    # Lexicographic: predicted-liked first, each part ordered by the first-round score.
    order = best_first(lexicographic)
    assert set(order[:2]) == {0, 2}
    assert problem.query_sims[order[0]] >= problem.query_sims[order[1]]
    np.testing.assert_allclose(lexicographic.score, problem.query_sims)
    # Ratio and margin agree on the predicted set: log(d_disliked / d_liked) >= 0 iff liked.
    assert ((ratio.key >= 0) == ratio.predicted).all()


def test_the_query_counts_as_a_positive_when_asked_and_when_nothing_is_liked():
    query = unit(0, 0.2, 1)
    candidates = np.stack([unit(0, 0.3, 1), unit(0, 1, 0.1)])
    only_disliked = problem_for(candidates, np.stack([DISLIKED_PHOTO]), [-1], query)
    for positive in (True, False):  # without any liked photo the query is the only positive
        ranking = rerank(only_disliked, FeedbackOptions(query_positive=positive, query_scale="raw"))
        assert ranking.predicted.tolist() == [True, False]
    with_like = problem_for(candidates, np.stack([LIKED_PHOTO, DISLIKED_PHOTO]), [1, -1], query)
    assert rerank(with_like, FeedbackOptions(query_positive=False)).predicted.tolist() == [False, False]
    assert rerank(with_like, FeedbackOptions(query_positive=True, query_scale="raw")).predicted.tolist() == [True, False]


def test_rated_photos_keep_their_marks_whatever_the_predictor_says():
    problem = problem_for(CANDIDATES, np.stack([LIKED_PHOTO, DISLIKED_PHOTO]), [1, -1], unit(0, 0, 1))
    problem.rated_positions = np.array([1, 0])  # pretend candidate 1 was liked and 0 disliked
    ranking = rerank(problem, FeedbackOptions(query_positive=False))
    assert ranking.predicted[1] and not ranking.predicted[0]


def test_match_scale_puts_a_text_query_on_the_image_scale():
    rng = np.random.default_rng(0)
    text_sims = (0.25 + 0.03 * rng.standard_normal(500)).astype(np.float32)  # CLIP text-image range
    image_sims = (0.6 + 0.1 * rng.standard_normal((500, 4))).astype(np.float32)  # image-image range
    problem = FeedbackProblem(query_sims=text_sims, rated_sims=image_sims, labels=np.array([1, 1, -1, -1]))
    scaled = scaled_query_column(problem, FeedbackOptions(query_scale="match"))
    assert abs(scaled.mean() - image_sims.mean()) < 0.01
    assert abs(scaled.std() - image_sims.std()) < 0.01
    assert scaled.max() <= 1.0
    # The order of the query column is unchanged (an increasing map; ties may swap, so compare values).
    order = np.argsort(text_sims, kind="stable")
    assert (np.diff(scaled[order]) >= 0).all()
    np.testing.assert_array_equal(scaled_query_column(problem, FeedbackOptions(query_scale="raw")), text_sims)


def test_rocchio_scores_by_the_moved_query_vector():
    rng = np.random.default_rng(1)
    candidates = rng.standard_normal((20, 8)).astype(np.float32)
    candidates /= np.linalg.norm(candidates, axis=1, keepdims=True)
    query, rated = candidates[0], candidates[[1, 2, 3]]
    problem = problem_for(candidates, rated, [1, 1, -1], query)
    moved = 1.0 * query + 0.75 * rated[:2].mean(axis=0) - 0.15 * rated[2]
    ranking = rerank(problem, FeedbackOptions(method="rocchio", query_scale="raw"))
    np.testing.assert_allclose(ranking.score, candidates @ moved, rtol=1e-5, atol=1e-6)
    assert ranking.predicted is None


def test_kernel_logistic_regression_equals_the_primal_solution():
    from scipy.optimize import minimize

    rng = np.random.default_rng(2)
    examples = rng.standard_normal((9, 16))
    examples /= np.linalg.norm(examples, axis=1, keepdims=True)
    labels = np.array([1, 1, 1, -1, -1, -1, -1, -1, -1])
    weights = np.where(labels > 0, 9 / (2 * 3), 9 / (2 * 6)) * 2.0

    def objective(theta: np.ndarray) -> float:
        margins = labels * (examples @ theta[:-1] + theta[-1])
        return float((weights * np.logaddexp(0, -margins)).sum() + 0.5 * theta[:-1] @ theta[:-1])

    primal = minimize(objective, np.zeros(17), method="BFGS", options={"gtol": 1e-10}).x
    coefficients, bias = fit_kernel_logistic(examples @ examples.T, labels, c=2.0)
    others = rng.standard_normal((30, 16))
    np.testing.assert_allclose(others @ examples.T @ coefficients + bias, others @ primal[:-1] + primal[-1], atol=1e-4)


def test_linear_classifier_predicts_the_side_of_the_boundary():
    problem = problem_for(CANDIDATES, np.stack([LIKED_PHOTO, DISLIKED_PHOTO]), [1, -1], unit(0, 0, 1))
    ranking = rerank(problem, FeedbackOptions(method="linear", query_positive=False))
    assert ranking.predicted.tolist() == [True, False, True, False]
    assert ranking.key[0] > ranking.key[2] > ranking.key[3] > ranking.key[1]


def test_no_feedback_and_no_marks_keep_the_first_round_order():
    problem = problem_for(CANDIDATES, np.zeros((0, 3), np.float32), [], unit(1, 1, 0))
    for method in ("nn1", "rocchio", "linear", "none"):
        ranking = rerank(problem, FeedbackOptions(method=method))
        np.testing.assert_array_equal(ranking.key, problem.query_sims)


def test_unknown_options_are_refused_with_the_choices():
    with pytest.raises(FeedbackOptionError, match="nn1"):
        FeedbackOptions(method="svm")
    with pytest.raises(FeedbackOptionError, match="margin"):
        FeedbackOptions(order="best")
    options = FeedbackOptions(method="linear", order="ratio", query_positive=False)
    assert FeedbackOptions.from_dict(options.to_dict()) == options
