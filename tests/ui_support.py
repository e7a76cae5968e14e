"""Shared helpers of the GUI tests: small libraries, fake thumbnail readers."""

from __future__ import annotations

import io
import time
from pathlib import Path

import numpy as np
from PIL import Image

from photo_organizer.context import AppContext
from photo_organizer.sample_photos import make_labelled_folder
from photo_organizer.storage import OK, Library


def jpeg_bytes(width: int = 64, height: int = 48, colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "JPEG")
    return buffer.getvalue()


class CountingReader:
    """A thumbnail reader that makes a JPEG for any id and counts what was read."""

    reads: list[int] = []

    def __init__(self, missing: set[int] | None = None) -> None:
        self.missing = missing or set()
        self.data = jpeg_bytes()

    def read(self, photo_id: int) -> bytes | None:
        CountingReader.reads.append(photo_id)
        return None if photo_id in self.missing else self.data

    def close(self) -> None:
        pass


def insert_photos(library: Library, count: int, root: str = "/photos") -> list[int]:
    """Photo rows (state ok) without files, dated one day apart, oldest first."""
    root_id = library.add_root(Path(root)) if not library.roots() else library.roots()[0]["id"]
    now = time.time()
    rows = [
        {
            "root_id": root_id,
            "path": f"{root}/img_{i:06d}.jpg",
            "fingerprint": f"fp{i}",
            "state": OK,
            "taken_at": f"2024-01-{1 + i % 28:02d}T12:{i // 28 % 60:02d}:00",
            "mtime": now,
            "size": 1000,
            "added_at": now,
            "updated_at": now,
        }
        for i in range(count)
    ]
    with library.transaction():
        library.db["photos"].insert_all(rows)
    return [r["id"] for r in library.query("SELECT id FROM photos ORDER BY id")]


def class_vectors(classes: int, per_class: int, dim: int = 32, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors in tight clusters around random class centres: (labels, vectors)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(classes, dim))
    labels = np.repeat(np.arange(classes), per_class)
    vectors = centres[labels] + 0.35 * rng.normal(size=(len(labels), dim))
    return labels, (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def indexed_library(ctx: AppContext, folder: Path, per_class: int = 2) -> None:
    """A few real generated photos, indexed (metadata and thumbnails) through the core."""
    make_labelled_folder(folder, per_class=per_class, size=(96, 72))
    index_folder(ctx, folder)


def index_folder(ctx: AppContext, folder: Path) -> None:
    """Index the photos already in ``folder`` (metadata and thumbnails) through the core."""
    from photo_organizer.indexer import index_library
    from photo_organizer.progress import drain
    from photo_organizer.thumbnails import ThumbnailCache

    ctx.library.add_root(folder)
    cache = ThumbnailCache(ctx.home.thumbnails_path)
    try:
        drain(index_library(ctx.library, cache, workers=1))
    finally:
        cache.close()
