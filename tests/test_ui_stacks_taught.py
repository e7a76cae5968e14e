"""Taught albums and stacks in the window: save a refined search as an album, newcomers to
confirm, a burst as one tile that opens and takes another best shot, and the review screen
that moves the others to the (temporary) system trash after a confirmation, with undo."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QInputDialog, QMessageBox

from photo_organizer import pipeline
from photo_organizer.app.types import ALL_PHOTOS, REVIEW, SearchRequest, Source
from photo_organizer.cli.main import main
from photo_organizer.models.provider import ModelProvider
from photo_organizer.models.registry import CLIP
from photo_organizer.progress import drain
from photo_organizer.stacks.grouping import BURST_THRESHOLDS
from photo_organizer.stacks.job import update_stacks_job
from photo_organizer.ui import icons
from photo_organizer.ui.photo_model import Roles
from tests.albums_helpers import DINO_KEY
from tests.conftest import RANDOM_WEIGHTS
from tests.stack_cases import SHARP_INDEX, make_burst_folder
from tests.test_stacks import xdg_trash  # noqa: F401 - the fixture
from tests.test_ui_window import window_on  # noqa: F401 - the fixture
from tests.ui_support import class_vectors, insert_photos


def press_on_row(window, row: int, key: Qt.Key) -> None:
    window.grid.select_row(row)
    window.grid.setFocus()
    QTest.keyClick(window.grid, key)


def wait_for_round(qtbot, window, search_round: int) -> list[int]:
    qtbot.waitUntil(
        lambda: not window.search.is_busy() and window.model.contents.search_round == search_round, timeout=15000
    )
    return window.model.photo_ids()


def taught_items(window) -> dict[int, str]:
    return {
        album_id: item.text(0) for album_id, item in window.sidebar._album_items.items()
        if item.data(0, Qt.ItemDataRole.UserRole + 1).kind == "album"
    }


# ---- taught albums ----------------------------------------------------------------------------


@pytest.fixture
def classes(ctx):
    """60 photos in three classes of 20 (ids in class order) with CLIP vectors under the
    random-weights key: a search by example reads stored vectors, no model is loaded."""
    ctx.models = ModelProvider(ctx.home, RANDOM_WEIGHTS)
    ids = insert_photos(ctx.library, 60)
    labels, vectors = class_vectors(3, 20, dim=64)
    ctx.library.put_embeddings(ctx.models.active_key(ctx.library, CLIP), ids, vectors)
    return np.array(ids), labels


def save_class_zero_album(qtbot, window, monkeypatch, ids, labels) -> int:
    window.run_search(SearchRequest(photo_id=int(ids[0])))
    first = wait_for_round(qtbot, window, 0)
    row_of = {pid: row for row, pid in enumerate(first)}
    liked = [pid for pid in first[1:] if labels[list(ids).index(pid)] == 0][:2]
    disliked = first[-1]
    for pid, key in ((liked[0], Qt.Key.Key_L), (liked[1], Qt.Key.Key_L), (disliked, Qt.Key.Key_D)):
        press_on_row(window, row_of[pid], key)
    window.search.refine()
    wait_for_round(qtbot, window, 1)
    monkeypatch.setattr(QInputDialog, "getText", lambda *args, **kwargs: ("Class zero", True))
    window.save_album_action.trigger()
    qtbot.waitUntil(lambda: any("Class zero" in text for text in taught_items(window).values()), timeout=10000)
    album_id = next(album_id for album_id, text in taught_items(window).items() if "Class zero" in text)
    return album_id, liked, disliked


def test_a_refined_search_saved_as_an_album_shows_in_the_sidebar_with_its_members(qtbot, ctx, classes, window_on, monkeypatch):  # noqa: F811
    ids, labels = classes
    window = window_on(ctx)
    album_id, liked, disliked = save_class_zero_album(qtbot, window, monkeypatch, ids, labels)
    item = window.sidebar._album_items[album_id]
    assert item.icon(0).pixmap(16).toImage() == icons.icon("taught").pixmap(16).toImage()  # its own icon
    assert item.text(0).startswith("Class zero  (")

    window.sidebar.setCurrentItem(item)  # the user clicks it
    members = window.model.photo_ids()
    assert window.title.text() == "Class zero" and f"{len(members)} photos" in window.subtitle.text()
    class_zero = set(ids[labels == 0].tolist())
    assert len(members) >= 10 and sum(pid in class_zero for pid in members) / len(members) >= 0.9
    assert set(liked) <= set(members) and disliked not in members
    assert item.text(0) == f"Class zero  ({len(members)})"  # nothing new yet
    assert window.confirm_button.isVisible() and window.reject_button.isVisible()


def test_indexed_newcomers_show_as_new_and_one_is_confirmed(qtbot, ctx, classes, window_on, monkeypatch):  # noqa: F811
    ids, labels = classes
    window = window_on(ctx)
    album_id, _, _ = save_class_zero_album(qtbot, window, monkeypatch, ids, labels)
    # Three more photos of class zero arrive (their CLIP features made by the index).
    new_ids = insert_photos(ctx.library, 3, root="/photos/new")[-3:]
    _, vectors = class_vectors(3, 20, dim=64)
    key = ctx.models.active_key(ctx.library, CLIP)
    ctx.library.put_embeddings(key, new_ids, vectors[[3, 4, 5]])
    taught_stage = next(stage for stage in pipeline.STAGES if stage.key == pipeline.TAUGHT_ALBUMS)
    monkeypatch.setattr(pipeline, "STAGES", [taught_stage])
    window.start_indexing()
    qtbot.waitUntil(lambda: "3 new" in window.sidebar._album_items[album_id].text(0), timeout=15000)

    window.sidebar.setCurrentItem(window.sidebar._album_items[album_id])
    shown = window.model.photo_ids()
    assert set(shown[:3]) == set(new_ids)  # newcomers first, marked
    assert "3 new photos joined" in window.subtitle.text()
    assert [window.model.index(row).data(Roles.IsNew) for row in range(4)] == [True, True, True, False]
    press_on_row(window, 0, Qt.Key.Key_C)
    assert "2 new" in window.sidebar._album_items[album_id].text(0)
    assert sum(bool(window.model.index(row).data(Roles.IsNew)) for row in range(window.model.rowCount())) == 2

    # Disliking a member in the album view takes it out and teaches the album.
    row = window.model.row_of(int(shown[5]))
    press_on_row(window, row, Qt.Key.Key_D)
    assert int(shown[5]) not in window.model.photo_ids()
    from photo_organizer.taught.store import load

    assert load(ctx.library, album_id).examples[int(shown[5])] == -1


# ---- stacks and review ------------------------------------------------------------------------


@pytest.fixture
def burst_window(tmp_path, home, ctx, capsys, window_on):  # noqa: F811
    """The generated burst folder indexed, stacked on DINOv2-like features, in the window."""
    folder = make_burst_folder(tmp_path / "photos")
    shutil.copy2(folder.unrelated, folder.unrelated.parent / "copy of IMG_0006.JPG")  # an exact duplicate
    assert main(["add", str(tmp_path / "photos")]) == 0
    assert main(["index", "--no-embeddings", "--quiet"]) == 0
    capsys.readouterr()
    library = ctx.library
    ids = {os.path.basename(library.photo(pid).path): pid for pid in library.photo_ids()}
    ids.update({os.path.basename(p.path): p.id for p in library.photos(library.photo_ids("error"))})
    rng = np.random.default_rng(3)
    base = rng.standard_normal(96)
    vectors = {ids[p.name]: base + 0.1 * rng.standard_normal(96) for p in folder.burst}
    vectors[ids[folder.unrelated.name]] = rng.standard_normal(96)
    vectors[ids[folder.pair[0].name]] = rng.standard_normal(96)
    unit = np.stack([v / np.linalg.norm(v) for v in vectors.values()]).astype(np.float32)
    library.put_embeddings(DINO_KEY, list(vectors), unit)
    drain(update_stacks_job(library, DINO_KEY, BURST_THRESHOLDS["dino"]))
    return window_on(ctx), folder, ids


def test_a_burst_is_one_tile_that_opens_and_takes_another_best_shot(qtbot, burst_window):
    window, folder, ids = burst_window
    burst_ids = {ids[p.name] for p in folder.burst}
    sharp = ids[folder.burst[SHARP_INDEX].name]
    shown = window.model.photo_ids()
    assert len(shown) == 4  # the burst, the unrelated shot and its copy, the JPEG of the pair (the RAW is unreadable)
    assert sharp in shown and not (burst_ids - {sharp}) & set(shown)
    assert window.model.index(window.model.row_of(sharp)).data(Roles.StackSize) == 5

    qtbot.waitUntil(lambda: window.model.index(window.model.row_of(sharp)).data(Roles.Thumbnail) is not None, timeout=5000)
    press_on_row(window, window.model.row_of(sharp), Qt.Key.Key_S)
    assert window._source.kind == "stack" and window.title.text() == "Burst of 5 photos"
    assert window.model.photo_ids()[0] == sharp and set(window.model.photo_ids()) == burst_ids
    assert [window.model.index(row).data(Roles.IsBest) for row in range(2)] == [True, False]
    assert window.best_button.isVisible()

    other = window.model.photo_ids()[3]
    window.grid.select_row(3)
    window.best_button.click()
    assert window.model.photo_ids()[0] == other  # the best shot leads the stack now

    QTest.keyClick(window.grid, Qt.Key.Key_Escape)
    assert window._source == ALL_PHOTOS
    assert other in window.model.photo_ids() and sharp not in window.model.photo_ids()  # the cover followed
    assert window.model.index(window.model.row_of(other)).data(Roles.StackSize) == 5

    # A click on the count opens the stack too.
    index = window.model.index(window.model.row_of(other))
    qtbot.waitUntil(lambda: index.data(Roles.Thumbnail) is not None, timeout=5000)
    delegate = window.grid.photo_delegate
    picture = delegate.layout.overlay_rect(window.grid.visualRect(index), index.data(Roles.Thumbnail).deviceIndependentSize().toSize())
    QTest.mouseClick(window.grid.viewport(), Qt.MouseButton.LeftButton, pos=delegate.layout.stack_badge_rect(picture).center())
    assert window._source.kind == "stack" and set(window.model.photo_ids()) == burst_ids


def test_review_moves_the_others_to_the_trash_after_confirming_and_undo_brings_them_back(
    qtbot, burst_window, xdg_trash, monkeypatch  # noqa: F811 - the fixture
):
    window, folder, ids = burst_window
    assert window.sidebar._review_item.text(0) == "Review stacks & duplicates  (2)"
    window.sidebar.select_source(REVIEW)
    page = window.review_page
    assert window.stack.currentWidget() is page
    qtbot.waitUntil(lambda: page.heading.text() == "3 groups to review", timeout=10000)  # burst, pair, copies
    assert not page.undo_button.isEnabled()
    asked = []

    def answer(_parent, _title, text, *args, **kwargs):
        asked.append(text)
        return QMessageBox.StandardButton.No if len(asked) == 1 else QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", answer)
    burst_key = f"stack {window.backend.stack_of_photo(ids[folder.burst[0].name])}"
    assert not page.keep_buttons[f"stack {window.backend.stack_of_photo(ids['IMG_0100.JPG'])}"].isEnabled()  # one shot
    page.keep_buttons[burst_key].click()  # the user says no: nothing moves
    assert "move 4 other photos to the system trash" in asked[0]
    assert all(p.exists() for p in folder.burst)

    page.keep_buttons[burst_key].click()
    kept = folder.burst[SHARP_INDEX]
    assert kept.exists() and not any(p.exists() for p in folder.burst if p != kept)
    assert "Moved 4 photos to the trash" in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: page.heading.text() == "2 groups to review", timeout=10000)
    assert page.undo_button.isEnabled()
    copy_key = next(key for key in page.keep_buttons if key.startswith("exact duplicates"))
    page.keep_buttons[copy_key].click()  # the exact copy goes too, one of the two stays
    assert folder.unrelated.exists() != (folder.unrelated.parent / "copy of IMG_0006.JPG").exists()
    qtbot.waitUntil(lambda: page.heading.text() == "1 group to review", timeout=10000)
    window.show_source(Source("all", title="All photos"))
    assert len(window.model.photo_ids()) == 3 and ids[kept.name] in window.model.photo_ids()

    window.sidebar.select_source(REVIEW)
    page.undo_button.click()  # the copy comes back
    assert folder.unrelated.exists() and (folder.unrelated.parent / "copy of IMG_0006.JPG").exists()
    page.undo_button.click()  # then the burst
    assert all(p.exists() for p in folder.burst)
    qtbot.waitUntil(lambda: page.heading.text() == "3 groups to review", timeout=10000)
    assert not page.undo_button.isEnabled()
