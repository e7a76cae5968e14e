"""Curating in the window: stars with keys and undo, keywords with autocomplete and the
Keywords tree, favourites that survive Reset feedback, the viewer's curation keys."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

from photo_organizer.app.types import FAVOURITES, SearchRequest
from photo_organizer.curation.edits import SidecarSettings
from photo_organizer.ui.photo_model import Roles
from tests.test_ui_window import press_on_row, searchable, wait_for_ranking, window_on  # noqa: F401 - fixtures
from tests.ui_support import indexed_library


@pytest.fixture
def photos(ctx, tmp_path):
    """Real photos in a folder (curation edits write their XMP sidecars beside them)."""
    indexed_library(ctx, tmp_path / "photos")
    return ctx.library.photos_newest_first()


def sidebar_texts(window) -> list[str]:
    return [item.text(0) for item in window.sidebar._all_items()]


def tile(window, position: int):
    """The grid index of the photo at this position (over the timeline's day header rows)."""
    return window.model.index(window.model.row_of_index(position))


def select_rows(window, rows: list[int]) -> None:
    window.grid.select_row(window.model.row_of_index(rows[0]))
    selection = window.grid.selectionModel()
    for row in rows[1:]:
        selection.select(tile(window, row), selection.SelectionFlag.Select)
    window.grid.setFocus()


def ratings(window, rows: list[int]) -> list[int | None]:
    return [tile(window, row).data(Roles.Curation).rating for row in rows]


def test_rate_a_selection_with_keys_undo_and_filter_by_rating(qtbot, ctx, photos, window_on):  # noqa: F811
    window = window_on(ctx)
    select_rows(window, [0, 1, 2])
    QTest.keyClick(window.grid, Qt.Key.Key_4)
    assert ratings(window, [0, 1, 2, 3]) == [4, 4, 4, None]  # the tiles paint these stars
    assert "3 photos: \u2605\u2605\u2605\u2605" in window.statusBar().currentMessage()
    assert window.undo_action.isEnabled() and "Undo rating" in window.undo_action.text()

    select_rows(window, [0])
    QTest.keyClick(window.grid, Qt.Key.Key_X)
    assert tile(window, 0).data(Roles.Curation).rejected
    QTest.keyClick(window.grid, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # undo the reject
    assert ratings(window, [0, 1, 2]) == [4, 4, 4]

    window.filter_button.set_filter(min_rating=4)
    assert len(window.model.contents) == 3
    assert "3 photos" in window.subtitle.text() and "\u2605\u2605\u2605\u2605 or more" in window.subtitle.text()
    window.filter_button.clear()
    assert len(window.model.contents) == len(photos)

    select_rows(window, [1])
    QTest.keyClick(window.grid, Qt.Key.Key_0)  # no rating
    QTest.keyClick(window.grid, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert ratings(window, [0, 1, 2]) == [4, 4, 4]
    assert not window.undo_action.isEnabled()  # one level: the last edit


def test_keyword_with_autocomplete_shows_in_the_tree_and_filters_the_grid(qtbot, ctx, photos, window_on):  # noqa: F811
    window = window_on(ctx)
    select_rows(window, [0])
    window.keywords_action.trigger()
    dialog = window.keyword_dialog
    QTest.keyClicks(dialog.field, "Trips/2019/Lyon")
    dialog.accept()
    assert "Trips  (1)" in sidebar_texts(window) and "Lyon  (1)" in sidebar_texts(window)

    select_rows(window, [3])
    QTest.keyClick(window.grid, Qt.Key.Key_K)
    dialog = window.keyword_dialog
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=5000)
    dialog.field.setFocus()
    completer = dialog.field.completer()

    def offered() -> list[str]:
        shown = completer.popup().model()  # what the popup lists
        return [shown.index(row, 0).data() for row in range(shown.rowCount())]

    QTest.keyClicks(dialog.field, "lyo")  # the last part matches
    assert completer.popup().isVisible() and offered() == ["Trips/2019/Lyon"]
    QTest.keyClicks(dialog.field, "x")
    assert offered() == []
    QTest.keyClick(dialog.field, Qt.Key.Key_Backspace)
    QTest.keyClick(dialog.field, Qt.Key.Key_Backspace)  # "ly": offered again; the user picks it
    assert offered() == ["Trips/2019/Lyon"]
    QTest.keyClick(completer.popup(), Qt.Key.Key_Down)
    QTest.keyClick(completer.popup(), Qt.Key.Key_Return)
    assert dialog.field.text() == "Trips/2019/Lyon"
    dialog.done(QDialog.DialogCode.Accepted)
    texts = sidebar_texts(window)
    assert "Trips  (2)" in texts and "2019  (2)" in texts and "Lyon  (2)" in texts

    trips = next(item for item in window.sidebar._all_items() if item.text(0) == "Trips  (2)")
    lyon = trips.child(0).child(0)
    window.sidebar.setCurrentItem(lyon)
    assert sorted(window.model.photo_ids()) == sorted([photos[0], photos[3]])
    assert window.title.text() == "Trips/2019/Lyon"
    assert tile(window, 0).data(Roles.Curation).keywords == ("Trips/2019/Lyon",)


def test_favourite_survives_reset_feedback_after_the_question(qtbot, ctx, searchable, window_on, monkeypatch):  # noqa: F811
    SidecarSettings(write=False).save(ctx.library)  # these photos have no files to put sidecars beside
    window = window_on(ctx)
    window.run_search(SearchRequest(photo_id=searchable[0]))
    ranking = wait_for_ranking(qtbot, window, 0)
    press_on_row(window, 1, Qt.Key.Key_L)
    press_on_row(window, 2, Qt.Key.Key_F)
    qtbot.waitUntil(lambda: not window.search.is_busy(), timeout=10000)
    assert "Favourites  (1)" in sidebar_texts(window) and "Liked in searches  (1)" in sidebar_texts(window)
    assert window.model.index(2).data(Roles.Curation).favourite

    questions: list[str] = []
    answer = QMessageBox.StandardButton.Cancel
    monkeypatch.setattr(QMessageBox, "question", lambda _parent, _title, text, *_: questions.append(text) or answer)
    window.reset_action.trigger()
    assert questions and "favourites" in questions[0].lower()
    assert window.model.contents.labels == {ranking[1]: 1}  # cancelled: nothing forgotten

    answer = QMessageBox.StandardButton.Reset
    window.search_bar.reset_button.click()
    assert wait_for_ranking(qtbot, window, 0) == ranking
    qtbot.waitUntil(lambda: window.model.contents.labels == {}, timeout=10000)
    assert ctx.library.curations([ranking[2]])[ranking[2]].favourite
    window.sidebar.select_source(FAVOURITES)
    assert window.model.photo_ids() == [ranking[2]]
    assert "Favourites  (1)" in sidebar_texts(window)


def test_hover_heart_favourites_a_photo(qtbot, ctx, photos, window_on):  # noqa: F811
    window = window_on(ctx)
    qtbot.waitUntil(window.grid.visible_thumbnails_known, timeout=5000)
    index = tile(window, 1)
    cell = window.grid.visualRect(index)
    delegate = window.grid.photo_delegate
    picture = index.data(Roles.Thumbnail)
    size = picture.deviceIndependentSize().toSize() if picture is not None else None
    heart = next(
        pos for pos in (cell.bottomLeft() + type(cell.topLeft())(dx, -dy) for dx in range(4, 60, 2) for dy in range(4, 60, 2))
        if delegate.on_heart(cell, size, pos)
    )
    QTest.mouseMove(window.grid.viewport(), heart)
    QTest.mouseClick(window.grid.viewport(), Qt.MouseButton.LeftButton, pos=heart)
    assert ctx.library.favourite_photo_ids() == [photos[1]]
    assert "Favourites  (1)" in sidebar_texts(window)


def test_viewer_curates_and_explains_like_outside_a_search(qtbot, ctx, photos, window_on, monkeypatch):  # noqa: F811
    from photo_organizer.ui.viewer import ViewerDialog

    window = window_on(ctx)
    opened: list[ViewerDialog] = []
    monkeypatch.setattr(ViewerDialog, "exec", lambda self: opened.append(self) or 0)
    window.open_viewer(window.model.row_of(photos[1]))  # the grid's current photo stays the first: keys must reach the viewer's
    viewer = opened[0]
    window._viewer = viewer  # open_viewer forgets it once exec returns; the dialog is still shown here
    qtbot.addWidget(viewer)
    viewer.show()
    qtbot.waitExposed(viewer)
    viewer.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is viewer, timeout=5000)
    QTest.keyClick(viewer, Qt.Key.Key_5)
    QTest.keyClick(viewer, Qt.Key.Key_F)
    QTest.keyClick(viewer, Qt.Key.Key_7)
    state = ctx.library.curations([photos[1]])[photos[1]]
    assert (state.rating, state.favourite, state.label) == (5, True, "Yellow")
    assert ctx.library.curations([photos[0]])[photos[0]].rating is None  # not the grid's current photo
    assert viewer.curation_panel.favourite_button.isChecked()
    assert viewer.curation_panel.star_buttons[4].text() == "\u2605"
    QTest.keyClick(viewer, Qt.Key.Key_L)
    assert "search first" in viewer.note.text()
    viewer.curation_panel.caption.setText("Sunset over the lake")
    viewer.curation_panel.caption.editingFinished.emit()
    assert ctx.library.curations([photos[1]])[photos[1]].caption == "Sunset over the lake"


def test_filter_narrows_a_search_and_keeps_its_marks(qtbot, ctx, searchable, window_on):  # noqa: F811
    SidecarSettings(write=False).save(ctx.library)
    window = window_on(ctx)
    window.run_search(SearchRequest(photo_id=searchable[0]))
    ranking = wait_for_ranking(qtbot, window, 0)
    favourites = ranking[:4]
    window.backend.curation.toggle_favourite(favourites)
    press_on_row(window, 0, Qt.Key.Key_L)
    qtbot.waitUntil(lambda: not window.search.is_busy(), timeout=10000)

    window.filter_button.set_filter(favourites=True)
    qtbot.waitUntil(lambda: not window.search.is_busy() and set(window.model.photo_ids()) <= set(favourites), timeout=15000)
    assert window.model.photo_ids()[0] == ranking[0] and "favourites" in window.title.text()
    assert window.model.contents.labels == {ranking[0]: 1}  # the search's marks stay
    window.filter_button.clear()
    qtbot.waitUntil(lambda: not window.search.is_busy() and not set(window.model.photo_ids()) <= set(favourites), timeout=15000)
    assert window.model.contents.labels == {ranking[0]: 1} and window.model.photo_ids()[0] == ranking[0]
