"""Search sessions in the library database (tables ``search_sessions`` and ``feedback``).

A session is one query with its view, its feedback method and options, its round counter and
the user's marks (+1 liked, -1 disliked; a cleared mark is a deleted row). Everything is
written as it happens, so a session can be resumed after the app or the command ends.
The newest ``KEEP_SESSIONS`` sessions are kept; older ones are pruned when a new one starts.
"""

from __future__ import annotations

import json
import time
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
        now = time.time()
        stored_options = {
            "feedback": options.to_dict(),
            "view": query.view.to_dict(),
            "examples": list(query.liked) if query.has_no_example() else [],
        }
        with self.library.transaction():
            session_id = int(
                self.library.db["search_sessions"]
                .insert(
                    {
                        "query_text": query.text,
                        "query_photo_id": query.photo_id,
                        "query_image_path": query.image_path,
                        "method": options.method,
                        "options": json.dumps(stored_options),
                        "round": round_,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                .last_pk
            )
            for photo_id, label in marks.items():
                self._write_mark(session_id, photo_id, label, round_, now)
            self._prune()
        return session_id

    def load(self, session_id: int) -> SessionRecord:
        rows = self.library.query("SELECT * FROM search_sessions WHERE id = ?", [session_id])
        if not rows:
            raise LibraryError(f"There is no search session {session_id}. See `photo-organizer search --sessions`.")
        row = rows[0]
        stored = json.loads(row["options"] or "{}")
        marks = {
            r["photo_id"]: r["label"]
            for r in self.library.query("SELECT photo_id, label FROM feedback WHERE session_id = ?", [session_id])
        }
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
            marks=marks,
            created_at=row["created_at"] or 0.0,
            updated_at=row["updated_at"] or 0.0,
        )

    def set_mark(self, session_id: int, photo_id: int, label: int | None, round_: int) -> None:
        """Record +1 / -1 for a photo, or clear its mark (None)."""
        now = time.time()
        with self.library.transaction():
            if label is None:
                self.library.db.execute(
                    "DELETE FROM feedback WHERE session_id = ? AND photo_id = ?", [session_id, photo_id]
                )
            else:
                self._write_mark(session_id, photo_id, label, round_, now)
            self._touch(session_id, now)

    def clear_marks(self, session_id: int) -> None:
        with self.library.transaction():
            self.library.db.execute("DELETE FROM feedback WHERE session_id = ?", [session_id])
            self.library.db.execute("UPDATE search_sessions SET round = 0 WHERE id = ?", [session_id])
            self._touch(session_id, time.time())

    def set_round(self, session_id: int, round_: int) -> None:
        with self.library.transaction():
            self.library.db.execute("UPDATE search_sessions SET round = ? WHERE id = ?", [round_, session_id])
            self._touch(session_id, time.time())

    def set_options(self, session_id: int, options: FeedbackOptions, view: SearchView) -> None:
        rows = self.library.query("SELECT options FROM search_sessions WHERE id = ?", [session_id])
        stored_dict = json.loads(rows[0]["options"] or "{}") if rows else {}
        stored = json.dumps({**stored_dict, "feedback": options.to_dict(), "view": view.to_dict()})
        with self.library.transaction():
            self.library.db.execute(
                "UPDATE search_sessions SET method = ?, options = ? WHERE id = ?", [options.method, stored, session_id]
            )
            self._touch(session_id, time.time())

    def recent(self, limit: int = 20) -> list[dict]:
        """Newest sessions first, with their mark counts (for listings)."""
        return self.library.query(
            "SELECT s.id, s.query_text, s.query_photo_id, s.query_image_path, s.method, s.round, s.updated_at, "
            "SUM(f.label > 0) AS liked, SUM(f.label < 0) AS disliked "
            "FROM search_sessions s LEFT JOIN feedback f ON f.session_id = s.id "
            "GROUP BY s.id ORDER BY s.updated_at DESC, s.id DESC LIMIT ?",
            [limit],
        )

    def _write_mark(self, session_id: int, photo_id: int, label: int, round_: int, now: float) -> None:
        if label not in (1, -1):
            raise LibraryError(f"A mark is +1 (liked) or -1 (disliked), not {label!r}.")
        if not self.library.query("SELECT 1 FROM photos WHERE id = ?", [photo_id]):
            raise LibraryError(f"There is no photo with id {photo_id} in the library.")
        self.library.db.execute(
            "INSERT INTO feedback (session_id, photo_id, label, round, created_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (session_id, photo_id) DO UPDATE SET label = excluded.label, round = excluded.round, "
            "created_at = excluded.created_at",
            [session_id, photo_id, label, round_, now],
        )

    def _touch(self, session_id: int, now: float) -> None:
        self.library.db.execute("UPDATE search_sessions SET updated_at = ? WHERE id = ?", [now, session_id])

    def _prune(self) -> None:
        old = "SELECT id FROM search_sessions ORDER BY updated_at DESC, id DESC LIMIT -1 OFFSET ?"
        self.library.db.execute(f"DELETE FROM feedback WHERE session_id IN ({old})", [KEEP_SESSIONS])
        self.library.db.execute(f"DELETE FROM search_sessions WHERE id IN ({old})", [KEEP_SESSIONS])

