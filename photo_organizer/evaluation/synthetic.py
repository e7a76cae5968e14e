"""Synthetic CLIP-like embeddings with class structure, for tests and benchmarks only.

Never used to answer a user: the product always embeds real photos with a real model. These
vectors reproduce the statistics that matter for ranking and feedback, so methods can be
compared and tested without weights:

* image vectors share a common direction (CLIP's features sit in a narrow cone: unrelated
  photos still have cosine about 0.4-0.5), then a class direction, a sub-mode direction
  (a class is several looks: "dog on a sofa", "dog on a beach"), and strong noise: cosines
  about 0.47 between classes and 0.54 within, first-round MAP@R about 0.5 (a hard set);
* text vectors sit across the modality gap: mostly a direction no image has, a little of
  the common one and of their class, so text-to-image cosines are about 0.2-0.3.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SyntheticSpec:
    classes: int = 10
    per_class: int = 40
    dim: int = 512
    modes_per_class: int = 3
    common: float = 1.2  # weights of the components before normalisation
    class_weight: float = 0.3
    mode_weight: float = 0.55
    noise: float = 1.1
    seed: int = 0


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    return (matrix / np.linalg.norm(matrix, axis=1, keepdims=True)).astype(np.float32)


def _directions(rng: np.random.Generator, count: int, dim: int) -> np.ndarray:
    return _unit_rows(rng.standard_normal((count, dim)))


def labelled_embeddings(spec: SyntheticSpec = SyntheticSpec()) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(unit image vectors (n, dim), class labels (n,), unit text vectors (classes, dim))."""
    rng = np.random.default_rng(spec.seed)
    common, gap = _directions(rng, 2, spec.dim)
    centres = _directions(rng, spec.classes, spec.dim)
    modes = _directions(rng, spec.classes * spec.modes_per_class, spec.dim).reshape(
        spec.classes, spec.modes_per_class, spec.dim
    )
    labels = np.repeat(np.arange(spec.classes), spec.per_class)
    mode_of = rng.integers(0, spec.modes_per_class, size=len(labels))
    noise = rng.standard_normal((len(labels), spec.dim)) / np.sqrt(spec.dim)
    images = (
        spec.common * common
        + spec.class_weight * centres[labels]
        + spec.mode_weight * modes[labels, mode_of]
        + spec.noise * noise
    )
    texts = 0.85 * gap + 0.3 * common + 0.3 * centres + 0.1 * rng.standard_normal((spec.classes, spec.dim)) / np.sqrt(spec.dim)
    return _unit_rows(images), labels.astype(np.int64), _unit_rows(texts)


def random_unit_matrix(rows: int, dim: int = 512, seed: int = 0, dtype: type = np.float32) -> np.ndarray:
    """Unstructured unit vectors, for timing only (built in chunks to bound memory)."""
    rng = np.random.default_rng(seed)
    matrix: np.ndarray = np.empty((rows, dim), dtype=dtype)
    for start in range(0, rows, 65536):
        chunk = rng.standard_normal((min(65536, rows - start), dim), dtype=np.float32)
        matrix[start : start + len(chunk)] = chunk / np.linalg.norm(chunk, axis=1, keepdims=True)
    return matrix
