"""Which photos form a stack: pure logic on shot records and unit feature vectors.

Two kinds of stack (a photo is in at most one; both kinds merge when they share a photo):

* a **burst**: photos of the same camera taken at most ``max_gap`` seconds apart (sub-second
  EXIF time when the camera wrote it) that also look alike (cosine of their features at or
  above ``threshold``). Both conditions are required: a short gap alone stacks two different
  subjects shot in the same second, similarity alone stacks the same view on different days
  (immich-go's time-only stacking put 7,831 of 82,313 photos in wrong stacks);
* a **RAW + JPEG pair**: files of one shot in the same folder with the same base name
  (IMG_1.CR2 + IMG_1.JPG), a RAW and a non-RAW, taken within ``max_gap`` (capture times
  when both have one, else file times).

Links are found pairwise and joined by union-find, so a burst of 20 shots is one stack even
when its first and last shots are more than ``max_gap`` apart.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from photo_organizer.albums.clustering import normalise_rows
from photo_organizer.imaging import RAW_EXTENSIONS

DEFAULT_MAX_GAP_SECONDS = 2.0
# Cosine a burst's neighbouring shots must reach. Looser than the near-duplicate thresholds
# (albums/duplicates.py: 0.95 DINOv2, 0.97 CLIP) because subjects move within a burst; not
# measured here (no pretrained weights on this machine).
BURST_THRESHOLDS = {"dino": 0.85, "clip": 0.90}

BURST = "burst"
RAW_PAIR = "raw+jpeg"


@dataclass(frozen=True)
class Shot:
    photo_id: int
    folder: str
    stem: str  # file name without extension, lower case
    extension: str  # lower case, with the dot
    taken: float | None  # capture time in seconds (EXIF, local clock), None when unknown
    file_time: float | None  # modification time in seconds
    camera: str | None

    @property
    def is_raw(self) -> bool:
        return self.extension in RAW_EXTENSIONS


@dataclass
class StackGroup:
    photo_ids: list[int]
    kinds: set[str] = field(default_factory=set)  # BURST and/or RAW_PAIR

    @property
    def kind(self) -> str:
        return BURST if BURST in self.kinds else RAW_PAIR


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, item: int) -> int:
        self.parent.setdefault(item, item)
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def union(self, a: int, b: int) -> None:
        root_a, root_b = self.find(a), self.find(b)
        if root_a != root_b:
            self.parent[max(root_a, root_b)] = min(root_a, root_b)


def burst_links(
    shots: Sequence[Shot], vectors: Mapping[int, np.ndarray], threshold: float, max_gap: float = DEFAULT_MAX_GAP_SECONDS
) -> list[tuple[int, int]]:
    """Pairs of photos (same camera, within ``max_gap`` s, cosine >= ``threshold``)."""
    by_camera: dict[str | None, list[Shot]] = defaultdict(list)
    for shot in shots:
        if shot.taken is not None and shot.photo_id in vectors:
            by_camera[shot.camera].append(shot)
    links = []
    for camera_shots in by_camera.values():
        camera_shots.sort(key=lambda s: s.taken or 0.0)  # every shot here has a time (filtered above)
        for i, first in enumerate(camera_shots):
            for second in camera_shots[i + 1 :]:
                if (second.taken or 0.0) - (first.taken or 0.0) > max_gap:
                    break
                if float(vectors[first.photo_id] @ vectors[second.photo_id]) >= threshold:
                    links.append((first.photo_id, second.photo_id))
    return links


def raw_pair_links(shots: Sequence[Shot], max_gap: float = DEFAULT_MAX_GAP_SECONDS) -> list[tuple[int, int]]:
    """Pairs (RAW, non-RAW) of the same folder and base name taken within ``max_gap`` s."""
    by_name: dict[tuple[str, str], list[Shot]] = defaultdict(list)
    for shot in shots:
        by_name[(shot.folder, shot.stem)].append(shot)
    links = []
    for same_name in by_name.values():
        raws = [s for s in same_name if s.is_raw]
        others = [s for s in same_name if not s.is_raw]
        for raw in raws:
            for other in others:
                if _same_moment(raw, other, max_gap):
                    links.append((raw.photo_id, other.photo_id))
    return links


def _same_moment(a: Shot, b: Shot, max_gap: float) -> bool:
    if a.taken is not None and b.taken is not None:
        return abs(a.taken - b.taken) <= max_gap
    if a.file_time is not None and b.file_time is not None:
        return abs(a.file_time - b.file_time) <= max_gap
    return False


def find_stacks(
    shots: Sequence[Shot], vectors: Mapping[int, np.ndarray], threshold: float, max_gap: float = DEFAULT_MAX_GAP_SECONDS
) -> list[StackGroup]:
    """Stacks of two or more photos, each sorted by photo id, ordered by their first id."""
    union = _UnionFind()
    kinds_of_link: list[tuple[int, int, str]] = [
        *((a, b, BURST) for a, b in burst_links(shots, vectors, threshold, max_gap)),
        *((a, b, RAW_PAIR) for a, b in raw_pair_links(shots, max_gap)),
    ]
    for a, b, _kind in kinds_of_link:
        union.union(a, b)
    groups: dict[int, StackGroup] = {}
    for a, _b, kind in kinds_of_link:
        group = groups.setdefault(union.find(a), StackGroup([]))
        group.kinds.add(kind)
    members: dict[int, list[int]] = defaultdict(list)
    for photo_id in union.parent:
        members[union.find(photo_id)].append(photo_id)
    for root, group in groups.items():
        group.photo_ids = sorted(members[root])
    return sorted(groups.values(), key=lambda g: g.photo_ids[0])


def unit_rows(ids: Iterable[int], matrix: np.ndarray) -> dict[int, np.ndarray]:
    """photo id -> unit vector (rows of ``matrix`` in the order of ``ids``)."""
    return {int(pid): row for pid, row in zip(ids, normalise_rows(matrix))}
