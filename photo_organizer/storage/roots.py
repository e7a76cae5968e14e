"""The ``roots`` table: the folders the library watches.

Removing a folder *detaches* its photos (``root_id`` NULL, state removed): their albums, marks,
embeddings and edits stay, invisible, and come back when the folder (or the same content
elsewhere) is added again. *Forgetting* a folder deletes them for good.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from photo_organizer.errors import LibraryError
from photo_organizer.storage.database import OK, REMOVED, Database, iter_chunks, marks, path_to_db


def _under(prefix: str) -> tuple[str, list[Any]]:
    """SQL condition (and its parameters) for a photo path inside the folder ``prefix``."""
    folder = prefix.rstrip("/") + "/"
    return "substr(path, 1, ?) = ?", [len(folder), folder]


class RootsStore(Database):
    def add_root(self, path: Path) -> int:
        """Add a folder (or return the id it has); photos of a folder removed before at this
        place are attached again, with their albums, marks and edits."""
        resolved = path_to_db(str(Path(path).expanduser().resolve()))
        existing = self.query("SELECT id FROM roots WHERE path = ?", [resolved])
        if existing:
            return int(existing[0]["id"])
        condition, params = _under(resolved)
        with self.transaction():
            root_id = int(self.db["roots"].insert({"path": resolved, "added_at": time.time()}).last_pk)
            self.execute(f"UPDATE photos SET root_id = ? WHERE root_id IS NULL AND {condition}", [root_id, *params])
        return root_id

    def _root_id(self, path: Path) -> tuple[int, str]:
        resolved = path_to_db(str(Path(path).expanduser().resolve()))
        rows = self.query("SELECT id FROM roots WHERE path = ?", [resolved]) or self.query(
            "SELECT id FROM roots WHERE path = ?", [path_to_db(str(path))]
        )
        if not rows:
            raise LibraryError(f"{resolved} is not a library folder. See `photo-organizer status`.")
        return int(rows[0]["id"]), resolved

    def remove_root(self, path: Path) -> int:
        """Stop watching a folder (the files themselves are never touched). Its photos leave
        every view but keep albums, marks and edits, to come back if the folder is added again.
        Returns how many photos left the library."""
        root_id, _ = self._root_id(path)
        with self.transaction():
            count = self.execute(
                "UPDATE photos SET root_id = NULL, state = ?, updated_at = ? WHERE root_id = ?",
                [REMOVED, time.time(), root_id],
            ).rowcount
            self.execute("DELETE FROM roots WHERE id = ?", [root_id])
        return int(count)

    def forget_root(self, path: Path) -> tuple[int, list[str]]:
        """Remove a folder and delete its photos for good: album placements, marks, edits and
        the searches that used them. Returns how many photos went, and the fingerprints whose
        thumbnails no photo needs now."""
        root_id, resolved = self._root_id(path)
        condition, params = _under(resolved)
        rows = self.query(
            f"SELECT id, fingerprint FROM photos WHERE root_id = ? OR (root_id IS NULL AND {condition})",
            [root_id, *params],
        )
        photo_ids = [int(r["id"]) for r in rows]
        with self.transaction():
            self.forget_searches_of(photo_ids, resolved)  # type: ignore[attr-defined]
            self.delete_photos(photo_ids)  # type: ignore[attr-defined]
            self.execute("DELETE FROM roots WHERE id = ?", [root_id])
        fingerprints = {r["fingerprint"] for r in rows if r["fingerprint"]}
        still_used = set(self.fingerprints_in_use())  # type: ignore[attr-defined]
        return len(photo_ids), sorted(fingerprints - still_used)

    def relocate_root(self, old: Path, new: Path) -> int:
        """The folder ``old`` is now at ``new`` (a drive mounted elsewhere, a renamed parent):
        the root and its photos' paths follow, so nothing is read again. Returns the root id."""
        root_id, old_text = self._root_id(old)
        new_text = path_to_db(str(Path(new).expanduser().resolve()))
        if self.query("SELECT 1 FROM roots WHERE path = ? AND id != ?", [new_text, root_id]):
            raise LibraryError(f"{new_text} is already a library folder.")
        old_prefix = old_text.rstrip("/") + "/"
        new_prefix = new_text.rstrip("/") + "/"
        condition, params = _under(old_text)
        with self.transaction():
            self.execute("UPDATE roots SET path = ?, offline_since = NULL, device = NULL WHERE id = ?", [new_text, root_id])
            self.execute(
                f"UPDATE photos SET path = ? || substr(path, ?) WHERE root_id = ? AND {condition}",
                [new_prefix, len(old_prefix) + 1, root_id, *params],
            )
        return root_id

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

    def mark_root_scanned(self, root_id: int, when: float, volume: tuple[int, str | None, str] | None = None) -> None:
        """The folder was walked (so it is online), on ``volume`` (device, UUID, path inside)
        when known."""
        with self.transaction():
            self.execute("UPDATE roots SET last_scan_at = ?, offline_since = NULL WHERE id = ?", [when, root_id])
            if volume is not None:
                self.execute(
                    "UPDATE roots SET device = ?, volume_uuid = COALESCE(?, volume_uuid), volume_path = ? WHERE id = ?",
                    [*volume, root_id],
                )

    def set_root_offline(self, root_id: int, since: float) -> None:
        with self.transaction():
            self.execute("UPDATE roots SET offline_since = COALESCE(offline_since, ?) WHERE id = ?", [since, root_id])

    def offline_root_ids(self) -> set[int]:
        return {int(r["id"]) for r in self.query("SELECT id FROM roots WHERE offline_since IS NOT NULL")}

    def roots_with_counts(self) -> list[dict[str, Any]]:
        """Each root (id, path, offline_since) with ``n``, its number of live photos, by path."""
        return self.query(  # counted in one pass over the root index (a join per root built an index each time)
            "SELECT r.id, r.path, r.offline_since, r.volume_uuid, r.volume_path, COALESCE(c.n, 0) AS n FROM roots r "
            "LEFT JOIN (SELECT root_id, COUNT(*) AS n FROM photos WHERE state = ? GROUP BY root_id) c "
            "ON c.root_id = r.id ORDER BY r.path",
            [OK],
        )

    def photo_count_by_root(self) -> dict[int, int]:
        """root id -> number of photos not removed (pending and failed ones included)."""
        rows = self.query("SELECT root_id, COUNT(*) AS n FROM photos WHERE state != ? GROUP BY root_id", [REMOVED])
        return {r["root_id"]: r["n"] for r in rows}

    def offline_photo_ids(self, photo_ids: list[int]) -> set[int]:
        """Those of ``photo_ids`` whose folder is offline now."""
        offline: set[int] = set()
        for chunk in iter_chunks(photo_ids):
            rows = self.execute(
                f"SELECT p.id FROM photos p JOIN roots r ON r.id = p.root_id "
                f"WHERE r.offline_since IS NOT NULL AND p.id IN ({marks(chunk)})",
                list(chunk),
            )
            offline.update(row[0] for row in rows.fetchall())
        return offline

