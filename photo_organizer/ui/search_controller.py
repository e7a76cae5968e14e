"""Search and relevance feedback, driven from the window, computed by the search core.

All search work runs on one dedicated thread (``SerialExecutor``): the core's search session
keeps a database connection and the loaded CLIP model, so it is created and used on that
thread only. The first search loads the model (and imports torch) there, never on the GUI
thread. Only the latest ranking request is shown; an older one that finishes late is
dropped. Marks are shown at once in the grid and sent to the core in order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import QObject, Signal

from photo_organizer.app.library_service import LibraryService
from photo_organizer.app.types import CurationFilter, GridContents, SearchHandle, SearchRequest
from photo_organizer.errors import WeightsMissingError
from photo_organizer.ui.workers import SerialExecutor


@dataclass
class _SessionBox:
    """The search handle, owned by the search thread (created there on first use)."""

    handle: SearchHandle | None = None


class SearchController(QObject):
    results = Signal(object)  # GridContents of the latest ranking
    marksChanged = Signal()  # the core acknowledged a mark
    busyChanged = Signal(bool)
    message = Signal(str)  # progress notes for the status bar
    failed = Signal(str)
    weightsMissing = Signal(str)  # model name

    def __init__(self, backend: LibraryService, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._backend = backend
        self._executor = SerialExecutor("search", self)
        self._box = _SessionBox()
        self._latest_request = 0
        self._pending = 0
        self.auto_refine = False
        self.query: SearchRequest | None = None
        self.contents: GridContents | None = None

    @property
    def active(self) -> bool:
        return self.query is not None

    def is_busy(self) -> bool:
        return self._pending > 0

    # ---- requests ---------------------------------------------------------------------------

    def search(self, query: SearchRequest) -> None:
        self.query = query
        if self._box.handle is None:
            self.message.emit("Loading the search model…")
        self._rank(lambda handle: handle.search(query))

    def refine(self) -> None:
        if self.active:
            self._rank(lambda handle: handle.refine())

    def reset_feedback(self) -> None:
        if self.active:
            self._rank(lambda handle: handle.reset_feedback())

    def set_sort(self, sort: str) -> None:
        if self.active and self.query is not None and self.query.sort != sort:
            self.query = replace(self.query, sort=sort)
            self._rank(lambda handle: handle.set_sort(sort))

    def set_filters(self, filters: CurationFilter) -> None:
        """Narrow (or widen) the results by curation; the session, its marks and round stay."""
        if self.active and self.query is not None and self.query.filters != filters:
            self.query = replace(self.query, filters=filters)
            self._rank(lambda handle: handle.set_filters(filters))

    def show_hidden(self) -> None:
        if self.active:
            self._rank(lambda handle: handle.show_hidden())

    def mark(self, photo_id: int, label: int) -> None:
        """Send a like (+1), dislike (-1) or clear (0) to the session; auto-refine if on."""
        if not self.active:
            return
        if self.contents is not None:
            if label:
                self.contents.labels[photo_id] = label
            else:
                self.contents.labels.pop(photo_id, None)
        self._call(lambda handle: handle.mark(photo_id, label), lambda _: self.marksChanged.emit())
        if self.auto_refine:
            self.refine()

    def save_as_album(self, name: str, on_saved: Callable[[int], None]) -> None:
        """Keep the search (after its marks and refines) as a taught album; ``on_saved(id)``."""
        if self.active:
            self._call(lambda handle: handle.save_as_album(name), on_saved)

    def clear(self) -> None:
        """Leave search mode (the session stays saved in the core)."""
        self.query = None
        self.contents = None
        self._latest_request += 1  # results still in flight are no longer wanted

    def shutdown(self) -> None:
        self._executor.shutdown(cleanup=self._close_handle)

    # ---- plumbing ---------------------------------------------------------------------------

    def _rank(self, call: Callable[[SearchHandle], GridContents]) -> None:
        self._latest_request += 1
        request = self._latest_request

        def deliver(contents: GridContents) -> None:
            if request == self._latest_request and self.query is not None:
                self.contents = contents
                self.results.emit(contents)

        self._call(call, deliver)

    def _call(self, call: Callable[[SearchHandle], Any], on_done: Callable[[Any], None]) -> None:
        box, backend = self._box, self._backend

        def run() -> Any:
            if box.handle is None:
                box.handle = backend.open_search()
            return call(box.handle)

        self._set_pending(+1)
        self._executor.submit(run, lambda value: self._finish(on_done, value), self._on_error)

    def _finish(self, on_done: Callable[[Any], None], value: Any) -> None:
        try:
            on_done(value)
        finally:
            self._set_pending(-1)

    def _on_error(self, message: str, error: BaseException) -> None:
        self._set_pending(-1)
        if isinstance(error, WeightsMissingError):
            self.weightsMissing.emit(getattr(error, "model_name", None) or self._backend.active_model_name("clip"))
        else:
            self.failed.emit(message)

    def _set_pending(self, step: int) -> None:
        was_busy = self._pending > 0
        self._pending += step
        if was_busy != (self._pending > 0):
            self.busyChanged.emit(self._pending > 0)

    def _close_handle(self) -> None:
        if self._box.handle is not None:
            self._box.handle.close()
            self._box.handle = None
