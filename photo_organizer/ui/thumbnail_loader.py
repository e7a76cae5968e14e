"""Thumbnails for the grid, read from the thumbnail cache off the GUI thread.

The view asks ``pixmap(photo_id)`` while painting, which happens for visible rows only. A miss
queues a request; worker threads (each with its own database connections) read the cached
JPEG, decode and scale it to the cell size into a ``QImage`` (safe off the GUI thread), and
hand it back through a queued signal. The GUI thread turns it into a ``QPixmap`` and keeps it
in a byte-bounded LRU. Requests are served newest first and ``retain_only`` drops the ones
scrolled out of view, so a fast fling through 100,000 photos never builds a backlog.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Protocol

from PySide6.QtCore import QObject, QSize, Qt, Signal
from PySide6.QtGui import QImage, QPixmap

log = logging.getLogger(__name__)

DEFAULT_CACHE_BYTES = 160 * 1024 * 1024


class ThumbnailReader(Protocol):
    """Reads cached thumbnail bytes; one instance per worker thread."""

    def read(self, photo_id: int) -> bytes | None: ...

    def close(self) -> None: ...


def decode_thumbnail(data: bytes, side: int) -> QImage:
    """JPEG (or PNG) bytes to an image that fits in ``side`` x ``side``; null on bad data."""
    image = QImage.fromData(data)
    if image.isNull():
        return image
    if image.width() > side or image.height() > side:
        image = image.scaled(QSize(side, side), Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
    return image.convertToFormat(QImage.Format.Format_RGB32)


class PixmapLRU:
    """Least-recently-used pixmaps, bounded by their size in bytes."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.used_bytes = 0
        self._items: OrderedDict[int, QPixmap] = OrderedDict()

    @staticmethod
    def _cost(pixmap: QPixmap) -> int:
        return pixmap.width() * pixmap.height() * 4

    def get(self, key: int) -> QPixmap | None:
        pixmap = self._items.get(key)
        if pixmap is not None:
            self._items.move_to_end(key)
        return pixmap

    def put(self, key: int, pixmap: QPixmap) -> None:
        old = self._items.pop(key, None)
        if old is not None:
            self.used_bytes -= self._cost(old)
        self._items[key] = pixmap
        self.used_bytes += self._cost(pixmap)
        while self.used_bytes > self.max_bytes and len(self._items) > 1:
            _, evicted = self._items.popitem(last=False)
            self.used_bytes -= self._cost(evicted)

    def clear(self) -> None:
        self._items.clear()
        self.used_bytes = 0

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: int) -> bool:
        return key in self._items


class ThumbnailLoader(QObject):
    ready = Signal(int)  # photo id: its pixmap (or its absence) is now known
    idle = Signal()  # no request pending or in flight
    _delivered = Signal(int, int, QImage)  # generation, photo id, image; emitted by workers

    def __init__(
        self,
        open_reader: Callable[[], ThumbnailReader],
        side: int = 160,
        workers: int = 2,
        cache_bytes: int = DEFAULT_CACHE_BYTES,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._open_reader = open_reader
        self._side = side
        self._worker_count = workers
        self._cache = PixmapLRU(cache_bytes)
        self._missing: set[int] = set()
        self._pending: OrderedDict[int, None] = OrderedDict()
        self._in_flight: set[int] = set()
        self._generation = 0
        self._condition = threading.Condition()
        self._open_lock = threading.Lock()
        self._stopping = False
        self._threads: list[threading.Thread] = []
        self._delivered.connect(self._on_delivered, Qt.ConnectionType.QueuedConnection)

    # ---- GUI-thread API ---------------------------------------------------------------------

    @property
    def side(self) -> int:
        return self._side

    def set_side(self, side: int) -> None:
        """New cell size: cached pixmaps are dropped and reloaded at the new size."""
        if side == self._side:
            return
        with self._condition:
            self._side = side
            self._generation += 1
            self._pending.clear()
        self._cache.clear()

    def pixmap(self, photo_id: int) -> QPixmap | None:
        pixmap = self._cache.get(photo_id)
        if pixmap is None and photo_id not in self._missing:
            self._request(photo_id)
        return pixmap

    def is_known(self, photo_id: int) -> bool:
        """Loaded, or known to have no thumbnail (asks for nothing)."""
        return photo_id in self._cache or photo_id in self._missing

    def retain_only(self, wanted: Iterable[int]) -> None:
        """Forget queued requests for photos no longer on screen."""
        keep = set(wanted)
        with self._condition:
            for photo_id in [p for p in self._pending if p not in keep]:
                del self._pending[photo_id]

    def forget_missing(self) -> None:
        """Photos without a thumbnail may have one now (indexing made it): ask again."""
        self._missing.clear()

    def is_idle(self) -> bool:
        with self._condition:
            return not self._pending and not self._in_flight

    def shutdown(self) -> None:
        with self._condition:
            self._stopping = True
            self._pending.clear()
            self._condition.notify_all()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()

    # ---- internals --------------------------------------------------------------------------

    def _request(self, photo_id: int) -> None:
        with self._condition:
            if self._stopping or photo_id in self._in_flight:
                return
            self._pending[photo_id] = None
            self._pending.move_to_end(photo_id)
            self._condition.notify()
        if len(self._threads) < self._worker_count:
            self._start_workers()

    def _start_workers(self) -> None:
        while len(self._threads) < self._worker_count:
            thread = threading.Thread(target=self._work, name=f"thumbnails-{len(self._threads)}", daemon=True)
            self._threads.append(thread)
            thread.start()

    def _next_request(self) -> tuple[int, int, int] | None:
        with self._condition:
            while not self._pending and not self._stopping:
                self._condition.wait()
            if self._stopping:
                return None
            photo_id, _ = self._pending.popitem(last=True)  # newest request first
            self._in_flight.add(photo_id)
            return photo_id, self._generation, self._side

    def _open_reader_safely(self) -> ThumbnailReader | None:
        with self._open_lock:  # one at a time: the first one may create the cache file
            try:
                return self._open_reader()
            except Exception:
                log.exception("cannot open the thumbnail cache")
                return None

    def _work(self) -> None:
        reader = self._open_reader_safely()
        try:
            while (request := self._next_request()) is not None:
                photo_id, generation, side = request
                if reader is None:  # could not open before: try again, else answer "none"
                    reader = self._open_reader_safely()
                image = QImage()
                try:
                    data = reader.read(photo_id) if reader is not None else None
                    if data:
                        image = decode_thumbnail(data, side)
                except Exception:
                    log.exception("thumbnail of photo %s could not be read", photo_id)
                self._delivered.emit(generation, photo_id, image)
        finally:
            if reader is not None:
                reader.close()

    def _on_delivered(self, generation: int, photo_id: int, image: QImage) -> None:
        with self._condition:
            self._in_flight.discard(photo_id)
            current = generation == self._generation
            idle = not self._pending and not self._in_flight
        if current:
            if image.isNull():
                self._missing.add(photo_id)
            else:
                self._cache.put(photo_id, QPixmap.fromImage(image))
        self.ready.emit(photo_id)
        if idle:
            self.idle.emit()
