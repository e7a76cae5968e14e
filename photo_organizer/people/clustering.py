"""Grouping face descriptors into people: distances, the neighbour graph, chinese whispers.

Method, chosen on the measured data (``shared/data/faces``: 12 photos, 13 faces, 5 people
with 2-3 faces each and one face seen once; dlib HOG + 5-point alignment + ResNet
descriptor): the same person's faces are 0.06-0.52 apart (euclidean), different people 0.70 or
more, and the face seen once is 0.70 from its nearest. So a fixed distance cut-off separates
them, and ``DISTANCE_THRESHOLD = 0.6`` sits in that gap; it is also the operating point dlib's
descriptor was trained for (99.38% on LFW). Faces closer than it are linked, and dlib's
chinese whispers labels the graph's communities. Why not HDBSCAN (LibrePhotos' choice): it
needs a minimum cluster size and density estimates, and most people in a family library
have 2-5 faces, where HDBSCAN calls them noise; chinese whispers needs no count of people,
keeps a person seen twice, and unlike single linkage one look-alike pair does not chain two
people together (a vertex takes the label most of its neighbours hold). A group of fewer than
``MIN_FACES`` faces is no person: the face seen once stays unsorted.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

DISTANCE_THRESHOLD = 0.6
MIN_FACES = 2
_BLOCK = 2048  # rows of the distance matrix computed at a time (2048 x n float32)


def _distance_blocks(queries: np.ndarray, references: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
    """(first row, euclidean distances of a block of query rows to every reference row)."""
    references = np.asarray(references, dtype=np.float32)
    reference_norms = np.einsum("ij,ij->i", references, references)
    for start in range(0, len(queries), _BLOCK):
        block = np.asarray(queries[start : start + _BLOCK], dtype=np.float32)
        squared = np.einsum("ij,ij->i", block, block)[:, None] + reference_norms[None, :] - 2.0 * block @ references.T
        yield start, np.sqrt(np.maximum(squared, 0.0))


def neighbour_edges(descriptors: np.ndarray, threshold: float = DISTANCE_THRESHOLD) -> list[tuple[int, int]]:
    """Pairs (i, j), i < j, closer than ``threshold``, and a loop (i, i) on every face so a face
    without neighbours still gets a label."""
    edges = [(i, i) for i in range(len(descriptors))]
    for start, distances in _distance_blocks(descriptors, descriptors):
        rows, columns = np.nonzero(distances < threshold)
        rows = rows + start
        keep = rows < columns
        edges += zip(rows[keep].tolist(), columns[keep].tolist())
    return edges


def cluster_faces(descriptors: np.ndarray, threshold: float = DISTANCE_THRESHOLD) -> np.ndarray:
    """A label per face (chinese whispers on the neighbour graph; deterministic in dlib)."""
    if len(descriptors) == 0:
        return np.zeros(0, dtype=np.int64)
    import dlib

    return np.asarray(dlib.chinese_whispers(neighbour_edges(descriptors, threshold)), dtype=np.int64)


def groups(labels: np.ndarray, min_faces: int = MIN_FACES) -> list[np.ndarray]:
    """Row indices of each label with at least ``min_faces`` rows, largest group first."""
    found = [np.flatnonzero(labels == label) for label in np.unique(labels)]
    return sorted((rows for rows in found if len(rows) >= min_faces), key=lambda rows: (-len(rows), rows[0]))


def nearest_rows(queries: np.ndarray, references: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each query row: the nearest reference row and its distance (-1, inf without references)."""
    if len(references) == 0:
        return np.full(len(queries), -1, dtype=np.int64), np.full(len(queries), np.inf)
    rows = np.zeros(len(queries), dtype=np.int64)
    distances = np.zeros(len(queries), dtype=np.float64)
    for start, block in _distance_blocks(queries, references):
        best = block.argmin(axis=1)
        rows[start : start + len(block)] = best
        distances[start : start + len(block)] = block[np.arange(len(block)), best]
    return rows, distances
