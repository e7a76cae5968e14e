"""The window's folder flows: remove a folder and add it back (albums return as they were),
an unplugged folder shown offline and kept, and clearing the search history (issues 12.1,
12.2, 18.14). Set SHOTS_DIR to keep screenshots of what the user sees."""

from __future__ import annotations

import os

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from photo_organizer.albums import edits, store
from photo_organizer.albums.recluster import recluster_job
from photo_organizer.app.types import ALL_PHOTOS
from photo_organizer.progress import drain
from photo_organizer.ui.app import launch
from photo_organizer.ui.job_names import INDEXING
from photo_organizer.ui.photo_model import Roles
from tests.albums_helpers import DINO_KEY
from tests.test_folder_flows import featured_library


def sidebar_albums(window) -> dict[str, str]:
    """Album entries as the sidebar shows them: text -> section."""
    return {
        item.text(0): "hidden" if item.parent() is window.sidebar._hidden else "albums"
        for item in window.sidebar._album_items.values()
    }


def folder_texts(window) -> list[str]:
    section = window.sidebar._folders
    return [section.child(i).text(0) for i in range(section.childCount())]


def click_in_next_dialog(button_text: str) -> list[str]:
    """Press a button of the message box about to open; returns its text once it has."""
    seen: list[str] = []

    def press() -> None:
        box = next((w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()), None)
        if box is None:
            QTimer.singleShot(20, press)
            return
        seen.append(box.text())
        if os.environ.get("SHOTS_DIR"):
            box.grab().save(os.path.join(os.environ["SHOTS_DIR"], "remove_dialog.png"))
        next(b for b in box.buttons() if b.text() == button_text).click()

    QTimer.singleShot(0, press)
    return seen


def index_and_wait(qtbot, window) -> None:
    finished: list[str] = []
    window.jobs.finished.connect(lambda name, result: finished.append(name))
    window.start_indexing()
    qtbot.waitUntil(lambda: INDEXING in finished, timeout=120000)


def screenshot(window, name: str) -> None:
    folder = os.environ.get("SHOTS_DIR")
    if folder:
        QApplication.processEvents()
        window.grab().save(os.path.join(folder, name))


def test_remove_a_folder_and_add_it_back_restores_the_albums(qtbot, ctx, tmp_path):
    folder = tmp_path / "photos"
    featured_library(ctx, folder)
    first, second = store.list_albums(ctx.library)[:2]
    edits.rename_album(ctx.library, first.id, "Seaside")
    edits.set_hidden(ctx.library, second.id, True)
    window = launch(ctx, scan_on_start=False)
    qtbot.addWidget(window)
    window.resize(1600, 1000)
    before = sidebar_albums(window)
    assert (
        before[f"Seaside  ({first.live_size})"] == "albums"
        and before[f"Album {second.id}  ({second.live_size})"] == "hidden"
    )

    question = click_in_next_dialog("Remove")
    window.remove_folder(str(folder))
    assert "add the folder again and they come back" in question[0] and "Forget for good" in question[0]
    assert sidebar_albums(window) == {}  # no ghost albums with old counts
    assert window.sidebar._albums.isHidden()
    screenshot(window, "after_remove.png")

    window.add_folder_path(str(folder))  # adds and indexes, as "Add folder…" does
    qtbot.waitUntil(lambda: not window.jobs.is_queued_or_running(INDEXING), timeout=120000)
    window.refresh_sidebar()
    assert sidebar_albums(window) == before
    drain(recluster_job(ctx.library, DINO_KEY))  # "Recompute albums" (no weights here to start it from the menu)
    window.refresh_sidebar()
    assert sidebar_albums(window) == before  # no duplicate, the rename and the hidden flag stay
    window.sidebar._hidden.setExpanded(True)
    screenshot(window, "restored_albums.png")


def test_an_unplugged_folder_is_offline_and_stays_browsable(qtbot, ctx, tmp_path):
    drive = tmp_path / "drive"
    folder = drive / "photos"
    featured_library(ctx, folder)
    count = len(ctx.library.photo_ids())
    window = launch(ctx, scan_on_start=False)
    qtbot.addWidget(window)
    window.resize(1600, 1000)
    drive.rename(tmp_path / "unplugged")

    index_and_wait(qtbot, window)
    assert folder_texts(window) == [f"photos  ({count})  · offline"]
    assert f"({count:,})" in window.sidebar._library.child(0).text(0)
    window.show_source(ALL_PHOTOS)
    assert len(window.model.contents) == count
    assert window.model.index(window.model.row_of_index(0)).data(Roles.Offline) is True
    assert "offline" in window.model.index(window.model.row_of_index(0)).data(0x0003)  # the tooltip says why
    assert "is offline" in window.statusBar().currentMessage()
    screenshot(window, "offline_folder.png")

    (tmp_path / "unplugged").rename(drive)
    index_and_wait(qtbot, window)
    assert folder_texts(window) == [f"photos  ({count})"]
    assert f"{folder} is back: {count} photos found again." in window.statusBar().currentMessage()
    assert window.model.index(window.model.row_of_index(0)).data(Roles.Offline) is False


def test_clear_search_history_from_the_search_menu(qtbot, ctx, tmp_path, monkeypatch):
    featured_library(ctx, tmp_path / "photos")
    ctx.library.add_search_session({"query_text": "private words"}, {}, 0, keep=10)
    window = launch(ctx, scan_on_start=False)
    qtbot.addWidget(window)
    monkeypatch.setattr(QMessageBox, "question", lambda *args, **kwargs: QMessageBox.StandardButton.Yes)
    action = next(a for a in window.findChildren(type(window.recluster_action)) if a.text() == "Clear search &history…")
    action.trigger()
    assert ctx.library.recent_search_sessions(10) == []
    assert "Search history cleared (1 searches)" in window.statusBar().currentMessage()
