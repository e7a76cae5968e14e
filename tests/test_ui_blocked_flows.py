"""Flows of the window that used to be blocked: merging several albums, putting photos into
albums by hand (menu and drag), new albums, a search by text and example together, the files
that could not be read, and photos arriving while the window is open."""

from __future__ import annotations

import functools

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QInputDialog, QMenu

from photo_organizer.app import folder_watch
from photo_organizer.app.types import FAILED, Source
from photo_organizer.ui import window_library
from photo_organizer.ui.app import launch
from photo_organizer.ui.job_names import INDEXING
from tests.test_ui_albums import album_texts, make_album
from tests.ui_support import indexed_library, jpeg_bytes


def click_album(qtbot, window, album_id: int, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    sidebar = window.sidebar
    rect = sidebar.visualItemRect(sidebar._album_items[album_id])
    qtbot.mouseClick(sidebar.viewport(), Qt.MouseButton.LeftButton, modifier, rect.center())


def menu_texts(menu: QMenu) -> dict[str, object]:
    return {action.text(): action for action in menu.actions()}


def test_three_albums_selected_in_the_sidebar_merge_into_the_one_whose_name_is_chosen(qtbot, ctx, tmp_path, monkeypatch):
    indexed_library(ctx, tmp_path / "photos", per_class=1)
    ids = ctx.library.photo_ids()
    beach, cats, snow = make_album(ctx.library, ids[:2]), make_album(ctx.library, ids[2:4]), make_album(ctx.library, ids[4:])
    ctx.library.set_album_name(cats, "Cats")
    window = launch(ctx, scan_on_start=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)

    click_album(qtbot, window, beach)
    click_album(qtbot, window, cats, Qt.KeyboardModifier.ControlModifier)
    click_album(qtbot, window, snow, Qt.KeyboardModifier.ControlModifier)
    assert sorted(window.sidebar.selected_album_ids()) == sorted([beach, cats, snow])  # not collapsed to one
    menu = QMenu()
    window.sidebar._album_menu(menu, Source("album", snow, f"Album {snow}"))
    merge = menu_texts(menu)["Merge 3 albums…"]
    assert merge.isEnabled()

    offered: list[list[str]] = []

    def choose(parent, title, label, names, *args):
        offered.append(list(names))
        return "Cats", True

    monkeypatch.setattr(QInputDialog, "getItem", choose)
    merge.trigger()
    assert sorted(offered[0]) == sorted([f"Album {beach}", "Cats", f"Album {snow}"])
    assert album_texts(window) == {cats: "Cats  (6)"}
    assert "Merged 3 albums into “Cats” (6 photos)" in window.statusBar().currentMessage()


def test_new_album_add_by_menu_and_by_drag_and_the_header_follows_a_rename(qtbot, ctx, tmp_path, monkeypatch):
    indexed_library(ctx, tmp_path / "photos", per_class=1)
    ids = ctx.library.photo_ids()
    beach = make_album(ctx.library, ids[:3])
    window = launch(ctx, scan_on_start=False)
    qtbot.addWidget(window)

    monkeypatch.setattr("photo_organizer.ui.window_albums.ask_text", lambda *args, **kwargs: ("Keepers", True))
    window.new_album()
    keepers = next(a for a, text in album_texts(window).items() if text.startswith("Keepers"))
    assert album_texts(window)[keepers] == "Keepers  (0)" and window.title.text() == "Keepers"

    window.show_source(Source("all", title="All photos"))
    selection = window.grid.selectionModel()
    for position in (0, 1):  # the first two photos (a timeline has day header rows too)
        selection.select(window.model.index(window.model.row_of_index(position)), selection.SelectionFlag.Select)
    menu = QMenu()
    window._add_to_album_menu(menu)
    submenu = menu_texts(menu)["Add to album"].menu()
    assert {"Keepers", f"Album {beach}", "New album…"} <= set(menu_texts(submenu))
    menu_texts(submenu)["Keepers"].trigger()
    assert album_texts(window)[keepers] == "Keepers  (2)"

    dragged = window.model.mimeData([window.model.index(window.model.row_of_index(i)) for i in (4, 5)])
    target = window.sidebar.visualItemRect(window.sidebar._album_items[keepers]).center()
    drop = QDropEvent(QPointF(target), Qt.DropAction.CopyAction, dragged, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    window.sidebar.dropEvent(drop)
    assert album_texts(window)[keepers] == "Keepers  (4)"
    assert "Added 2 photos to “Keepers” (4 photos)" in window.statusBar().currentMessage()

    window.show_source(Source("album", beach, f"Album {beach}"))
    monkeypatch.setattr("photo_organizer.ui.window_albums.ask_text", lambda *args, **kwargs: ("Seaside", True))
    window.rename_album(beach)
    assert window.title.text() == "Seaside"  # not the old name


def test_the_example_shows_as_a_chip_and_is_searched_together_with_the_text(qtbot, ctx, tmp_path):
    indexed_library(ctx, tmp_path / "photos", per_class=1)
    window = launch(ctx, scan_on_start=False)
    qtbot.addWidget(window)
    asked = []
    window.search.search = asked.append  # what the window asks the search core for
    example = tmp_path / "example.jpg"
    example.write_bytes(jpeg_bytes())

    window.search_bar.set_example(str(example))
    window.search_bar.submit()
    bar = window.search_bar
    assert not bar.chip.isHidden() and bar.chip.name.text() == "like example.jpg"
    assert (asked[-1].text, asked[-1].image_path) == (None, str(example))
    assert bar.field.text() == ""  # the field stays for words

    qtbot.keyClicks(bar.field, "red sunset")
    qtbot.keyClick(bar.field, Qt.Key.Key_Return)
    assert (asked[-1].text, asked[-1].image_path) == ("red sunset", str(example))
    assert asked[-1].describe() == "“red sunset”, like example.jpg"

    qtbot.mouseClick(bar.chip.remove_button, Qt.MouseButton.LeftButton)
    assert bar.chip.isHidden()
    assert (asked[-1].text, asked[-1].image_path) == ("red sunset", None)


def test_files_that_could_not_be_read_are_listed_and_tried_again(qtbot, ctx, tmp_path):
    folder = tmp_path / "photos"
    indexed_library(ctx, folder, per_class=1)
    broken = folder / "broken.jpg"
    broken.write_bytes(b"not a photo at all")
    from photo_organizer.pipeline import PipelineOptions, update_library
    from photo_organizer.progress import drain

    drain(update_library(ctx.library, ctx.models, PipelineOptions(embeddings=False)))
    window = launch(ctx, scan_on_start=False)
    qtbot.addWidget(window)
    item = window.sidebar._failed_item
    assert not item.isHidden() and item.text(0) == "Could not read  (1)"

    window.sidebar.select_source(FAILED)
    page = window.failed_page
    assert window.stack.currentWidget() is page and page.title.text() == "Could not read (1)"
    [(name, where, reason)] = page.rows()
    assert (name, where) == ("broken.jpg", str(folder)) and "not an image" in reason
    assert page.retry_button.text() == "Try again (all)"
    page.table.selectRow(0)
    assert page.folder_button.isEnabled() and page.retry_button.text() == "Try again (1 selected)"

    broken.write_bytes(jpeg_bytes())  # the user replaced it with a good copy
    with qtbot.waitSignal(window.jobs.finished, timeout=60000):
        qtbot.mouseClick(page.retry_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: item.isHidden(), timeout=10000)
    assert page.rows() == [] and "Every file" in page.explanation.text()


def test_photos_arriving_in_a_folder_are_indexed_once_they_settled(qtbot, ctx, tmp_path, monkeypatch):
    folder = tmp_path / "photos"
    indexed_library(ctx, folder, per_class=1)
    monkeypatch.setattr(window_library, "ArrivalTracker", functools.partial(folder_watch.ArrivalTracker, quiet_s=0.3, check_s=0.2))
    window = launch(ctx, scan_on_start=False)
    qtbot.addWidget(window)
    runs: list[str] = []
    window.jobs.started.connect(runs.append)
    window.watch_folders()
    before = window.backend.library_summary().photos

    for number in range(20):
        (folder / f"new_{number:02d}.jpg").write_bytes(jpeg_bytes(colour=(number * 10, 40, 90)))
    qtbot.waitUntil(lambda: window.backend.library_summary().photos == before + 20, timeout=60000)
    qtbot.waitUntil(lambda: not window.jobs.is_busy(), timeout=30000)
    assert runs == [INDEXING]  # one run for the whole burst
    window.stop_watching_folders()
