"""Duplicate photos, listed for review. Nothing is ever deleted or moved.

* Exact duplicates: photos with the same content fingerprint (``photos.fingerprint``).
* Near-identical shots: pairs whose features have cosine similarity at or above a threshold,
  grouped by connected components (a burst of shots forms one group).

Thresholds (``NEAR_IDENTICAL_THRESHOLDS``): 0.95 for DINOv2 features, 0.97 for CLIP. Both are
deliberately strict: they are meant to catch re-encodes, resizes, small crops and burst shots
of the same moment, not merely similar photos (two beach photos of the same trip), which users
explicitly do not want proposed as duplicates. DINOv2 is the default because its features
are trained for instance discrimination and separate "same shot" from "same kind of scene"
better than CLIP's semantic features. The values were chosen from the methods' published
behaviour, not measured here (no pretrained weights on this machine); ``--threshold``
overrides them.

Search for near pairs without comparing all pairs in full dimension: project the unit
vectors on their leading principal axes. An orthogonal projection never lengthens a
difference, so every pair with cosine >= t (squared distance <= 2 - 2t) also has projected
squared distance <= 2 - 2t: the projected test finds every true pair (no false negatives),
and the candidates are then checked exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from photo_organizer.albums.clustering import normalise_rows, principal_axes
from photo_organizer.storage import Library

NEAR_IDENTICAL_THRESHOLDS = {"dino": 0.95, "clip": 0.97}
_PROJECTED_DIMS = 64
_BLOCK = 2048


@dataclass(frozen=True)
class DuplicateGroup:
    kind: str  # "exact" or "near"
    photo_ids: list[int]
    similarity: float  # exact: 1.0; near: the lowest similarity of the pairs that joined it

    def as_json(self) -> dict:
        return {"kind": self.kind, "photo_ids": self.photo_ids, "similarity": round(self.similarity, 4)}


def exact_duplicate_groups(library: Library) -> list[DuplicateGroup]:
    groups = library.exact_duplicate_id_groups()
    return [DuplicateGroup("exact", sorted(int(i) for i in ids.split(",")), 1.0) for ids in groups]


def near_identical_pairs(features: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(i, j, cosine) for every pair i < j of rows with cosine >= threshold."""
    unit = normalise_rows(features)
    n = unit.shape[0]
    if n < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32)
    projected = unit
    if unit.shape[1] > _PROJECTED_DIMS and n > _PROJECTED_DIMS:
        _mean, axes = principal_axes(unit, _PROJECTED_DIMS)
        projected = unit @ axes
    squared = (projected * projected).sum(axis=1)
    limit = 2.0 - 2.0 * threshold + 1e-4  # float32 slack: never lose a true pair
    found_i, found_j, found_s = [], [], []
    for row_start in range(0, n, _BLOCK):
        rows_block = projected[row_start : row_start + _BLOCK]
        for column_start in range(row_start, n, _BLOCK):
            distance = (
                squared[row_start : row_start + _BLOCK, None]
                + squared[None, column_start : column_start + _BLOCK]
                - 2.0 * (rows_block @ projected[column_start : column_start + _BLOCK].T)
            )
            rows, columns = np.nonzero(distance <= limit)
            rows, columns = rows + row_start, columns + column_start
            keep = columns > rows
            rows, columns = rows[keep], columns[keep]
            if len(rows):
                exact = np.einsum("ij,ij->i", unit[rows], unit[columns])
                true = exact >= threshold
                found_i.append(rows[true])
                found_j.append(columns[true])
                found_s.append(exact[true])
    if not found_i:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32)
    return np.concatenate(found_i), np.concatenate(found_j), np.concatenate(found_s)


def _components(n: int, pairs_i: np.ndarray, pairs_j: np.ndarray) -> list[list[int]]:
    parent = list(range(n))

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in zip(pairs_i.tolist(), pairs_j.tolist()):
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[int, list[int]] = {}
    for node in sorted(set(pairs_i.tolist()) | set(pairs_j.tolist())):
        groups.setdefault(root(node), []).append(node)
    return list(groups.values())


def near_identical_groups(
    photo_ids: np.ndarray, features: np.ndarray, threshold: float, fingerprints: dict[int, str | None] | None = None
) -> list[DuplicateGroup]:
    """Groups of near-identical photos. Pairs of exact duplicates (same fingerprint) are left
    to the exact groups, so one copy per fingerprint represents them here."""
    pairs_i, pairs_j, similarity = near_identical_pairs(features, threshold)
    if fingerprints:
        def copies(a: int, b: int) -> bool:
            return fingerprints.get(a) is not None and fingerprints.get(a) == fingerprints.get(b)

        differ = np.array(
            [not copies(int(a), int(b)) for a, b in zip(photo_ids[pairs_i], photo_ids[pairs_j])], dtype=bool
        )
        pairs_i, pairs_j, similarity = pairs_i[differ], pairs_j[differ], similarity[differ]
    lowest: dict[int, float] = {}
    groups = []
    members = _components(len(photo_ids), pairs_i, pairs_j)
    group_of = {node: g for g, nodes in enumerate(members) for node in nodes}
    for a, value in zip(pairs_i.tolist(), similarity.tolist()):
        g = group_of[a]
        lowest[g] = min(lowest.get(g, 1.0), value)
    for g, nodes in enumerate(members):
        groups.append(DuplicateGroup("near", sorted(int(photo_ids[n]) for n in nodes), lowest[g]))
    return sorted(groups, key=lambda group: group.photo_ids[0])


@dataclass(frozen=True)
class DuplicateReport:
    exact: list[DuplicateGroup]
    near: list[DuplicateGroup]
    model_key: str | None
    threshold: float

    def as_json(self) -> dict:
        return {
            "exact": [g.as_json() for g in self.exact],
            "near": [g.as_json() for g in self.near],
            "model_key": self.model_key,
            "threshold": self.threshold,
        }


def find_duplicates(library: Library, model_key: str | None, threshold: float) -> DuplicateReport:
    """Exact groups always; near-identical groups when ``model_key`` has features."""
    exact = exact_duplicate_groups(library)
    near: list[DuplicateGroup] = []
    if model_key is not None:
        photo_ids, features = library.embeddings(model_key)
        if len(photo_ids) > 1:
            fingerprints = dict(library.live_fingerprints())
            near = near_identical_groups(photo_ids, features, threshold, fingerprints)
    return DuplicateReport(exact, near, model_key, threshold)
