"""The GUI's search session: the core ``SearchEngine`` behind the ``SearchHandle`` interface.

Created and used on the search thread only (the engine holds a database connection and,
after the first text query, the CLIP model). Results become ``GridContents`` with scores,
predicted preferences, the user's marks and the round; their order is the engine's.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from photo_organizer.app.types import CurationFilter, GridContents, SearchRequest
from photo_organizer.context import AppContext
from photo_organizer.errors import LibraryError

RESULT_LIMIT = 1000  # the grid scrolls; the engine's relevance cut-off hides the unrelated tail
LABEL_NAMES = {1: "liked", -1: "disliked"}
PREDICTED_VALUES = {"liked": 1, "disliked": -1}


class CoreSearchSession:
    def __init__(self, ctx: AppContext) -> None:
        from photo_organizer.search.engine import SearchEngine

        self._library = ctx.new_library_connection()
        try:
            self._engine = SearchEngine.open(ctx.models, self._library)
        except BaseException:
            self._library.close()
            raise

    def search(self, request: SearchRequest) -> GridContents:
        from photo_organizer.search.query import SearchFilters, SearchQuery, SearchView

        wanted = request.filters
        filters = SearchFilters(min_rating=wanted.min_rating, label=wanted.label, favourites=wanted.favourites or None)
        scope = request.scope
        if scope is not None and scope.kind == "folder":
            filters = replace(filters, folder=scope.title)
        elif scope is not None and scope.kind == "album":
            filters = replace(filters, album_id=scope.key)
        elif scope is not None and scope.kind == "keyword":
            filters = replace(filters, keyword=scope.title)
        elif scope is not None and scope.kind == "favourites":
            filters = replace(filters, favourites=True)
        elif scope is not None and scope.kind == "person":
            filters = replace(filters, person_id=scope.key)
        elif scope is not None and scope.kind == "event":
            filters = replace(filters, event_id=scope.key)
        elif scope is not None and scope.kind == "place" and scope.place is not None:
            filters = replace(filters, place=next(name for name in reversed(scope.place) if name))
        query = SearchQuery(
            text=request.text,
            photo_id=request.photo_id,
            image_path=request.image_path,
            view=SearchView(filters=filters, limit=RESULT_LIMIT, sort=request.sort),
        )
        return self._contents(self._engine.search(query))

    def mark(self, photo_id: int, label: int) -> None:
        self._engine.mark(photo_id, LABEL_NAMES.get(label))

    def refine(self) -> GridContents:
        return self._contents(self._engine.refine())

    def reset_feedback(self) -> GridContents:
        return self._contents(self._engine.reset_feedback())

    def set_sort(self, sort: str) -> GridContents:
        """Same results, same round, in another order (relevance, or newest first)."""
        query = self._engine.query
        if query is None:
            raise LibraryError("There is no search to sort yet.")
        view = replace(query.view, sort=sort)
        return self._contents(self._engine.set_view(view))

    def set_filters(self, wanted: CurationFilter) -> GridContents:
        """Same session and marks, results narrowed by rating, label or favourites."""
        query = self._engine.query
        if query is None:
            raise LibraryError("There is no search to filter yet.")
        filters = replace(
            query.view.filters, min_rating=wanted.min_rating, label=wanted.label, favourites=wanted.favourites or None
        )
        return self._contents(self._engine.set_view(replace(query.view, filters=filters)))

    def save_as_album(self, name: str) -> int:
        """Keep this search and its marks as a taught album that new photos join; its id."""
        from photo_organizer.taught.albums import create_from_engine

        return create_from_engine(self._library, self._engine, name)

    def show_hidden(self) -> GridContents:
        """Same round, with the less related results the cut-off hid shown after the others."""
        query = self._engine.query
        if query is None:
            raise LibraryError("There is no search yet.")
        return self._contents(self._engine.set_view(replace(query.view, cutoff_z=None)))

    def close(self) -> None:
        self._library.close()

    def _contents(self, results: list) -> GridContents:
        searched = len(results) + self._engine.hidden
        query = self._engine.query
        return GridContents(
            np.array([r.photo_id for r in results], dtype=np.int64),
            scores=np.array([r.score for r in results], dtype=np.float32),
            predicted=np.array([PREDICTED_VALUES.get(r.predicted, 0) for r in results], dtype=np.int8),
            labels=dict(self._engine.marks),
            search_round=self._engine.round,
            hidden_count=self._engine.hidden,
            relevance=relevance_by_rank([r.rank for r in results], searched),
            showing_hidden=query is not None and query.view.cutoff_z is None,
        )


def relevance_by_rank(ranks: list[int], searched: int) -> np.ndarray:
    """0..1: the share of the searched photos each result ranks above (rank 1 is 100%).

    Raw scores are not comparable between rounds (a cosine of 0.027, then a refined 13.4),
    ranks are: the same photo at the same place reads the same whatever the scoring."""
    if not ranks:
        return np.zeros(0, dtype=np.float32)
    return (1.0 - (np.asarray(ranks, dtype=np.float32) - 1.0) / max(searched, 1)).astype(np.float32)
