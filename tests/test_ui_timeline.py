"""The timeline in the window: day headers, the month scrubber, events and places in the
sidebar, "Adjust date…" with undo, and the place chip of a search."""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from photo_organizer.app.types import SearchRequest
from photo_organizer.models.provider import ModelProvider
from photo_organizer.models.registry import CLIP
from photo_organizer.ui.app import launch
from photo_organizer.ui.date_dialog import AdjustDateDialog
from photo_organizer.ui.photo_model import Roles
from tests.conftest import RANDOM_WEIGHTS
from tests.test_ui_window import window_on  # noqa: F401 - the fixture
from tests.timeline_support import PHOTOS, add_timeline_photos, long_stay
from tests.ui_support import class_vectors


def headers(window) -> list[str]:
    model = window.model
    return [model.index(row).data(Roles.Header) for row in range(model.rowCount()) if model.is_header(row)]


def sidebar_texts(window, section: str) -> list[str]:
    """Entries under a sidebar section, at any depth, as shown."""
    sidebar = window.sidebar
    top = next(sidebar.topLevelItem(i) for i in range(sidebar.topLevelItemCount())
               if sidebar.topLevelItem(i).text(0) == section.upper())
    texts, pending = [], [top]
    while pending:
        item = pending.pop(0)
        children = [item.child(j) for j in range(item.childCount())]
        texts += [child.text(0) for child in children]
        pending += children
    return texts


def click_sidebar(qtbot, window, text_start: str) -> None:
    sidebar = window.sidebar
    item = next(i for i in sidebar._all_items() if i.text(0).startswith(text_start))
    sidebar.scrollToItem(item)
    QTest.mouseClick(sidebar.viewport(), Qt.MouseButton.LeftButton, pos=sidebar.visualItemRect(item).center())


def photo_ids_by_day(window) -> dict[str, list[int]]:
    """Header text -> photo ids under it, as the grid shows them."""
    model, days, current = window.model, {}, None
    for row in range(model.rowCount()):
        if model.is_header(row):
            current = model.index(row).data(Roles.Header)
            days[current] = []
        else:
            days[current].append(model.photo_id(row))
    return days


def test_the_library_opens_on_days_newest_first_with_their_place(qtbot, ctx, window_on):  # noqa: F811
    ids = add_timeline_photos(ctx.library)
    window = window_on(ctx)
    assert headers(window) == [
        "Saturday 21 October 2023 · Tokyo", "Friday 20 October 2023 · Tokyo",
        "Sunday 7 March 2021 · Paris", "Saturday 6 March 2021 · Paris",
        "Saturday 2 November 2019", "Saturday 13 July 2019 · Lyon",
    ]
    assert photo_ids_by_day(window)["Saturday 6 March 2021 · Paris"] == [ids["paris_2"], ids["paris_1"]]
    assert window.subtitle.text() == "8 photos"
    assert window.sticky_header.isVisible() and window.sticky_header.text() == "Saturday 21 October 2023 · Tokyo"


def test_scrubbing_to_a_month_puts_its_photos_at_the_top(qtbot, ctx, window_on):  # noqa: F811
    # Enough photos before and after that July 2019 is screens away from both ends.
    photos = [(f"{kind}_{i}", f"{year}-{1 + i % 12:02d}-{1 + i % 28:02d}T12:00:{i % 60:02d}", None)
              for kind, year in (("recent", 2022), ("old", 2017)) for i in range(300)]
    ids = add_timeline_photos(ctx.library, PHOTOS + photos)
    window = window_on(ctx)
    scrubber = window.scrubber
    assert scrubber.isVisible()
    july = scrubber.item_of("2019-07")
    assert july.text().split() == ["Jul", "2"]
    assert ids["lyon_2"] not in window.grid.visible_photo_ids()
    scrubber.scrollToItem(july)
    QTest.mouseClick(scrubber.viewport(), Qt.MouseButton.LeftButton, pos=scrubber.visualItemRect(july).center())
    top = window.grid.visible_photo_ids()
    assert top[:2] == [ids["lyon_2"], ids["lyon_1"]]
    qtbot.waitUntil(lambda: window.sticky_header.text() == "Saturday 13 July 2019 · Lyon", timeout=2000)
    assert window.grid.indexAt(QPoint(4, 1)).data(Roles.Header) == "Saturday 13 July 2019 · Lyon"


