"""People in the window, with the real dlib models on the real face photos (copied into a
temporary folder): the People section, naming, merging, "Not this person", and a person as
a search filter with feedback."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QInputDialog, QMenu, QMessageBox

from photo_organizer.app.types import SearchRequest
from photo_organizer.models.provider import ModelProvider
from photo_organizer.models.registry import CLIP
from photo_organizer.people import store
from photo_organizer.pipeline import FACES as FACES_STAGE
from photo_organizer.pipeline import PEOPLE, READ, SCAN, STAGES, update_library
from photo_organizer.progress import drain
from photo_organizer.search.query_encoding import CACHE_FILE, TEXT, QueryCache
from photo_organizer.ui.app import launch
from photo_organizer.ui.sidebar import SOURCE_ROLE
from tests.conftest import RANDOM_WEIGHTS
from tests.test_people_faces import FACES

pytestmark = pytest.mark.skipif(not FACES.is_dir(), reason=f"the real face photos are not here ({FACES})")


def index_faces(ctx, tmp_path) -> None:
    """Scan, read, find faces and group them (the pipeline's stages); CLIP vectors are stored
    by hand under the random-weights key (a test caches the text query: no model is loaded)."""
    photos = tmp_path / "photos"
    shutil.copytree(FACES, photos, ignore=shutil.ignore_patterns("*.md"))
    ctx.models = ModelProvider(ctx.home, RANDOM_WEIGHTS)
    ctx.library.add_root(photos)
    stages = [stage for stage in STAGES if stage.key in (SCAN, READ, FACES_STAGE, PEOPLE)]
    drain(update_library(ctx.library, ctx.models, stages=stages))
    key = ctx.models.active_key(ctx.library, CLIP)
    ids = ctx.library.photo_ids()
    vectors = np.random.default_rng(0).standard_normal((len(ids), 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ctx.library.put_embeddings(key, ids, vectors)


@pytest.fixture
def window(qtbot, ctx, tmp_path):
    index_faces(ctx, tmp_path)
    window = launch(ctx, scan_on_start=False)
    qtbot.addWidget(window)
    qtbot.waitExposed(window)
    return window


def people_entries(window) -> dict[int, str]:
    section = window.sidebar.people._section
    entries = {}
    for row in range(section.childCount()):
        source = section.child(row).data(0, SOURCE_ROLE)
        entries[source.key if source.kind == "person" else source.kind] = section.child(row).text(0)
    return entries


def person_of(ctx, folder: str, name: str) -> int:
    photo_id = next(pid for pid, path in ctx.library.live_photo_paths() if path.endswith(f"/{folder}/{name}"))
    return store.faces_of_photo(ctx.library, photo_id)[0].person_id


def click_person(qtbot, window, person_id: int) -> None:
    item = window.sidebar.people._items[person_id]
    window.sidebar.scrollToItem(item)
    QTest.mouseClick(window.sidebar.viewport(), Qt.MouseButton.LeftButton, pos=window.sidebar.visualItemRect(item).center())
    qtbot.waitUntil(lambda: window._source.kind == "person" and window._source.key == person_id, timeout=5000)


def test_people_section_name_merge_reject(qtbot, ctx, window, monkeypatch):
    entries = people_entries(window)
    people = [key for key in entries if isinstance(key, int)]
    # 5 people with 2 or more faces in the folders; the face seen once stays unsorted
    assert len(people) == len(store.list_people(ctx.library)) >= 5
    assert entries["unsorted-faces"].startswith("Unsorted faces  (")
    assert all(text.startswith("Unnamed person  (") for key, text in entries.items() if isinstance(key, int))
    # every person's face crop is loaded off the GUI thread and shown as its icon
    faces = window.sidebar.people.face_ids()
    assert len(faces) == len(people)
    qtbot.waitUntil(lambda: all(window.face_loader.pixmap(face) is not None for face in faces), timeout=20000)

    unsorted = window.sidebar.people._unsorted
    QTest.mouseClick(window.sidebar.viewport(), Qt.MouseButton.LeftButton, pos=window.sidebar.visualItemRect(unsorted).center())
    qtbot.waitUntil(lambda: window.title.text() == "Unsorted faces", timeout=5000)
    assert window.model.photo_ids() == ctx.library.unsorted_face_photo_ids() and len(window.model.photo_ids()) == 1

    obama = person_of(ctx, "obama", "obama.jpg")
    click_person(qtbot, window, obama)
    obama_photos = sorted(window.model.photo_ids())
    assert obama_photos == store.get_person(ctx.library, obama).photo_ids and len(obama_photos) >= 2
    assert window.title.text() == "Unnamed person"
    qtbot.waitUntil(window.person_chip.isVisible, timeout=5000)

    # name by double-click
    monkeypatch.setattr(QInputDialog, "getText", lambda *args, **kwargs: ("Barack Obama", True))
    item = window.sidebar.people._items[obama]
    QTest.mouseDClick(window.sidebar.viewport(), Qt.MouseButton.LeftButton, pos=window.sidebar.visualItemRect(item).center())
    qtbot.waitUntil(lambda: people_entries(window)[obama].startswith("Barack Obama  ("), timeout=5000)
    assert window.title.text() == "Barack Obama" and "Barack Obama" in window.person_chip.text()

    # merge two people: select both, the context menu's merge action (the clicked one keeps its name)
    biden = person_of(ctx, "biden", "biden.jpg")
    biden_photos = store.get_person(ctx.library, biden).photo_ids
    click_person(qtbot, window, obama)
    item = window.sidebar.people._items[biden]
    QTest.mouseClick(window.sidebar.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ControlModifier,
                     window.sidebar.visualItemRect(item).center())
    assert {s.key for s in window.sidebar.selected_sources()} == {obama, biden}
    monkeypatch.setattr(QMessageBox, "question", lambda *args, **kwargs: QMessageBox.StandardButton.Yes)
    menu = QMenu()
    obama_source = window.sidebar.people.source(obama)
    window.sidebar.people.fill_menu(menu, obama_source, window.sidebar.selected_sources())
    (merge,) = [action for action in menu.actions() if action.text() == "Merge 2 people"]
    merge.trigger()
    entries = people_entries(window)
    assert biden not in entries and entries[obama].startswith("Barack Obama  (")
    assert len([key for key in entries if isinstance(key, int)]) == len(people) - 1

    # "Not this person" on a photo while viewing the person: it leaves the grid and the count
    click_person(qtbot, window, obama)
    assert sorted(window.model.photo_ids()) == sorted(set(obama_photos) | set(biden_photos))
    faces_before = store.get_person(ctx.library, obama).face_count
    rejected_photo = biden_photos[0]
    window.grid.select_row(window.model.row_of(rejected_photo))
    window.not_this_person()
    assert rejected_photo not in window.model.photo_ids()
    assert people_entries(window)[obama] == f"Barack Obama  ({faces_before - 1})"
    assert "taken out of Barack Obama" in window.statusBar().currentMessage()
    # taught: grouping again never puts that face back into the person
    from photo_organizer.people.grouping import recluster_people

    recluster_people(ctx.library)
    assert rejected_photo not in store.get_person(ctx.library, obama).photo_ids


def test_a_person_filters_search_with_text_and_feedback(qtbot, ctx, window):
    obama = person_of(ctx, "obama", "obama.jpg")
    photos = set(store.get_person(ctx.library, obama).photo_ids)
    key = ctx.models.active_key(ctx.library, CLIP)
    ids, vectors = ctx.library.embeddings(key)
    query = vectors[np.isin(ids, list(photos))].astype(np.float32).mean(axis=0)  # close to this person's photos
    QueryCache(ctx.home.cache_dir / CACHE_FILE).put(key, TEXT, "a face", query / np.linalg.norm(query))
    click_person(qtbot, window, obama)
    window.run_search(SearchRequest(text="a face"))
    qtbot.waitUntil(lambda: not window.search.is_busy() and window.search.contents is not None, timeout=15000)
    found = window.model.photo_ids()
    assert found and set(found) <= photos
    assert window.title.text() == "\u201ca face\u201d in Unnamed person" and window.person_chip.isVisible()

    window.mark(found[0], 1)
    window.search_bar.refine_button.click()
    qtbot.waitUntil(lambda: not window.search.is_busy() and window.model.contents.search_round == 1, timeout=15000)
    assert set(window.model.photo_ids()) <= photos

    window.person_chip.click()  # the same text over everyone
    qtbot.waitUntil(lambda: not window.search.is_busy() and not window.person_chip.isVisible(), timeout=15000)
    qtbot.waitUntil(lambda: window.title.text() == "\u201ca face\u201d", timeout=15000)  # over the whole library
    assert window.search.query.scope is None and len(window.model.photo_ids()) >= len(found)
