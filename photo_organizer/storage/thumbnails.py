"""The thumbnail cache: a separate SQLite file so the library database stays small.

Keyed by content fingerprint, so a moved or renamed photo keeps its thumbnail and exact
duplicates share one. JPEG bytes of about ``imaging.THUMBNAIL_SIDE`` pixels on the long side.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path

import sqlite_utils


class ThumbnailCache:
    """One per thread, like ``Library``."""

    def __init__(self, path: Path | str) -> None:
        conn = sqlite3.connect(str(path), timeout=10.0)
        self.db = sqlite_utils.Database(conn)
        if str(path) != ":memory:":
            self.db.enable_wal()
        if "thumbnails" not in self.db.table_names():
            self.db["thumbnails"].create({"fingerprint": str, "jpeg": bytes}, pk="fingerprint")

    def get(self, fingerprint: str) -> bytes | None:
        row = self.db.execute("SELECT jpeg FROM thumbnails WHERE fingerprint = ?", [fingerprint]).fetchone()
        return row[0] if row else None

    def has(self, fingerprint: str) -> bool:
        return self.db.execute("SELECT 1 FROM thumbnails WHERE fingerprint = ?", [fingerprint]).fetchone() is not None

    def put_many(self, items: Sequence[tuple[str, bytes]]) -> None:
        with self.db.conn:
            self.db.conn.executemany(
                "INSERT OR REPLACE INTO thumbnails (fingerprint, jpeg) VALUES (?, ?)", list(items)
            )

    def fingerprints(self) -> set[str]:
        return {fp for (fp,) in self.db.execute("SELECT fingerprint FROM thumbnails")}

    def delete_many(self, fingerprints: Iterable[str]) -> None:
        with self.db.conn:
            self.db.conn.executemany("DELETE FROM thumbnails WHERE fingerprint = ?", [(fp,) for fp in fingerprints])

    def prune(self, live_fingerprints: Iterable[str]) -> int:
        """Drop thumbnails no live photo uses any more. Returns how many went."""
        live = set(live_fingerprints)
        stale = [(fp,) for (fp,) in self.db.execute("SELECT fingerprint FROM thumbnails") if fp not in live]
        with self.db.conn:
            self.db.conn.executemany("DELETE FROM thumbnails WHERE fingerprint = ?", stale)
        return len(stale)

    def close(self) -> None:
        self.db.conn.close()
