"""Grouping faces into people, and the user's corrections, on hand-made descriptors.

Descriptors are synthetic here (points around per-person centres, spaced like dlib's: same
person well under 0.6 apart, different people well over); test_people_faces.py runs the real
models on real faces.
"""

from __future__ import annotations

import numpy as np
import pytest

from photo_organizer.errors import LibraryError
from photo_organizer.people import store
from photo_organizer.people.clustering import cluster_faces, groups, nearest_rows, neighbour_edges
from photo_organizer.people.faces_pass import pending_count
from photo_organizer.people.grouping import recluster_people, update_people_job
from photo_organizer.progress import drain
from photo_organizer.search.query import SearchFilters, allowed_photo_ids
from photo_organizer.storage import REMOVED, Library
from tests.albums_helpers import add_photos


def people_descriptors(sizes: list[int], seed: int = 0, point_seed: int | None = None) -> np.ndarray:
    """Rows of person 0, then person 1...: centres ~1.2 apart, faces ~0.25 from their centre."""
    centres = np.random.default_rng(seed).standard_normal((len(sizes), 128)) * (0.85 / np.sqrt(128))
    rng = np.random.default_rng((seed, point_seed or 0))
    labels = np.repeat(np.arange(len(sizes)), sizes)
    return (centres[labels] + rng.standard_normal((len(labels), 128)) * (0.18 / np.sqrt(128))).astype(np.float32)


def add_faces(library: Library, descriptors: np.ndarray, photo_ids: list[int] | None = None) -> list[int]:
    """One photo per face (unless photo ids are given); returns the new face ids in order."""
    photo_ids = photo_ids or add_photos(library, len(descriptors))
    before = store.max_face_id(library)
    scans = [store.PhotoScan(pid, [store.FoundFace((0.1, 0.1, 0.3, 0.4), d)]) for pid, d in zip(photo_ids, descriptors)]
    store.save_scans(library, scans, "hog")
    return list(range(before + 1, before + 1 + len(descriptors)))


def people_of(library: Library) -> dict[int, set[int]]:
    return {p.id: {f.id for f in store.faces_of_person(library, p.id)} for p in store.list_people(library)}


@pytest.fixture
def library():
    with Library.in_memory() as library:
        yield library


def test_clustering_separates_people_and_leaves_a_lone_face_unsorted():
    descriptors = people_descriptors([4, 3, 2, 1])
    labels = cluster_faces(descriptors)
    found = [sorted(rows.tolist()) for rows in groups(labels)]
    assert sorted(found) == [[0, 1, 2, 3], [4, 5, 6], [7, 8]]  # face 9 is seen once: no person
    assert (0, 0) in neighbour_edges(descriptors) and (0, 9) not in neighbour_edges(descriptors)
    rows, distances = nearest_rows(descriptors[9:], descriptors[:9])
    assert distances[0] > 0.6


def test_first_grouping_makes_people_and_new_faces_join_them(library):
    faces = add_faces(library, people_descriptors([3, 3, 1]))
    assert drain(update_people_job(library)).new_people == 2
    assert sorted(people_of(library).values(), key=min) == [set(faces[:3]), set(faces[3:6])]
    assert store.unsorted_face_count(library) == 1
    newcomers = add_faces(library, people_descriptors([2, 2], point_seed=5))
    report = drain(update_people_job(library))
    assert report.joined == 4 and report.new_people == 0
    groups_now = sorted(people_of(library).values(), key=min)
    assert groups_now == [set(faces[:3]) | set(newcomers[:2]), set(faces[3:6]) | set(newcomers[2:4])]
    assert drain(update_people_job(library)).new_faces == 0  # nothing new: nothing done


def test_a_second_sighting_of_a_lone_face_makes_a_new_person(library):
    faces = add_faces(library, people_descriptors([3, 1]))
    drain(update_people_job(library))
    again = add_faces(library, people_descriptors([0, 1], point_seed=9))
    assert drain(update_people_job(library)).new_people == 1
    assert set(faces[3:]) | set(again) in people_of(library).values()


