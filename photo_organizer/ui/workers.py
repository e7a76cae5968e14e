"""Running core work off the GUI thread, and bringing results back to it.

* ``JobRunner`` runs long jobs (``progress.Job`` generators: indexing, features, albums,
  calibration) one at a time on a worker thread, forwards each ``Progress`` (throttled), and
  cancels between two yields by closing the generator, so the job's own ``finally`` blocks
  commit what is done. Each job opens its own ``Library``.
* ``SerialExecutor`` is one dedicated thread for a stateful service (the search session keeps
  a database connection and a loaded model, which must stay on one thread).
* ``run_task`` runs a one-shot function on a small pool (loading a large preview...).

Workers never touch widgets. Everything they produce reaches the GUI thread through a
``GuiInvoker``: the worker queues a Python callable and wakes the invoker with an argument-less
queued signal. No Python object ever travels inside a queued signal (PySide6 6.12 miscounts
references of ``object`` arguments of queued signals, which crashed at exit). Core errors
(``PhotoOrganizerError``) arrive as the user-facing message they carry.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal

from photo_organizer.app_log import where_details_are
from photo_organizer.errors import PhotoOrganizerError
from photo_organizer.progress import Job, Progress
from photo_organizer.storage import Library

log = logging.getLogger(__name__)

PROGRESS_INTERVAL_S = 0.05

JobFactory = Callable[[Library], Job]
Done = Callable[[Any], None]
Failed = Callable[[str, BaseException], None]


def describe_error(error: BaseException) -> str:
    """The message a user sees for an error raised by core code."""
    if isinstance(error, PhotoOrganizerError):
        return str(error)
    return f"Unexpected error ({type(error).__name__}: {error}). {where_details_are()}"


class GuiInvoker(QObject):
    """Runs callables on the thread this object lives in (the GUI thread), posted from any
    thread. Calls posted after the invoker is gone are dropped."""

    _wake = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._calls: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._wake.connect(self._run_pending, Qt.ConnectionType.QueuedConnection)

    def post(self, call: Callable[[], None]) -> None:
        self._calls.put(call)
        try:
            self._wake.emit()
        except RuntimeError:  # the owner (a window) is gone; nobody is waiting for this
            log.debug("call dropped: its receiver is gone")

    def _run_pending(self) -> None:
        while True:
            try:
                call = self._calls.get_nowait()
            except queue.Empty:
                return
            call()


def _deliver_failure(post: Callable[[Callable[[], None]], None], on_error: Failed, error: BaseException) -> None:
    if not isinstance(error, PhotoOrganizerError):
        log.error("background work failed", exc_info=error)
    message = describe_error(error)
    post(lambda: on_error(message, error))


# ---- long jobs ------------------------------------------------------------------------------


@dataclass
class JobRequest:
    name: str  # shown in the status bar, e.g. "Indexing"
    make_job: JobFactory
    on_finished: Callable[[Any], None] | None = None


@dataclass
class _RunningJob:
    number: int
    request: JobRequest
    cancel: threading.Event


class JobRunner(QObject):
    """One background job at a time, the rest queued; signals for the status bar.

    Each job runs in its own Python thread with its own ``Library``; the thread owns no Qt
    object, so closing the window can never free something under it.
    """

    started = Signal(str)  # job name
    progress = Signal(str, object)  # job name, Progress (emitted on the GUI thread)
    finished = Signal(str, object)  # job name, result
    failed = Signal(str, str)  # job name, message
    cancelled = Signal(str)
    idle = Signal()  # queue empty and nothing running

    def __init__(self, open_library: Callable[[], Library], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._open_library = open_library
        self._invoker = GuiInvoker(self)
        self._queue: deque[JobRequest] = deque()
        self._current: _RunningJob | None = None
        self._threads: list[threading.Thread] = []
        self._numbers = 0

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
            self._current.cancel.set()

    def wait(self, timeout_ms: int = 30000) -> bool:
        """Block until every job thread has ended (shutdown); True when they all did."""
        deadline = time.monotonic() + timeout_ms / 1000
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._threads = [t for t in self._threads if t.is_alive()]
        return not self._threads

    def _start_next(self) -> None:
        if not self._queue:
            self._current = None
            self.idle.emit()
            return
        request = self._queue.popleft()
        self._numbers += 1
        running = _RunningJob(self._numbers, request, threading.Event())
        thread = threading.Thread(target=self._run, args=(running,), name=f"job-{request.name}", daemon=True)
        self._current = running
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        self.started.emit(request.name)
        thread.start()

    # ---- on the job thread ---------------------------------------------------------------

    def _run(self, running: _RunningJob) -> None:
        post = self._invoker.post
        library: Library | None = None
        try:
            library = self._open_library()
            job = running.request.make_job(library)
            self._drive(running, job)
        except BaseException as error:  # noqa: BLE001 - reported to the user, never swallowed
            _deliver_failure(post, lambda message, _e: self._end(running, self.failed, message), error)
        finally:
            if library is not None:
                library.close()

    def _drive(self, running: _RunningJob, job: Job) -> None:
        post = self._invoker.post
        last_emit = 0.0
        last_stage = None
        while True:
            if running.cancel.is_set():
                job.close()  # the job's finally blocks commit what is done
                post(lambda: self._end(running, self.cancelled))
                return
            try:
                progress = next(job)
            except StopIteration as stop:
                result = stop.value
                post(lambda: self._on_finished(running, result))  # noqa: B023 - the loop ends here
                return
            now = time.monotonic()
            final = progress.total is not None and progress.done >= progress.total
            if now - last_emit >= PROGRESS_INTERVAL_S or progress.stage != last_stage or final:
                last_emit, last_stage = now, progress.stage
                post(lambda p=progress: self._on_progress(running, p))

    # ---- back on the GUI thread ----------------------------------------------------------

    def _on_progress(self, running: _RunningJob, progress: Progress) -> None:
        if running is self._current:
            self.progress.emit(running.request.name, progress)

    def _on_finished(self, running: _RunningJob, result: Any) -> None:
        if running is not self._current:
            return
        if running.request.on_finished is not None:
            try:
                running.request.on_finished(result)
            except Exception as error:  # noqa: BLE001 - shown to the user
                log.exception("after job %s", running.request.name)
                self.failed.emit(running.request.name, describe_error(error))
        self._end(running, self.finished, result)

    def _end(self, running: _RunningJob, signal: Signal, *args: Any) -> None:
        if running is not self._current:
            return
        self._current = None
        signal.emit(running.request.name, *args)
        if self._current is None:  # a slot may have submitted and started the next job already
            self._start_next()


# ---- a dedicated thread for a stateful service ------------------------------------------------


class SerialExecutor(QObject):
    """One worker thread running submitted calls in order; results come back on the GUI thread.

    For services with thread-bound state (a database connection, a loaded model): every call
    runs on the same thread, so that state can live in the service and never be shared.
    """

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._name = name
        self._calls: queue.Queue[tuple[Callable[[], Any], Done, Failed] | None] = queue.Queue()
        self._invoker = GuiInvoker(self)
        self._thread: threading.Thread | None = None
        self._busy = 0
        self._lock = threading.Lock()

    def submit(self, call: Callable[[], Any], on_done: Done, on_error: Failed) -> None:
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
                self._done()
                _deliver_failure(self._invoker.post, on_error, error)
            else:
                self._done()
                self._invoker.post(lambda done=on_done, result=value: done(result))

    def _done(self) -> None:
        with self._lock:
            self._busy -= 1


# ---- one-shot tasks ---------------------------------------------------------------------------

_task_pool: ThreadPoolExecutor | None = None
_task_invoker: GuiInvoker | None = None


def run_task(call: Callable[[], Any], on_done: Done, on_error: Failed) -> None:
    """Run ``call()`` on a worker thread; ``on_done``/``on_error`` run on the GUI thread."""
    global _task_pool, _task_invoker
    if _task_invoker is None:
        _task_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="task")
        _task_invoker = GuiInvoker(QCoreApplication.instance())  # goes away with the application
    post = _task_invoker.post

    def run() -> None:
        try:
            value = call()
        except BaseException as error:  # noqa: BLE001 - delivered to the caller
            _deliver_failure(post, on_error, error)
        else:
            post(lambda: on_done(value))

    _task_pool.submit(run)


def progress_text(progress: Progress) -> str:
    """A progress line in plain words: "Reading photos · 120 of 858 · about 1 min left"."""
    parts = [progress.label or progress.stage]
    if progress.total:
        parts.append(f"{min(progress.done, progress.total):,} of {progress.total:,}")
    elif progress.done:
        parts.append(f"{progress.done:,} so far")
    left = time_left_text(progress)
    if left:
        parts.append(left)
    elif progress.message:
        parts.append(progress.message)
    return " · ".join(parts)


def time_left_text(progress: Progress) -> str:
    """The step's remaining time from its rate, rounded the way a person says it."""
    if not progress.rate or not progress.total or progress.done >= progress.total:
        return ""
    seconds = (progress.total - progress.done) / progress.rate
    if seconds < 60:
        return "less than a minute left"
    if seconds < 90 * 60:
        return f"about {round(seconds / 60):,} min left"
    return f"about {seconds / 3600:.1f} h left"
