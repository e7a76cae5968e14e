"""How good is a taught album? ``eval feedback``'s labelled-folder protocol, kept as an album.

A third of each class (at random) is held out as photos that "arrive later"; the rest is the
library when the album is taught. Each query image of the library in turn starts a search;
in each round a simulated user marks the first ``shown`` unrated results (liked when the
label is the query's, disliked otherwise), as in ``evaluation.feedback``. After round r the
album is what the predictor calls liked (``taught.predictor``, the code the app runs):

Members are the predictor's liked photos above its similarity cut-off (``taught.predictor.judge``).

* ``precision``: share of the album's members of the query's class, among the photos the
  user did not rate (the query photo and the marked ones are left out);
* ``recall``: share of the query's class in the library (unrated) that is in the album;
* ``later_recall`` / ``later_precision``: the held-out photos arrive; those the predictor
  now likes join (as at index time); the share of the class's later photos that joined, and
  the share of joiners of the class.

Two methods: ``nn1`` (the taught album: the 1-NN predictor with the app's default options)
and ``none`` (no feedback: the search's relevance cut-off, score >= mean + z * std over the
library, as the results grid shows; later photos join above the same score).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from photo_organizer.albums.clustering import normalise_rows
from photo_organizer.progress import Job, Progress, RateMeter
from photo_organizer.search.feedback import DISLIKED, LIKED, FeedbackOptions
from photo_organizer.search.query import DEFAULT_CUTOFF_Z
from photo_organizer.taught.predictor import judge

METHODS = ("none", "nn1")
MEASURES = ("precision", "recall", "album_size", "later_recall", "later_precision")
LATER_SHARE = 1 / 3


@dataclass
class TaughtEvaluation:
    images: int
    classes: int
    later: int
    shown: int
    rounds: int
    queries: int
    # scores[method][round - 1][measure], means over queries
    scores: dict[str, list[dict[str, float]]] = field(default_factory=dict)
    model_key: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "images": self.images,
            "classes": self.classes,
            "later": self.later,
            "shown": self.shown,
            "rounds": self.rounds,
            "queries": self.queries,
            "model_key": self.model_key,
            "scores": {  # nan (a measure without any defined case) as null: strict JSON
                method: [{m: (None if np.isnan(v) else v) for m, v in cells.items()} for cells in rounds]
                for method, rounds in self.scores.items()
            },
        }


def split_later(labels: np.ndarray, rng: np.random.Generator, share: float = LATER_SHARE) -> np.ndarray:
    """True for the photos that arrive later: ``share`` of each class (at least one of a class of two)."""
    later = np.zeros(len(labels), dtype=bool)
    for label in np.unique(labels):
        rows = np.flatnonzero(labels == label)
        count = int(round(len(rows) * share)) if len(rows) > 1 else 0
        later[rng.choice(rows, count, replace=False)] = True
    return later


def evaluate_taught_job(
    embeddings: np.ndarray,
    labels: np.ndarray,
    *,
    shown: int = 10,
    rounds: int = 3,
    queries: int | None = None,
    rng: np.random.Generator | None = None,
) -> Job[TaughtEvaluation]:
    rng = rng or np.random.default_rng(0)
    labels = np.asarray(labels)
    later = split_later(labels, rng)
    present_rows = np.flatnonzero(~later)
    order = np.concatenate([present_rows, np.flatnonzero(later)])  # the library, then the newcomers
    vectors, labels = normalise_rows(embeddings)[order], labels[order]
    present = len(present_rows)
    query_rows = np.arange(present)
    if queries is not None and queries < present:
        query_rows = np.sort(rng.choice(present, queries, replace=False))
    per_query: dict[str, list[list[dict[str, float]]]] = {m: [[] for _ in range(rounds)] for m in METHODS}
    meter = RateMeter(len(query_rows))
    for done, row in enumerate(query_rows.tolist(), start=1):
        for method, outcome in simulate_album(vectors, labels, present, row, shown, rounds).items():
            for round_, scores in enumerate(outcome):
                per_query[method][round_].append(scores)
        if done % 20 == 0 or done == len(query_rows):
            yield Progress("taught albums", done, len(query_rows), rate=meter.rate(done))
    return TaughtEvaluation(
        images=len(labels),
        classes=len(np.unique(labels)),
        later=len(labels) - present,
        shown=shown,
        rounds=rounds,
        queries=len(query_rows),
        scores={m: [_means(scores) for scores in by_round] for m, by_round in per_query.items()},
    )


def simulate_album(
    vectors: np.ndarray, labels: np.ndarray, present: int, query_row: int, shown: int, rounds: int
) -> dict[str, list[dict[str, float]]]:
    """Scores per round of both methods for one query (rows >= ``present`` arrive later)."""
    library = vectors[:present]
    relevant = labels == labels[query_row]
    relevant[query_row] = False
    parts = vectors[query_row][None, :]
    options = FeedbackOptions()
    marks: dict[int, int] = {}
    key = library @ parts[0]
    baseline = _cutoff_album(key, vectors @ parts[0])
    outcome: dict[str, list[dict[str, float]]] = {"none": [], "nn1": []}
    for _ in range(rounds):
        ranked = [r for r in np.argsort(-key, kind="stable").tolist() if r != query_row and r not in marks]
        for item in ranked[:shown]:
            marks[item] = LIKED if relevant[item] else DISLIKED
        rated = np.fromiter(marks, dtype=np.int64)
        labels_now = np.fromiter(marks.values(), dtype=np.int64)
        ranking, members = judge(library, parts, rated, labels_now, options)
        key = ranking.key
        album = np.concatenate([members, judge(vectors, parts, rated, labels_now, options)[1][present:]])
        unrated = np.ones(len(vectors), dtype=bool)
        unrated[rated] = unrated[query_row] = False
        outcome["nn1"].append(_album_scores(album, relevant, present, unrated))
        outcome["none"].append(_album_scores(baseline, relevant, present, unrated))
    return outcome


def _cutoff_album(library_scores: np.ndarray, all_scores: np.ndarray) -> np.ndarray:
    threshold = float(library_scores.mean() + DEFAULT_CUTOFF_Z * library_scores.std())
    return all_scores >= threshold


def _album_scores(album: np.ndarray, relevant: np.ndarray, present: int, unrated: np.ndarray) -> dict[str, float]:
    """Library precision and recall count only photos the user did not rate (what the album
    found by itself); the album size counts every member."""
    size = float(album[:present].sum())
    album, relevant = album & unrated, relevant & unrated
    now, arriving = album[:present], album[present:]
    relevant_now, relevant_later = relevant[:present], relevant[present:]
    return {
        "precision": _share(now & relevant_now, now),
        "recall": _share(now & relevant_now, relevant_now),
        "album_size": size,
        "later_recall": _share(arriving & relevant_later, relevant_later),
        "later_precision": _share(arriving & relevant_later, arriving),
    }


def _share(part: np.ndarray, whole: np.ndarray) -> float:
    return float(part.sum() / whole.sum()) if whole.sum() else float("nan")


def _means(scores: list[dict[str, float]]) -> dict[str, float]:
    """Mean of each measure over the queries where it is defined (nan where it never is)."""
    means = {}
    for measure in MEASURES:
        values = np.array([s[measure] for s in scores], dtype=np.float64)
        defined = values[~np.isnan(values)]
        means[measure] = float(defined.mean()) if len(defined) else float("nan")
    return means


def format_report(evaluation: TaughtEvaluation) -> str:
    lines = [
        f"{evaluation.images} images, {evaluation.classes} classes, {evaluation.later} arriving later; "
        f"{evaluation.queries} queries, the user marks {evaluation.shown} results per round.",
        f"{'round':<7}{'method':<8}" + "".join(f"{m:>17}" for m in MEASURES),
    ]
    for round_ in range(evaluation.rounds):
        for method in METHODS:
            cells = evaluation.scores[method][round_]
            lines.append(f"{round_ + 1:<7}{method:<8}" + "".join(f"{cells[m]:>17.3f}" for m in MEASURES))
    return "\n".join(lines)
