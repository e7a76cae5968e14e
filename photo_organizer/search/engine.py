"""The search engine: one facade for the command line and the GUI.

Usage (one engine per thread, like ``Library``)::

    engine = SearchEngine.open(ctx.models, ctx.library)            # no model loaded yet
    results = engine.search(SearchQuery(text="dog in the snow"))  # new search, round 0
    engine.mark(results[3].photo_id, "liked")                     # or "disliked", or None;
    engine.mark(results[7].photo_id, "disliked")                  # the first mark saves the session
    results = engine.refine()                                     # round 1, re-ranked
    engine.reset_feedback()                                       # marks gone, round 0
    results = engine.resume(session_id)                           # a saved session
    engine.save_session()                                         # save now (the command line does)

``SearchQuery`` holds text, an example ``photo_id``, an ``image_path`` (any combination), the
liked/disliked ids given with it, and a ``SearchView`` (filters by folder, date range and
album; sort by relevance or date; limit; relevance cut-off; hide rated). ``Result`` carries
photo id, path, rank, the method's score, the first-round similarity, the predicted
preference and the user's mark. ``engine.round``, ``engine.session_id`` (None until saved),
``engine.marks``, ``engine.options`` (``FeedbackOptions``: method and the open choices),
``engine.hidden`` (results under the cut-off) and ``engine.timings`` (ms per stage) describe
the last ranking. ``engine.encoder.warm_up()`` loads the text encoder ahead of the first query.

Scales, explicitly: a query of one part is scored by cosine. A query of several parts (text
and an image) is scored by the mean of each part's standardised cosines over the library,
because text-image and image-image cosines live on different scales in CLIP; feedback methods
then rescale the query column onto the rated photos' scale (``FeedbackOptions.query_scale``).

The library is scored as an in-memory float32 matrix (``index.EmbeddingIndex``), re-read
only when the stored embeddings change; rankings take the top k without a full sort.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import numpy as np

from photo_organizer.errors import ImageLoadError, LibraryError, WeightsMissingError
from photo_organizer.models.provider import ModelProvider
from photo_organizer.search.feedback import (
    DISLIKED,
    LIKED,
    LINEAR,
    NONE,
    FeedbackOptions,
    FeedbackProblem,
    Ranking,
    rerank,
)
from photo_organizer.search.index import EmbeddingIndex, top_k, unit
from photo_organizer.search.query import (
    DATE,
    LABEL_NAMES,
    LABEL_VALUES,
    Result,
    SearchQuery,
    SearchView,
    allowed_photo_ids,
    photo_rows,
)
from photo_organizer.search.query_encoding import CACHE_FILE, QueryCache, QueryEncoder
from photo_organizer.search.session import SessionStore
from photo_organizer.storage import Library


class SearchEngine:
    """Query, mark, refine, reset and resume searches over one library."""

    def __init__(self, library: Library, encoder: QueryEncoder, *, options: FeedbackOptions | None = None) -> None:
        self.library = library
        self.encoder = encoder
        self.index = EmbeddingIndex(library, encoder.model_key)
        self.sessions = SessionStore(library)
        self.options = options or FeedbackOptions()
        self.query: SearchQuery | None = None
        self.session_id: int | None = None
        self.round = 0
        self.marks: dict[int, int] = {}  # photo id -> +1 liked / -1 disliked
        self.results: list[Result] = []
        self.hidden = 0
        self.timings: dict[str, float] = {}
        self._parts: list[np.ndarray] = []  # unit vectors of the query's parts
        self._exclude: set[int] = set()  # the example photo itself is the query, not a result
        self._query_sims: tuple[int, np.ndarray, np.ndarray] | None = None  # (index generation, sims, vector)

    @classmethod
    def open(
        cls,
        models: ModelProvider,
        library: Library,
        *,
        options: FeedbackOptions | None = None,
        export_onnx: bool = False,
        notify: Callable[[str], None] | None = None,
    ) -> "SearchEngine":
        """The engine for the library's active CLIP model; the model itself loads on first need."""
        from photo_organizer.models.registry import CLIP, active_spec
        from photo_organizer.models.weights import missing_weights_message

        key = models.active_key(library, CLIP)
        if key is None:
            spec = active_spec(library, CLIP)
            if spec is None:
                raise LibraryError("Search is turned off: no CLIP model is active (`photo-organizer models use NAME`).")
            raise WeightsMissingError(missing_weights_message(spec))
        encoder = QueryEncoder(
            key,
            load_clip=lambda: models.clip(library),
            cache=QueryCache(models.home.cache_dir / CACHE_FILE),
            onnx_folder=models.home.model_exports(key),
            export_onnx=export_onnx,
            notify=notify,
        )
        return cls(library, encoder, options=options)

    # ---- the public steps --------------------------------------------------------------

    def search(self, query: SearchQuery, *, options: FeedbackOptions | None = None) -> list[Result]:
        """Start a new session; feedback given with the query (liked/disliked) applies at once."""
        self._ensure_index()
        if options is not None:
            self.options = options
        for photo_id in (*query.liked, *query.disliked):
            self._require_photo(photo_id)
        marks = {**{pid: LIKED for pid in query.liked}, **{pid: DISLIKED for pid in query.disliked}}
        self._load_query(query, marks, round_=0)
        self.session_id = None  # saved on the first mark or refine (or save_session)
        return self._rank()

    def mark(self, photo_id: int, label: str | None) -> None:
        """Mark a photo "liked" or "disliked" (None clears); saved at once, used by ``refine``."""
        self._require_query()
        if label is not None and label not in LABEL_VALUES:
            raise LibraryError(f"A mark is 'liked', 'disliked' or None, not {label!r}.")
        value = LABEL_VALUES[label] if label is not None else None
        self._require_photo(photo_id)
        with self._saved_session() as session_id:
            self.sessions.set_mark(session_id, photo_id, value, self.round)
        if value is None:
            self.marks.pop(photo_id, None)
        else:
            self.marks[photo_id] = value
            # One pass over the library now, while the user picks the next photo, so that
            # refine finds every rated photo's similarity column ready.
            self.index.similarity_columns(self.index.positions([photo_id]))

    def refine(self) -> list[Result]:
        """Next round: re-rank with every mark given so far."""
        with self._saved_session() as session_id:
            self.sessions.set_round(session_id, self.round + 1)
        self.round += 1
        return self._rank()

    def reset_feedback(self) -> list[Result]:
        """Forget this session's marks; back to the first-round ranking."""
        self._require_query()
        if self.session_id is not None:
            self.sessions.clear_marks(self.session_id)
        self.marks = {}
        self.round = 0
        return self._rank()

    def resume(self, session_id: int) -> list[Result]:
        """Reopen a saved session with its query, options, marks and round."""
        record = self.sessions.load(session_id)
        self._ensure_index()
        self.options = record.options
        self._load_query(record.query, record.marks, record.round)
        self.session_id = record.id
        return self._rank()

    def save_session(self) -> int:
        """The id of this search's saved session, saving it now if it is not yet.

        A search is saved when it gets its first mark or refine (a search nobody marks is
        not worth a database write); the command line saves every search to print its id.
        """
        if self.session_id is None:
            self.session_id = self.sessions.create(self._require_query(), self.options, self.marks, self.round)
        return self.session_id

    @contextmanager
    def _saved_session(self) -> Iterator[int]:
        """The saved session's id, for a write that lands with the session's creation or not
        at all (one transaction)."""
        unsaved = self.session_id is None
        try:
            with self.sessions.library.transaction():
                yield self.save_session()
        except BaseException:
            if unsaved:
                self.session_id = None  # its creation was rolled back too
            raise

    def set_options(self, options: FeedbackOptions) -> list[Result]:
        """Switch the feedback method or its options; re-rank the same round."""
        self._require_query()
        self.options = options
        if self.session_id is not None:
            self.sessions.set_options(self.session_id, options, self._view())
        return self._rank()

    def set_view(self, view: SearchView) -> list[Result]:
        """Change filters, sort, limit or cut-off; re-rank the same round."""
        self.query = replace(self._require_query(), view=view)
        if self.session_id is not None:
            self.sessions.set_options(self.session_id, self.options, view)
        return self._rank()

    @property
    def query_vectors(self) -> list[np.ndarray]:
        """Unit vectors of the current query's parts (text, example photo, image file)."""
        return list(self._parts)

    # ---- query encoding -----------------------------------------------------------------

    def _load_query(self, query: SearchQuery, marks: dict[int, int], round_: int) -> None:
        started = time.perf_counter()
        self._parts = self._encode_parts(query)
        self.timings = {"encode_ms": _ms(started)}
        self.query, self.marks, self.round = query, dict(marks), round_
        self._exclude = {query.photo_id} if query.photo_id is not None else set()
        self._query_sims = None

    def _encode_parts(self, query: SearchQuery) -> list[np.ndarray]:
        parts = []
        if query.text is not None:
            parts.append(unit(self.encoder.text(query.text)))
        if query.photo_id is not None:
            self._require_photo(query.photo_id)
            parts.append(self.index.vectors([query.photo_id])[0])
        if query.image_path is not None:
            parts.append(unit(self._image_file_vector(Path(query.image_path))))
        if not parts:  # "more like these": the liked photos are the query
            parts.append(unit(self.index.vectors(list(query.liked)).mean(axis=0)))
        dims = {part.shape[0] for part in parts}
        if dims != {self.index.dim}:
            raise LibraryError(
                f"The query vectors ({sorted(dims)}-d) do not fit the library's search embeddings "
                f"({self.index.dim}-d). Run `photo-organizer index`."
            )
        return parts

    def _image_file_vector(self, path: Path) -> np.ndarray:
        """A file whose content is a library photo's (same fingerprint) reuses that photo's
        stored embedding: no model, no decode. Any other file goes to the encoder."""
        stored = self._stored_vector_of(path)
        if stored is not None:
            self.encoder.last_source = "library"
            return stored
        return self.encoder.image_file(path)

    def _stored_vector_of(self, path: Path) -> np.ndarray | None:
        from photo_organizer.scanner import fingerprint

        try:
            content = fingerprint(str(path), path.stat().st_size)
        except (OSError, ImageLoadError):  # the encoder says what is wrong with the file
            return None
        if content is None:
            return None
        same = [row["id"] for row in self.library.photos_with_fingerprint(content)]
        _ids, rows = self.index.present(same)
        return self.index.matrix[rows[0]] if len(rows) else None

    def _query_similarities(self) -> tuple[np.ndarray, np.ndarray]:
        """(first-round score of every row, the combined query vector), cached per index load."""
        if self._query_sims is not None and self._query_sims[0] == self.index.generation:
            return self._query_sims[1], self._query_sims[2]
        vector = unit(np.sum(self._parts, axis=0))
        if len(self._parts) == 1:
            sims = self.index.scores(self._parts[0])
        else:
            sims = np.mean([_standardised(self.index.scores(part)) for part in self._parts], axis=0)
        sims = sims.astype(np.float32)
        self._query_sims = (self.index.generation, sims, vector)
        return sims, vector

    # ---- ranking ------------------------------------------------------------------------

    def _rank(self) -> list[Result]:
        started = time.perf_counter()
        self._ensure_index()
        view = self._view()
        candidates = self._candidates(view)
        sims, vector = self._query_similarities()
        query_sims = sims if candidates is None else sims[candidates]
        scored = time.perf_counter()
        problem = self._feedback_problem(candidates, query_sims, vector)
        ranking = rerank(problem, self.options)
        ranked = time.perf_counter()
        self.results = self._results(candidates, problem, ranking, view)
        self.timings.update(
            score_ms=(scored - started) * 1000, rerank_ms=(ranked - scored) * 1000, results_ms=_ms(ranked)
        )
        return self.results

    def _candidates(self, view: SearchView) -> np.ndarray | None:
        """Row positions allowed by the filters (None: every row), the example photo left out."""
        allowed = allowed_photo_ids(self.library, view.filters)
        if allowed is None and not self._exclude:
            return None
        ids = self.index.ids if allowed is None else allowed
        if self._exclude:
            ids = ids[~np.isin(ids, list(self._exclude))]
        return self.index.present(ids)[1]

    def _feedback_problem(self, candidates: np.ndarray | None, query_sims: np.ndarray, vector: np.ndarray) -> FeedbackProblem:
        """Similarities of the candidates to every rated photo (rated anywhere in the library)."""
        rated_ids, rated_rows = self.index.present(list(self.marks))
        labels = np.array([self.marks[int(pid)] for pid in rated_ids], dtype=np.int64)
        problem = FeedbackProblem(
            query_sims=query_sims,
            rated_sims=np.zeros((len(query_sims), 0), dtype=np.float32),
            labels=labels,
            rated_positions=_positions_within(rated_rows, candidates),
        )
        if self.options.method == NONE or len(labels) == 0:
            return problem
        columns = self.index.similarity_columns(rated_rows)
        problem.rated_sims = columns if candidates is None else columns[candidates]
        if self.options.method == LINEAR:
            rated_vectors = self.index.matrix[rated_rows]
            problem.rated_gram = columns[rated_rows]
            problem.query_rated = rated_vectors @ vector
            if len(self._parts) == 1:
                problem.query_vector_sims = query_sims
            else:
                matrix = self.index.matrix if candidates is None else self.index.matrix[candidates]
                problem.query_vector_sims = matrix @ vector
        return problem

    def _results(self, candidates: np.ndarray | None, problem: FeedbackProblem, ranking: Ranking, view: SearchView) -> list[Result]:
        inside = problem.rated_positions >= 0
        rated_rows = problem.rated_positions[inside]
        if ranking.predicted is not None and view.cutoff_z is not None:
            visible = ranking.predicted.copy()  # the predicted-liked set, as the paper returns
        else:
            visible = _above_cutoff(ranking.score, view.cutoff_z, leave_out=rated_rows)
        visible[problem.rated_positions[inside & (problem.labels == LIKED)]] = True
        self.hidden = int((~visible).sum())  # by the cut-off
        if view.hide_rated:
            visible[rated_rows] = False
        key = np.where(visible, ranking.key, -np.inf)
        chosen = top_k(key, min(view.limit, int(visible.sum())))
        rows = chosen if candidates is None else candidates[chosen]
        photo_ids = self.index.ids[rows].tolist()
        details = photo_rows(self.library, photo_ids)
        results = [
            Result(
                photo_id=pid,
                path=details.get(pid, {}).get("path", ""),
                rank=rank,
                score=float(ranking.score[position]),
                similarity=float(problem.query_sims[position]),
                predicted=None if ranking.predicted is None else LABEL_NAMES[LIKED if ranking.predicted[position] else DISLIKED],
                mark=LABEL_NAMES.get(self.marks.get(pid, 0)),
                date=details.get(pid, {}).get("date"),
            )
            for rank, (pid, position) in enumerate(zip(photo_ids, chosen.tolist()), start=1)
        ]
        if view.sort == DATE:  # newest first among the most relevant; undated last
            results.sort(key=lambda r: (r.date is not None, r.date or ""), reverse=True)
        return results

    # ---- helpers ------------------------------------------------------------------------

    def _view(self) -> SearchView:
        return self.query.view if self.query is not None else SearchView()

    def _ensure_index(self) -> None:
        self.index.refresh()
        if len(self.index) == 0:
            raise LibraryError(
                "No photo has a search embedding yet. Add a folder and run `photo-organizer index` first."
            )

    def _require_query(self) -> SearchQuery:
        if self.query is None:
            raise LibraryError("There is no search yet: run a search first.")
        return self.query

    def _require_photo(self, photo_id: int) -> None:
        self.index.positions([photo_id])


