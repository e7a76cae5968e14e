"""Thumbnails load off the GUI thread, for visible cells only, into a bounded LRU."""

from __future__ import annotations

import threading

import numpy as np
from PySide6.QtGui import QPixmap

from photo_organizer.app.types import GridContents
from photo_organizer.ui.grid import PhotoGrid
from photo_organizer.ui.photo_model import PhotoListModel
from photo_organizer.ui.thumbnail_loader import PixmapLRU, ThumbnailLoader
from tests.ui_support import CountingReader


class ThreadRecordingReader(CountingReader):
    threads: set[str] = set()

    def read(self, photo_id: int) -> bytes | None:
        ThreadRecordingReader.threads.add(threading.current_thread().name)
        return super().read(photo_id)


def test_loader_reads_off_the_gui_thread_and_caches(qtbot):
    ThreadRecordingReader.threads = set()
    loader = ThumbnailLoader(lambda: ThreadRecordingReader(missing={2}), side=40, workers=1)
    try:
        assert loader.pixmap(1) is None  # a miss asks, it never blocks
        with qtbot.waitSignal(loader.ready, timeout=5000) as ready:
            pass
        assert ready.args == [1]
        pixmap = loader.pixmap(1)
        assert pixmap is not None and max(pixmap.width(), pixmap.height()) <= 40
        assert threading.main_thread().name not in ThreadRecordingReader.threads
        loader.pixmap(2)
        qtbot.waitUntil(lambda: loader.is_known(2), timeout=5000)
        assert loader.pixmap(2) is None  # known to have none: not asked again
        loader.forget_missing()
        assert not loader.is_known(2)
    finally:
        loader.shutdown()


def test_size_change_reloads_at_the_new_size(qtbot):
    loader = ThumbnailLoader(CountingReader, side=40, workers=1)
    try:
        loader.pixmap(7)
        qtbot.waitUntil(lambda: loader.pixmap(7) is not None, timeout=5000)
        loader.set_side(24)
        assert not loader.is_known(7)
        loader.pixmap(7)
        qtbot.waitUntil(lambda: loader.is_known(7), timeout=5000)
        assert loader.pixmap(7).width() <= 24
    finally:
        loader.shutdown()


def test_lru_is_bounded_by_bytes(qapp):
    cache = PixmapLRU(max_bytes=3 * 10 * 10 * 4)
    for key in range(5):
        cache.put(key, QPixmap(10, 10))
    assert len(cache) == 3 and 0 not in cache and 4 in cache
    cache.get(2)  # used recently: survives the next eviction
    cache.put(5, QPixmap(10, 10))
    assert 2 in cache and 3 not in cache


def test_grid_of_100000_photos_requests_visible_thumbnails_only(qtbot):
    CountingReader.reads = []
    loader = ThumbnailLoader(CountingReader, side=96, workers=2)
    model = PhotoListModel(loader, lambda ids: {i: f"/p/{i}.jpg" for i in ids})
    model.set_contents(GridContents(np.arange(1, 100_001)))
    grid = PhotoGrid(model, loader, 96)
    qtbot.addWidget(grid)
    grid.resize(800, 600)
    grid.show()
    qtbot.waitExposed(grid)
    try:
        qtbot.waitUntil(grid.visible_thumbnails_known, timeout=10000)
        visible = len(grid.visible_rows())
        assert 0 < visible < 100
        # The screen, and at most one screenful fetched ahead once the screen is done.
        qtbot.waitUntil(loader.is_idle, timeout=10000)
        assert len(set(CountingReader.reads)) <= 2 * visible

        grid.verticalScrollBar().setValue(grid.verticalScrollBar().maximum() // 2)
        qtbot.waitUntil(grid.visible_thumbnails_known, timeout=10000)
        middle = grid.visible_rows()
        assert 40_000 < middle.start < 60_000
        assert set(grid.visible_photo_ids()) <= set(CountingReader.reads)
        qtbot.waitUntil(loader.is_idle, timeout=10000)
        assert len(set(CountingReader.reads)) <= 4 * visible  # nothing in between was read
    finally:
        loader.shutdown()
