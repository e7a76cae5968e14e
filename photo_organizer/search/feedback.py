"""Relevance feedback on CLIP features: the paper's 1-NN predictor and the classic baselines.

Source: Nara et al., "Revisiting Relevance Feedback for CLIP-based Interactive Image
Retrieval" (ECCV 2024 workshops). Every database image takes the label of its nearest rated
image (cosine on unit CLIP features); the images predicted as preferred come first.

All methods work on similarities, never on raw vectors, so the app (matrix products over the
library) and the evaluation (a precomputed similarity matrix) share this code exactly:

* ``query_sims`` (n,): each candidate's first-round score (cosine to the query, or for a query
  of several parts the mean of their standardised scores; see ``engine``);
* ``rated_sims`` (n, m): cosine of each candidate to each rated photo;
* ``labels`` (m,): +1 liked, -1 disliked;
* for the linear classifier only, the rated photos' Gram matrix and their cosine to the
  query vector (its kernel form needs them).

The open choices of the paper are options (``FeedbackOptions``), measured by
``photo-organizer eval feedback`` and ``benchmarks/bench_search.py``:

* ``order`` inside the 1-NN's predicted-liked set: ``ratio`` (default: log of the Euclidean
  distance to the nearest disliked over that to the nearest liked), ``margin`` (max cos to
  liked - max cos to disliked), or ``lexicographic`` (predicted-liked first, each part by
  first-round score). Both ratio and margin are >= 0 exactly on the predicted-liked set;
  ratio was ahead of margin in 11 of 12 synthetic settings, lexicographic far behind;
* ``query_positive``: whether the query counts as one more liked item;
* ``query_scale``: text-to-image cosines (about 0.2-0.35 in CLIP) sit far below image-to-image
  ones (0.5-0.95), so a raw text query never wins a nearest-neighbour contest. ``match`` maps
  the query column affinely onto the mean and spread of the rated photos' columns (clipped
  at 1) before it competes; ``raw`` uses it as is (to measure the effect).

Baselines on the same features: ``none`` (first-round order), ``rocchio``
(a*q + b*mean(liked) - c*mean(disliked), with the query term scaled as above), ``linear``
(L2-regularised logistic regression with balanced class weights, solved exactly in the span of
the training photos; the query joins as a positive when ``query_positive``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from photo_organizer.errors import PhotoOrganizerError

NN1 = "nn1"
ROCCHIO = "rocchio"
LINEAR = "linear"
NONE = "none"
METHODS = (NN1, ROCCHIO, LINEAR, NONE)
ORDERS = ("margin", "ratio", "lexicographic")
QUERY_SCALES = ("match", "raw")
LIKED, DISLIKED = 1, -1
_ABSENT_SIMILARITY = -1.0  # a class with no rated photo is as far away as a cosine can be
_LEXICOGRAPHIC_OFFSET = 1e6


class FeedbackOptionError(PhotoOrganizerError):
    """An unknown feedback method or option value."""


@dataclass(frozen=True)
class FeedbackOptions:
    method: str = NN1
    order: str = "ratio"  # measured a little ahead of margin (benchmarks/bench_search.py --only methods)
    query_positive: bool = True
    query_scale: str = "match"
    rocchio_weights: tuple[float, float, float] = (1.0, 0.75, 0.15)
    linear_c: float = 1.0  # inverse regularisation strength, as scikit-learn's C

    def __post_init__(self) -> None:
        for value, allowed, what in (
            (self.method, METHODS, "method"),
            (self.order, ORDERS, "order"),
            (self.query_scale, QUERY_SCALES, "query scale"),
        ):
            if value not in allowed:
                raise FeedbackOptionError(f"Unknown feedback {what} {value!r}; choose one of {', '.join(allowed)}.")
        if not self.linear_c > 0:
            raise FeedbackOptionError("The linear classifier's C must be positive.")

    def to_dict(self) -> dict:
        return {
            "method": self.method,
            "order": self.order,
            "query_positive": self.query_positive,
            "query_scale": self.query_scale,
            "rocchio_weights": list(self.rocchio_weights),
            "linear_c": self.linear_c,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "FeedbackOptions":
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        if "rocchio_weights" in known:
            known["rocchio_weights"] = tuple(float(w) for w in known["rocchio_weights"])
        return cls(**known)


@dataclass
class FeedbackProblem:
    query_sims: np.ndarray  # (n,)
    rated_sims: np.ndarray  # (n, m)
    labels: np.ndarray  # (m,) +1 / -1
    rated_gram: np.ndarray | None = None  # (m, m), linear only
    query_vector_sims: np.ndarray | None = None  # (n,) cosine to the query vector, linear only
    query_rated: np.ndarray | None = None  # (m,) cosine query vector - rated photos, linear only
    rated_positions: np.ndarray | None = None  # (m,) row of each rated photo among candidates, or -1

    @property
    def liked(self) -> np.ndarray:
        return self.labels == LIKED

    @property
    def disliked(self) -> np.ndarray:
        return self.labels == DISLIKED


@dataclass
class Ranking:
    """The outcome of a method over n candidates."""

    key: np.ndarray  # (n,) sort key, higher first
    score: np.ndarray  # (n,) the score shown to the user
    predicted: np.ndarray | None = field(default=None)  # (n,) bool, True = predicted liked


def rerank(problem: FeedbackProblem, options: FeedbackOptions) -> Ranking:
    """Rank the candidates with ``options.method`` given the rated photos."""
    if options.method == NONE or problem.labels.size == 0:
        return Ranking(problem.query_sims, problem.query_sims, None)
    if options.method == NN1:
        ranking = nearest_neighbour(problem, options)
    elif options.method == ROCCHIO:
        ranking = rocchio(problem, options)
    else:
        ranking = linear_classifier(problem, options)
    return _keep_marks(ranking, problem)


def _keep_marks(ranking: Ranking, problem: FeedbackProblem) -> Ranking:
    """A rated photo is predicted as the user marked it, whatever the method says."""
    if ranking.predicted is None or problem.rated_positions is None:
        return ranking
    inside = problem.rated_positions >= 0
    ranking.predicted[problem.rated_positions[inside]] = problem.labels[inside] == LIKED
    return ranking


def scaled_query_column(problem: FeedbackProblem, options: FeedbackOptions) -> np.ndarray:
    """The query's similarity column on the rated photos' scale (``match``) or as is (``raw``)."""
    query = problem.query_sims
    if options.query_scale == "raw" or problem.rated_sims.size == 0:
        return query
    spread = float(query.std())
    if spread == 0.0:
        return query
    rated = problem.rated_sims
    standard = (query - float(query.mean())) / spread
    return np.minimum(standard * float(rated.std()) + float(rated.mean()), 1.0).astype(np.float32)


def _nearest(sims: np.ndarray, columns: np.ndarray) -> np.ndarray:
    if not columns.any():
        return np.full(sims.shape[0], _ABSENT_SIMILARITY, dtype=np.float32)
    return sims[:, columns].max(axis=1)


def nearest_neighbour(problem: FeedbackProblem, options: FeedbackOptions) -> Ranking:
    """Label every candidate by its nearest rated photo (the query may join the liked side)."""
    nearest_liked = _nearest(problem.rated_sims, problem.liked)
    if options.query_positive or not problem.liked.any():
        # Without any liked photo the query is the only positive there is.
        nearest_liked = np.maximum(nearest_liked, scaled_query_column(problem, options))
    nearest_disliked = _nearest(problem.rated_sims, problem.disliked)
    predicted = nearest_liked >= nearest_disliked
    if options.order == "margin":
        key = nearest_liked - nearest_disliked
        return Ranking(key, key, predicted)
    if options.order == "ratio":
        to_liked = np.sqrt(np.maximum(2.0 - 2.0 * nearest_liked, 1e-12))
        to_disliked = np.sqrt(np.maximum(2.0 - 2.0 * nearest_disliked, 1e-12))
        key = np.log(to_disliked / to_liked)
        return Ranking(key, key, predicted)
    key = problem.query_sims + _LEXICOGRAPHIC_OFFSET * predicted
    return Ranking(key, problem.query_sims, predicted)


def rocchio(problem: FeedbackProblem, options: FeedbackOptions) -> Ranking:
    """Score by the moved query a*q + b*mean(liked) - c*mean(disliked) (no predictor)."""
    a, b, c = options.rocchio_weights
    score = a * scaled_query_column(problem, options)
    if problem.liked.any():
        score = score + b * problem.rated_sims[:, problem.liked].mean(axis=1)
    if problem.disliked.any():
        score = score - c * problem.rated_sims[:, problem.disliked].mean(axis=1)
    score = score.astype(np.float32)
    return Ranking(score, score, None)


def linear_classifier(problem: FeedbackProblem, options: FeedbackOptions) -> Ranking:
    """Balanced logistic regression liked vs disliked; score is the decision value."""
    gram, sims, labels = _training_set(problem, options)
    if not (labels == LIKED).any() or not (labels == DISLIKED).any():
        # One class only: nothing to separate; rank by mean similarity to the positives.
        positives = labels == LIKED
        score = sims[:, positives].mean(axis=1) if positives.any() else -sims.mean(axis=1)
        return Ranking(score.astype(np.float32), score.astype(np.float32), None)
    weights, bias = fit_kernel_logistic(gram, labels, options.linear_c)
    decision = (sims @ weights + bias).astype(np.float32)
    return Ranking(decision, decision, decision > 0)


def _training_set(problem: FeedbackProblem, options: FeedbackOptions) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gram matrix, candidate-to-training similarities and labels (query appended if positive)."""
    gram = problem.rated_gram
    if gram is None:
        raise FeedbackOptionError("The linear classifier needs the rated photos' Gram matrix.")
    sims, labels = problem.rated_sims, problem.labels
    use_query = (options.query_positive or not problem.liked.any()) and problem.query_vector_sims is not None
    if use_query and problem.query_rated is not None:
        gram = np.block([[gram, problem.query_rated[:, None]], [problem.query_rated[None, :], np.ones((1, 1))]])
        sims = np.concatenate([sims, problem.query_vector_sims[:, None]], axis=1)
        labels = np.append(labels, LIKED)
    return gram.astype(np.float64), sims.astype(np.float64), labels


