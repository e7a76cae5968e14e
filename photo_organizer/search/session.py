"""Search sessions in the library database (tables ``search_sessions`` and ``feedback``).

A session is one query with its view, its feedback method and options, its round counter and
the user's marks (+1 liked, -1 disliked; a cleared mark is a deleted row). Everything is
written as it happens, so a session can be resumed after the app or the command ends.
The newest ``KEEP_SESSIONS`` sessions are kept; older ones are pruned when a new one starts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from photo_organizer.errors import LibraryError
from photo_organizer.search.feedback import FeedbackOptions
from photo_organizer.search.query import SearchQuery, SearchView
from photo_organizer.storage import Library

KEEP_SESSIONS = 200


@dataclass
class SessionRecord:
    id: int
    query: SearchQuery
    options: FeedbackOptions
    round: int
    marks: dict[int, int] = field(default_factory=dict)  # photo id -> +1 / -1
    created_at: float = 0.0
    updated_at: float = 0.0


class SessionStore:
    """Reads and writes sessions through one ``Library`` (same thread as the library)."""

    def __init__(self, library: Library) -> None:
        self.library = library

    def create(self, query: SearchQuery, options: FeedbackOptions, marks: dict[int, int], round_: int = 0) -> int:
        stored_options = {
            "feedback": options.to_dict(),
            "view": query.view.to_dict(),
            "examples": list(query.liked) if query.has_no_example() else [],
        }
        row = {
            "query_text": query.text,
            "query_photo_id": query.photo_id,
            "query_image_path": query.image_path,
            "method": options.method,
            "options": json.dumps(stored_options),
        }
        return self.library.add_search_session(row, marks, round_, keep=KEEP_SESSIONS)

    def load(self, session_id: int) -> SessionRecord:
        row = self.library.search_session_row(session_id)
        if row is None:
            raise LibraryError(f"There is no search session {session_id}. See `photo-organizer search --sessions`.")
        stored = json.loads(row["options"] or "{}")
        query = SearchQuery(
            text=row["query_text"],
            photo_id=row["query_photo_id"],
            image_path=row["query_image_path"],
            liked=tuple(stored.get("examples", [])),
            view=SearchView.from_dict(stored.get("view", {})),
        )
        return SessionRecord(
            id=row["id"],
            query=query,
            options=FeedbackOptions.from_dict(stored.get("feedback", {})),
            round=row["round"] or 0,
            marks=self.library.session_marks(session_id),
            created_at=row["created_at"] or 0.0,
            updated_at=row["updated_at"] or 0.0,
        )

    def set_mark(self, session_id: int, photo_id: int, label: int | None, round_: int) -> None:
        """Record +1 / -1 for a photo, or clear its mark (None)."""
        self.library.set_session_mark(session_id, photo_id, label, round_)

    def clear_marks(self, session_id: int) -> None:
        self.library.clear_session_marks(session_id)

    def set_round(self, session_id: int, round_: int) -> None:
        self.library.set_session_round(session_id, round_)

    def set_options(self, session_id: int, options: FeedbackOptions, view: SearchView) -> None:
        row = self.library.search_session_row(session_id)
        stored_dict = json.loads(row["options"] or "{}") if row else {}
        stored = json.dumps({**stored_dict, "feedback": options.to_dict(), "view": view.to_dict()})
        self.library.set_session_options(session_id, options.method, stored)

    def recent(self, limit: int = 20) -> list[dict]:
        """Newest sessions first, with their mark counts (for listings)."""
        return self.library.recent_search_sessions(limit)