def test_names_and_corrections_survive_reclustering(library):
    faces = add_faces(library, people_descriptors([4, 4, 3]))
    drain(update_people_job(library))
    by_face = {min(members): pid for pid, members in people_of(library).items()}
    alice, bob, carol = by_face[faces[0]], by_face[faces[4]], by_face[faces[8]]
    store.rename_person(library, alice, "Alice")
    store.reject_face(library, alice, faces[1])  # "not Alice"
    store.confirm_face(library, bob, faces[8])  # the user says this one is Bob
    before = people_of(library)
    report = recluster_people(library)
    after = people_of(library)
    assert after == before and report.new_people == 0
    assert store.get_person(library, alice).name == "Alice"
    assert faces[1] not in after[alice] and faces[8] in after[bob]
    assert store.faces_of_person(library, bob)[-1].source == store.SOURCE_CONFIRMED
    assert carol in after  # an untouched person kept its id too


def test_rejected_face_does_not_come_back_when_it_is_seen_again(library):
    faces = add_faces(library, people_descriptors([3]))
    drain(update_people_job(library))
    (person,) = people_of(library)
    store.reject_face(library, person, faces[0])
    assert store.get_person(library, person).face_count == 2
    recluster_people(library)
    assert people_of(library) == {person: set(faces[1:])}


def test_merge_moves_faces_and_keeps_the_name(library):
    faces = add_faces(library, people_descriptors([3, 3]))
    drain(update_people_job(library))
    first, second = sorted(people_of(library), key=lambda pid: min(people_of(library)[pid]))
    store.rename_person(library, second, "Dad")
    store.merge_people(library, first, [second])
    assert people_of(library) == {first: set(faces)} and store.get_person(library, first).name == "Dad"
    recluster_people(library)  # the merge is the user's word: clustering does not split it again
    assert people_of(library) == {first: set(faces)}
    with pytest.raises(LibraryError, match="no person"):
        store.get_person(library, second)


def test_search_filter_by_person(library):
    photos = add_photos(library, 5)
    add_faces(library, people_descriptors([2, 3]), photos)
    drain(update_people_job(library))
    person = next(p for p in store.list_people(library) if p.face_count == 2)
    assert allowed_photo_ids(library, SearchFilters(person_id=person.id)).tolist() == photos[:2]
    assert person.photo_ids == photos[:2]
    assert person.cover_face_id in {f.id for f in store.faces_of_person(library, person.id)}
    with pytest.raises(LibraryError, match="no person with id 999"):
        allowed_photo_ids(library, SearchFilters(person_id=999))


def test_pending_photos_changed_files_and_removed_photos(library):
    photos = add_photos(library, 3)
    assert pending_count(library) == 3
    store.save_scans(library, [store.PhotoScan(photos[0], []), store.PhotoScan(photos[1], [], "cannot decode")], "hog")
    assert pending_count(library) == 1  # no face and unreadable are recorded: not scanned again
    assert store.scan_counts(library) == {"scanned": 2, "faces": 0, "failed": 1}
    library.db.execute("UPDATE photos SET fingerprint = 'new content' WHERE id = ?", [photos[0]])
    assert pending_count(library) == 2  # the file changed: scan it again
    faces = add_faces(library, people_descriptors([2]), photos[1:])
    drain(update_people_job(library))
    library.db.execute("UPDATE photos SET state = ? WHERE id = ?", [REMOVED, photos[1]])
    assert pending_count(library) == 1 and store.unsorted_face_count(library) == 0
    assert [p.photo_ids for p in store.list_people(library)] == [[photos[2]]]  # live photos only
    with library.transaction():
        library.delete_photos([photos[1]])
    assert [f.id for f in store.faces_of_photo(library, photos[2])] == [faces[1]]
    assert store.faces_of_photo(library, photos[1]) == []  # rows went with their photo


def test_faces_pass_stops_at_any_batch_and_resumes(library, tmp_path):
    from photo_organizer.people.faces_pass import faces_job
    from photo_organizer.sample_photos import render, save_jpeg

    paths = [str(save_jpeg(render("beach", (96, 64), n), tmp_path / f"{n}.jpg")) for n in range(5)]
    add_photos(library, 5, paths=paths)
    job = faces_job(library, batch_size=2, workers=2)
    assert next(job).message == "loading face models"
    assert next(job).done == 2  # the first batch is committed
    job.close()
    assert pending_count(library) == 3
    report = drain(faces_job(library, batch_size=2))
    assert (report.scanned, report.faces, report.failed) == (3, 0, [])
    assert pending_count(library) == 0 and drain(faces_job(library)).total == 0
