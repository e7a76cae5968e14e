"""The relevance-feedback evaluation protocol (GUIDE section 3), on any labelled embeddings.

Every image is a query in turn. Round 0 ranks the others by cosine. In each following round
a simulated user looks at the first ``shown`` results not rated yet, marks each liked when
its label is the query's and disliked otherwise, and the method re-ranks with all marks so
far. Recall@1, Recall@5 and MAP@R are reported per round and method, twice:

* ``kept``: rated images stay in the ranking (what the user sees; liked ones float up);
* ``removed``: rated images are taken out of the ranking and out of the relevant set, so
  only what feedback *found* counts.

Methods run through ``search.feedback.rerank``, the code the app runs. The embedding of a
labelled folder (``embed_folder_job``) is cached in the data home by model key and files.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from photo_organizer.errors import ImageLoadError
from photo_organizer.evaluation.retrieval_metrics import mean_metrics, query_metrics
from photo_organizer.progress import Job, Progress, RateMeter
from photo_organizer.search.feedback import (
    DISLIKED,
    LIKED,
    FeedbackOptionError,
    FeedbackOptions,
    FeedbackProblem,
    rerank,
)

KEPT = "kept"
REMOVED = "removed"
METRICS = ("R@1", "R@5", "MAP@R")

PRESETS: dict[str, FeedbackOptions] = {
    "none": FeedbackOptions(method="none"),
    "nn1": FeedbackOptions(),  # the app's default: order by distance ratio, query positive, scale match
    "nn1-margin": FeedbackOptions(order="margin"),
    "nn1-lexicographic": FeedbackOptions(order="lexicographic"),
    "nn1-no-query": FeedbackOptions(query_positive=False),
    "nn1-raw-scale": FeedbackOptions(query_scale="raw"),
    "rocchio": FeedbackOptions(method="rocchio"),
    "linear": FeedbackOptions(method="linear"),
}
DEFAULT_METHODS = ("none", "nn1", "nn1-margin", "nn1-lexicographic", "nn1-no-query", "rocchio", "linear")


@dataclass
class FeedbackEvaluation:
    images: int
    classes: int
    shown: int
    rounds: int
    methods: dict[str, dict[str, Any]]  # name -> FeedbackOptions as a dict
    # scores[method][mode][round] = {"R@1", "R@5", "MAP@R", "queries"}
    scores: dict[str, dict[str, list[dict[str, float]]]] = field(default_factory=dict)
    unreadable: list[tuple[str, str]] = field(default_factory=list)
    model_key: str | None = None
    query_kind: str = "image"  # image queries (every image in turn) or text queries

    def to_dict(self) -> dict[str, Any]:
        return {
            "images": self.images,
            "classes": self.classes,
            "shown": self.shown,
            "rounds": self.rounds,
            "model_key": self.model_key,
            "query_kind": self.query_kind,
            "methods": self.methods,
            "scores": self.scores,
            "unreadable": [{"path": path, "reason": reason} for path, reason in self.unreadable],
        }


def evaluate_feedback_job(
    embeddings: np.ndarray,
    labels: np.ndarray,
    methods: dict[str, FeedbackOptions],
    *,
    shown: int = 10,
    rounds: int = 3,
    queries: np.ndarray | None = None,
    text_queries: tuple[np.ndarray, np.ndarray] | None = None,
) -> Job[FeedbackEvaluation]:
    """Run the protocol for each method.

    Queries are the images at ``queries`` (default: every image), or, with ``text_queries``
    = (unit text vectors, their labels), those texts (e.g. "a photo of a {class}"), which
    puts the text-versus-image scale question to the test.
    """
    similarity = _Similarity(np.ascontiguousarray(embeddings, dtype=np.float32))
    labels = np.asarray(labels)
    if text_queries is not None:
        query_list = [(np.asarray(vector, np.float32), int(label), -1) for vector, label in zip(*text_queries)]
    else:
        rows = np.arange(len(labels)) if queries is None else np.asarray(queries)
        query_list = [(similarity.vectors[row], int(labels[row]), int(row)) for row in rows]
    per_query: dict[str, dict[str, list[list[dict[str, float]]]]] = {
        name: {mode: [[] for _ in range(rounds + 1)] for mode in (KEPT, REMOVED)} for name in methods
    }
    meter = RateMeter(len(query_list))
    for done, (vector, label, row) in enumerate(query_list):
        query_sims = similarity.column(vector, row)
        for name, options in methods.items():
            outcome = simulate_query(similarity, labels, query_sims, vector, label, row, options, shown, rounds)
            for round_, mode_scores in enumerate(outcome):
                for mode, scores in mode_scores.items():
                    if scores is not None:
                        per_query[name][mode][round_].append(scores)
        if done % 20 == 0 or done + 1 == len(query_list):
            yield Progress("feedback", done + 1, len(query_list), rate=meter.rate(done + 1))
    return FeedbackEvaluation(
        images=len(labels),
        classes=len(np.unique(labels)),
        shown=shown,
        rounds=rounds,
        methods={name: options.to_dict() for name, options in methods.items()},
        scores={
            name: {mode: [mean_metrics(scores) for scores in by_round] for mode, by_round in modes.items()}
            for name, modes in per_query.items()
        },
        query_kind="text" if text_queries is not None else "image",
    )


class _Similarity:
    """Cosines between database images: one precomputed matrix when it fits, else on demand."""

    PRECOMPUTE_LIMIT = 8192  # 8192^2 float32 = 256 MB

    def __init__(self, vectors: np.ndarray) -> None:
        self.vectors = vectors
        self.matrix = vectors @ vectors.T if len(vectors) <= self.PRECOMPUTE_LIMIT else None

    def column(self, vector: np.ndarray, row: int) -> np.ndarray:
        if self.matrix is not None and row >= 0:
            return self.matrix[:, row]
        return self.vectors @ vector

    def columns(self, rows: np.ndarray) -> np.ndarray:
        if self.matrix is not None:
            return self.matrix[:, rows]
        return self.vectors @ self.vectors[rows].T


def simulate_query(
    similarity: _Similarity,
    labels: np.ndarray,
    query_sims: np.ndarray,
    query_vector: np.ndarray,
    query_label: int,
    query_row: int,
    options: FeedbackOptions,
    shown: int,
    rounds: int,
) -> list[dict[str, dict[str, float] | None]]:
    """Metrics of rounds 0..rounds for one query and one method (kept and removed).

    ``query_row`` is the query's own row in the database (left out of every ranking), or -1
    for a text query.
    """
    relevant = labels == query_label
    if query_row >= 0:
        relevant[query_row] = False
    rated_mask = np.zeros(len(labels), dtype=bool)
    marks: dict[int, int] = {}
    order = _ranking_order(query_sims, query_row)
    outcome = [_round_metrics(order, relevant, rated_mask)]
    for _ in range(rounds):
        newly_shown = order[~rated_mask[order]][:shown]
        if len(newly_shown) == 0:
            break
        for item in newly_shown.tolist():
            marks[item] = LIKED if relevant[item] else DISLIKED
        rated_mask[newly_shown] = True
        rated = np.fromiter(marks, dtype=np.int64)
        rated_sims = similarity.columns(rated)
        problem = FeedbackProblem(
            query_sims=query_sims,
            rated_sims=rated_sims,
            labels=np.fromiter(marks.values(), dtype=np.int64),
            rated_gram=rated_sims[rated],
            query_vector_sims=query_sims,
            query_rated=query_sims[rated],
            rated_positions=rated,
        )
        order = _ranking_order(rerank(problem, options).key, query_row)
        outcome.append(_round_metrics(order, relevant, rated_mask))
    return outcome


def _ranking_order(key: np.ndarray, query_row: int) -> np.ndarray:
    """Every row but the query's own, best first (stable: ties keep database order)."""
    order = np.argsort(-key.astype(np.float64), kind="stable")
    return order[order != query_row] if query_row >= 0 else order


