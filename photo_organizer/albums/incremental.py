"""Newly indexed photos join the nearest album when they are close enough; no re-clustering.

A photo is new when it has album features, an id above the highest one the last full
clustering saw, and no album. It joins the album whose centroid it is most similar to (cosine
in the original feature space), provided it is at least as close as the album's own members
typically are: its similarity must reach the ``ACCEPT_QUANTILE`` quantile of the members'
similarities to that centroid. Otherwise it stays in Unsorted until the next full re-cluster,
which ``update_albums_job`` runs by itself once the library has grown substantially.
Albums' centroids and covers are left as they are, so albums do not drift between re-clusters.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from photo_organizer.albums import store
from photo_organizer.albums.clustering import normalise_rows
from photo_organizer.albums.recluster import (
    FULL,
    INCREMENTAL,
    NOTHING,
    NamerFactory,
    ReclusterReport,
    last_clustering,
    recluster_job,
    update_action,
)
from photo_organizer.progress import Job, Progress
from photo_organizer.storage import Library

ACCEPT_QUANTILE = 0.1


@dataclass
class IncrementalReport:
    new_photos: int = 0
    assigned: int = 0
    per_album: dict[int, int] = field(default_factory=dict)


@dataclass
class UpdateReport:
    action: str  # "full", "incremental" or "none"
    reason: str
    recluster: ReclusterReport | None = None
    incremental: IncrementalReport | None = None

    def summary(self) -> str:
        if self.incremental is not None:
            added = self.incremental
            return f"{added.assigned} of {added.new_photos} new photos joined albums ({self.reason})."
        if self.recluster is not None:
            full = self.recluster
            return f"Re-clustered ({self.reason}): {full.albums} albums, {full.unsorted} photos in Unsorted."
        return f"Nothing to do: {self.reason}."

    def as_json(self) -> dict:
        return {
            "action": self.action,
            "reason": self.reason,
            "recluster": self.recluster.as_json() if self.recluster else None,
            "incremental": vars(self.incremental) if self.incremental else None,
        }


@dataclass(frozen=True)
class _AlbumGate:
    album_id: int
    centroid: np.ndarray
    member_similarities: np.ndarray  # sorted ascending
    threshold: float


def _gates(library: Library, model_key: str, row_of: dict[int, int], unit: np.ndarray) -> list[_AlbumGate]:
    gates = []
    for album in store.list_albums(library, include_hidden=True):
        if album.model_key != model_key or album.centroid is None or album.centroid.shape[0] != unit.shape[1]:
            continue
        rows = [row_of[m.photo_id] for m in store.members(library, album.id) if m.photo_id in row_of]
        if not rows:
            continue
        centroid = album.centroid / max(float(np.linalg.norm(album.centroid)), 1e-12)
        similarities = np.sort(unit[rows] @ centroid)
        gates.append(_AlbumGate(album.id, centroid, similarities, float(np.quantile(similarities, ACCEPT_QUANTILE))))
    return gates


def assign_new_photos(library: Library, model_key: str) -> IncrementalReport:
    report = IncrementalReport()
    state = last_clustering(library)
    if state is None or state.get("model_key") != model_key:
        return report
    photo_ids, features = library.embeddings(model_key)
    in_album = library.photos_in_albums()
    newest_seen = int(state.get("max_photo_id", 0))
    new_rows = [row for row, pid in enumerate(photo_ids.tolist()) if pid > newest_seen and pid not in in_album]
    report.new_photos = len(new_rows)
    if not new_rows:
        return report
    unit = normalise_rows(features)
    gates = _gates(library, model_key, {int(p): r for r, p in enumerate(photo_ids.tolist())}, unit)
    if not gates:
        return report
    similarity = unit[new_rows] @ np.stack([g.centroid for g in gates]).T
    excluded = library.album_exclusions()
    for column, gate in enumerate(gates):
        banned = excluded.get(gate.album_id, set())
        for i, row in enumerate(new_rows):
            if similarity[i, column] < gate.threshold or int(photo_ids[row]) in banned:
                similarity[i, column] = -np.inf
    best = np.argmax(similarity, axis=1)
    placements = []
    for i, row in enumerate(new_rows):
        value = similarity[i, best[i]]
        if not np.isfinite(value):
            continue
        gate = gates[best[i]]
        strength = np.searchsorted(gate.member_similarities, value) / len(gate.member_similarities)
        placements.append((gate.album_id, (int(photo_ids[row]), float(strength), store.SOURCE_INCREMENTAL)))
        report.per_album[gate.album_id] = report.per_album.get(gate.album_id, 0) + 1
    library.add_album_members(placements)
    report.assigned = sum(report.per_album.values())
    return report


def update_albums_job(library: Library, model_key: str, namer_factory: NamerFactory | None = None) -> Job[UpdateReport]:
    """After indexing: a full re-cluster when due (see ``update_action``), else the
    incremental assignment of new photos."""
    action, reason = update_action(library, model_key)
    if action == FULL:
        recluster_report = yield from recluster_job(library, model_key, namer_factory)
        return UpdateReport(FULL, reason, recluster=recluster_report)
    if action == NOTHING:
        return UpdateReport(NOTHING, reason)
    yield Progress("albums", 0, 1, "adding new photos to albums")
    incremental = assign_new_photos(library, model_key)
    yield Progress("albums", 1, 1, f"{incremental.assigned} of {incremental.new_photos} new photos joined albums")
    return UpdateReport(INCREMENTAL, reason, incremental=incremental)
