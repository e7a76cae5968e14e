"""Background jobs: progress reaches the GUI thread, Cancel closes the generator, errors arrive
as messages; the status-bar strip follows the job."""

from __future__ import annotations

import threading
import time

from photo_organizer.errors import LibraryError
from photo_organizer.progress import Progress
from photo_organizer.storage import Library
from photo_organizer.ui.job_status import JobStatus
from photo_organizer.ui.workers import JobRequest, JobRunner, SerialExecutor, run_task


def counting_job(steps: int, log: dict, delay: float = 0.0):
    def make(library: Library):
        def job():
            log["thread"] = threading.current_thread().name
            log["library"] = library
            try:
                for done in range(1, steps + 1):
                    time.sleep(delay)
                    yield Progress("count", done, steps)
                return "all counted"
            finally:
                log["closed"] = True

        return job()

    return make


def test_job_progress_and_result(qtbot, ctx):
    runner = JobRunner(ctx.new_library_connection)
    log: dict = {}
    seen: list[Progress] = []
    runner.progress.connect(lambda name, progress: seen.append(progress))
    with qtbot.waitSignal(runner.finished, timeout=10000) as finished:
        runner.submit(JobRequest("Counting", counting_job(5, log, delay=0.06)))
    assert finished.args == ["Counting", "all counted"]
    assert seen and seen[-1].done == 5 and seen[-1].total == 5
    assert log["thread"] != threading.main_thread().name
    assert log["library"] is not ctx.library  # each job opens its own connection


def test_cancel_stops_between_yields_and_runs_finally(qtbot, ctx):
    runner = JobRunner(ctx.new_library_connection)
    status = JobStatus(runner)
    qtbot.addWidget(status)
    log: dict = {}
    runner.submit(JobRequest("Endless", counting_job(10_000, log, delay=0.01)))
    qtbot.waitUntil(lambda: status.bar.maximum() == 10_000 and status.bar.value() > 0, timeout=10000)
    assert status.isVisibleTo(None) or not status.isHidden()
    assert "Endless" in status.label.text()
    with qtbot.waitSignal(runner.cancelled, timeout=10000) as cancelled:
        status.cancel_button.click()
    assert cancelled.args == ["Endless"]
    assert log["closed"] is True
    qtbot.waitUntil(lambda: status.isHidden(), timeout=5000)
    assert not runner.is_busy()


def test_errors_arrive_as_messages_and_the_queue_goes_on(qtbot, ctx):
    runner = JobRunner(ctx.new_library_connection)

    def failing(library: Library):
        def job():
            yield Progress("fail", 0, 1)
            raise LibraryError("The folder went away.")

        return job()

    failures: list[tuple[str, str]] = []
    runner.failed.connect(lambda name, message: failures.append((name, message)))
    log: dict = {}
    with qtbot.waitSignal(runner.finished, timeout=10000):
        runner.submit(JobRequest("Failing", failing))
        runner.submit(JobRequest("Next", counting_job(2, log)))
    assert failures == [("Failing", "The folder went away.")]


def test_serial_executor_runs_in_order_on_one_thread(qtbot):
    executor = SerialExecutor("one-thread")
    threads: list[str] = []
    results: list[int] = []
    errors: list[str] = []

    def call(value: int):
        def run() -> int:
            threads.append(threading.current_thread().name)
            if value == 2:
                raise LibraryError("two is wrong")
            return value

        return run

    for value in (1, 2, 3):
        executor.submit(call(value), results.append, lambda message, error: errors.append(message))
    qtbot.waitUntil(lambda: len(results) + len(errors) == 3, timeout=5000)
    executor.shutdown()
    assert results == [1, 3] and errors == ["two is wrong"]
    assert set(threads) == {"one-thread"}


def test_run_task_delivers_on_the_gui_thread(qtbot):
    delivered: list[str] = []
    run_task(lambda: threading.current_thread().name, lambda worker: delivered.append((worker, threading.current_thread().name)), lambda *_: None)
    qtbot.waitUntil(lambda: bool(delivered), timeout=5000)
    worker, receiver = delivered[0]
    assert worker != threading.main_thread().name and receiver == threading.main_thread().name


def test_installed_qt_bindings_keep_references(qapp):
    from photo_organizer.ui.compat import emit_keeps_references

    # PySide6 6.12.0 on Python < 3.12 loses a reference to True per emit and aborts later.
    assert emit_keeps_references()
