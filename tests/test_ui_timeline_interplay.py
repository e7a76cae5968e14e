"""Day header rows of the timeline with the grid's other features: curation keys, select all,
the curation filter, browse orders, stacks, dragging and the viewer. The rule: day headers show
only while a view is in its own date order (All photos and a folder newest first; an event, a
place, On this day in time); a curation filter keeps the headers of the days it leaves photos
in; any other browse order, and search results, have none."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtTest import QTest

from photo_organizer.ui.photo_model import Roles, photo_ids_from_mime
from tests.test_ui_timeline import headers, photo_ids_by_day, window_on  # noqa: F401 - the fixture
from tests.timeline_support import add_timeline_photos


def select_photos(window, photo_ids: list[int]) -> None:
    window.grid.setCurrentIndex(window.model.index(window.model.row_of(photo_ids[0])))
    selection = window.grid.selectionModel()
    for photo_id in photo_ids[1:]:
        selection.select(window.model.index(window.model.row_of(photo_id)), selection.SelectionFlag.Select)
    window.grid.setFocus()


def rating_of(window, photo_id: int) -> int | None:
    return window.model.index(window.model.row_of(photo_id)).data(Roles.Curation).rating


def choose_sort(window, sort: str) -> None:
    window.sort_box.setCurrentIndex(window.sort_box.findData(sort))


def test_rating_on_a_timeline_rates_the_photos_under_the_headers_not_their_neighbours(qtbot, ctx, window_on):  # noqa: F811
    ids = add_timeline_photos(ctx.library)
    window = window_on(ctx)
    assert window.model.has_sections()
    select_photos(window, [ids["paris_1"], ids["tokyo_1"]])
    QTest.keyClick(window.grid, Qt.Key.Key_4)
    rated = {name: rating_of(window, pid) for name, pid in ids.items()}
    assert rated == {name: (4 if name in ("paris_1", "tokyo_1") else None) for name in ids}
    assert ctx.library.query("SELECT photo_id FROM curation WHERE rating = 4 ORDER BY photo_id") == [
        {"photo_id": pid} for pid in sorted([ids["paris_1"], ids["tokyo_1"]])
    ]


def test_select_all_selects_photos_only_and_drags_only_photos(qtbot, ctx, window_on):  # noqa: F811
    ids = add_timeline_photos(ctx.library)
    window = window_on(ctx)
    window.grid.setFocus()
    QTest.keyClick(window.grid, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    selected = window.grid.selectionModel().selectedIndexes()
    assert len(selected) == len(ids)  # 8 photos, none of the 6 day headers
    assert sorted(window.grid.selected_photo_ids()) == sorted(ids.values())
    dragged = window.model.mimeData([window.model.index(row) for row in range(window.model.rowCount())])
    assert sorted(photo_ids_from_mime(dragged)) == sorted(ids.values())


def test_a_curation_filter_keeps_the_headers_of_the_days_it_leaves_photos_in(qtbot, ctx, window_on):  # noqa: F811
    ids = add_timeline_photos(ctx.library)
    window = window_on(ctx)
    select_photos(window, [ids["paris_2"], ids["lyon_1"]])
    QTest.keyClick(window.grid, Qt.Key.Key_3)
    window.filter_button.set_filter(min_rating=3)
    assert photo_ids_by_day(window) == {
        "Saturday 6 March 2021 · Paris": [ids["paris_2"]],
        "Saturday 13 July 2019 · Lyon": [ids["lyon_1"]],
    }
    assert window.subtitle.text().startswith("2 photos")
    window.filter_button.clear()
    assert len(headers(window)) == 6 and window.model.rowCount() == len(ids) + 6


def test_other_browse_orders_have_no_headers_and_newest_first_brings_them_back(qtbot, ctx, window_on):  # noqa: F811
    ids = add_timeline_photos(ctx.library)
    window = window_on(ctx)
    for sort in ("oldest", "name", "size"):
        choose_sort(window, sort)
        assert not window.model.has_sections() and window.model.rowCount() == len(ids), sort
        assert not window.scrubber.isVisible()
        qtbot.waitUntil(lambda: not window.sticky_header.isVisible(), timeout=2000)
    choose_sort(window, "oldest")
    assert window.model.photo_id(0) == ids["lyon_1"]  # row 0 is a photo
    choose_sort(window, "newest")
    assert headers(window)[0] == "Saturday 21 October 2023 · Tokyo" and window.scrubber.isVisible()


def test_a_stack_is_one_tile_under_its_day_and_a_day_left_without_a_tile_loses_its_header(qtbot, ctx, window_on):  # noqa: F811
    ids = add_timeline_photos(ctx.library)
    ctx.library.replace_stacks([], [
        ("burst", [ids["paris_1"], ids["paris_2"]], ids["paris_1"], False, "test"),
        ("burst", [ids["tokyo_1"], ids["tokyo_2"]], ids["tokyo_1"], False, "test"),  # over two days
    ])
    window = window_on(ctx)
    days = photo_ids_by_day(window)
    assert days["Saturday 6 March 2021 · Paris"] == [ids["paris_1"]]  # the best shot stands for both
    assert days["Saturday 21 October 2023 · Tokyo"] == [ids["tokyo_1"]]  # where the stack's newest shot is
    assert "Friday 20 October 2023 · Tokyo" not in days
    tile = window.model.index(window.model.row_of(ids["paris_1"]))
    assert tile.data(Roles.StackSize) == 2
    assert window.model.photo_ids() == [ids[n] for n in ("tokyo_1", "paris_3", "paris_1", "home_1", "lyon_2", "lyon_1")]


def test_the_viewer_counts_photos_and_steps_over_headers(qtbot, ctx, window_on, monkeypatch):  # noqa: F811
    ids = add_timeline_photos(ctx.library)
    window = window_on(ctx)
    seen = []

    def look(viewer) -> int:  # instead of the modal loop: what the user sees, then close
        seen.append(viewer.windowTitle())
        viewer.move(1)  # over the header of the next day
        seen.append((viewer.current_photo_id(), viewer.windowTitle()))
        return 0

    monkeypatch.setattr("photo_organizer.ui.window_photos.ViewerDialog.exec", look)
    window.open_viewer(window.model.row_of_index(0))
    assert seen[0].endswith("1 of 8")
    assert seen[1][0] == ids["tokyo_1"] and seen[1][1].endswith("2 of 8")


def test_a_click_on_a_day_header_selects_nothing_and_favourites_nothing(qtbot, ctx, window_on):  # noqa: F811
    add_timeline_photos(ctx.library)
    window = window_on(ctx)
    header = window.model.index(0)
    assert window.model.is_header(0)
    rect = window.grid.visualRect(header)
    for x in (rect.left() + 10, rect.center().x(), rect.right() - 10):
        QTest.mouseClick(window.grid.viewport(), Qt.MouseButton.LeftButton, pos=rect.center().__class__(x, rect.center().y()))
    assert window.grid.selected_photo_ids() == []
    assert ctx.library.query("SELECT COUNT(*) AS n FROM curation WHERE favourite = 1") == [{"n": 0}]
    assert window.model.flags(header) & Qt.ItemFlag.ItemIsSelectable == Qt.ItemFlag.NoItemFlags
    assert window.model.flags(QModelIndex()) == Qt.ItemFlag.NoItemFlags
