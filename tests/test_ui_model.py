"""The grid's list model (no widgets) and the browse listings behind it."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QPixmap

from photo_organizer.app import listing
from photo_organizer.app.types import GridContents
from photo_organizer.storage import ERROR
from photo_organizer.ui.photo_model import PATH_CHUNK, ROLE_NAMES, PhotoListModel, Roles
from tests.ui_support import insert_photos


class FakeThumbnails(QObject):
    ready = Signal(int)

    def __init__(self) -> None:
        super().__init__()
        self.pixmaps: dict[int, QPixmap] = {}
        self.asked: list[int] = []

    def pixmap(self, photo_id: int) -> QPixmap | None:
        self.asked.append(photo_id)
        return self.pixmaps.get(photo_id)


def make_model(count: int = 5, **contents) -> tuple[PhotoListModel, FakeThumbnails, list[list[int]]]:
    lookups: list[list[int]] = []

    def paths(ids: list[int]) -> dict[int, str]:
        lookups.append(ids)
        return {i: f"/photos/p{i}.jpg" for i in ids}

    thumbnails = FakeThumbnails()
    model = PhotoListModel(thumbnails, paths)
    model.set_contents(GridContents(np.arange(100, 100 + count), **contents))
    return model, thumbnails, lookups


def test_roles_have_names_and_values(qapp):
    model, thumbnails, _ = make_model(
        3, scores=[0.9, 0.5, float("nan")], predicted=[1, -1, 0], labels={100: 1, 101: -1}, search_round=1
    )
    names = {bytes(v) for v in model.roleNames().values()}
    assert {name for name in ROLE_NAMES.values()} <= names
    first, second, third = (model.index(r) for r in range(3))
    assert model.rowCount() == 3
    assert first.data(Roles.PhotoId) == 100
    assert first.data(Roles.Path) == "/photos/p100.jpg"
    assert first.data(Qt.ItemDataRole.DisplayRole) == "p100.jpg"
    assert first.data(Roles.Score) == pytest.approx(0.9)
    assert third.data(Roles.Score) is None  # NaN means "no score"
    assert [i.data(Roles.Feedback) for i in (first, second, third)] == [1, -1, 0]
    assert [i.data(Roles.Predicted) for i in (first, second, third)] == [1, -1, 0]
    assert "liked" in first.data(Qt.ItemDataRole.ToolTipRole)
    assert first.data(Roles.Thumbnail) is None and thumbnails.asked == [100]


def test_browse_contents_have_no_scores_or_predictions(qapp):
    model, _, _ = make_model(2)
    index = model.index(0)
    assert index.data(Roles.Score) is None
    assert index.data(Roles.Predicted) == 0
    assert index.data(Roles.Feedback) == 0


def test_set_label_updates_one_row(qtbot):
    model, _, _ = make_model(4)
    with qtbot.waitSignal(model.dataChanged) as changed:
        model.set_label(102, -1)
    top_left, bottom_right, roles = changed.args
    assert (top_left.row(), bottom_right.row(), roles) == (2, 2, [Roles.Feedback])
    assert model.index(2).data(Roles.Feedback) == -1
    model.set_label(102, 0)
    assert model.index(2).data(Roles.Feedback) == 0 and model.label_of(102) == 0


def test_thumbnail_arrival_repaints_its_row(qtbot):
    model, thumbnails, _ = make_model(6)
    pixmap = QPixmap(8, 8)
    pixmap.fill(QColor("red"))
    thumbnails.pixmaps[104] = pixmap
    with qtbot.waitSignal(model.dataChanged, timeout=2000) as changed:
        thumbnails.ready.emit(104)
    assert changed.args[0].row() == 4 and changed.args[2] == [Roles.Thumbnail]
    assert model.index(4).data(Roles.Thumbnail).cacheKey() == pixmap.cacheKey()


def test_paths_are_read_lazily_one_chunk_at_a_time(qapp):
    model, _, lookups = make_model(PATH_CHUNK * 3)
    assert lookups == []  # a large model costs nothing until rows are looked at
    model.index(PATH_CHUNK + 5).data(Roles.Path)
    model.index(PATH_CHUNK + 6).data(Roles.Path)
    assert len(lookups) == 1 and lookups[0][0] == 100 + PATH_CHUNK


def test_listings_order_and_filter(ctx):
    library = ctx.library
    ids = insert_photos(library, 6)
    with library.transaction():
        library.db.execute("UPDATE photos SET state = ? WHERE id = ?", [ERROR, ids[0]])
    everything = listing.all_photos(library)
    assert ids[0] not in everything.photo_ids  # only readable photos are shown
    dates = [library.photo(int(i)).taken_at for i in everything.photo_ids]
    assert dates == sorted(dates, reverse=True)  # newest first
    root_id = library.roots()[0]["id"]
    assert sorted(listing.folder_photos(library, root_id).photo_ids.tolist()) == sorted(ids[1:])
    assert listing.photos_in_order(library, [ids[3], ids[0], ids[2]], "x").photo_ids.tolist() == [ids[3], ids[2]]
    assert listing.folders(library)[0].photo_count == 5
    assert listing.photo_paths(library, [ids[1]]) == {ids[1]: "/photos/img_000001.jpg"}


def test_liked_photos_come_from_search_feedback(ctx):
    library = ctx.library
    ids = insert_photos(library, 4)
    with library.transaction():
        session = library.db["search_sessions"].insert({"query_text": "dog", "round": 0}).last_pk
        library.db["feedback"].insert_all(
            [
                {"session_id": session, "photo_id": ids[1], "label": 1, "round": 0, "created_at": 1.0},
                {"session_id": session, "photo_id": ids[2], "label": -1, "round": 0, "created_at": 2.0},
                {"session_id": session, "photo_id": ids[3], "label": 1, "round": 0, "created_at": 3.0},
            ]
        )
    liked = listing.liked_photos(library)
    assert liked.photo_ids.tolist() == [ids[3], ids[1]]
    assert liked.labels == {ids[3]: 1, ids[1]: 1}