def test_clicking_a_place_shows_only_its_photos(qtbot, ctx, window_on):  # noqa: F811
    ids = add_timeline_photos(ctx.library)
    window = window_on(ctx)
    assert sidebar_texts(window, "Places") == [
        "France  (5)", "Japan  (2)",
        "Auvergne-Rhône-Alpes  (2)", "Île-de-France  (3)", "Tokyo  (2)",
        "Lyon  (2)", "Paris  (3)", "Tokyo  (2)",
    ]
    click_sidebar(qtbot, window, "France")
    assert sorted(window.model.photo_ids()) == sorted(ids[n] for n in ("lyon_1", "lyon_2", "paris_1", "paris_2", "paris_3"))
    click_sidebar(qtbot, window, "Paris  (")
    assert window.title.text() == "Paris"
    assert window.model.photo_ids() == [ids["paris_3"], ids["paris_2"], ids["paris_1"]]
    assert headers(window) == ["Sunday 7 March 2021 · Paris", "Saturday 6 March 2021 · Paris"]


def test_events_are_listed_under_the_timeline_and_open_on_click(qtbot, ctx, window_on):  # noqa: F811
    ids = add_timeline_photos(ctx.library)
    window = window_on(ctx)
    events = sidebar_texts(window, "Timeline")
    assert events[0].startswith("On this day")
    assert any(text.startswith("Lyon") and text.endswith("(2)") for text in events), events
    click_sidebar(qtbot, window, "Lyon")
    assert window.model.photo_ids() == [ids["lyon_2"], ids["lyon_1"]]
    assert window.title.text().startswith("Lyon")


def test_on_this_day_shows_earlier_years(qtbot, ctx, window_on):  # noqa: F811
    today = time.strftime("%m-%d")
    other = "01-02" if today == "01-01" else "01-01"
    ids = add_timeline_photos(ctx.library, [("long_ago", f"2016-{today}T09:00:00", None),
                                            ("other_day", f"2016-{other}T09:00:00", None)])
    window = window_on(ctx)
    assert sidebar_texts(window, "Timeline")[0] == "On this day  (1)"
    click_sidebar(qtbot, window, "On this day")
    assert window.model.photo_ids() == [ids["long_ago"]]


def test_shifting_a_photos_date_moves_it_in_the_timeline_and_undo_puts_it_back(qtbot, ctx, window_on, monkeypatch):  # noqa: F811
    ids = add_timeline_photos(ctx.library)
    window = window_on(ctx)
    window.grid.select_row(window.model.row_of(ids["home_1"]))

    def shift_one_day_later(dialog):
        dialog.days.setValue(1)
        return AdjustDateDialog.DialogCode.Accepted

    monkeypatch.setattr(AdjustDateDialog, "exec", shift_one_day_later)
    window.adjust_date_action.trigger()
    days = photo_ids_by_day(window)
    assert days["Sunday 3 November 2019"] == [ids["home_1"]] and "Saturday 2 November 2019" not in days
    assert window.grid.selected_photo_ids() == [ids["home_1"]]
    assert "shifted by +1d" in window.statusBar().currentMessage()
    assert window.undo_date_action.isEnabled()

    window.undo_date_action.trigger()
    days = photo_ids_by_day(window)
    assert days["Saturday 2 November 2019"] == [ids["home_1"]] and "Sunday 3 November 2019" not in days
    assert not window.undo_date_action.isEnabled()


def test_setting_a_date_on_an_undated_scan(qtbot, ctx, window_on, monkeypatch):  # noqa: F811
    ids = add_timeline_photos(ctx.library)
    window = window_on(ctx)
    window.grid.select_row(window.model.row_of(ids["tokyo_2"]))

    def set_date(dialog):
        dialog.set_button.setChecked(True)
        dialog.date_edit.setDateTime(dialog.date_edit.dateTime().fromString("1987-05-17 14:00", "yyyy-MM-dd HH:mm"))
        return AdjustDateDialog.DialogCode.Accepted

    monkeypatch.setattr(AdjustDateDialog, "exec", set_date)
    window.adjust_date_action.trigger()
    assert headers(window)[-1] == "Sunday 17 May 1987 · Tokyo"
    assert window.scrubber.item_of("1987-05") is not None


