"""The GUI's search session: the core ``SearchEngine`` behind the ``SearchHandle`` interface.

Created and used on the search thread only (the engine holds a database connection and,
after the first text query, the CLIP model). Results become ``GridContents`` with scores,
predicted preferences, the user's marks and the round; their order is the engine's.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from photo_organizer.app.types import GridContents, SearchRequest
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

        filters = SearchFilters()
        if request.scope is not None and request.scope.kind == "folder":
            filters = SearchFilters(folder=request.scope.title)
        elif request.scope is not None and request.scope.kind == "album":
            filters = SearchFilters(album_id=request.scope.key)
        elif request.scope is not None and request.scope.kind == "event":
            filters = SearchFilters(event_id=request.scope.key)
        elif request.scope is not None and request.scope.kind == "place" and request.scope.place is not None:
            filters = SearchFilters(place=next(name for name in reversed(request.scope.place) if name))
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

    def close(self) -> None:
        self._library.close()

    def _contents(self, results: list) -> GridContents:
        return GridContents(
            np.array([r.photo_id for r in results], dtype=np.int64),
            scores=np.array([r.score for r in results], dtype=np.float32),
            predicted=np.array([PREDICTED_VALUES.get(r.predicted, 0) for r in results], dtype=np.int8),
            labels=dict(self._engine.marks),
            search_round=self._engine.round,
            hidden_count=self._engine.hidden,
        )