def _round_metrics(order: np.ndarray, relevant: np.ndarray, rated: np.ndarray) -> dict[str, dict[str, float] | None]:
    kept = query_metrics(relevant[order], int(relevant.sum()))
    unrated_order = order[~rated[order]]
    removed = query_metrics(relevant[unrated_order], int((relevant & ~rated).sum()))
    return {KEPT: kept, REMOVED: removed}


def format_report(evaluation: FeedbackEvaluation) -> str:
    """Rounds as rows, methods side by side, one table per mode."""
    names = list(evaluation.scores)
    width = max(12, *(len(name) for name in names))
    lines = [
        f"{evaluation.images} images, {evaluation.classes} classes, {evaluation.query_kind} queries; "
        f"the simulated user marks the top {evaluation.shown} unrated results per round."
    ]
    for mode, meaning in ((KEPT, "rated images kept in the ranking"), (REMOVED, "rated images removed")):
        lines += ["", f"== {mode}: {meaning} =="]
        for metric in METRICS:
            lines.append(f"{metric:<7}" + "".join(f"{name:>{width + 1}}" for name in names))
            for round_ in range(evaluation.rounds + 1):
                cells = []
                for name in names:
                    rounds = evaluation.scores[name][mode]
                    value = rounds[round_].get(metric) if round_ < len(rounds) else None
                    cells.append(f"{value:>{width + 1}.3f}" if value is not None else f"{'-':>{width + 1}}")
                lines.append(f"round {round_}" + "".join(cells))
    if evaluation.unreadable:
        lines += ["", f"{len(evaluation.unreadable)} image(s) could not be read and were left out."]
    return "\n".join(lines)


