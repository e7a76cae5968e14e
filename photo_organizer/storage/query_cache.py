"""The query-vector cache: its own small SQLite file, ``<data home>/cache/query_vectors.db``."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import numpy as np

CACHE_LIMIT = 5000  # entries kept; the oldest used are dropped beyond it


class QueryCache:
    """Small persistent map (model key, kind, key) -> float32 vector. Safe from any thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with self._connect() as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS query_vectors (model_key TEXT, kind TEXT, key TEXT, "
                "vector BLOB, used_at REAL, PRIMARY KEY (model_key, kind, key))"
            )

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(str(self.path), timeout=5.0)
        conn.execute("PRAGMA journal_mode = WAL")
        # A cache: a remembered query lost to a power cut is computed again. Without the fsync
        # of every commit, the text encoder that runs next in a search is not slowed either
        # (ONNX Runtime took 11.6 ms instead of 7.3 right after an fsync, measured).
        conn.execute("PRAGMA synchronous = NORMAL")
        return conn

    def get(self, model_key: str, kind: str, key: str) -> np.ndarray | None:
        try:
            with self._connect() as conn:
                row = conn.execute(
                    "SELECT vector FROM query_vectors WHERE model_key = ? AND kind = ? AND key = ?",
                    (model_key, kind, key),
                ).fetchone()
                if row is not None:
                    conn.execute(
                        "UPDATE query_vectors SET used_at = ? WHERE model_key = ? AND kind = ? AND key = ?",
                        (time.time(), model_key, kind, key),
                    )
        except sqlite3.Error:
            return None  # a cache that cannot be read is a cache miss
        return None if row is None else np.frombuffer(row[0], dtype=np.float32).copy()

    def clear(self) -> None:
        """Forget every remembered query (their texts are the user's search history)."""
        with self._connect() as conn:
            conn.execute("DELETE FROM query_vectors")

    def put(self, model_key: str, kind: str, key: str, vector: np.ndarray) -> None:
        blob = np.ascontiguousarray(vector, dtype=np.float32).tobytes()
        try:
            with self._connect() as conn:
                conn.execute(
                    "INSERT OR REPLACE INTO query_vectors VALUES (?, ?, ?, ?, ?)",
                    (model_key, kind, key, blob, time.time()),
                )
                if conn.execute("SELECT count(*) FROM query_vectors").fetchone()[0] > CACHE_LIMIT:
                    conn.execute(
                        "DELETE FROM query_vectors WHERE rowid IN (SELECT rowid FROM query_vectors "
                        "ORDER BY used_at DESC LIMIT -1 OFFSET ?)",
                        (CACHE_LIMIT,),
                    )
        except sqlite3.Error:
            pass  # not being able to remember a query never fails a search