def fit_kernel_logistic(gram: np.ndarray, labels: np.ndarray, c: float, iterations: int = 50) -> tuple[np.ndarray, float]:
    """Exact L2-regularised, class-balanced logistic regression in the span of the examples.

    Minimises ``C * sum_i w_i log(1 + exp(-y_i f(x_i))) + |w|^2 / 2`` with ``f(x) = <w, x> + b``
    and balanced weights ``w_i = n / (2 n_class(i))``. The optimum ``w`` lies in the span of
    the examples, so we solve in the coordinates ``Phi = U sqrt(S)`` of the Gram matrix
    ``K = U S U^T`` (m-dimensional Newton, milliseconds) and return coefficients ``a`` with
    ``f(x) = sum_j a_j <x, x_j> + b``, i.e. directly usable on similarity columns.
    """
    values, vectors = np.linalg.eigh((gram + gram.T) / 2.0)
    keep = values > max(float(values.max()), 1.0) * 1e-9
    values, vectors = values[keep], vectors[:, keep]
    features = vectors * np.sqrt(values)  # (m, r): row i is example i in span coordinates
    y = labels.astype(np.float64)
    counts = {label: int((labels == label).sum()) for label in (LIKED, DISLIKED)}
    sample_weight = np.array([len(labels) / (2.0 * counts[int(label)]) for label in labels]) * c
    design = np.hstack([features, np.ones((len(labels), 1))])
    theta = np.zeros(design.shape[1])
    penalty = np.ones(design.shape[1])
    penalty[-1] = 0.0  # the bias is not regularised
    for _ in range(iterations):
        margin = y * (design @ theta)
        prob = 1.0 / (1.0 + np.exp(np.clip(margin, -50, 50)))  # sigma(-margin)
        gradient = -design.T @ (sample_weight * y * prob) + penalty * theta
        curvature = sample_weight * prob * (1.0 - prob)
        hessian = design.T @ (design * curvature[:, None]) + np.diag(penalty + 1e-10)
        step = np.linalg.solve(hessian, gradient)
        theta -= step
        if np.abs(step).max() < 1e-10:
            break
    coefficients = vectors @ (theta[:-1] / np.sqrt(values))  # w = sum_j a_j x_j
    return coefficients, float(theta[-1])
