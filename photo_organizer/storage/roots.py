"""The ``roots`` table: the folders the library watches."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from photo_organizer.errors import LibraryError
from photo_organizer.storage.database import OK, REMOVED, Database, path_to_db


class RootsStore(Database):
    def add_root(self, path: Path) -> int:
        resolved = path_to_db(str(Path(path).expanduser().resolve()))
        existing = self.query("SELECT id FROM roots WHERE path = ?", [resolved])
        if existing:
            return int(existing[0]["id"])
        with self.transaction():
            return int(self.db["roots"].insert({"path": resolved, "added_at": time.time()}).last_pk)

    def remove_root(self, path: Path) -> int:
        """Forget a root and its photos (the files themselves are never touched)."""
        resolved = path_to_db(str(Path(path).expanduser().resolve()))
        rows = self.query("SELECT id FROM roots WHERE path = ?", [resolved])
        if not rows:
            raise LibraryError(f"{resolved} is not a library folder. See `photo-organizer status`.")
        root_id = rows[0]["id"]
        photo_ids = [r["id"] for r in self.query("SELECT id FROM photos WHERE root_id = ?", [root_id])]
        with self.transaction():
            self.delete_photos(photo_ids)  # type: ignore[attr-defined]
            self.execute("DELETE FROM roots WHERE id = ?", [root_id])
        return len(photo_ids)

    def roots(self) -> list[dict[str, Any]]:
        return self.query("SELECT * FROM roots ORDER BY path")

    def root(self, root_id: int) -> dict[str, Any] | None:
        rows = self.query("SELECT * FROM roots WHERE id = ?", [root_id])
        return rows[0] if rows else None

    def root_for(self, path: Path) -> dict[str, Any] | None:
        text = path_to_db(str(path))
        for root in self.roots():
            if text == root["path"] or text.startswith(root["path"].rstrip("/") + "/"):
                return root
        return None

    def mark_root_scanned(self, root_id: int, when: float) -> None:
        with self.transaction():
            self.execute("UPDATE roots SET last_scan_at = ? WHERE id = ?", [when, root_id])

    def roots_with_counts(self) -> list[dict[str, Any]]:
        """Each root (id, path) with ``n``, its number of live photos, by path."""
        return self.query(  # counted in one pass over the root index (a join per root built an index each time)
            "SELECT r.id, r.path, COALESCE(c.n, 0) AS n FROM roots r LEFT JOIN "
            "(SELECT root_id, COUNT(*) AS n FROM photos WHERE state = ? GROUP BY root_id) c ON c.root_id = r.id "
            "ORDER BY r.path",
            [OK],
        )

    def photo_count_by_root(self) -> dict[int, int]:
        """root id -> number of photos not removed (pending and failed ones included)."""
        rows = self.query("SELECT root_id, COUNT(*) AS n FROM photos WHERE state != ? GROUP BY root_id", [REMOVED])
        return {r["root_id"]: r["n"] for r in rows}