def test_a_search_within_a_place_shows_a_chip_that_widens_it(qtbot, ctx, window_on):  # noqa: F811
    ctx.models = ModelProvider(ctx.home, RANDOM_WEIGHTS)
    ids = add_timeline_photos(ctx.library)
    _, vectors = class_vectors(1, len(ids), dim=64)
    ctx.library.put_embeddings(ctx.models.active_key(ctx.library, CLIP), list(ids.values()), vectors)
    window = window_on(ctx)
    window.search_bar.field.setText("")
    click_sidebar(qtbot, window, "Paris  (")
    window.run_search(SearchRequest(photo_id=ids["paris_1"]))
    qtbot.waitUntil(lambda: window.search.contents is not None and not window.search.is_busy(), timeout=15000)
    assert window.scope_chip.isVisible() and "Paris" in window.scope_chip.text()
    assert set(window.model.photo_ids()) <= {ids["paris_1"], ids["paris_2"], ids["paris_3"]}
    QTest.mouseClick(window.scope_chip, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.scope_chip.isVisible() and not window.search.is_busy()
                    and window.search.contents is not None and window.search.query.scope is None, timeout=15000)
    assert not np.isin(window.model.photo_ids(), [ids["paris_1"], ids["paris_2"], ids["paris_3"]]).all()


def test_at_launch_older_days_get_their_place_and_the_places_list_right_after_the_first_paint(qtbot, ctx):
    from photo_organizer.ui.window_timeline import FIRST_SCREEN_DAYS

    add_timeline_photos(ctx.library, long_stay(FIRST_SCREEN_DAYS + 20))
    window = launch(ctx, scan_on_start=False, show=False)  # built, not painted yet
    qtbot.addWidget(window)
    before = headers(window)
    assert len(before) == FIRST_SCREEN_DAYS + 20
    assert all(text.endswith(" · Lyon") for text in before[:FIRST_SCREEN_DAYS])  # the first screen's days
    assert not any(text.endswith(" · Lyon") for text in before[FIRST_SCREEN_DAYS:])
    assert sidebar_texts(window, "Places") == []
    window.show()
    qtbot.waitUntil(lambda: all(text.endswith(" · Lyon") for text in headers(window)), timeout=5000)
    assert [text.split(" · ")[0] for text in headers(window)] == [text.split(" · ")[0] for text in before]  # nothing moved
    qtbot.waitUntil(lambda: sidebar_texts(window, "Places") == ["France  (120)", "Auvergne-Rhône-Alpes  (120)", "Lyon  (120)"],
                    timeout=5000)


def test_a_scrubber_jump_before_the_whole_timeline_is_listed_lands_on_its_month(qtbot, ctx, monkeypatch):
    from photo_organizer.ui import window_timeline

    monkeypatch.setattr(window_timeline, "FIRST_SCREEN_ROWS", 20)
    ids = add_timeline_photos(ctx.library, PHOTOS + long_stay(400, "2016-01-01"))  # screens of days below July 2019
    window = launch(ctx, scan_on_start=False, show=False)
    qtbot.addWidget(window)
    assert window.model.rowCount() < 30 and headers(window)[0] == "Saturday 21 October 2023 · Tokyo"
    window.show()
    deadline = time.monotonic() + 10
    while not window._after_first_paint.painted and time.monotonic() < deadline:
        QApplication.processEvents()
    assert not window.model.all_rows_shown()  # the rest comes after this paint
    window.jump_to_month("2019-07")
    assert window.grid.visible_photo_ids()[:2] == [ids["lyon_2"], ids["lyon_1"]]
    assert window.model.rowCount() == len(PHOTOS) + 400 + len(headers(window))
    qtbot.waitUntil(lambda: window.sticky_header.text() == "Saturday 13 July 2019 · Lyon", timeout=2000)


def test_after_the_first_paint_the_whole_timeline_is_listed_without_moving_the_screen(qtbot, ctx, monkeypatch):
    from photo_organizer.ui import window_timeline

    monkeypatch.setattr(window_timeline, "FIRST_SCREEN_ROWS", 20)
    ids = add_timeline_photos(ctx.library, PHOTOS + long_stay(400, "2016-01-01"))
    window = launch(ctx, scan_on_start=False, show=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(window.model.all_rows_shown, timeout=5000)
    assert window.grid.visible_photo_ids()[0] == ids["tokyo_2"] and window.grid.verticalScrollBar().value() == 0
    assert photo_ids_by_day(window)["Friday 1 January 2016 · Lyon"] == [ids["day_0"]]
