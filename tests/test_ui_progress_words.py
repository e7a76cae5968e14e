"""The status-bar strip while the library is updated: the step in plain words, how far, how
long is left, and one overall bar that only moves forward across the steps (issue 12, 11)."""

from __future__ import annotations

from photo_organizer.progress import Progress
from photo_organizer.ui.job_status import JobStatus
from photo_organizer.ui.workers import JobRunner


def test_pipeline_progress_reads_as_words_and_the_overall_bar_never_jumps_back(qtbot, ctx):
    runner = JobRunner(ctx.new_library_connection)
    status = JobStatus(runner)
    qtbot.addWidget(status)
    runner.started.emit("Indexing")
    runner.progress.emit("Indexing", Progress("read", 120, 858, rate=12.0, label="Reading photos", overall=0.30))
    assert status.label.text() == "Reading photos · 120 of 858 · about 1 min left"
    assert status.bar.maximum() == 1000 and status.bar.value() == 300

    # The next step starts with an unknown total: the overall bar stays where it was.
    runner.progress.emit("Indexing", Progress("clip", 0, None, label="Preparing search", overall=0.29))
    assert status.bar.value() == 300 and status.label.text() == "Preparing search"
    runner.progress.emit("Indexing", Progress("clip", 5, 858, rate=100.0, label="Preparing search", overall=0.35))
    assert status.bar.value() == 350
    assert status.label.text() == "Preparing search · 5 of 858 · less than a minute left"

    runner.started.emit("Indexing")  # a new run starts from an empty bar
    runner.progress.emit("Indexing", Progress("scan", 0, None, label="Looking for photos", overall=0.0))
    assert status.bar.value() == 0


def test_a_lone_job_says_its_name(qtbot, ctx):
    runner = JobRunner(ctx.new_library_connection)
    status = JobStatus(runner)
    qtbot.addWidget(status)
    runner.started.emit("Computing albums")
    runner.progress.emit("Computing albums", Progress("albums", 3, 10))
    assert status.label.text() == "Computing albums · 3 of 10"
