"""Taught albums (``albums.kind = 'taught'``): their query, options and examples; their meaning
is described in ``photo_organizer.taught.store``, which turns these rows into objects.

``taught_albums``: album_id, session_id, query_text, query_photo_id, query_image_path,
query_vectors (float32 blob of ``dim`` columns), options (JSON), model_key, seen_rowid (the
largest embeddings rowid the album has judged), created_at. ``taught_examples``: (album_id,
photo_id, label +1 / -1, added_at). Members are ``album_members`` rows.
"""

from __future__ import annotations

import json
import time
from typing import Any

import numpy as np

from photo_organizer.storage.albums import KIND_TAUGHT
from photo_organizer.storage.database import OK, Database


class TaughtAlbumsStore(Database):
    def taught_album_ids(self) -> list[int]:
        return [int(r["id"]) for r in self.query("SELECT id FROM albums WHERE kind = ? ORDER BY id", [KIND_TAUGHT])]

    def is_taught_album(self, album_id: int) -> bool:
        return bool(self.query("SELECT 1 FROM albums WHERE id = ? AND kind = ?", [album_id, KIND_TAUGHT]))

    def taught_album_row(self, album_id: int) -> dict[str, Any] | None:
        """The taught_albums row with the album's name; None for another album."""
        rows = self.query(
            "SELECT t.*, a.name FROM taught_albums t JOIN albums a ON a.id = t.album_id WHERE t.album_id = ?", [album_id]
        )
        return rows[0] if rows else None

    def taught_examples(self, album_id: int) -> dict[int, int]:
        """photo id -> +1 (liked) / -1 (disliked)."""
        rows = self.query("SELECT photo_id, label FROM taught_examples WHERE album_id = ?", [album_id])
        return {int(r["photo_id"]): int(r["label"]) for r in rows}

    def create_taught_album(self, name: str, row: dict[str, Any], examples: dict[int, int]) -> int:
        """A new, empty taught album (``row``: the taught_albums columns but album_id)."""
        now = time.time()
        with self.transaction():
            album_id = self.allocate_album_id()  # type: ignore[attr-defined]
            self.db["albums"].insert(
                {"id": album_id, "name": name, "auto_name": None, "hidden": 0, "model_key": row["model_key"],
                 "centroid": None, "cover_photo_ids": "[]", "size": 0, "created_at": now, "updated_at": now,
                 "kind": KIND_TAUGHT}
            )
            self.db["taught_albums"].insert({**row, "album_id": album_id, "seen_rowid": 0, "created_at": now})
            self.put_taught_examples(album_id, examples)
        return album_id

    def put_taught_examples(self, album_id: int, examples: dict[int, int]) -> None:
        """Add or change examples (+1 / -1)."""
        now = time.time()
        rows = ({"album_id": album_id, "photo_id": int(p), "label": int(v), "added_at": now} for p, v in examples.items())
        with self.transaction():
            self.db["taught_examples"].upsert_all(rows, pk=("album_id", "photo_id"))

    def write_taught_members(
        self, album_id: int, sources: dict[int, str], covers: list[int], seen_rowid: int | None = None
    ) -> None:
        """Replace the album's members (photo id -> source)."""
        with self.transaction():
            self.execute("DELETE FROM album_members WHERE album_id = ?", [album_id])
            self.db["album_members"].insert_all(
                {"album_id": album_id, "photo_id": pid, "strength": 1.0, "source": source} for pid, source in sources.items()
            )
            self.execute(
                "UPDATE albums SET size = ?, cover_photo_ids = ?, updated_at = ? WHERE id = ?",
                [len(sources), json.dumps(covers), time.time(), album_id],
            )
            if seen_rowid is not None:
                self.execute("UPDATE taught_albums SET seen_rowid = ? WHERE album_id = ?", [seen_rowid, album_id])

    def embedding_rowids(self, model_key: str) -> tuple[np.ndarray, np.ndarray]:
        """(photo ids, embeddings rowids) of the live photos' features under ``model_key``."""
        rows = self.query(
            "SELECT e.photo_id, e.rowid AS r FROM embeddings e JOIN photos p ON p.id = e.photo_id "
            "WHERE e.model_key = ? AND p.state = ? ORDER BY e.photo_id",
            [model_key, OK],
        )
        return np.array([r["photo_id"] for r in rows], dtype=np.int64), np.array([r["r"] for r in rows], dtype=np.int64)

    def count_photos_to_teach(self) -> int:
        """Live photos' features newer than what each taught album has judged, summed."""
        return int(
            self.query(
                "SELECT COUNT(*) AS n FROM taught_albums t JOIN embeddings e ON e.model_key = t.model_key "
                "AND e.rowid > t.seen_rowid JOIN photos p ON p.id = e.photo_id WHERE p.state = ?",
                [OK],
            )[0]["n"]
        )