# ---- embedding a labelled folder ------------------------------------------------------------


def folder_cache_key(model_key: str, paths: list[Path]) -> str:
    """Digest of the model and of every file's path, size and modification time."""
    digest = hashlib.sha256(model_key.encode("utf-8"))
    for path in paths:
        stat = path.stat()
        digest.update(f"\0{path}\0{stat.st_size}\0{stat.st_mtime_ns}".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()[:24]


def embed_folder_job(
    paths: list[Path], model_key: str, load_encoder: Callable[[], Any], cache_dir: Path | None, batch_size: int = 16
) -> Job[tuple[np.ndarray, np.ndarray, list[tuple[str, str]]]]:
    """(unit vectors of the readable images, their indices in ``paths``, unreadable files).

    The model is loaded (``load_encoder``) only when the folder is not in the cache yet.
    """
    cache_file = cache_dir / f"feedback-{folder_cache_key(model_key, paths)}.npz" if cache_dir else None
    if cache_file is not None and cache_file.exists():
        stored = np.load(cache_file, allow_pickle=False)
        unreadable = [tuple(item) for item in stored["unreadable"].tolist()]
        return stored["vectors"], stored["kept"], unreadable
    from photo_organizer.itae_calibration import preprocessed_batches

    encoder = load_encoder()

    text_paths = [str(path) for path in paths]
    vectors, kept, unreadable = [], [], []
    meter = RateMeter(len(paths))
    yield Progress("embed", 0, len(paths))
    for indices, failed, batch in preprocessed_batches(text_paths, encoder.preprocess, encoder.input_size, batch_size):
        unreadable += [(text_paths[index], reason) for index, reason in failed]
        if batch is not None:
            vectors.append(encoder.encode_images(batch))
            kept += indices
        done = len(kept) + len(unreadable)
        yield Progress("embed", done, len(paths), rate=meter.rate(done))
    if not kept:
        raise ImageLoadError("None of the images could be read.")
    matrix = np.concatenate(vectors).astype(np.float32)
    kept_array = np.asarray(kept, dtype=np.int64)
    if cache_file is not None:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        np.savez(cache_file, vectors=matrix, kept=kept_array, unreadable=np.array(unreadable, dtype=str).reshape(-1, 2))
    return matrix, kept_array, unreadable


def methods_from_names(names: list[str]) -> dict[str, FeedbackOptions]:
    """The preset methods named (``PRESETS``), in the order given."""
    chosen = {}
    for name in names:
        if name not in PRESETS:
            raise FeedbackOptionError(f"Unknown method {name!r}; choose from {', '.join(PRESETS)}.")
        chosen[name] = PRESETS[name]
    return chosen
