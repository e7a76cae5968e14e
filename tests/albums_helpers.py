"""Test helpers for albums: synthetic features with known clusters, and photos to hang them on.

Only for unit tests of the code around the model; the product path uses real embeddings.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from photo_organizer.storage import OK, Library

DINO_KEY = "dino:fake:test:224px"
CLIP_KEY = "clip:fake:test:224px"


def clustered_features(
    sizes: Sequence[int],
    dim: int = 96,
    noise_points: int = 0,
    spread: float = 0.6,
    seed: int = 0,
    point_seed: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors around random unit centres (labels 0..k-1), plus uniform noise (label -1).

    ``spread`` is the norm of the per-point offset relative to the unit centre. The centres
    depend on ``seed`` only, so another ``point_seed`` draws new photos of the same clusters.
    """
    centres = np.random.default_rng(seed).standard_normal((len(sizes), dim))
    rng = np.random.default_rng(seed if point_seed is None else (seed, point_seed))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    labels = np.repeat(np.arange(len(sizes)), sizes)
    points = centres[labels] + spread * rng.standard_normal((len(labels), dim)) / np.sqrt(dim)
    noise = rng.standard_normal((noise_points, dim))
    features = np.vstack([points, noise]).astype(np.float32)
    features /= np.linalg.norm(features, axis=1, keepdims=True)
    return features, np.concatenate([labels, -np.ones(noise_points, dtype=np.int64)])


def add_photos(
    library: Library,
    count: int,
    *,
    root: str = "/photos",
    fingerprints: Sequence[str | None] | None = None,
    paths: Sequence[str] | None = None,
) -> list[int]:
    """Insert ``count`` live photo rows (no files) and return their ids in order."""
    existing = library.query("SELECT id FROM roots WHERE path = ?", [root])
    root_id = existing[0]["id"] if existing else library.db["roots"].insert({"path": root, "added_at": time.time()}).last_pk
    start = library.query("SELECT COUNT(*) AS n FROM photos")[0]["n"]
    ids = []
    with library.transaction():
        for i in range(count):
            row = {
                "root_id": root_id,
                "path": paths[i] if paths else f"{root}/photo_{start + i:05d}.jpg",
                "size": 1000,
                "fingerprint": fingerprints[i] if fingerprints else f"fp-{start + i}",
                "state": OK,
            }
            ids.append(int(library.db["photos"].insert(row).last_pk))
    return ids


def add_featured_photos(library: Library, features: np.ndarray, model_key: str = DINO_KEY, **kwargs) -> list[int]:
    ids = add_photos(library, len(features), **kwargs)
    library.put_embeddings(model_key, ids, features)
    return ids


def real_files(folder: Path, count: int, prefix: str = "img") -> list[str]:
    """Small distinct files standing in for photos (export only copies bytes)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = folder / f"{prefix}_{i}.jpg"
        path.write_bytes(f"photo {prefix} {i}".encode() * 10)
        paths.append(str(path))
    return paths
