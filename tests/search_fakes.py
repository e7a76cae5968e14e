"""Test helpers for search: a library with hand-made embeddings and a fake text encoder.

Only for unit tests of the code around the model (the product path always uses a real model).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from photo_organizer.search.engine import SearchEngine
from photo_organizer.search.query_encoding import QueryCache, QueryEncoder
from photo_organizer.storage import OK, Library

MODEL_KEY = "clip:fake:test:224px"


def unit(*values: float) -> np.ndarray:
    vector = np.asarray(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


class FakeTextEncoder:
    """Maps known texts to given vectors; counts calls (to prove the cache answered)."""

    def __init__(self, vectors: dict[str, np.ndarray], model_key: str = MODEL_KEY) -> None:
        self.vectors = vectors
        self.model_key = model_key
        self.dim = len(next(iter(vectors.values())))
        self.calls = 0

    def encode_texts(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        return np.stack([self.vectors[text] for text in texts]).astype(np.float32)


def add_photos(
    library: Library,
    vectors: np.ndarray,
    *,
    root: str = "/photos",
    folders: Sequence[str] | None = None,
    dates: Sequence[str | None] | None = None,
    model_key: str = MODEL_KEY,
) -> list[int]:
    """Insert one live photo per vector (path root/folder/photo_i.jpg) with its embedding."""
    existing = library.query("SELECT id FROM roots WHERE path = ?", [root])
    root_id = existing[0]["id"] if existing else library.db["roots"].insert({"path": root, "added_at": time.time()}).last_pk
    start = library.query("SELECT COUNT(*) AS n FROM photos")[0]["n"]
    rows = []
    for i in range(len(vectors)):
        folder = folders[i] if folders else "all"
        rows.append(
            {
                "root_id": root_id,
                "path": f"{root}/{folder}/photo_{start + i:04d}.jpg",
                "size": 1000,
                "mtime": 1_600_000_000.0 + i,
                "taken_at": dates[i] if dates else None,
                "state": OK,
            }
        )
    with library.db.conn:
        library.db["photos"].insert_all(rows)
    ids = [r["id"] for r in library.query("SELECT id FROM photos ORDER BY id")][start:]
    library.put_embeddings(model_key, ids, vectors)
    return ids


def make_engine(library: Library, texts: dict[str, np.ndarray], cache_dir: Path | None = None) -> tuple[SearchEngine, FakeTextEncoder]:
    fake = FakeTextEncoder(texts)
    cache = QueryCache(cache_dir / "query_vectors.db") if cache_dir else None
    encoder = QueryEncoder(MODEL_KEY, load_clip=lambda: fake, cache=cache)
    return SearchEngine(library, encoder), fake
