"""The ``embeddings`` table: float16 vectors keyed by (photo, model key).

float16 is half the size of float32 and leaves cosine ranking unchanged at the precision that
matters.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from photo_organizer.storage.database import OK, ONLINE, Database, iter_chunks, marks

EMBEDDING_DTYPE = np.float16


def encode_vector(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=EMBEDDING_DTYPE).tobytes()


def decode_vectors(blobs: Sequence[bytes]) -> np.ndarray:
    """Stack blobs into a float32 matrix (one row per blob)."""
    if not blobs:
        return np.zeros((0, 0), dtype=np.float32)
    return np.frombuffer(b"".join(blobs), dtype=EMBEDDING_DTYPE).reshape(len(blobs), -1).astype(np.float32)


_LIVE_EMBEDDINGS = (
    "SELECT e.photo_id, e.vector FROM embeddings e JOIN photos p ON p.id = e.photo_id "
    "WHERE e.model_key = ? AND p.state = ?"
)


class EmbeddingsStore(Database):
    def put_embeddings(self, model_key: str, photo_ids: Sequence[int], vectors: np.ndarray) -> None:
        now = time.time()
        rows = [
            {"photo_id": int(pid), "model_key": model_key, "vector": encode_vector(vec), "created_at": now}
            for pid, vec in zip(photo_ids, vectors)
        ]
        with self.transaction():
            self.db["embeddings"].upsert_all(rows, pk=("photo_id", "model_key"))

    def photos_missing_embedding(self, model_key: str) -> list[int]:
        rows = self.query(
            f"SELECT p.id FROM photos p WHERE p.state = ? AND p.{ONLINE} AND NOT EXISTS "
            "(SELECT 1 FROM embeddings e WHERE e.photo_id = p.id AND e.model_key = ?) ORDER BY p.id",
            [OK, model_key],
        )
        return [r["id"] for r in rows]

    def embeddings(self, model_key: str, photo_ids: Sequence[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(ids, float32 matrix) of the live photos' embeddings for ``model_key``, by photo id."""
        if photo_ids is None:
            rows = self.query(_LIVE_EMBEDDINGS + " ORDER BY e.photo_id", [model_key, OK])
        else:  # only the rows asked for: an album's members, not the whole library
            rows = []
            for chunk in iter_chunks(sorted(set(int(i) for i in photo_ids))):
                sql = _LIVE_EMBEDDINGS + f" AND e.photo_id IN ({marks(chunk)}) ORDER BY e.photo_id"
                rows += self.query(sql, [model_key, OK, *chunk])
        ids = np.array([r["photo_id"] for r in rows], dtype=np.int64)
        return ids, decode_vectors([r["vector"] for r in rows])

    def embeddings_added_after(self, model_key: str, after_rowid: int) -> tuple[np.ndarray, np.ndarray]:
        """Like ``embeddings``, only the rows written after embeddings rowid ``after_rowid``."""
        rows = self.execute(_LIVE_EMBEDDINGS + " AND e.rowid > ?", [model_key, OK, after_rowid]).fetchall()
        ids = np.array([row[0] for row in rows], dtype=np.int64)
        return ids, decode_vectors([row[1] for row in rows])

    def embeddings_signature(self) -> tuple[int, int, int]:
        """(embeddings rewritten or deleted, photo states changed, largest embeddings rowid).

        The counters are kept by triggers (schema migration 5); both queries are O(1).
        """
        counters = dict(self.execute("SELECT name, value FROM change_counters").fetchall())
        last_rowid = self.execute("SELECT MAX(rowid) FROM embeddings").fetchone()[0] or 0
        return int(counters.get("embeddings", 0)), int(counters.get("photo_states", 0)), int(last_rowid)

    def newest_embedded_photo_id(self, model_key: str) -> int | None:
        """The highest live photo id with a ``model_key`` embedding (None: none has one)."""
        rows = self.query(
            "SELECT MAX(e.photo_id) AS newest FROM embeddings e JOIN photos p ON p.id = e.photo_id "
            "WHERE e.model_key = ? AND p.state = ?",
            [model_key, OK],
        )
        return rows[0]["newest"] if rows else None

    def embedding_coverage(self) -> dict[str, int]:
        rows = self.query(
            "SELECT e.model_key, COUNT(*) AS n FROM embeddings e JOIN photos p ON p.id = e.photo_id "
            "WHERE p.state = ? GROUP BY e.model_key ORDER BY e.model_key",
            [OK],
        )
        return {r["model_key"]: r["n"] for r in rows}
