"""Albums in the sidebar: covers and counts, browse, rename, hide, merge, export, remove."""

from __future__ import annotations

from PySide6.QtWidgets import QFileDialog, QInputDialog

from photo_organizer.albums import store
from photo_organizer.app.types import Source
from photo_organizer.ui.app import launch
from tests.ui_support import indexed_library


def make_album(library, photo_ids: list[int]) -> int:
    count = len(photo_ids)
    content = store.AlbumContent(photo_ids, [1.0] * count, ["cluster"] * count, None, photo_ids[:1], None)
    with library.transaction():
        return store.write_album(library, None, content)


def album_texts(window) -> dict[int, str]:
    return {album_id: item.text(0) for album_id, item in window.sidebar._album_items.items()}


def test_album_edits_from_the_sidebar(qtbot, ctx, tmp_path, monkeypatch):
    indexed_library(ctx, tmp_path / "photos", per_class=1)
    ids = ctx.library.photo_ids()
    beach, cats = make_album(ctx.library, ids[:4]), make_album(ctx.library, ids[4:])
    window = launch(ctx, scan_on_start=False)
    qtbot.addWidget(window)
    assert album_texts(window) == {beach: f"Album {beach}  (4)", cats: f"Album {cats}  (2)"}
    qtbot.waitUntil(lambda: not window.sidebar._album_items[beach].icon(0).isNull(), timeout=5000)  # the cover

    window.sidebar.select_source(Source("album", beach, f"Album {beach}"))
    assert sorted(window.model.photo_ids()) == ids[:4] and "4 photos" in window.subtitle.text()

    monkeypatch.setattr("photo_organizer.ui.window_albums.ask_text", lambda *args, **kwargs: ("Seaside", True))
    window.rename_album(beach)
    assert album_texts(window)[beach] == "Seaside  (4)"

    window.hide_album(cats, True)
    assert window.sidebar._album_items[cats].parent() is window.sidebar._hidden

    removed = window.model.photo_id(0)
    window.grid.selectionModel().select(window.model.index(0), window.grid.selectionModel().SelectionFlag.Select)
    window.remove_from_album()
    assert sorted(window.model.photo_ids()) == sorted(set(ids[:4]) - {removed}) and album_texts(window)[beach] == "Seaside  (3)"

    monkeypatch.setattr(QInputDialog, "getItem", lambda parent, title, label, names, *args: (names[0], True))
    window.merge_albums([beach, cats])
    assert album_texts(window) == {beach: "Seaside  (5)"}

    target = tmp_path / "export"
    target.mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *args, **kwargs: str(target))
    window.export_album(beach)
    assert len(list(target.iterdir())) == 5
    assert "Exported 5 photos" in window.statusBar().currentMessage()


def test_duplicates_are_found_in_the_background_and_grouped(qtbot, ctx):
    from tests.ui_support import insert_photos

    ids = insert_photos(ctx.library, 6)
    with ctx.library.transaction():  # two exact copies of photo 1, one of photo 4
        ctx.library.db.execute("UPDATE photos SET fingerprint = 'fp0' WHERE id IN (?, ?)", [ids[2], ids[5]])
        ctx.library.db.execute("UPDATE photos SET fingerprint = 'fp3' WHERE id = ?", [ids[4]])
    window = launch(ctx, scan_on_start=False)
    qtbot.addWidget(window)
    window.sidebar.select_source(Source("duplicates", title="Duplicates"))
    qtbot.waitUntil(lambda: window.model.rowCount() == 5, timeout=10000)
    assert window.model.photo_ids() == [ids[0], ids[2], ids[5], ids[3], ids[4]]
    assert "2 groups" in window.subtitle.text() and "2 groups" in window.sidebar._duplicates_item.text(0)
