"""Running core work off the GUI thread, and bringing results back as signals.

* ``JobRunner`` runs long jobs (``progress.Job`` generators: indexing, clustering,
  calibration) one at a time in a thread pool, forwards each ``Progress`` as a signal
  (throttled), and cancels between two yields by closing the generator, so the job's own
  ``finally`` blocks commit what is done. Each job opens its own ``Library``.
* ``SerialExecutor`` is one dedicated thread for a stateful service (the search engine
  keeps a database connection and a loaded model, which must stay on one thread).
* ``run_task`` runs a one-shot function in the pool (loading a large preview...).

Workers never touch widgets; everything they produce reaches the GUI thread through queued
signals. Core errors (``PhotoOrganizerError``) arrive as the user-facing message they carry.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal

from photo_organizer.errors import PhotoOrganizerError
from photo_organizer.progress import Job, Progress
from photo_organizer.storage import Library

log = logging.getLogger(__name__)

PROGRESS_INTERVAL_S = 0.05

JobFactory = Callable[[Library], Job]


def describe_error(error: BaseException) -> str:
    """The message a user sees for an error raised by core code."""
    if isinstance(error, PhotoOrganizerError):
        return str(error)
    return f"Unexpected error ({type(error).__name__}: {error}). Details are in the log."


@dataclass
class JobRequest:
    name: str  # shown in the status bar, e.g. "Indexing"
    make_job: JobFactory
    on_finished: Callable[[Any], None] | None = None


class _JobSignals(QObject):
    progress = Signal(object)  # Progress
    finished = Signal(object)  # the job's return value
    failed = Signal(str)
    cancelled = Signal()


class _JobRunnable(QRunnable):
    def __init__(self, request: JobRequest, open_library: Callable[[], Library], signals: _JobSignals) -> None:
        super().__init__()
        self.setAutoDelete(False)
        self.request = request
        self.signals = signals
        self._open_library = open_library
        self._cancel = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()

    def run(self) -> None:
        library: Library | None = None
        try:
            library = self._open_library()
            job = self.request.make_job(library)
            self._drive(job)
        except BaseException as error:  # noqa: BLE001 - reported to the user, never swallowed
            if not isinstance(error, PhotoOrganizerError):
                log.exception("job %s failed", self.request.name)
            self.signals.failed.emit(describe_error(error))
        finally:
            if library is not None:
                library.close()

    def _drive(self, job: Job) -> None:
        last_emit = 0.0
        last_stage = None
        while True:
            if self._cancel.is_set():
                job.close()
                self.signals.cancelled.emit()
                return
            try:
                progress = next(job)
            except StopIteration as stop:
                self.signals.finished.emit(stop.value)
                return
            now = time.monotonic()
            final = progress.total is not None and progress.done >= progress.total
            if now - last_emit >= PROGRESS_INTERVAL_S or progress.stage != last_stage or final:
                last_emit, last_stage = now, progress.stage
                self.signals.progress.emit(progress)


class JobRunner(QObject):
    """One background job at a time, the rest queued; signals for the status bar."""

    started = Signal(str)  # job name
    progress = Signal(str, object)  # job name, Progress
    finished = Signal(str, object)  # job name, result
    failed = Signal(str, str)  # job name, message
    cancelled = Signal(str)
    idle = Signal()  # queue empty and nothing running

    def __init__(self, open_library: Callable[[], Library], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._open_library = open_library
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._queue: deque[JobRequest] = deque()
        self._current: _JobRunnable | None = None

    @property
    def current_name(self) -> str | None:
        return self._current.request.name if self._current else None

    def is_busy(self) -> bool:
        return self._current is not None or bool(self._queue)

    def is_queued_or_running(self, name: str) -> bool:
        return self.current_name == name or any(r.name == name for r in self._queue)

    def submit(self, request: JobRequest) -> None:
        self._queue.append(request)
        if self._current is None:
            self._start_next()

    def cancel(self) -> None:
        """Cancel the running job and drop the queued ones."""
        self._queue.clear()
        if self._current is not None:
            self._current.cancel()

    def wait(self, timeout_ms: int = 30000) -> bool:
        return self._pool.waitForDone(timeout_ms)

    def _start_next(self) -> None:
        if not self._queue:
            self._current = None
            self.idle.emit()
            return
        request = self._queue.popleft()
        signals = _JobSignals(self)
        runnable = _JobRunnable(request, self._open_library, signals)
        queued = Qt.ConnectionType.QueuedConnection
        signals.progress.connect(lambda p, n=request.name: self.progress.emit(n, p), queued)
        signals.finished.connect(lambda result, r=runnable: self._on_finished(r, result), queued)
        signals.failed.connect(lambda message, r=runnable: self._on_ended(r, self.failed, message), queued)
        signals.cancelled.connect(lambda r=runnable: self._on_ended(r, self.cancelled), queued)
        self._current = runnable
        self.started.emit(request.name)
        self._pool.start(runnable)

    def _on_finished(self, runnable: _JobRunnable, result: Any) -> None:
        if runnable.request.on_finished is not None:
            try:
                runnable.request.on_finished(result)
            except Exception as error:  # noqa: BLE001 - shown to the user
                log.exception("after job %s", runnable.request.name)
                self.failed.emit(runnable.request.name, describe_error(error))
        self._on_ended(runnable, self.finished, result)

    def _on_ended(self, runnable: _JobRunnable, signal: Signal, *args: Any) -> None:
        if runnable is not self._current:
            return
        signal.emit(runnable.request.name, *args)
        runnable.signals.deleteLater()
        self._start_next()


class _Delivery(QObject):
    done = Signal(object, object)  # callback, value


class SerialExecutor(QObject):
    """One worker thread running submitted calls in order; results come back on the GUI thread.

    For services with thread-bound state (a database connection, a loaded model): every call
    runs on the same thread, so that state can live in the service and never be shared.
    """

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._name = name
        self._calls: queue.Queue[tuple[Callable[[], Any], Callable[[Any], None], Callable[[str, BaseException], None]] | None] = queue.Queue()
        self._delivery = _Delivery()
        self._delivery.done.connect(lambda callback, value: callback(value), Qt.ConnectionType.QueuedConnection)
        self._thread: threading.Thread | None = None
        self._busy = 0
        self._lock = threading.Lock()

    def submit(
        self,
        call: Callable[[], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[str, BaseException], None],
    ) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name=self._name, daemon=True)
            self._thread.start()
        with self._lock:
            self._busy += 1
        self._calls.put((call, on_done, on_error))

    def is_busy(self) -> bool:
        with self._lock:
            return self._busy > 0

    def shutdown(self, cleanup: Callable[[], None] | None = None, timeout_s: float = 10.0) -> None:
        """Stop after the calls already queued; ``cleanup`` runs last, on the worker thread."""
        if self._thread is None:
            return
        if cleanup is not None:
            self._calls.put((cleanup, lambda _: None, lambda *_: None))
        self._calls.put(None)
        self._thread.join(timeout=timeout_s)
        self._thread = None

    def _work(self) -> None:
        while (item := self._calls.get()) is not None:
            call, on_done, on_error = item
            try:
                value = call()
            except BaseException as error:  # noqa: BLE001 - delivered to the caller
                if not isinstance(error, PhotoOrganizerError):
                    log.exception("%s: call failed", self._name)
                self._finish(lambda e, m=describe_error(error), cb=on_error: cb(m, e), error)
            else:
                self._finish(on_done, value)

    def _finish(self, callback: Callable[[Any], None], value: Any) -> None:
        with self._lock:
            self._busy -= 1
        self._delivery.done.emit(callback, value)


class _TaskRunnable(QRunnable):
    def __init__(self, call: Callable[[], Any], delivery: _Delivery, on_done: Callable[[Any], None], on_error: Callable[[str, BaseException], None]) -> None:
        super().__init__()
        self._call, self._delivery, self._on_done, self._on_error = call, delivery, on_done, on_error

    def run(self) -> None:
        try:
            value = self._call()
        except BaseException as error:  # noqa: BLE001 - delivered to the caller
            if not isinstance(error, PhotoOrganizerError):
                log.exception("background task failed")
            message = describe_error(error)
            self._delivery.done.emit(lambda e, cb=self._on_error, m=message: cb(m, e), error)
        else:
            self._delivery.done.emit(self._on_done, value)


_task_delivery: _Delivery | None = None


def run_task(
    call: Callable[[], Any],
    on_done: Callable[[Any], None],
    on_error: Callable[[str, BaseException], None],
) -> None:
    """Run ``call()`` in the global thread pool; ``on_done``/``on_error`` run on the GUI thread."""
    global _task_delivery
    if _task_delivery is None:
        _task_delivery = _Delivery()
        _task_delivery.done.connect(lambda callback, value: callback(value), Qt.ConnectionType.QueuedConnection)
    QThreadPool.globalInstance().start(_TaskRunnable(call, _task_delivery, on_done, on_error))


def progress_text(progress: Progress) -> str:
    total = f" / {progress.total:,}" if progress.total is not None else ""
    rate = f" · {progress.rate:.1f}/s" if progress.rate else ""
    message = f" · {progress.message}" if progress.message else ""
    return f"{progress.stage}: {progress.done:,}{total}{rate}{message}"