def _positions_within(rows: np.ndarray, candidates: np.ndarray | None) -> np.ndarray:
    """Each row's position among the (ascending) candidate rows, -1 where it is not one."""
    if candidates is None:
        return rows.astype(np.int64)
    if len(candidates) == 0:
        return np.full(len(rows), -1, dtype=np.int64)
    found = np.minimum(np.searchsorted(candidates, rows), len(candidates) - 1)
    return np.where(candidates[found] == rows, found, -1).astype(np.int64)


def _standardised(values: np.ndarray) -> np.ndarray:
    spread = float(values.std())
    return (values - float(values.mean())) / (spread if spread > 0 else 1.0)


def _above_cutoff(score: np.ndarray, cutoff_z: float | None, leave_out: np.ndarray) -> np.ndarray:
    """True where the score is at least ``cutoff_z`` standard deviations above the mean.

    The statistics leave out the rated photos: they sit at the extremes by construction
    (a liked photo is its own nearest liked neighbour) and would stretch the spread.
    """
    if cutoff_z is None or score.shape[0] < 3:
        return np.ones(score.shape[0], dtype=bool)
    counted = np.isfinite(score)
    counted[leave_out] = False
    if counted.sum() < 3:
        return np.ones(score.shape[0], dtype=bool)
    mean, spread = float(score[counted].mean()), float(score[counted].std())
    if spread == 0.0:
        return np.ones(score.shape[0], dtype=bool)
    return score >= mean + cutoff_z * spread


def _ms(since: float) -> float:
    return (time.perf_counter() - since) * 1000
