"""The ``search_sessions`` and ``feedback`` tables: saved searches and the user's marks."""

from __future__ import annotations

import time
from typing import Any

from photo_organizer.errors import LibraryError
from photo_organizer.storage.database import OK, Database, iter_chunks, marks


class SearchSessionsStore(Database):
    def add_search_session(self, row: dict[str, Any], marks: dict[int, int], round_: int, keep: int) -> int:
        """A new session with its marks; sessions beyond the ``keep`` newest are forgotten."""
        now = time.time()
        with self.transaction():
            session_id = int(self.db["search_sessions"].insert({**row, "round": round_, "created_at": now, "updated_at": now}).last_pk)
            for photo_id, label in marks.items():
                self._write_mark(session_id, photo_id, label, round_, now)
            old = "SELECT id FROM search_sessions ORDER BY updated_at DESC, id DESC LIMIT -1 OFFSET ?"
            self.execute(f"DELETE FROM feedback WHERE session_id IN ({old})", [keep])
            self.execute(f"DELETE FROM search_sessions WHERE id IN ({old})", [keep])
        return session_id

    def search_session_row(self, session_id: int) -> dict[str, Any] | None:
        rows = self.query("SELECT * FROM search_sessions WHERE id = ?", [session_id])
        return rows[0] if rows else None

    def session_marks(self, session_id: int) -> dict[int, int]:
        rows = self.query("SELECT photo_id, label FROM feedback WHERE session_id = ?", [session_id])
        return {r["photo_id"]: r["label"] for r in rows}

    def set_session_mark(self, session_id: int, photo_id: int, label: int | None, round_: int) -> None:
        """Record +1 / -1 for a photo, or clear its mark (None), and touch the session."""
        now = time.time()
        with self.transaction():
            if label is None:
                self.execute("DELETE FROM feedback WHERE session_id = ? AND photo_id = ?", [session_id, photo_id])
            else:
                self._write_mark(session_id, photo_id, label, round_, now)
            self._touch_session(session_id, now)

    def clear_session_marks(self, session_id: int) -> None:
        with self.transaction():
            self.execute("DELETE FROM feedback WHERE session_id = ?", [session_id])
            self.execute("UPDATE search_sessions SET round = 0 WHERE id = ?", [session_id])
            self._touch_session(session_id, time.time())

    def set_session_round(self, session_id: int, round_: int) -> None:
        with self.transaction():
            self.execute("UPDATE search_sessions SET round = ? WHERE id = ?", [round_, session_id])
            self._touch_session(session_id, time.time())

    def set_session_options(self, session_id: int, method: str, options_json: str) -> None:
        with self.transaction():
            self.execute("UPDATE search_sessions SET method = ?, options = ? WHERE id = ?", [method, options_json, session_id])
            self._touch_session(session_id, time.time())

    def recent_search_sessions(self, limit: int) -> list[dict[str, Any]]:
        """Newest sessions first, with their mark counts."""
        return self.query(
            "SELECT s.id, s.query_text, s.query_photo_id, s.query_image_path, s.method, s.round, s.updated_at, "
            "SUM(f.label > 0) AS liked, SUM(f.label < 0) AS disliked "
            "FROM search_sessions s LEFT JOIN feedback f ON f.session_id = s.id "
            "GROUP BY s.id ORDER BY s.updated_at DESC, s.id DESC LIMIT ?",
            [limit],
        )

    def liked_photo_ids(self) -> list[int]:
        """Live photos liked in any session, most recently liked first."""
        rows = self.execute(
            "SELECT f.photo_id FROM feedback f JOIN photos p ON p.id = f.photo_id "
            "WHERE f.label > 0 AND p.state = ? GROUP BY f.photo_id ORDER BY MAX(f.created_at) DESC",
            [OK],
        )
        return [r[0] for r in rows.fetchall()]

    def forget_searches_of(self, photo_ids: list[int], folder: str) -> int:
        """Delete the searches (query text, marks) that used these photos as example or marks,
        or an example file inside ``folder``: nothing of a forgotten folder stays behind."""
        doomed: set[int] = set()
        prefix = folder.rstrip("/") + "/"
        rows = self.query("SELECT id FROM search_sessions WHERE substr(query_image_path, 1, ?) = ?", [len(prefix), prefix])
        doomed.update(int(r["id"]) for r in rows)
        for chunk in iter_chunks(photo_ids):
            found = self.query(
                f"SELECT id FROM search_sessions WHERE query_photo_id IN ({marks(chunk)}) "
                f"UNION SELECT session_id FROM feedback WHERE photo_id IN ({marks(chunk)})",
                [*chunk, *chunk],
            )
            doomed.update(int(r["id"]) for r in found)
        self._delete_sessions(sorted(doomed))
        return len(doomed)

    def clear_search_history(self) -> int:
        """Forget every saved search with its query text and marks. Returns how many went."""
        ids = [int(r["id"]) for r in self.query("SELECT id FROM search_sessions")]
        self._delete_sessions(ids)
        return len(ids)

    def _delete_sessions(self, session_ids: list[int]) -> None:
        with self.transaction():
            for chunk in iter_chunks(session_ids):
                self.execute(f"DELETE FROM feedback WHERE session_id IN ({marks(chunk)})", list(chunk))
                self.execute(f"DELETE FROM search_sessions WHERE id IN ({marks(chunk)})", list(chunk))

    def _write_mark(self, session_id: int, photo_id: int, label: int, round_: int, now: float) -> None:
        if label not in (1, -1):
            raise LibraryError(f"A mark is +1 (liked) or -1 (disliked), not {label!r}.")
        if not self.query("SELECT 1 FROM photos WHERE id = ?", [photo_id]):
            raise LibraryError(f"There is no photo with id {photo_id} in the library.")
        self.execute(
            "INSERT INTO feedback (session_id, photo_id, label, round, created_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (session_id, photo_id) DO UPDATE SET label = excluded.label, round = excluded.round, "
            "created_at = excluded.created_at",
            [session_id, photo_id, label, round_, now],
        )

    def _touch_session(self, session_id: int, now: float) -> None:
        self.execute("UPDATE search_sessions SET updated_at = ? WHERE id = ?", [now, session_id])
