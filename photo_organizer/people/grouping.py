"""Faces into people: after each faces pass (incremental), and a full re-clustering on demand.

After indexing (``update_people_job``, the pipeline stage after the faces pass): each new face
joins the person of its nearest placed face when that is closer than the threshold (a person
who rejected the face excepted); then the unsorted faces are clustered among themselves and a
group of at least ``MIN_FACES`` that holds a new face becomes a new person. The first run is
simply this with every face new.

``recluster_people`` clusters every face again and gives each group the identity of the person
it overlaps most (``albums.identity.match_clusters``, as albums keep theirs): a person keeps
its id and name; touched people (named, with confirmed faces, or with rejections) match only on
a strong overlap, absorb new groups lying mostly inside them, and are never deleted; confirmed
faces never move; a rejected face never returns to the person who rejected it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass

import numpy as np

from photo_organizer.albums.identity import PreviousAlbum, match_clusters
from photo_organizer.people import store
from photo_organizer.people.clustering import DISTANCE_THRESHOLD, MIN_FACES, cluster_faces, groups, nearest_rows
from photo_organizer.progress import Job, Progress
from photo_organizer.storage import Library

STAGE = "people"


@dataclass
class GroupingReport:
    new_faces: int = 0
    joined: int = 0  # new faces that joined an existing person
    new_people: int = 0
    matched_people: int = 0  # re-clustering: people who kept their identity
    dropped_people: int = 0
    people: int = 0
    unsorted: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        return (
            f"{self.people} people, {self.unsorted} unsorted faces "
            f"({self.new_faces} new faces: {self.joined} joined a person, {self.new_people} new people)"
        )

    def as_json(self) -> dict:
        return asdict(self)


def has_new_faces(library: Library) -> bool:
    """Faces found since the last grouping (two small queries; no dlib import)."""
    return store.max_face_id(library) > int(library.get_setting(store.WATERMARK_SETTING, 0))


def update_people_job(library: Library, threshold: float = DISTANCE_THRESHOLD) -> Job[GroupingReport]:
    """Pipeline stage after the faces pass. Cheap when no face is new (no dlib import)."""
    if not has_new_faces(library):
        return _finish(library, GroupingReport(), time.perf_counter())
    yield Progress(STAGE, 0, 1, "grouping faces into people")
    report = assign_new_faces(library, threshold)
    yield Progress(STAGE, 1, 1, report.summary())
    return report


def assign_new_faces(library: Library, threshold: float = DISTANCE_THRESHOLD) -> GroupingReport:
    started = time.perf_counter()
    watermark = int(library.get_setting(store.WATERMARK_SETTING, 0))
    last_id = store.max_face_id(library)
    new = store.face_table(library, after_id=watermark, unsorted_only=True)
    report = GroupingReport(new_faces=len(new))
    placed = store.face_table(library)
    placed_rows = np.flatnonzero(placed.person_ids > 0)
    rejected = store.rejections(library)
    assignment: dict[int, int | None] = {}
    nearest, distances = nearest_rows(new.descriptors, placed.descriptors[placed_rows])
    for face_id, row, distance in zip(new.ids.tolist(), nearest.tolist(), distances.tolist()):
        if row < 0 or distance >= threshold:
            continue
        person_id = int(placed.person_ids[placed_rows[row]])
        if face_id not in rejected.get(person_id, ()):
            assignment[face_id] = person_id
    report.joined = len(assignment)
    new_groups = _groups_of_unsorted(library, set(new.ids.tolist()) - set(assignment), threshold)
    report.new_people = len(store.write_grouping(library, assignment, new_groups))
    library.set_setting(store.WATERMARK_SETTING, last_id)
    return _finish(library, report, started)


def _groups_of_unsorted(library: Library, new_face_ids: set[int], threshold: float) -> list[list[int]]:
    """Groups of the unsorted faces (old and new) that contain at least one new face."""
    if not new_face_ids:
        return []
    unsorted = store.face_table(library, unsorted_only=True)
    labels = cluster_faces(unsorted.descriptors, threshold)
    found = []
    for rows in groups(labels, MIN_FACES):
        face_ids = unsorted.ids[rows].tolist()
        if new_face_ids.intersection(face_ids):
            found.append(face_ids)
    return found


def recluster_people(library: Library, threshold: float = DISTANCE_THRESHOLD) -> GroupingReport:
    """Cluster every face again; people keep their identity, names, confirmed and rejected faces."""
    started = time.perf_counter()
    last_id = store.max_face_id(library)
    faces = store.face_table(library)
    clusters = [frozenset(faces.ids[rows].tolist()) for rows in groups(cluster_faces(faces.descriptors, threshold))]
    previous = _previous_people(library, faces)
    plan = match_clusters(previous, clusters)
    rejected = store.rejections(library)
    confirmed = set(faces.ids[faces.confirmed].tolist())
    assignment: dict[int, int | None] = {face_id: None for face_id in faces.ids.tolist() if face_id not in confirmed}
    for person_id, columns in [*plan.matched.items(), *plan.kept.items()]:
        for column in columns:
            _claim(assignment, clusters[column], person_id, rejected)
    for person in previous:
        if person.id in plan.kept:  # a touched person nothing matched keeps its faces
            _claim(assignment, person.members, person.id, rejected)
    new_groups = [[f for f in clusters[column] if f not in confirmed] for column in plan.new]
    report = GroupingReport(new_faces=len(faces), matched_people=len(plan.matched), dropped_people=len(plan.dropped))
    created = store.write_grouping(library, assignment, [g for g in new_groups if len(g) >= MIN_FACES], plan.dropped)
    report.new_people = len(created)
    library.set_setting(store.WATERMARK_SETTING, last_id)
    library.set_setting(store.CLUSTERED_SETTING, time.time())
    return _finish(library, report, started)


def _previous_people(library: Library, faces: store.FaceTable) -> list[PreviousAlbum]:
    """Each person's current faces; touched when named, with confirmed faces, or rejections."""
    members: dict[int, set[int]] = {}
    touched = store.named_people(library) | set(store.rejections(library))
    for face_id, person_id, confirmed in zip(faces.ids.tolist(), faces.person_ids.tolist(), faces.confirmed.tolist()):
        if person_id:
            members.setdefault(person_id, set()).add(face_id)
            if confirmed:
                touched.add(person_id)
    return [PreviousAlbum(person_id, frozenset(ids), person_id in touched) for person_id, ids in sorted(members.items())]


def _claim(assignment: dict[int, int | None], face_ids: frozenset[int], person_id: int, rejected: Mapping[int, set[int]]) -> None:
    """Unclaimed, movable faces go to ``person_id`` unless that person rejected them."""
    refused = rejected.get(person_id, set())
    for face_id in face_ids:
        if face_id in assignment and assignment[face_id] is None and face_id not in refused:
            assignment[face_id] = person_id


def _finish(library: Library, report: GroupingReport, started: float) -> GroupingReport:
    report.people = len(store.list_people(library))
    report.unsorted = store.unsorted_face_count(library)
    report.seconds = time.perf_counter() - started
    return report
