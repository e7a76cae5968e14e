"""The main window end to end: feedback through the real search core, keys, first run with
indexing, missing weights, the viewer."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox

from photo_organizer.app import listing
from photo_organizer.app.types import SearchRequest
from photo_organizer.errors import OfflineError, WeightsMismatchError
from photo_organizer.models.provider import ModelProvider
from photo_organizer.models.registry import CLIP
from photo_organizer.ui.app import launch
from photo_organizer.ui.dialogs import MissingWeightsDialog
from photo_organizer.ui.photo_model import Roles
from photo_organizer.ui.viewer import ViewerDialog
from tests.conftest import RANDOM_WEIGHTS
from tests.ui_support import class_vectors, indexed_library, insert_photos


@pytest.fixture
def window_on(qtbot):
    def open_window(ctx):
        window = launch(ctx, scan_on_start=False)
        qtbot.addWidget(window)  # closed (and its threads stopped) after the test
        qtbot.waitExposed(window)
        window.activateWindow()  # keyboard shortcuts need the active window
        qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5000)
        return window

    return open_window


@pytest.fixture
def searchable(ctx):
    """60 photos with CLIP vectors in three classes, under the random-weights model key
    (a search by example photo reads the stored vectors; no model is loaded)."""
    ctx.models = ModelProvider(ctx.home, RANDOM_WEIGHTS)
    ids = insert_photos(ctx.library, 60)
    _, vectors = class_vectors(3, 20, dim=64)
    ctx.library.put_embeddings(ctx.models.active_key(ctx.library, CLIP), ids, vectors)
    return ids


def wait_for_ranking(qtbot, window, search_round: int) -> list[int]:
    qtbot.waitUntil(
        lambda: not window.search.is_busy()
        and window.search.contents is not None
        and window.model.contents.search_round == search_round,
        timeout=15000,
    )
    return window.model.photo_ids()


def press_on_row(window, row: int, key: Qt.Key) -> None:
    window.grid.select_row(row)
    window.grid.setFocus()
    QTest.keyClick(window.grid, key)


def test_like_dislike_keys_then_refine_reorders_through_the_search_core(qtbot, ctx, searchable, window_on, monkeypatch):
    window = window_on(ctx)
    window.run_search(SearchRequest(photo_id=searchable[0]))
    first_round = wait_for_ranking(qtbot, window, 0)
    assert len(first_round) >= 10 and window.model.index(0).data(Roles.Score) is not None
    liked, disliked = first_round[8], first_round[1]

    press_on_row(window, 8, Qt.Key.Key_L)
    press_on_row(window, 1, Qt.Key.Key_D)
    press_on_row(window, 2, Qt.Key.Key_D)
    press_on_row(window, 2, Qt.Key.Key_U)  # changed my mind
    qtbot.waitUntil(lambda: not window.search.is_busy(), timeout=10000)
    assert window.model.contents.labels == {liked: 1, disliked: -1}
    assert "1 liked · 1 disliked" in window.search_bar.round_label.text()
    assert liked in listing.liked_photos(ctx.library).photo_ids  # saved by the core

    window.search_bar.refine_button.click()
    second_round = wait_for_ranking(qtbot, window, 1)
    assert second_round != first_round
    assert second_round[0] == liked  # nearest to the liked photo, farthest from the disliked one
    assert disliked not in second_round[:5]
    assert window.model.index(0).data(Roles.Feedback) == 1 and window.model.index(0).data(Roles.Predicted) == 1
    assert "Round 1" in window.search_bar.round_label.text()

    monkeypatch.setattr(QMessageBox, "question", lambda *_: QMessageBox.StandardButton.Reset)  # "Forget the likes?"
    window.search_bar.reset_button.click()
    assert wait_for_ranking(qtbot, window, 0) == first_round
    assert window.model.contents.labels == {}


def test_hover_button_click_marks_a_photo(qtbot, ctx, searchable, window_on):
    window = window_on(ctx)
    window.run_search(SearchRequest(photo_id=searchable[0]))
    ranking = wait_for_ranking(qtbot, window, 0)
    qtbot.waitUntil(window.grid.visible_thumbnails_known, timeout=5000)  # no thumbnails: placeholders
    cell = window.grid.visualRect(window.model.index(3))
    layout = window.grid.photo_delegate.layout
    like_button = dict(layout.button_rects(layout.overlay_rect(cell, None)))[1]
    QTest.mouseMove(window.grid.viewport(), like_button.center())
    QTest.mouseClick(window.grid.viewport(), Qt.MouseButton.LeftButton, pos=like_button.center())
    qtbot.waitUntil(lambda: not window.search.is_busy(), timeout=10000)
    assert window.model.contents.labels == {ranking[3]: 1}
    QTest.mouseClick(window.grid.viewport(), Qt.MouseButton.LeftButton, pos=like_button.center())
    assert window.model.contents.labels == {}  # a second click on the same button clears


def test_marks_outside_a_search_explain_themselves(qtbot, ctx, searchable, window_on):
    window = window_on(ctx)
    press_on_row(window, 0, Qt.Key.Key_L)
    assert "search first" in window.statusBar().currentMessage()
    assert not listing.liked_photos(ctx.library).photo_ids.size


def test_missing_weights_reach_the_user(qtbot, ctx, window_on, monkeypatch):
    insert_photos(ctx.library, 3)
    window = window_on(ctx)
    assert window.weights_button.isVisible() and "ViT-B-32" in window.weights_button.text()
    asked: list[str] = []
    monkeypatch.setattr(window, "show_missing_weights", lambda name: asked.append(name) or False)
    window.run_search(SearchRequest(text="dog in the snow"))
    qtbot.waitUntil(lambda: bool(asked), timeout=10000)
    assert asked == ["ViT-B-32"]
    assert not window.search.active


def test_missing_weights_dialog_imports_or_explains(qtbot, ctx, monkeypatch, tmp_path):
    from photo_organizer.app.library_service import LibraryService

    backend = LibraryService(ctx)
    dialog = MissingWeightsDialog(backend, backend.weights_info("ViT-B-32"))
    qtbot.addWidget(dialog)
    text = " ".join(label.text() for label in dialog.findChildren(type(dialog.status)))
    assert "Online" in text and "Offline" in text and "open_clip_pytorch_model.bin" in text

    def refuse(name, path):
        raise WeightsMismatchError(f"{path} does not fit {name}: 3 tensors missing.")

    monkeypatch.setattr(backend, "import_weights", refuse)
    dialog.import_file(str(tmp_path / "wrong.bin"))
    qtbot.waitUntil(lambda: "does not fit" in dialog.status.text(), timeout=5000)
    assert dialog.import_button.isEnabled() and dialog.result() == 0

    def offline(name):
        raise OfflineError("huggingface.co cannot be reached.")

    monkeypatch.setattr(backend, "download_weights", offline)
    dialog.download_button.click()
    qtbot.waitUntil(lambda: "cannot be reached" in dialog.status.text(), timeout=5000)

    installed: list[tuple[str, str]] = []
    monkeypatch.setattr(backend, "import_weights", lambda name, path: installed.append((name, path)))
    with qtbot.waitSignal(dialog.accepted, timeout=5000):
        dialog.import_file("/tmp/open_clip_pytorch_model.bin")
    assert installed == [("ViT-B-32", "/tmp/open_clip_pytorch_model.bin")]


def test_first_run_adds_a_folder_and_the_grid_fills(qtbot, ctx, window_on, tmp_path):
    from photo_organizer.sample_photos import make_labelled_folder

    window = window_on(ctx)
    assert window.stack.currentWidget() is window.welcome
    folder = tmp_path / "photos"
    make_labelled_folder(folder, per_class=1, size=(96, 72))
    finished: list[str] = []
    window.jobs.finished.connect(lambda name, result: finished.append(name))
    window.add_folder_path(str(folder))
    assert window.stack.currentWidget() is window.grid_page
    qtbot.waitUntil(lambda: "Indexing" in finished, timeout=30000)
    qtbot.waitUntil(lambda: len(window.model.contents) == 6, timeout=5000)
    qtbot.waitUntil(window.grid.visible_thumbnails_known, timeout=5000)
    visible = window.grid.visible_photo_ids()  # under their day headers
    assert visible and all(window.loader.pixmap(pid) is not None for pid in visible)
    assert "6 photos" in window.subtitle.text()


def test_viewer_shows_metadata_and_moves_with_arrows(qtbot, ctx, window_on, tmp_path):
    indexed_library(ctx, tmp_path / "photos", per_class=1)
    window = window_on(ctx)
    first, second = window.model.row_of(window.model.photo_ids()[0]), window.model.row_of(window.model.photo_ids()[1])
    viewer = ViewerDialog(window.backend, window.model, first, feedback_enabled=False, parent=window)
    qtbot.addWidget(viewer)
    viewer.show()
    viewer.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is viewer, timeout=5000)
    qtbot.waitUntil(viewer.image.has_picture, timeout=5000)
    assert viewer.fields["path"].text() == window.model.index(first).data(Roles.Path)
    assert "96 × 72 px" in viewer.fields["size"].text() and viewer.fields["date"].text().startswith("2024")
    QTest.keyClick(viewer, Qt.Key.Key_Right)
    assert viewer.row == second and viewer.fields["path"].text() == window.model.index(second).data(Roles.Path)
    QTest.keyClick(viewer, Qt.Key.Key_Left)
    QTest.keyClick(viewer, Qt.Key.Key_Left)
    assert viewer.row == first and not viewer.previous_button.isEnabled()


def test_auto_refine_reranks_after_each_mark(qtbot, ctx, searchable, window_on):
    window = window_on(ctx)
    window.search_bar.auto_refine.setChecked(True)
    window.run_search(SearchRequest(photo_id=searchable[0]))
    first_round = wait_for_ranking(qtbot, window, 0)
    press_on_row(window, 6, Qt.Key.Key_L)
    assert wait_for_ranking(qtbot, window, 1)[0] == first_round[6]
    assert window.ui_settings.auto_refine  # remembered


def test_window_state_and_preferences_are_remembered(qtbot, ctx):
    window = launch(ctx, scan_on_start=False)
    qtbot.addWidget(window)
    window.resize(700, 600)  # within the offscreen screen (800 x 800)
    window.set_thumbnail_side(128)
    window.close()
    again = launch(ctx, scan_on_start=False)
    qtbot.addWidget(again)
    assert again.size().width() == 700 and again.size().height() == 600
    assert again.size_slider.value() == 128 and again.grid.photo_delegate.layout.side == 128


def test_settings_dialog_writes_library_settings(qtbot, ctx):
    from photo_organizer.app.library_service import LibraryService
    from photo_organizer.ui.dialogs import SettingsDialog
    from photo_organizer.ui.settings import UiSettings

    backend = LibraryService(ctx)
    ui_settings = UiSettings(ctx.home.root / "window.ini")
    dialog = SettingsDialog(backend, ui_settings)
    qtbot.addWidget(dialog)
    dialog.clip_model.setCurrentIndex(dialog.clip_model.findData("ViT-B-16"))
    dialog.dino_model.setCurrentIndex(dialog.dino_model.findData(None))  # albums off
    dialog.granularity.setCurrentIndex(dialog.granularity.findData("more"))
    dialog.theme.setCurrentIndex(2)
    dialog.apply()
    core = backend.core_settings()
    assert (core.clip_model, core.dino_model, core.granularity) == ("ViT-B-16", None, "more")
    assert ui_settings.theme == "light"


def test_sort_by_date_keeps_the_results_and_the_round(qtbot, ctx, searchable, window_on):
    window = window_on(ctx)
    window.run_search(SearchRequest(photo_id=searchable[0]))
    by_relevance = wait_for_ranking(qtbot, window, 0)
    assert window.sort_box.isVisible()
    window.sort_box.setCurrentIndex(window.sort_box.findData("date"))
    qtbot.waitUntil(lambda: not window.search.is_busy() and window.model.photo_ids() != by_relevance, timeout=10000)
    by_date = window.model.photo_ids()
    assert sorted(by_date) == sorted(by_relevance)
    dates = [ctx.library.photo(pid).taken_at for pid in by_date]
    assert dates == sorted(dates, reverse=True)
